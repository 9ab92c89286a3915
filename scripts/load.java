///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/Cli.java
//SOURCES lib/LoadGen.java
//SOURCES lib/Problem.java
//SOURCES lib/Report.java

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "load", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Sends a steady, bounded stream of GETs to the API (loopback, or the local cluster's pod and Service addresses only) "
                + "and checks that none failed: requests, 2xx, non-2xx by code, connection errors by kind, p50/p99/max latency.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:requests were sent and none failed", "1:a request failed (counts printed)",
                "2:bad input or a target that is not loopback or the local cluster's: no request was sent"})
public class load implements Callable<Integer> {
    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "http://ADDRESS[:PORT]/PATH; ADDRESS is loopback or in the local cluster's pod or Service range (a ClusterIP), never a host name.")
    String url;

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

    public static void main(String[] args) { System.exit(Cli.execute(new load(), args)); }

    @Override
    public Integer call() throws Exception {
        URI target;
        try {
            target = new URI(url);
        } catch (URISyntaxException e) {
            throw new Problem(Problem.NOTHING_CHANGED, "--url '" + url + "' is not a URL: " + e.getReason());
        }
        if (failures != null && (Files.isDirectory(failures) || !Files.isDirectory(failures.toAbsolutePath().getParent()))) {
            throw new Problem(Problem.NOTHING_CHANGED, "--failures " + failures + " cannot be written: give a file in an existing folder");
        }
        var settings = new LoadGen.Settings(target, rate, Cli.duration("--duration", duration), maxRequests, Cli.duration("--timeout", timeout), keepAlive);
        System.err.printf("load: %s requests/s to %s for %s, at most %d requests%n", rate, target, duration, maxRequests);
        var result = LoadGen.run(settings);
        if (failures != null) {
            result.writeFailures(failures);
            System.err.println("load: " + result.failures().size() + " failed requests written to " + failures);
        }
        System.out.println("load: " + result.summary());
        var report = new Report("load", System.out, null, false);
        LoadGen.report(report, during, result);
        return report.finish("load");
    }
}
