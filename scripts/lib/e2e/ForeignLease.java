//SOURCES ../kube/Kube.java
//SOURCES ../lifecycle/ReleaseLock.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A release's lock held by a live run on another machine, renewed until closed: the state in
 * which every lifecycle script must refuse, made on purpose so that a test need not win a race
 * to see the refusal. The holder claims another host, so no check of this machine's processes
 * can declare it dead; only its renewals keep it.
 */
final class ForeignLease implements AutoCloseable {
    static final String HOLDER = "install.java/upgrade.java trevor (pid 4242 on safety-other-host, user someone-else)";
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final Kube kube;
    private final String namespace;
    private final String name;
    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        var t = new Thread(r, "foreign-lease");
        t.setDaemon(true);
        return t;
    });

    /** Takes the lock of release in namespace (which must exist); fails if anyone holds it. */
    ForeignLease(Kube kube, String namespace, String release) {
        this.kube = kube;
        this.namespace = namespace;
        this.name = ReleaseLock.leaseName(release);
        String now = MICRO.format(Instant.now());
        var lease = Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                "metadata", Map.of("name", name, "namespace", namespace, "labels", Map.of("app.kubernetes.io/instance", release)),
                "spec", Map.of("holderIdentity", HOLDER, "leaseDurationSeconds", (int) ReleaseLock.DURATION.toSeconds(),
                        "acquireTime", now, "renewTime", now));
        var r = kube.runWithInput(Yaml.dump(lease), "create", "-f", "-");
        if (!r.ok()) throw new IllegalStateException("could not hold Lease " + name + " in " + namespace + ": " + Kube.firstLine(r.said()));
        // Renewed well inside its duration, as a live holder does, however long the runs it blocks take.
        renewer.scheduleAtFixedRate(this::renew, 5, 5, TimeUnit.SECONDS);
    }

    private void renew() {
        var patch = List.of(Map.of("op", "replace", "path", "/spec/renewTime", "value", MICRO.format(Instant.now())));
        kube.run(Duration.ofSeconds(8), "patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
    }

    /** Whether the Lease still names this holder (a run that took it over would have changed it). */
    boolean stillHeld() {
        var current = kube.get(namespace, "lease", name);
        return current != null && HOLDER.equals(Yaml.str(current, "spec.holderIdentity"));
    }

    @Override public void close() {
        renewer.shutdownNow();
        kube.run("delete", "lease", name, "-n", namespace, "--ignore-not-found", "--wait=false");
    }
}
