///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -Xmn16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -Xlog:cds=off -Xlog:cds+dynamic=off
//CDS
//JAVAC_OPTIONS -XDstringConcat=inline
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/HelmOptions.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/verify/ChartChecks.java
//SOURCES lib/verify/CheckRunner.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/verify/DevDepsChecks.java
//SOURCES lib/kube/HeadStart.java
//SOURCES lib/kube/Helm.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/report/Report.java
//SOURCES lib/tools/Tools.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Proves the trevor chart: renders every scenario of the spec's test plan, "
                + "lints every values file, validates every object against the Kubernetes API schema, "
                + "and checks selectors, Pod Security, hooks, PDB and HPA behaviour.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed", "1:a check failed", "2:bad option, missing tool or chart"})
public class verify implements Callable<Integer> {

    @Mixin HelmOptions helmOptions = new HelmOptions();

    @Option(names = "--chart", paramLabel = "DIR", description = "Chart to verify (default: helm/trevor of this repository).")
    Path chart;

    @Option(names = "--values-dir", paramLabel = "DIR", description = "Per-environment values files to lint and render (default: values/ of this repository).")
    Path valuesDir;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    @Mixin SuiteOptions.Listing listing = new SuiteOptions.Listing();

    @Option(names = "--no-cache", description = "Run every helm process anew. Otherwise a helm run is used again when the helm binary, "
            + "its command and every byte of the charts and values files it reads are those of an earlier run (kept a week in the cache folder).")
    boolean noCache;

    @Option(names = {"-v", "--verbose"}, description = "Show every check's detail and duration, and per-stage timings.")
    boolean verbose;

    static long mainAt;

    public static void main(String[] args) {
        mainAt = System.currentTimeMillis();
        // Before anything else: the helm runs the last run of these arguments asked for, started
        // now, while the options are parsed and the checks declared (see HeadStart).
        HeadStart.begin(Tools.cacheDir().resolve("verify-helm-runs").resolve("head-start"), args,
                !java.util.Arrays.asList(args).contains("--no-cache"));
        var v = new verify();
        int code = Cli.execute(v, args);
        if (v.verbose) {
            // For scripts/bench.java: wall clocks of the JVM's start, main(), and the end of main().
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                System.err.printf("verify: stage jvm-cpu %d ms%n", sun.getProcessCpuTime() / 1_000_000);
            }
            System.err.printf("verify: clock jvm-start %d%n", java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime());
            System.err.printf("verify: clock main %d%n", mainAt);
            System.err.printf("verify: clock end %d%n", System.currentTimeMillis());
        }
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path repo = Repo.root();
        if (repo == null && (chart == null || valuesDir == null)) {
            throw new Problem.BadInput("run me from inside the trevor repository, or give both --chart and --values-dir");
        }
        junit.checkTarget();
        Path chartDir = (chart != null ? chart : repo.resolve("helm/trevor")).toAbsolutePath().normalize();
        Path valuesFolder = (valuesDir != null ? valuesDir : repo.resolve("values")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(chartDir.resolve("Chart.yaml"))) {
            throw new Problem.BadInput("no chart at " + chartDir + " (Chart.yaml missing); point --chart at the chart folder");
        }
        if (valuesDir != null && !Files.isDirectory(valuesFolder)) {
            throw new Problem.BadInput("--values-dir " + valuesFolder + " is not a folder");
        }
        only.checkPattern();
        long tResolve = System.nanoTime();
        Helm helm = helmOptions.resolve(msg -> System.err.println("verify: " + msg));

        if (verbose) System.err.printf("verify: stage resolve-helm %d ms%n", (System.nanoTime() - tResolve) / 1_000_000);
        var report = new Report("verify (" + helm.version + ")", System.out, only.pattern, verbose);
        var runner = new CheckRunner(helm, report, verbose ? System.err : null, Tools.cacheDir().resolve("verify-helm-runs"), !noCache);
        new ChartChecks(runner, chartDir, valuesFolder);
        // helm/trevor-dev-deps too, unless --chart points elsewhere
        if (chart == null) new DevDepsChecks(runner, repo.resolve("helm/trevor-dev-deps"));
        only.requireAnyOf(runner.names(), "verify");
        if (listing.list) {
            runner.names().stream().filter(report::selected).forEach(System.out::println);
            return 0;
        }
        System.out.println("verify: " + chartDir + " with " + helm);
        runner.run();
        HeadStart.save(runner.scratch().toString());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        junit.write(report, millis);
        if (verbose) System.err.printf("verify: stage total-in-jvm %d ms%n", millis);
        if (verbose) System.err.printf("verify: helm processes %s%n", HeadStart.summary());
        return report.finish("verify");
    }
}
