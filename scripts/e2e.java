///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/e2e/E2e.java
//SOURCES lib/cli/HelmOptions.java
//SOURCES lib/cluster/KwokCluster.java
//SOURCES lib/e2e/KwokE2e.java
//SOURCES lib/report/Progress.java
//SOURCES lib/e2e/RealE2e.java
//SOURCES lib/node/RealNode.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/report/Report.java
//SOURCES lib/tools/Tools.java

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "e2e", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "The chart's whole life on a local kwok cluster (real kube-apiserver, controllers and scheduler; simulated kubelet): "
                + "up, bad-input refusals, first install with hook migrations, live checks, on-demand migration, upgrade with "
                + "ordering proof, failing migration rolled back, drain against the PDB, the hook-ServiceAccount defect, uninstall, down.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed", "1:a check failed (diagnostics folder printed)", "2:bad option or missing tool"},
        footerHeading = "%n",
        footer = "With --only the lifecycle still runs in order: only the checks it selects are reported.")
public class e2e implements Callable<Integer> {
    @Mixin HelmOptions helmOptions;

    @Option(names = "--real", description = "The lifecycle on two real nodes (kubelet, containerd, runc; real-0, and real-1 in a network namespace "
            + "of its own): real containers from images built here, PostgreSQL and Redis beside them, real migrations, load measured during "
            + "upgrade, rollback, scale-down and a drain. Needs root on Debian/Ubuntu (see README).")
    boolean real;

    @Option(names = "--real-nodes", paramLabel = "N", description = "With --real: 2 real nodes (the default: the two-node step runs, spread over "
            + "both, cross-node reach, a drain under load with the PDB refusing) or 1 (real-0 only: that step is skipped, naming why). Implies --real.")
    Integer realNodes;

    @Option(names = "--name", description = "kwok cluster name (default: trevor-e2e, or trevor-real with --real).")
    String name;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Mixin SuiteOptions.DiagnosticsDir diagnostics = new SuiteOptions.DiagnosticsDir();

    @Option(names = "--upgrade-from", paramLabel = "GIT-REF", description = "Chart to upgrade from in the previous-release test: a tag or commit "
            + "(default: the newest commit whose helm/trevor/Chart.yaml has another version than the working tree's).")
    String upgradeFrom;

    @Option(names = "--keep", description = "Leave the cluster running at the end (for a look around).")
    boolean keep;

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    public static void main(String[] args) { System.exit(Cli.execute(new e2e(), args)); }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path repo = Repo.root();
        if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository");
        only.checkPattern();
        if (realNodes != null) {
            if (realNodes < 1 || realNodes > RealNode.MAX_NODES) {
                throw new Problem.BadInput("--real-nodes " + realNodes + " is out of range: give 1 (real-0) or 2 (real-0 and real-1)");
            }
            real = true;
        }
        String cluster = name != null ? name : real ? "trevor-real" : "trevor-e2e";
        KwokCluster.checkName(cluster);
        junit.checkTarget();
        Path diagDir = diagnostics.or(repo.resolve(real ? "build/e2e-real-diagnostics" : "build/e2e-diagnostics"));
        var progress = new Progress("e2e", System.out);
        var helm = helmOptions.resolve(progress::info);
        var report = new Report("e2e" + (real ? " --real" : "") + " (helm " + helm.major + ")", System.out, only.pattern, false);
        var kubectl = Tools.kubectl(progress::info);
        E2e lifecycle = real ? new RealE2e(repo, helm, kubectl, cluster, realNodes == null ? RealNode.MAX_NODES : realNodes, report, progress, diagDir, keep)
                : new KwokE2e(repo, helm, kubectl, cluster, report, progress, diagDir, keep, upgradeFrom);
        lifecycle.run();
        progress.printTimings();
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("e2e: total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return report.finish("e2e");
    }
}
