//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES LockHolder.java
//SOURCES ../tools/Yaml.java

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
 * a process that died, and the next operation takes it over, unless the Lease's annotations
 * show (on this machine) that its holder or the helm it started still runs: helm lives in a
 * session of its own and outlives a script killed outright. A run that loses its lock (taken
 * over, deleted, or not renewable for {@link #DURATION}) stops at once.
 */
final class ReleaseLock implements AutoCloseable {
    static final Duration DURATION = Duration.ofSeconds(30);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(10);
    private static final Duration RENEW_TIMEOUT = Duration.ofSeconds(15);
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final Kube kube;
    private final String namespace;
    private final String name;
    private final String holder;
    private final ScheduledExecutorService renewer;
    private final Interrupts.Cleanup onStop;
    private final AutoCloseable onHelm;
    private volatile boolean released;
    private volatile LockHolder processes;
    private volatile Instant lastRenewed = Instant.now();

    private ReleaseLock(Kube kube, String namespace, String name, String holder, LockHolder processes) {
        this.kube = kube;
        this.namespace = namespace;
        this.name = name;
        this.holder = holder;
        this.processes = processes;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "lease-renewer");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleAtFixedRate(this::renew, RENEW_EVERY.toSeconds(), RENEW_EVERY.toSeconds(), TimeUnit.SECONDS);
        this.onStop = Interrupts.onStop("release the lock " + name, this::release);
        this.onHelm = Interrupts.onStart(this::recordTool);
    }

    static String leaseName(String release) { return release + "-lifecycle-lock"; }

    /** Who we are, as other runs will see it in their refusal. */
    static String identity(String operation) {
        return operation + " (pid " + ProcessHandle.current().pid() + " on " + host() + ", user " + System.getProperty("user.name") + ")";
    }

    static String host() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isEmpty()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown host";
            }
        }
        return host;
    }

    /**
     * Takes the release's lock, or throws Problem.Refused (exit code 2) naming the holder and how
     * long ago it took the lock. The namespace must exist.
     */
    static ReleaseLock acquire(Kube kube, String namespace, String release, String operation) {
        String name = leaseName(release);
        String me = identity(operation);
        var mine = LockHolder.current(host());
        Instant now = Instant.now();
        var lease = lease(namespace, name, me, now, release, mine);
        var created = kube.runWithInput(Yaml.dump(lease), "create", "-f", "-");
        if (created.ok()) return new ReleaseLock(kube, namespace, name, me, mine);
        if (!created.said().contains("AlreadyExists") && !created.said().contains("already exists")) {
            throw new Problem.Refused("could not take the lock (Lease " + name + " in " + namespace + "): " + Kube.firstLine(created.said()));
        }
        var current = kube.get(namespace, "lease", name);
        if (current == null) return acquire(kube, namespace, release, operation); // released in between
        String busy = busy(current, namespace, release, now);
        if (busy != null) throw new Problem.Refused(busy);
        // Expired, and no process of its holder runs here: it died without releasing it. Take it over,
        // but only if nobody else did meanwhile.
        String holder = Yaml.str(current, "spec.holderIdentity");
        Instant renewed = parse(Yaml.str(current, "spec.renewTime"));
        String rv = Yaml.str(current, "metadata.resourceVersion");
        var patch = List.of(
                Map.of("op", "test", "path", "/metadata/resourceVersion", "value", rv),
                Map.of("op", "add", "path", "/metadata/annotations", "value", mine.annotations()),
                Map.of("op", "replace", "path", "/spec", "value", Yaml.map(lease, "spec")));
        var r = kube.run("patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
        if (!r.ok()) {
            throw new Problem.Refused("release " + release + " in " + namespace + " is busy: another run took over the expired lock of "
                    + holder + " just now (Lease " + name + "). Run again when it has finished");
        }
        System.err.println("lock: took over the expired lock of " + holder + " (last renewed " + ago(renewed, now) + ")");
        return new ReleaseLock(kube, namespace, name, me, mine);
    }

    /**
     * Why an existing Lease still holds the release, as the refusal says it; null when it
     * expired and none of its holder's processes runs on this machine.
     */
    private static String busy(Map<String, Object> lease, String namespace, String release, Instant now) {
        String name = leaseName(release);
        String holder = Yaml.str(lease, "spec.holderIdentity");
        Instant renewed = parse(Yaml.str(lease, "spec.renewTime"));
        Instant acquired = parse(Yaml.str(lease, "spec.acquireTime"));
        if (renewed != null && renewed.isAfter(now.plus(DURATION))) {
            // A renewal stamps the renewer's "now"; one further ahead than a lease lasts never came from a run.
            return "the lock of release " + release + " in " + namespace + " (Lease " + name + ", holder " + holder + ") says it was renewed at "
                    + MICRO.format(renewed) + ", " + ahead(now, renewed) + " from now. No run renews a lock ahead of time: it was written by hand "
                    + "or on a machine whose clock is wrong, and it would never expire. If no install, upgrade, migrate or rollback of "
                    + release + " runs now, delete it: kubectl -n " + namespace + " delete lease " + name;
        }
        if (renewed != null && renewed.plus(DURATION).isAfter(now)) {
            return "release " + release + " in " + namespace + " is busy: " + holder + " holds its lock since "
                    + ago(acquired, now) + " (Lease " + name + ", renewed " + ago(renewed, now) + "). Run again when it has finished; "
                    + "if that process is gone, its lock expires " + DURATION.toSeconds() + " s after its last renewal";
        }
        var processes = LockHolder.of(Yaml.strings(lease, "metadata.annotations"));
        String running = processes == null ? null : processes.stillRunning(host());
        if (running != null) {
            return "release " + release + " in " + namespace + " is busy: the lock of " + holder + " (Lease " + name + ") was last renewed "
                    + ago(renewed, now) + ", but " + running;
        }
        return null;
    }

    /**
     * Who holds the release's lock now and why it still counts (renewed lately, an impossible
     * renewal time, or a process of its holder still running here), or null when nobody does.
     */
    static String holder(Kube kube, String namespace, String release) {
        var current = kube.get(namespace, "lease", leaseName(release));
        if (current == null) return null;
        String busy = busy(current, namespace, release, Instant.now());
        return busy == null ? null : busy.replaceFirst("^release \\S+ in \\S+ is busy: ", "");
    }

    private static Map<String, Object> lease(String namespace, String name, String holder, Instant now, String release, LockHolder processes) {
        var spec = new LinkedHashMap<String, Object>();
        spec.put("holderIdentity", holder);
        spec.put("leaseDurationSeconds", (int) DURATION.toSeconds());
        spec.put("acquireTime", MICRO.format(now));
        spec.put("renewTime", MICRO.format(now));
        var labels = Map.of("app.kubernetes.io/instance", release, "app.kubernetes.io/managed-by", "trevor-chart-ops");
        return Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                "metadata", Map.of("name", name, "namespace", namespace, "labels", labels, "annotations", processes.annotations()), "spec", spec);
    }

    private void renew() {
        if (released) return;
        var patch = List.of(
                Map.of("op", "test", "path", "/spec/holderIdentity", "value", holder),
                Map.of("op", "replace", "path", "/spec/renewTime", "value", MICRO.format(Instant.now())));
        // Up to RENEW_EVERY + this before the next try: a kubectl that a loaded machine starts
        // slowly still renews well inside DURATION, and a lost lock is still seen in time.
        var r = kube.run(RENEW_TIMEOUT, "patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
        if (r.ok()) {
            lastRenewed = Instant.now();
            return;
        }
        if (released) return;
        String lost = lostBecause(Kube.firstLine(r.said()));
        if (lost != null) {
            Interrupts.abort("lost the release's lock: " + lost + ". This run may change nothing more: it stops its helm and migration Job now");
        } else {
            System.err.println("lock: could not renew Lease " + name + ": " + Kube.firstLine(r.said()));
        }
    }

    /** Why a failed renewal means the lock is gone, or null while it may still be ours. */
    private String lostBecause(String error) {
        try {
            var current = kube.get(namespace, "lease", name);
            if (current == null) return "its Lease " + name + " in " + namespace + " was deleted";
            String now = Yaml.str(current, "spec.holderIdentity");
            if (!holder.equals(now)) return "its Lease " + name + " in " + namespace + " now names " + now + " as its holder";
        } catch (RuntimeException e) {
            error = Problem.rootMessage(e);
        }
        long since = Duration.between(lastRenewed, Instant.now()).toSeconds();
        return since >= DURATION.toSeconds() ? "its Lease " + name + " could not be renewed for " + since + " s (" + error
                + "), so another run may have taken it over" : null;
    }

    /** Writes the helm this run starts into the Lease, so that a next run sees it live on after a kill -9 of this one. */
    private void recordTool(Process p, String command) {
        if (released) return;
        processes = processes.running(p, command);
        var patch = List.of(
                Map.of("op", "test", "path", "/spec/holderIdentity", "value", holder),
                Map.of("op", "add", "path", "/metadata/annotations", "value", processes.annotations()));
        var r = kube.run(Duration.ofSeconds(20), "patch", "lease", name, "-n", namespace, "--type=json", "-p", Yaml.json(patch));
        if (!r.ok()) {
            String lost = lostBecause(Kube.firstLine(r.said()));
            if (lost != null) Interrupts.abort("lost the release's lock: " + lost + ". This run may change nothing more: it stops its helm now");
            else System.err.println("lock: could not record helm's pid in Lease " + name + ": " + Kube.firstLine(r.said()));
        }
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
        try {
            onHelm.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Instant parse(String micro) {
        if (micro == null || micro.equals("null")) return null;
        try {
            return Instant.parse(micro);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String ahead(Instant now, Instant then) {
        long s = Duration.between(now, then).toSeconds();
        return s < 7200 ? s + " s" : s < 3 * 86400 ? (s / 3600) + " h" : (s / 86400) + " days";
    }

    static String ago(Instant then, Instant now) {
        if (then == null) return "an unknown time";
        long s = Math.max(0, Duration.between(then, now).toSeconds());
        return s < 120 ? s + " s ago" : (s / 60) + " min ago";
    }
}
