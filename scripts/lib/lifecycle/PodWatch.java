//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES PodTrouble.java
//SOURCES ../kube/Release.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Watches the release's pods while helm waits for them: says every little while what it waits
 * for and for how long, and stops helm (SIGTERM, as Ctrl-C does, so helm records the outcome
 * and rolls back as it was told) as soon as a pod this run made shows a reason that waiting
 * cannot cure (PodTrouble). Pods that were there before the run are shown, never acted on: an
 * upgrade is often what replaces a broken pod.
 */
final class PodWatch implements AutoCloseable {
    static final Duration POLL = Duration.ofSeconds(3);
    static final Duration SAY_EVERY = Duration.ofSeconds(15);
    /**
     * How long a reason must last before the run stops: a pull that fails once may succeed on
     * the kubelet's next try, and a scheduler verdict can change when a pod elsewhere goes.
     * ErrImageNeverPull and InvalidImageName cannot change and stop at once.
     */
    static final Duration SETTLE = Duration.ofSeconds(6);
    private static final Set<String> FINAL = Set.of("ErrImageNeverPull", "InvalidImageName");

    private final Release rel;
    private final Duration timeout;
    private final Consumer<String> say;
    private final Set<String> before = new HashSet<>();
    private final Map<String, Long> firstSeen = new HashMap<>();
    private final long t0 = System.nanoTime();
    private final AutoCloseable listener;
    private final Thread thread;
    private volatile Process helm;
    private volatile PodTrouble.Found stoppedFor;
    private volatile boolean closed;

    private PodWatch(Release rel, Duration timeout, Consumer<String> say) {
        this.rel = rel;
        this.timeout = timeout;
        this.say = say;
        for (var p : pods()) before.add(Yaml.str(p, "metadata.uid"));
        // The helm this run starts next is the one to stop; its PID is known only once it runs.
        this.listener = Interrupts.onStart((p, what) -> { if (what.contains(" upgrade")) helm = p; });
        this.thread = new Thread(this::loop, "pod-watch");
        this.thread.setDaemon(true);
    }

    /** Starts watching; close() ends it. */
    static PodWatch start(Release rel, Duration timeout, Consumer<String> say) {
        var w = new PodWatch(rel, timeout, say);
        w.thread.start();
        return w;
    }

    /** The pod and reason that made this watch stop helm, or null when it did not. */
    PodTrouble.Found stoppedFor() { return stoppedFor; }

    /** Seconds since the watch started. */
    long elapsedSeconds() { return (System.nanoTime() - t0) / 1_000_000_000; }

    private List<Map<String, Object>> pods() {
        try {
            return rel.kube.list(rel.namespace, "pods", "app.kubernetes.io/instance=" + rel.name);
        } catch (RuntimeException e) {
            return List.of(); // a missed look is not a reason to stop anything; the next one comes
        }
    }

    private void loop() {
        long lastSaid = System.nanoTime();
        while (!closed && stoppedFor == null) {
            sleep(POLL);
            if (closed) return;
            var pods = pods();
            long now = System.nanoTime();
            var found = troubleOf(pods, now);
            if (found != null && helm != null && helm.isAlive() && !closed) {
                stoppedFor = found;
                say.accept("stopping helm after " + elapsedSeconds() + " s: " + found.describe()
                        + " (waiting would not change it; helm records the outcome" + ")");
                helm.destroy(); // SIGTERM: helm cancels its wait, rolls back as it was told, and exits
                return;
            }
            if (now - lastSaid > SAY_EVERY.toNanos()) {
                lastSaid = now;
                say.accept(progress(pods));
            }
        }
    }

    /** The first trouble that has lasted SETTLE (or cannot change) among the pods this run made, and no autoscaler is curing. */
    private PodTrouble.Found troubleOf(List<Map<String, Object>> pods, long now) {
        var f = settled(pods, before, firstSeen, now);
        return f != null && f.kind() == PodTrouble.Kind.UNSCHEDULABLE && scaleUpTriggered(f.pod()) ? null : f;
    }

    /**
     * The first trouble among pods not in before (UIDs of the pods there before the run) that
     * has lasted SETTLE since firstSeen recorded it (or that cannot change); firstSeen is
     * updated: troubles seen now are added, gone ones forgotten.
     */
    static PodTrouble.Found settled(List<Map<String, Object>> pods, Set<String> before, Map<String, Long> firstSeen, long now) {
        // A pod on its way out frees the place a Pending one waits for: no Unschedulable verdict while one terminates.
        boolean terminating = pods.stream().anyMatch(p -> Yaml.at(p, "metadata.deletionTimestamp") != null);
        var seen = new HashSet<String>();
        PodTrouble.Found out = null;
        for (var p : pods) {
            if (before.contains(Yaml.str(p, "metadata.uid"))) continue;
            var f = PodTrouble.classify(p);
            if (f == null || (f.kind() == PodTrouble.Kind.UNSCHEDULABLE && terminating)) continue;
            String key = Yaml.str(p, "metadata.uid") + "/" + f.reason();
            seen.add(key);
            long since = firstSeen.computeIfAbsent(key, k -> now);
            if (out == null && (FINAL.contains(f.reason()) || now - since >= SETTLE.toNanos())) out = f;
        }
        firstSeen.keySet().retainAll(seen);
        return out;
    }

    /** A cluster autoscaler is adding a node for this pod: Unschedulable is then the wait for it. */
    private boolean scaleUpTriggered(String pod) {
        try {
            return rel.kube.eventsFor(rel.namespace, "Pod", pod).stream().anyMatch(e -> e.contains("TriggeredScaleUp"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** What helm waits for now, how long it has waited and may wait, and the pods not ready yet with their reasons. */
    String progress(List<Map<String, Object>> pods) {
        // A Job's pod is Running and Ready while it migrates: what helm waits for then is the Job.
        var jobs = new java.util.ArrayList<String>();
        try {
            for (var j : rel.kube.list(rel.namespace, "jobs", "app.kubernetes.io/instance=" + rel.name)) {
                if (Kube.conditionTrue(j, "Complete") || Kube.conditionTrue(j, "Failed")) continue;
                jobs.add("Job " + Yaml.str(j, "metadata.name") + " not complete (active " + Yaml.str(j, "status.active") + ", failed "
                        + (Yaml.str(j, "status.failed") == null ? "0" : Yaml.str(j, "status.failed")) + ")");
            }
        } catch (RuntimeException e) {
            // a missed look: the pods still say something
        }
        var waiting = pods.stream().filter(p -> !"migrate".equals(Kube.labelsOf(p).get("app.kubernetes.io/component")))
                .map(PodTrouble::notReady).filter(java.util.Objects::nonNull).toList();
        var parts = new java.util.ArrayList<String>(jobs);
        if (!waiting.isEmpty()) parts.add(waiting.size() + " pod(s) not ready: " + String.join("; ", waiting.subList(0, Math.min(4, waiting.size())))
                + (waiting.size() > 4 ? "; …" : ""));
        String list = parts.isEmpty() ? "every pod is ready and every Job complete; helm waits for the rest (the rollout's status, Services)"
                : String.join("; ", parts);
        return String.format(Locale.ROOT, "waiting for the release's pods and Jobs: %d s of at most %d s; %s", elapsedSeconds(),
                timeout.toSeconds(), list);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override public void close() {
        closed = true;
        thread.interrupt();
        try {
            listener.close();
        } catch (Exception ignored) {
            // removing a listener from a list does not fail
        }
    }
}
