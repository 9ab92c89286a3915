///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/lifecycle/LiveChecks.java
//SOURCES lib/report/Progress.java
//SOURCES lib/report/Report.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Problem.java

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Live checks of a deployed release (spec test plan steps 8-12): server-side dry run, pods Running and Ready, "
                + "migration Job, the database's Alembic revision (asked in an API pod), PDB and disruption controller, HPA and its minimum of ready pods, NetworkPolicies, Service endpoints, NOTES, "
                + "cordoned nodes. Each wait (pods up to 60 s, PDB, HPA minimum and endpoints up to 30 s, HPA metrics up to 75 s; --timeout "
                + "bounds them all) says on stderr what it waits for and what it sees; a pod that waiting cannot fix (image, config, crash loop, "
                + "Unschedulable) fails at once.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed", "1:a check failed", "2:bad input, missing tool, unreachable or refused cluster"})
public class status implements Callable<Integer> {
    @Mixin Target target;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    @Mixin SuiteOptions.Listing listing = new SuiteOptions.Listing();

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Bound every wait by this, 1s to 24h, e.g. 5s for a verdict on the release as it is now (default: each wait's own bound, above).")
    String timeout;

    @Option(names = {"-v", "--verbose"}, description = "Show every check's detail and duration.")
    boolean verbose;

    public static void main(String[] args) { System.exit(Cli.execute(new status(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("status", System.err);
        long t0 = System.nanoTime();
        junit.checkTarget();
        only.checkPattern();
        only.requireAnyOf(LiveChecks.ALL, "status");
        var atMost = timeout == null ? null : Cli.duration("--timeout", timeout);
        if (listing.list) {
            var selection = Report.selection(only.pattern);
            LiveChecks.ALL.stream().filter(n -> Report.selects(selection, n)).forEach(System.out::println);
            return 0;
        }
        var rel = target.resolve(p::info);
        if (!rel.exists()) throw new Problem.BadInput("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                + "; install it first: ./jbang scripts/install.java --context " + rel.kube.context);
        System.out.println("status: release " + rel.name + " in " + rel.namespace + " on " + rel.kube.context + " with " + rel.helm);
        var report = new Report("status", System.out, only.pattern, verbose);
        new LiveChecks(rel, report, null).saying(p::info).waitingAtMost(atMost).run();
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        return report.finish("status");
    }
}
