///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.yaml:snakeyaml:2.5
//DEPS org.slf4j:slf4j-nop:2.0.18
//SOURCES lib/verify/BenchRuns.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/tools/Dirs.java
//SOURCES lib/kube/Helm.java
//SOURCES lib/verify/HelmUnittest.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = {"Times `./jbang scripts/verify.java` as a user runs it, warm (the script built and cached): as it is, "
                + "reusing helm runs whose inputs did not change, and with --no-cache, every helm process run anew; cold "
                + "(rebuilt) with --cold; where its time goes; and with --versus helm-unittest side by side with helm-unittest "
                + "running an equivalent suite (scripts/bench/helm-unittest/).",
                "Quote medians; run it on a quiet machine."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:timed", "1:verify or helm-unittest failed", "2:bad option, missing tool"})
public class bench implements Callable<Integer> {

    @Option(names = "--runs", paramLabel = "N", defaultValue = "9", description = "Timed runs of each command (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Untimed runs of each command first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--helm-major", paramLabel = "3|4", defaultValue = "4", description = "The pinned Helm verify and the floor use (default: ${DEFAULT-VALUE}).")
    int helmMajor;

    @Option(names = "--versus", paramLabel = "TOOL", description = "Also time TOOL on the equivalent suite, interleaved with verify. TOOL: helm-unittest.")
    String versus;

    @Option(names = "--cold", description = "Also time cold runs (the script rebuilt, --fresh), once per timed run.")
    boolean cold;

    @Option(names = "--no-stages", description = "Leave out where verify's time goes.")
    boolean noStages;

    @Option(names = "--after-edit", description = "Also time verify right after an edit to the chart: before each of its runs, untimed, "
            + EDITED + " gets a new comment line (the file is put back at the end), so only the helm runs the edit cannot change are used again.")
    boolean afterEdit;

    @Option(names = "--only-versus", description = "Time only what --versus compares: verify --no-cache (and --after-edit's runs) and the other tool; "
            + "leaves out warm verify, the floor and the stages.")
    boolean onlyVersus;

    /** The template --after-edit edits. */
    static final String EDITED = "helm/trevor/templates/service.yaml";

    private static final String VERIFY = "verify", VERIFY_ANEW = "verify --no-cache", VERIFY_EDITED = "verify after an edit",
            UNITTEST = "helm-unittest " + HelmUnittest.VERSION,
            FLOOR = "floor: one helm template + a JVM start and exit";

    public static void main(String[] args) { System.exit(Cli.execute(new bench(), args)); }

    @Override
    public Integer call() throws Exception {
        Path repo = Repo.root();
        if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository");
        if (runs < 1 || warmup < 0) throw new Problem.BadInput("--runs must be at least 1 and --warmup at least 0");
        if (versus != null && !versus.equals("helm-unittest")) {
            throw new Problem.BadInput("--versus knows helm-unittest only, not '" + versus + "'");
        }
        Helm helm = Helm.resolve(null, helmMajor, msg -> System.err.println("bench: " + msg));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        System.out.printf("bench: %d cores, load average %s, %s %s, helm %s%n", Runtime.getRuntime().availableProcessors(),
                BenchRuns.loadAverage(), System.getProperty("java.vm.name"), System.getProperty("java.version"), helm.version);

        var commands = new LinkedHashMap<String, BenchRuns.Command>();
        var verify = new ArrayList<>(List.of(repo.resolve("jbang").toString(), "scripts/verify.java", "--helm-major", String.valueOf(helmMajor)));
        if (!onlyVersus) commands.put(VERIFY, BenchRuns.Command.of(verify, Map.of()));
        var anew = new ArrayList<>(verify);
        anew.add("--no-cache");
        commands.put(VERIFY_ANEW, BenchRuns.Command.of(anew, Map.of()));
        Path edited = repo.resolve(EDITED);
        byte[] original = afterEdit ? Files.readAllBytes(edited) : null;
        Thread restore = null;
        if (afterEdit) {
            var n = new java.util.concurrent.atomic.AtomicInteger();
            commands.put(VERIFY_EDITED, BenchRuns.Command.of(verify, Map.of()).after(() -> edit(edited, original, n.incrementAndGet())));
            restore = new Thread(() -> putBack(edited, original), "put-back");
            Runtime.getRuntime().addShutdownHook(restore);
        }
        HelmUnittest.Suite suite = null;
        if (versus != null) {
            var built = HelmUnittest.build(msg -> System.err.println("bench: " + msg));
            if (built.binary() == null) {
                System.out.println("bench: helm-unittest comparison skipped: " + built.why());
            } else {
                suite = HelmUnittest.prepare(repo);
                commands.put(UNITTEST, BenchRuns.Command.of(suite.command(built.binary()), Map.of()));
            }
        }
        var floor = List.of(
                BenchRuns.Command.of(List.of(helm.binary.toString(), "template", "trevor", repo.resolve("helm/trevor").toString(), "--namespace", "trevor"), Map.of()),
                BenchRuns.Command.of(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-version"), Map.of()));
        if (!onlyVersus) commands.put(FLOOR, BenchRuns.Command.inTurn(floor));
        if (cold) {
            commands.put("verify (cold: script rebuilt)", BenchRuns.Command.of(List.of(repo.resolve("jbang").toString(), "--fresh",
                    "scripts/verify.java", "--helm-major", String.valueOf(helmMajor)), Map.of()));
        }
        try {
            var samples = BenchRuns.interleaved(commands, warmup, runs, repo);
            if (samples == null) return 1;
            if (afterEdit) putBack(edited, original);
            var wall = samples.wall();
            var cpu = samples.cpu();
            System.out.printf("%n%d interleaved runs each after %d warm-up%s; load average now %s:%n", runs, warmup, warmup == 1 ? "" : "s",
                    BenchRuns.loadAverage());
            System.out.printf("  %-52s %-30s %s%n", "seconds", "wall", "CPU (it and every process it waited for)");
            wall.forEach((name, w) -> System.out.printf("  %-52s median %5.2f (%5.2f-%5.2f)   median %5.2f (%5.2f-%5.2f)%n", name,
                    BenchRuns.median(w) / 1000.0, BenchRuns.min(w) / 1000.0, BenchRuns.max(w) / 1000.0,
                    BenchRuns.median(cpu.get(name)) / 1000.0, BenchRuns.min(cpu.get(name)) / 1000.0, BenchRuns.max(cpu.get(name)) / 1000.0));
            var f = wall.get(FLOOR);
            for (String name : List.of(VERIFY, VERIFY_ANEW, VERIFY_EDITED)) {
                var v = wall.get(name);
                if (v == null) continue;
                if (suite != null) {
                    var u = wall.get(UNITTEST);
                    var vc = cpu.get(name);
                    var uc = cpu.get(UNITTEST);
                    System.out.printf("  ratio %s / helm-unittest: wall %.2f, CPU %.2f (medians); pair by pair: wall median %.2f (%.2f-%.2f), "
                                    + "CPU median %.2f (%.2f-%.2f)%n", name,
                            (double) BenchRuns.median(v) / BenchRuns.median(u), (double) BenchRuns.median(vc) / BenchRuns.median(uc),
                            BenchRuns.median(BenchRuns.ratios(v, u)), BenchRuns.min(BenchRuns.ratios(v, u)), BenchRuns.max(BenchRuns.ratios(v, u)),
                            BenchRuns.median(BenchRuns.ratios(vc, uc)), BenchRuns.min(BenchRuns.ratios(vc, uc)), BenchRuns.max(BenchRuns.ratios(vc, uc)));
                }
                if (f != null) System.out.printf("  ratio %s / floor: %.2f (medians)%n", name, (double) BenchRuns.median(v) / BenchRuns.median(f));
            }
            if (suite != null) System.out.printf("  helm-unittest: %s%n", suite.summary());
            if (!noStages && !onlyVersus) {
                int n = Math.max(3, Math.min(runs, 5));
                BenchRuns.stages(repo, helmMajor, n, List.of());
                BenchRuns.stages(repo, helmMajor, n, List.of("--no-cache"));
            }
            return 0;
        } finally {
            if (suite != null) Dirs.deleteTree(suite.dir());
            if (afterEdit) {
                putBack(edited, original);
                Runtime.getRuntime().removeShutdownHook(restore);
            }
        }
    }

    private static final String RUN_ID = ProcessHandle.current().pid() + "-" + System.currentTimeMillis();

    /** The edit --after-edit makes: the template as it was, and a comment that differs each time (it renders nothing). */
    static void edit(Path template, byte[] original, int n) {
        try {
            Files.write(template, original);
            // Never the same text twice, in this run or another: a text seen before would be remembered.
            Files.writeString(template, "{{- /* bench --after-edit: edit " + n + " of " + RUN_ID + " */}}\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void putBack(Path template, byte[] original) {
        try {
            if (!java.util.Arrays.equals(Files.readAllBytes(template), original)) Files.write(template, original);
        } catch (java.io.IOException e) {
            System.err.println("bench: could not put " + template + " back: " + e.getMessage() + "; git checkout it");
        }
    }
}
