///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/e2e/NetpolProbe.java
//SOURCES lib/report/Progress.java
//SOURCES lib/report/Report.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Problem.java

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "netpol", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "The release's NetworkPolicies proven by traffic: derives from the policies the release rendered which "
                + "connections must connect and which must not, tries each with a real TCP connection (or DNS lookup) from a real pod, "
                + "and prints the matrix: source, destination, port, expected, observed, time. Needs a cluster whose CNI enforces "
                + "NetworkPolicies (the real node of cluster.java up --real-node, k3d, Calico, Cilium…). The first row is the matrix's own canary, "
                + "a listener under a deny-all policy: where it still answers (a CNI that enforces nothing) or cannot be tried (kwok's simulated "
                + "nodes run no container), every denied row fails with that reason.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every row observed as expected", "1:a row failed, could not be tried, or the policies gave no rows",
                "2:bad input, missing tool, unreachable or refused cluster, no such release"})
public class netpol implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--probe-image", paramLabel = "IMAGE", description = "Image of the probe pods; it needs /bin/busybox (nc, nslookup, httpd) "
            + "and runs as uid 1000. Default: the image of the release's first Deployment (trevor's stand-in carries busybox).")
    String probeImage;

    @Option(names = "--dns-ip", paramLabel = "IP", description = "Where the pods' DNS answers when it is not a pod (a host process, a "
            + "node-local cache). Default: the nameserver in the API pod's resolv.conf, unless it is a Service's ClusterIP (then DNS is pods).")
    String dnsIp;

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    @Mixin SuiteOptions.Listing listing = new SuiteOptions.Listing();

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    public static void main(String[] args) { System.exit(Cli.execute(new netpol(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("netpol", System.err);
        long t0 = System.nanoTime();
        only.checkPattern();
        junit.checkTarget();
        var rel = target.resolve(p::info);
        if (!rel.exists()) throw new Problem.BadInput("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                + "; install it first: ./jbang scripts/install.java --context " + rel.kube.context);
        String image = probeImage != null ? probeImage : NetpolProbe.releaseImage(rel);
        String dns = dnsIp != null ? dnsIp : NetpolProbe.dnsAddress(rel);
        var rows = NetpolProbe.derive(rel, dns);
        var names = NetpolProbe.checkNames(rows);
        only.requireAnyOf(names, "netpol");
        var selection = Report.selection(only.pattern);
        if (listing.list) {
            names.stream().filter(n -> Report.selects(selection, n)).forEach(System.out::println);
            return 0;
        }
        // Only the selected rows get probe pods; the canary always runs, for every denied row leans on it.
        rows = rows.stream().filter(r -> Report.selects(selection, NetpolProbe.checkName(r))).toList();
        System.out.println("netpol: release " + rel.name + " in " + rel.namespace + " on " + rel.kube.context + ": " + rows.size()
                + " rows from its NetworkPolicies, after the canary; probe image " + image + (dns == null ? "" : ", DNS at " + dns));
        var observed = NetpolProbe.run(rel.kube, rows, image, p::info);
        System.out.print(NetpolProbe.table(observed));
        var report = new Report("netpol", System.out, only.pattern, false);
        NetpolProbe.report(report, observed);
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        return report.finish("netpol");
    }
}
