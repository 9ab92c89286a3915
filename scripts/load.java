///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/e2e/ClientLoad.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/kube/KubeConfig.java
//SOURCES lib/e2e/LoadGen.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/report/Progress.java
//SOURCES lib/report/Report.java
//SOURCES lib/e2e/Scale.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Yaml.java
//SOURCES lib/e2e/ZeroDowntime.java

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "load", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Sends a steady, bounded stream of GETs to the API and checks that none failed: requests, 2xx, non-2xx by code, "
                + "connection errors by kind, p50/p99/max latency. With --url, from this machine (loopback, or the local cluster's pod and "
                + "Service addresses only); without it, from a client pod inside the cluster of --context (any cluster) to the release's API "
                + "Service, read back from the pod's log; the pod is deleted afterwards. --scale-to N scales the API meanwhile, and on a "
                + "cluster that is not a local dev cluster only with --allow-scale naming the Deployment.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:requests were sent and none failed", "1:a request failed (counts printed), or the client pod or the scale failed",
                "2:bad input, a target that is not loopback or the local cluster's, a refused cluster, policies that do not admit the client pod, "
                        + "or a scale without --allow-scale: no request was sent and nothing was changed"})
public class load implements Callable<Integer> {
    @Option(names = "--url", paramLabel = "URL",
            description = "Send from this machine to http://ADDRESS[:PORT]/PATH; ADDRESS is loopback or in the local cluster's pod or Service range "
                    + "(a ClusterIP), never a host name. Without --url: a client pod in the cluster sends to the release's API Service.")
    String url;

    @Mixin Target target;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/health", description = "Without --url: the path requested from the API Service (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "3m", description = "Without --url: how long the client pod may take to "
            + "be scheduled, pull the image and start sending (default: ${DEFAULT-VALUE}).")
    String startTimeout;

    @Option(names = "--scale-to", paramLabel = "N", description = "Without --url: scale the release's API Deployment to N replicas 3 s into the load, wait "
            + "until exactly N pods are left, Ready, and keep the load 10 s more. Not scaled back.")
    Integer scaleTo;

    @Option(names = "--allow-scale", paramLabel = "DEPLOYMENT", description = "Required for --scale-to on a cluster that is not a local dev cluster: the API "
            + "Deployment's name. Without it nothing is created or scaled (exit 2).")
    String allowScale;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "25", description = "Requests per second, 1 to 200 (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", description = "How long to send, 1s to 10m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--max-requests", paramLabel = "N", defaultValue = "3000", description = "Stop after this many requests, at most 30000 (default: ${DEFAULT-VALUE}).")
    int maxRequests;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2s", description = "Per request, to connect and to answer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--keep-alive", description = "Reuse connections (default: a new connection per request, so each is routed by the Service's endpoints of that moment).")
    boolean keepAlive;

    @Option(names = "--failures", paramLabel = "FILE", description = "Write each failed request (time, latency, outcome, detail) to FILE, to line up with pod events.")
    Path failures;

    @Option(names = "--during", paramLabel = "TEXT", description = "What runs meanwhile, for the check's name (e.g. 'upgrade to 2.0.0').")
    String during;

    private long t0;

    public static void main(String[] args) { System.exit(Cli.execute(new load(), args)); }


    @Override
    public Integer call() throws Exception {
        junit.checkTarget();
        t0 = System.nanoTime();
        if (url == null) return inCluster();
        if (target.context != null || target.kubeconfig != null || scaleTo != null) {
            throw new Problem.BadInput("--url sends from this machine; --context/--kubeconfig/--scale-to run a client pod in a cluster: give one or the other");
        }
        URI target;
        try {
            target = new URI(url);
        } catch (URISyntaxException e) {
            throw new Problem.BadInput("--url '" + url + "' is not a URL: " + e.getReason());
        }
        checkFailuresFile();
        var settings = new LoadGen.Settings(target, rate, Cli.duration("--duration", duration), maxRequests, Cli.duration("--timeout", timeout), keepAlive);
        System.err.printf("load: %s requests/s to %s for %s, at most %d requests%n", rate, target, duration, maxRequests);
        var result = LoadGen.run(settings);
        return finish(result);
    }

    private void checkFailuresFile() {
        if (failures != null && (Files.isDirectory(failures) || !Files.isDirectory(failures.toAbsolutePath().getParent()))) {
            throw new Problem.BadInput("--failures " + failures + " cannot be written: give a file in an existing folder");
        }
    }

    private int finish(LoadGen.Result result) {
        if (failures != null) {
            result.writeFailures(failures);
            System.err.println("load: " + result.failures().size() + " failed requests written to " + failures);
        }
        System.out.println("load: " + result.summary());
        var report = new Report("load", System.out, null, false);
        LoadGen.report(report, during, result);
        try {
            junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return report.finish("load");
    }

    /** The client pod's path: every refusal first (bounds, scale flags, cluster, policies), then the pod, the optional scale, the report. */
    private int inCluster() throws Exception {
        if (keepAlive) throw new Problem.BadInput("--keep-alive is for --url: the client pod opens one connection per request");
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 127)) throw new Problem.BadInput("--path '" + path + "' is not an absolute URL path");
        checkFailuresFile();
        Duration d = Cli.duration("--duration", duration), t = Cli.duration("--timeout", timeout), start = Cli.duration("--start-timeout", startTimeout);
        LoadGen.checkBounds(rate, d, maxRequests, t);
        if (start.compareTo(Duration.ofSeconds(10)) < 0 || start.compareTo(Duration.ofMinutes(15)) > 0) {
            throw new Problem.BadInput("--start-timeout " + startTimeout + " is out of range: give 10s to 15m");
        }
        if (scaleTo != null && (scaleTo < 0 || scaleTo > 50)) throw new Problem.BadInput("--scale-to " + scaleTo + " is out of range: give 0 to 50");
        if (allowScale != null && scaleTo == null) throw new Problem.BadInput("--allow-scale " + allowScale + " without --scale-to: nothing to allow");
        if (scaleTo != null) {
            // Before kubectl or helm start: the kubeconfig alone says whether the context is a local dev cluster.
            String ctx = Kube.chooseContext(target.kubeconfig, target.context);
            String notLocal = KubeConfig.load(target.kubeconfig).notLocal(ctx);
            String refusal = Scale.refusal(ctx, notLocal, allowScale, null);
            if (refusal != null) throw new Problem.Refused(refusal);
        }
        var p = new Progress("load", System.err);
        var rel = target.resolve(p::info);
        var kube = rel.kube;
        String deployment = null;
        if (scaleTo != null) {
            var deps = kube.list(rel.namespace, "deployments", rel.selector("api"));
            if (deps.isEmpty()) throw new Problem.Refused("release " + rel.name + " has no API Deployment in " + rel.namespace + " on " + kube.context);
            deployment = Yaml.str(deps.get(0), "metadata.name");
            String refusal = Scale.refusal(kube.context, kube.localProblem(), allowScale, deployment);
            if (refusal != null) throw new Problem.Refused(refusal);
            if (!kube.list(rel.namespace, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name).isEmpty()) {
                throw new Problem.Refused("nothing was scaled: an HPA of " + rel.name + " manages the API's replicas and would undo --scale-to");
            }
        }
        var setup = ClientLoad.setup(rel, path, rate, d, maxRequests, t, null);
        LoadGen.Result result;
        try (var client = ClientLoad.start(kube, rel.namespace, setup.pod(), setup.plan(), start, p::info)) {
            if (deployment == null) {
                result = client.collect(() -> false);
            } else {
                String dep = deployment;
                var run = ZeroDowntime.during(client::collect, Duration.ofSeconds(3), Duration.ofSeconds(10),
                        () -> Scale.to(kube, rel.namespace, dep, rel.selector("api"), scaleTo, Duration.ofMinutes(5), p::info));
                if (run.actionFailure() != null) {
                    System.out.println("load: " + run.load().summary());
                    throw new Problem.Failed("scaling " + dep + " to " + scaleTo + " failed: " + run.actionFailure().getMessage());
                }
                result = run.load();
            }
        }
        return finish(result);
    }
}
