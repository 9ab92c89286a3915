//SOURCES Interrupts.java
//SOURCES Kube.java
//SOURCES Yaml.java

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One lifecycle operation (install, upgrade, migrate, rollback) per release at a time,
 * held as a Kubernetes Lease in the release's namespace: the cluster's own locking
 * primitive, so every machine sees it and `kubectl get lease` shows who holds it. The
 * holder renews it every few seconds; a lease not renewed for {@link #DURATION} belongs to
 * a process that died, and the next operation takes it over.
 */
final class ReleaseLock implements AutoCloseable {
    static final Duration DURATION = Duration.ofSeconds(30);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(10);
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final Kube kube;
    private final String namespace;
    private final String name;
    private final String holder;
    private final ScheduledExecutorService renewer;
    private final Interrupts.Cleanup onStop;
    private volatile boolean released;

    private ReleaseLock(Kube kube, String namespace, String name, String holder) {
        this.kube = kube;
        this.namespace = namespace;
        this.name = name;
        this.holder = holder;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "lease-renewer");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleAtFixedRate(this::renew, RENEW_EVERY.toSeconds(), RENEW_EVERY.toSeconds(), TimeUnit.SECONDS);
        this.onStop = Interrupts.onStop("release the lock " + name, this::release);
    }

    static String leaseName(String release) { return release + "-lifecycle-lock"; }

    /** Who we are, as other runs will see it in their refusal. */
    static String identity(String operation) {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isEmpty()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown host";
            }
        }
        return operation + " (pid " + ProcessHandle.current().pid() + " on " + host + ", user " + System.getProperty("user.name") + ")";
    }

    /**
     * Takes the release's lock, or throws Kube.Refused (exit code 2) naming the holder and how
     * long ago it took the lock. The namespace must exist.
     */
    static ReleaseLock acquire(Kube kube, String namespace, String release, String operation) {
        String name = leaseName(release);
        String me = identity(operation);
        Instant now = Instant.now();
        var lease = lease(namespace, name, me, now, release);
        var created = kube.runWithInput(Yaml.dump(lease), "create", "-f", "-");
        if (created.ok()) return new ReleaseLock(kube, namespace, name, me);
        if (!created.said().contains("AlreadyExists") && !created.said().contains("already exists")) {
            throw new Kube.Refused("could not take the lock (Lease " + name + " in " + namespace + "): " + Kube.firstLine(created.said()));
        }
        var current = kube.get(namespace, "lease", name);
        if (current == null) return acquire(kube, namespace, release, operation); // released in between
        String holder = Yaml.str(current, "spec.holderIdentity");
        Instant renewed = parse(Yaml.str(current, "spec.renewTime"));
        Instant acquired = parse(Yaml.str(current, "spec.acquireTime"));
        if (renewed != null && renewed.plus(DURATION).isAfter(now)) {
            throw new Kube.Refused("release " + release + " in " + namespace + " is busy: " + holder + " holds its lock since "
                    + ago(acquired, now) + " (Lease " + name + ", renewed " + ago(renewed, now) + "). Run again when it has finished; "
                    + "if that process is gone, its lock expires " + DURATION.toSeconds() + " s after its last renewal");
        }
        // Expired: its holder died without releasing it. Take it over, but only if nobody else did meanwhile.
        String rv = Yaml.str(current, "metadata.resourceVersion");
        var patch = List.of(
                Map.of("op", "test", "path", "/metadata/resourceVersion", "value", rv),
                Map.of("op", "replace", "path", "/spec", "value", Yaml.map(lease, "spec")));
        var r = kube.run("patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
        if (!r.ok()) {
            throw new Kube.Refused("release " + release + " in " + namespace + " is busy: another run took over the expired lock of "
                    + holder + " just now (Lease " + name + "). Run again when it has finished");
        }
        System.err.println("lock: took over the expired lock of " + holder + " (last renewed " + ago(renewed, now) + ")");
        return new ReleaseLock(kube, namespace, name, me);
    }

    /** Who holds the release's lock now ("x holds it since …"), or null when nobody does (or the lease expired). */
    static String holder(Kube kube, String namespace, String release) {
        var current = kube.get(namespace, "lease", leaseName(release));
        if (current == null) return null;
        Instant now = Instant.now();
        Instant renewed = parse(Yaml.str(current, "spec.renewTime"));
        if (renewed == null || !renewed.plus(DURATION).isAfter(now)) return null;
        return Yaml.str(current, "spec.holderIdentity") + " holds its lock since " + ago(parse(Yaml.str(current, "spec.acquireTime")), now)
                + " (Lease " + leaseName(release) + ")";
    }

    private static Map<String, Object> lease(String namespace, String name, String holder, Instant now, String release) {
        var spec = new LinkedHashMap<String, Object>();
        spec.put("holderIdentity", holder);
        spec.put("leaseDurationSeconds", (int) DURATION.toSeconds());
        spec.put("acquireTime", MICRO.format(now));
        spec.put("renewTime", MICRO.format(now));
        var labels = Map.of("app.kubernetes.io/instance", release, "app.kubernetes.io/managed-by", "trevor-chart-ops");
        return Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                "metadata", Map.of("name", name, "namespace", namespace, "labels", labels), "spec", spec);
    }

    private void renew() {
        if (released) return;
        var patch = List.of(
                Map.of("op", "test", "path", "/spec/holderIdentity", "value", holder),
                Map.of("op", "replace", "path", "/spec/renewTime", "value", MICRO.format(Instant.now())));
        var r = kube.run(Duration.ofSeconds(8), "patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
        if (!r.ok() && !released) System.err.println("lock: could not renew Lease " + name + ": " + Kube.firstLine(r.said()));
    }

    /** Deletes the lease if it is still ours. */
    synchronized void release() {
        if (released) return;
        released = true;
        renewer.shutdownNow();
        var current = kube.get(namespace, "lease", name);
        if (current != null && holder.equals(Yaml.str(current, "spec.holderIdentity"))) {
            kube.run("delete", "lease", name, "-n", namespace, "--wait=false");
        }
    }

    @Override public void close() {
        release();
        onStop.close();
    }

    static Instant parse(String micro) {
        if (micro == null || micro.equals("null")) return null;
        try {
            return Instant.parse(micro);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    static String ago(Instant then, Instant now) {
        if (then == null) return "an unknown time";
        long s = Math.max(0, Duration.between(then, now).toSeconds());
        return s < 120 ? s + " s ago" : (s / 60) + " min ago";
    }
}
