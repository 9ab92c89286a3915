//SOURCES LoadGen.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load through the API Service while a lifecycle action runs (an upgrade to a new tag, a
 * rollback, a scale-down): the requests start before the action and go on after it, so the
 * old pods' whole termination falls inside the measure.
 */
final class ZeroDowntime {
    private ZeroDowntime() {}

    /**
     * Values that remove every protection a rollout has: no preStop pause, a 1 s grace period,
     * no readiness probe. A run with them must fail the load check, or the load does not
     * measure what the chart's settings protect. The startup probe goes too: without a
     * readiness probe it alone would still hold a new pod out of the Service until it answers.
     */
    static final List<String> UNPROTECTED = List.of("preStopSleepSeconds=0", "terminationGracePeriodSeconds=1", "probes.readiness.enabled=false",
            "probes.startup.enabled=false");
    /** What UNPROTECTED replaced, as values/real-node.yaml and the chart's defaults have it (upgrades keep earlier --set values). */
    static final List<String> PROTECTED = List.of("preStopSleepSeconds=5", "terminationGracePeriodSeconds=30", "probes.readiness.enabled=true",
            "probes.startup.enabled=true");

    interface Action { void run() throws Exception; }

    /** What an action under load left: the load's result, the action's own failure (null when it succeeded), and when it ended. */
    record Run(LoadGen.Result load, Exception actionFailure, Instant actionEnded) {
        /** The load went on past the action's end: its bounds did not stop it while the action still ran. */
        boolean covered() {
            var o = load.outcomes();
            return !o.isEmpty() && !o.get(o.size() - 1).at().isBefore(actionEnded);
        }
    }

    /**
     * Starts the load, waits lead, runs the action, keeps the load going for tail after the
     * action returned (a terminating pod's preStop and grace period outlast helm's wait), and
     * stops. The settings' duration and count still bound it all.
     */
    static Run during(LoadGen.Settings settings, Duration lead, Duration tail, Action action) {
        return during(stop -> LoadGen.run(settings, stop), lead, tail, tail, () -> true, action);
    }

    /** During action, with load from this machine and a tail that follows progress (see below). */
    static Run during(LoadGen.Settings settings, Duration lead, Duration minTail, Duration maxTail, java.util.function.BooleanSupplier settled,
                      Action action) {
        return during(stop -> LoadGen.run(settings, stop), lead, minTail, maxTail, settled, action);
    }

    /** During action, with any load (see below) and a fixed tail. */
    static Run during(java.util.function.Function<java.util.function.BooleanSupplier, LoadGen.Result> loadRun, Duration lead, Duration tail,
                      Action action) {
        return during(loadRun, lead, tail, tail, () -> true, action);
    }

    /**
     * The same with any load: from this machine (LoadGen.run) or from a client pod in the
     * cluster (ClientLoad.run); loadRun gets the stop signal. The tail follows progress: after
     * the action returned the load goes on until settled says so (e.g. the replaced pods are
     * gone), at least minTail and at most maxTail.
     */
    static Run during(java.util.function.Function<java.util.function.BooleanSupplier, LoadGen.Result> loadRun, Duration lead, Duration minTail,
                      Duration maxTail, java.util.function.BooleanSupplier settled, Action action) {
        var actionDone = new AtomicLong(Long.MAX_VALUE);
        var load = CompletableFuture.supplyAsync(() -> loadRun.apply(() -> System.nanoTime() >= actionDone.get()));
        Exception failure = null;
        Instant ended = null;
        try {
            Thread.sleep(lead.toMillis());
            action.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (Exception e) {
            failure = e;
        } finally {
            ended = Instant.now();
            long t0 = System.nanoTime();
            if (maxTail.compareTo(minTail) > 0) {
                boolean done = false;
                while (!done && System.nanoTime() - t0 < maxTail.toNanos()) {
                    try {
                        done = settled.getAsBoolean();
                    } catch (RuntimeException e) {
                        done = false; // asked again until maxTail
                    }
                    if (!done) sleepQuietly(1000);
                }
            }
            long waited = System.nanoTime() - t0;
            actionDone.set(System.nanoTime() + Math.max(0, minTail.toNanos() - waited));
        }
        return new Run(load.join(), failure, ended);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * http://CLUSTER-IP:PORT/PATH of a Service's port named http (else its first): reached
     * from this machine through kube-proxy's rules, as a client in the cluster reaches it.
     */
    static URI serviceUrl(Map<String, Object> service, String path) {
        String name = Yaml.str(service, "metadata.name");
        String ip = Yaml.str(service, "spec.clusterIP");
        if (ip == null || ip.isBlank() || "None".equals(ip)) {
            throw new Problem.Failed("Service " + name + " has no ClusterIP (" + ip + "): the load goes through a Service's virtual address");
        }
        var ports = Yaml.maps(service, "spec.ports");
        if (ports.isEmpty()) throw new Problem.Failed("Service " + name + " has no port");
        var port = ports.stream().filter(p -> "http".equals(p.get("name"))).findFirst().orElse(ports.get(0));
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        return URI.create("http://" + host + ":" + port.get("port") + path);
    }
}
