//SOURCES ../kube/Kube.java
//SOURCES ../lifecycle/LiveChecks.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An HPA watched while it scales: what its status says every few seconds (replicas, desired
 * replicas, current utilisation against the target), as a timeline, until a condition holds or
 * the time is up.
 */
final class HpaWatch {
    private HpaWatch() {}

    static final Duration EVERY = Duration.ofSeconds(5);

    /** One look at the HPA and its Deployment: when (seconds since the watch began) and what they said. */
    record Sample(long second, int replicas, int desired, int ready, String metrics) {
        String describe() {
            return String.format(java.util.Locale.ROOT, "t+%3ds replicas %d (desired %d, ready %d), %s", second, replicas, desired, ready, metrics);
        }
    }

    /** What a watch saw: each change of what the HPA said, and whether the condition held before the time was up. */
    record Timeline(List<Sample> samples, boolean reached, long seconds) {
        String describe() {
            var sb = new StringBuilder();
            for (var s : samples) sb.append("\n  ").append(s.describe());
            return sb.toString();
        }

        int maxReplicas() { return samples.stream().mapToInt(Sample::replicas).max().orElse(0); }
    }

    /**
     * Looks at HPA name every {@link #EVERY} until done holds for a sample or max is up; each
     * sample that differs from the one before goes to say and into the timeline.
     */
    static Timeline watch(Kube kube, String namespace, String name, Duration max, Predicate<Sample> done, Consumer<String> say) {
        long t0 = System.nanoTime();
        var samples = new ArrayList<Sample>();
        Sample last = null;
        while (true) {
            long second = (System.nanoTime() - t0) / 1_000_000_000;
            var s = sample(kube, namespace, name, second);
            if (s != null && (last == null || s.replicas() != last.replicas() || s.desired() != last.desired() || s.ready() != last.ready()
                    || !s.metrics().equals(last.metrics()))) {
                samples.add(s);
                say.accept(s.describe());
                last = s;
            }
            if (s != null && done.test(s)) return new Timeline(samples, true, second);
            if (System.nanoTime() - t0 > max.toNanos()) return new Timeline(samples, false, second);
            Wait.sleep(EVERY.toMillis());
        }
    }

    static Sample sample(Kube kube, String namespace, String name, long second) {
        var h = kube.get(namespace, "horizontalpodautoscaler", name);
        if (h == null) return null;
        var d = kube.get(namespace, "deployment", Yaml.str(h, "spec.scaleTargetRef.name"));
        int ready = d == null ? 0 : LiveChecks.intOf(Yaml.at(d, "status.readyReplicas"));
        return new Sample(second, LiveChecks.intOf(Yaml.at(h, "status.currentReplicas")), LiveChecks.intOf(Yaml.at(h, "status.desiredReplicas")), ready,
                metrics(h));
    }

    /** The HPA's resource metrics as kubectl's TARGETS column shows them: "cpu 412%/80%". */
    static String metrics(Map<String, Object> hpa) {
        String line = LiveChecks.hpaLine(hpa);
        int colon = line.indexOf(": ");
        int replicas = line.indexOf(", replicas ");
        return colon < 0 || replicas < 0 ? line : line.substring(colon + 2, replicas);
    }
}
