///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/e2e/ClientLoad.java
//SOURCES lib/e2e/Drain.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/e2e/LoadGen.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/report/Progress.java
//SOURCES lib/report/Report.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Wait.java
//SOURCES lib/tools/Yaml.java
//SOURCES lib/e2e/ZeroDowntime.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "drain", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Drains a node as `kubectl drain` does, through the eviction API (cordon, then an Eviction for each pod but DaemonSets' "
                + "and static pods, asked again each second while a PodDisruptionBudget refuses with HTTP 429), then uncordons it. "
                + "Checks that every pod left the node and that every API pod of the release runs elsewhere, Ready; prints each refusal "
                + "with what the PDB said. With --load, load.java's generator sends traffic to the API Service meanwhile (from this machine "
                + "on the local real-node cluster, else from a client pod in the cluster, off NODE) and the check `load: 0 failed requests "
                + "during a drain of NODE` must hold. Without --allow-drain NODE (any cluster) it only shows what it would evict, and changes nothing.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:drained, every check held", "1:a check failed (the drain timed out, a pod stayed, a request failed)",
                "2:bad input, refused cluster, or no --allow-drain naming the node: nothing was changed"})
public class drain implements Callable<Integer> {
    @Mixin Target target;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Parameters(index = "0", paramLabel = "NODE", description = "The node to drain.")
    String node;

    @Option(names = "--allow-drain", paramLabel = "NODE", description = "Required to drain: the same node name again. Without it, "
            + "nothing is cordoned or evicted; the pods a drain would evict and the budgets are shown.")
    String allowDrain;

    @Option(names = "--load", description = "Send load to the release's API Service (its ClusterIP) during the drain and check that no "
            + "request failed: from this machine on a local dev cluster, from a client pod in the cluster (never on NODE) on any other.")
    boolean load;

    @Option(names = "--load-in-cluster", description = "With --load: send from a client pod in the cluster on a local dev cluster too.")
    boolean loadInCluster;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "25", description = "With --load: requests per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long the evictions and the pods' "
            + "termination may take, 10s to 30m (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--keep-cordoned", description = "Leave the node cordoned afterwards (default: uncordon it).")
    boolean keepCordoned;

    public static void main(String[] args) { System.exit(Cli.execute(new drain(), args)); }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        junit.checkTarget();
        var p = new Progress("drain", System.err);
        Duration max = Cli.duration("--timeout", timeout);
        if (max.compareTo(Duration.ofSeconds(10)) < 0 || max.compareTo(Duration.ofMinutes(30)) > 0) {
            throw new Problem.BadInput("--timeout " + timeout + " is out of range: give 10s to 30m");
        }
        if (node.isBlank() || node.startsWith("-")) throw new Problem.BadInput("NODE '" + node + "' is not a node name");
        var rel = target.resolve(p::info);
        var kube = rel.kube;
        if (kube.get(null, "node", node) == null) {
            throw new Problem.BadInput("no node " + node + " on " + kube.context + " (kubectl --context " + kube.context + " get nodes lists them)");
        }
        var plan = Drain.evictable(kube, node, false);
        System.out.println("drain: " + node + " on " + kube.context + " holds " + plan.size() + " pods a drain evicts: "
                + String.join(", ", plan.stream().map(Drain::key).toList()));
        for (String ns : plan.stream().map(x -> String.valueOf(x.get("metadata") instanceof Map<?, ?> m ? m.get("namespace") : "")).distinct().toList()) {
            String b = Drain.budgets(kube, ns);
            if (!b.isEmpty()) System.out.println("drain: " + ns + ": " + b);
        }
        String refusal = Drain.refusal(node, allowDrain, kube.context);
        if (refusal != null) throw new Problem.BadInput(refusal);
        String api = rel.selector("api");
        LoadGen.Settings settings = null;
        ClientLoad.Setup inCluster = null;
        Duration loadFor = max.plusMinutes(1).compareTo(LoadGen.MAX_DURATION) > 0 ? LoadGen.MAX_DURATION : max.plusMinutes(1);
        if (load && (loadInCluster || !kube.isLocal())) {
            // Every refusal (no API Service, policies that would block the client) before anything is cordoned.
            inCluster = ClientLoad.setup(rel, "/health", rate, loadFor, LoadGen.MAX_REQUESTS, Duration.ofSeconds(2), node);
        } else if (load) {
            var svcs = kube.list(rel.namespace, "services", api);
            if (svcs.isEmpty()) throw new Problem.BadInput("--load: release " + rel.name + " has no API Service in " + rel.namespace);
            // Refuses (exit 2, before anything is cordoned) an address outside the local cluster's ranges.
            settings = LoadGen.Settings.of(ZeroDowntime.serviceUrl(svcs.get(0), "/health")).withRate(rate).withDuration(loadFor)
                    .withMaxRequests(LoadGen.MAX_REQUESTS);
        }
        var apiBefore = apiPods(kube, rel.namespace, api);
        var onNode = new ArrayList<String>();
        apiBefore.forEach((pod, n) -> { if (n.equals(node)) onNode.add(rel.namespace + "/" + pod); });

        var report = new Report("drain", System.out, null, false);
        Drain.Result[] drained = {null};
        ZeroDowntime.Action action = () -> drained[0] = Drain.drain(kube, node, max, p::info);
        try {
            if (settings != null || inCluster != null) {
                ZeroDowntime.Run run;
                if (inCluster != null) {
                    try (var client = ClientLoad.start(kube, rel.namespace, inCluster.pod(), inCluster.plan(), Duration.ofMinutes(3), p::info)) {
                        run = ZeroDowntime.during(client::collect, Duration.ofSeconds(3), Duration.ofSeconds(10), action);
                    }
                } else {
                    run = ZeroDowntime.during(settings, Duration.ofSeconds(3), Duration.ofSeconds(10), action);
                }
                System.out.println("load: " + run.load().summary());
                report.check(LoadGen.checkName("a drain of " + node), run.load().summary(), () -> {
                    Report.expect(run.covered(), "the load stopped at its bounds before the drain ended");
                    String problem = run.load().problem();
                    Report.expect(problem == null, "%s", problem);
                });
                if (run.actionFailure() != null) throw run.actionFailure();
            } else {
                action.run();
            }
        } catch (Problem.Interrupted e) {
            throw e;
        } catch (Problem e) {
            report.check("drain " + node + " through the eviction API: every pod evicted and gone from the node", "", () -> Report.fail("%s", e.getMessage()));
            junit.write(report, (System.nanoTime() - t0) / 1_000_000);
            return report.finish("drain");
        } finally {
            if (!keepCordoned) Drain.cordon(kube, node, false);
        }
        var d = drained[0];
        System.out.println("drain: " + d.summary() + (keepCordoned ? "; " + node + " stays cordoned" : "; " + node + " uncordoned"));
        for (var f : d.refusals()) System.out.println("drain: refused (429): " + f.describe());
        report.check("drain " + node + " through the eviction API: every pod evicted and gone from the node", d.summary(),
                () -> Report.expect(Drain.evictable(kube, node, true).isEmpty(), "pods still on %s", node));
        if (!apiBefore.isEmpty()) {
            report.check("drain: every API pod of " + rel.name + " runs off " + node + ", Ready", "", () -> Wait.until("the API's pods off " + node, max, () -> {
                var now = apiPods(kube, rel.namespace, api);
                var ready = kube.list(rel.namespace, "deployments", api).stream().map(x -> Yaml.str(x, "status.readyReplicas")).toList();
                var want = kube.list(rel.namespace, "deployments", api).stream().map(x -> Yaml.str(x, "spec.replicas")).toList();
                return !now.containsValue(node) && ready.equals(want) ? null : "API pods " + now + ", ready " + ready + " of " + want;
            }));
        }
        if (!onNode.isEmpty() && d.refusals().stream().noneMatch(f -> onNode.contains(f.pod()))) {
            System.out.println("drain: note: no eviction of an API pod was refused: the PDB allowed each at once (replicas to spare, or one API pod on "
                    + node + ")");
        }
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        return report.finish("drain");
    }

    private static Map<String, String> apiPods(Kube kube, String ns, String selector) {
        var out = new TreeMap<String, String>();
        for (var pod : kube.list(ns, "pods", selector)) {
            if (Yaml.str(pod, "metadata.deletionTimestamp") == null) out.put(Yaml.str(pod, "metadata.name"), String.valueOf(Yaml.str(pod, "spec.nodeName")));
        }
        return out;
    }
}
