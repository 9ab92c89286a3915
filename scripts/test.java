///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.yaml:snakeyaml:2.5
//DEPS io.kubernetes:client-java-api:27.0.0
//DEPS org.slf4j:slf4j-nop:2.0.18
//DEPS org.junit.jupiter:junit-jupiter:6.1.1
//DEPS org.junit.platform:junit-platform-launcher:6.1.1
//SOURCES lib/**/*.java
//SOURCES tests/*.java

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "test", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Runs every test of this repository: unit tests of scripts/lib, verify under Helm 3 and Helm 4, "
                + "and the whole chart lifecycle on a local kwok cluster.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:all passed", "1:a test failed", "2:bad option or missing tool"})
public class test implements Callable<Integer> {

    @Option(names = "--stage", paramLabel = "NAME", split = ",",
            description = "Run only these stages: unit, scripts, verify-helm3, verify-helm4, properties, e2e-helm4, e2e-helm3, safety, defects, e2e-real (default: all).")
    List<String> stages;

    @Option(names = "--unit-class", paramLabel = "NAME", split = ",",
            description = "Only these test classes in the unit and scripts stages, e.g. EnvFileTest (default: every *Test.java in scripts/tests).")
    List<String> unitClasses;

    @Option(names = "--results", paramLabel = "DIR", defaultValue = "build/test-results",
            description = "Where JUnit XML and diagnostics go (default: ${DEFAULT-VALUE}).")
    Path results;

    static final List<String> ALL_STAGES = List.of("unit", "scripts", "verify-helm3", "verify-helm4", "properties", "e2e-helm4", "e2e-helm3", "safety", "defects", "e2e-real");
    private static final Pattern SUMMARY = Pattern.compile("^(\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?(?:, (\\d+) info)?$");

    private int passed, failed, skipped, info;

    public static void main(String[] args) {
        System.exit(Cli.execute(new test(), args));
    }

    @Override
    public Integer call() {
        Path repo = Repo.root();
        if (repo == null) {
            System.err.println("test: run me from inside the trevor repository");
            return 2;
        }
        var chosen = stages == null ? ALL_STAGES : stages;
        for (String s : chosen) {
            if (!ALL_STAGES.contains(s)) {
                System.err.println("test: unknown stage '" + s + "'; stages are " + String.join(", ", ALL_STAGES));
                return 2;
            }
        }
        if (unitClasses != null) {
            // A class name that matches no test file would run nothing and pass.
            for (String c : unitClasses) {
                if (!Files.isRegularFile(repo.resolve("scripts/tests").resolve(c + ".java"))) {
                    System.err.println("test: --unit-class " + c + " matches no scripts/tests/" + c + ".java");
                    return 2;
                }
            }
        }
        Path out = repo.resolve(results).normalize();
        var nodeMissing = chosen.contains("e2e-real") ? NodePrereqs.missing(NodePrereqs.realNode(repo)).stream().map(NodePrereqs.Part::name).toList() : List.<String>of();
        var nodeBuild = new NodeBuild(chosen, nodeMissing, ControlPlane::built, nodeBuildCommand(repo), repo, out.resolve(NODE_BUILD_LOG), System.out::println);
        boolean controlPlane = ControlPlane.built();
        System.out.println("test: " + firstBuilds(chosen, controlPlane, nodeMissing, nodeBuild.planned(controlPlane)));
        var timings = new ArrayList<String>();
        for (int i = 0; i < chosen.size(); i++) {
            String stage = chosen.get(i);
            nodeBuild.before(i);
            long t0 = System.nanoTime();
            System.out.println("== " + stage);
            switch (stage) {
                case "unit" -> unit(repo, out.resolve("unit.xml"), false);
                case "scripts" -> unit(repo, out.resolve("scripts.xml"), true);
                case "verify-helm3", "verify-helm4" -> script(repo, "verify.java", List.of("--helm-major", stage.substring(stage.length() - 1),
                        "--junit", out.resolve(stage + ".xml").toString()));
                case "e2e-helm4", "e2e-helm3" -> script(repo, "e2e.java", List.of("--helm-major", stage.substring(stage.length() - 1),
                        "--junit", out.resolve(stage + ".xml").toString(), "--diagnostics", out.resolve(stage + "-diagnostics").toString()));
                case "e2e-real" -> script(repo, "e2e.java", List.of("--real", "--junit", out.resolve(stage + ".xml").toString(),
                        "--diagnostics", out.resolve(stage + "-diagnostics").toString()));
                // CI's bound: properties.java's default tries and seed; a person hunts with --tries/--seed.
                case "properties" -> script(repo, "properties.java", List.of("--junit", out.resolve("properties.xml").toString()));
                case "safety" -> safety(repo, out);
                case "defects" -> script(repo, "defects.java", List.of("--junit", out.resolve("defects.xml").toString(),
                        "--diagnostics", out.resolve("defects-diagnostics").toString()));
                default -> throw new IllegalStateException(stage);
            }
            timings.add(String.format("%-14s %6.1f s", stage, (System.nanoTime() - t0) / 1e9));
        }
        System.out.println("== stage timings");
        timings.forEach(t -> System.out.println("   " + t));
        String summary = passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : "") + (info > 0 ? ", " + info + " info" : "");
        System.out.println(summary);
        return failed > 0 ? 1 : 0;
    }

    /**
     * What a cold machine builds before the stages can run, with the times measured on a 2-core
     * machine, so that a first run's long silence is expected rather than alarming. nodeMissing:
     * the names of {@link NodePrereqs#realNode} parts not there yet (empty without e2e-real);
     * background: whether {@link NodeBuild} makes them during the kwok stages.
     */
    static String firstBuilds(List<String> stages, boolean controlPlaneBuilt, List<String> nodeMissing, boolean background) {
        var builds = new ArrayList<String>();
        if (clusterStages(stages) && !controlPlaneBuilt) builds.add("the control plane from Go modules (about 5 min on 2 quiet cores, 15-25 on busy ones)");
        var node = new ArrayList<String>();
        if (nodeMissing.contains("host packages")) node.add("containerd, runc, the CNI plugins, iptables and nftables from Debian (apt, about a minute)");
        if (nodeMissing.contains("node binaries")) node.add("the real node's kubelet, kube-proxy, CoreDNS, kube-network-policies and metrics-server (about 5 min on 2 quiet cores, up to 25 on busy ones)");
        if (nodeMissing.contains("images")) node.add("the images and the Debian packages they need (about 1-5 min)");
        if (!background) builds.addAll(node);
        String later = !background || node.isEmpty() ? null
                : "the real node's builds run in the background at the lowest CPU priority, during the kwok stages once the control plane is built: "
                + String.join("; ", node) + " (./jbang scripts/cluster.java " + String.join(" ", NODE_BUILD_ARGS) + ", its log " + NODE_BUILD_LOG + " beside the JUnit XML)";
        if (builds.isEmpty()) return later != null ? later : "nothing to build first: the control plane, node binaries and images these stages need are cached";
        String first = "this machine builds first, once: " + String.join("; ", builds) + "; progress lines follow";
        return later == null ? first : first + ". Then " + later;
    }

    /** Whether a stage needs a kwok cluster, and so the control plane built. */
    static boolean clusterStage(String stage) {
        return !stage.equals("unit") && !stage.equals("scripts") && !stage.startsWith("verify");
    }

    private static boolean clusterStages(List<String> stages) { return stages.stream().anyMatch(test::clusterStage); }

    /** Where the real node's background build writes its output, under --results. */
    static final String NODE_BUILD_LOG = "e2e-real-prepare.log";

    /** cluster.java's arguments that make the real node's prerequisites: what a user runs to prepare a machine for a real node. */
    static final List<String> NODE_BUILD_ARGS = List.of("prepare", "--real-node");

    /** The real node's background build, as a command. */
    static List<String> nodeBuildCommand(Path repo) {
        var cmd = new ArrayList<>(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts").resolve("cluster.java").toString()));
        cmd.addAll(NODE_BUILD_ARGS);
        return cmd;
    }

    /**
     * The real node's prerequisites (host packages, node binaries, images: {@link NodePrereqs})
     * made by `cluster.java prepare --real-node` in a child process at the lowest CPU priority
     * (nice 19) while the kwok stages run: they wait much of their time, and e2e-real then finds
     * its builds done. It starts before the first stage that runs with the control plane built,
     * never earlier: the kubelet and kube-proxy share most of their Kubernetes packages with the
     * control plane, and two Go builds at once would compile them twice. Before e2e-real it is
     * waited for; a failed build shows the end of its log, and e2e-real goes on, building what is
     * missing itself and naming what fails. A stopped test.java stops it too.
     */
    static final class NodeBuild {
        /** Lines of the log shown when the build failed. */
        static final int TAIL_LINES = 20;

        private final List<String> stages;
        private final List<String> missing;
        private final java.util.function.BooleanSupplier controlPlaneBuilt;
        private final List<String> command;
        private final Path dir;
        private final Path log;
        private final java.util.function.Consumer<String> say;
        private boolean tried;
        private Process process;
        private long startedAt;
        private Interrupts.Cleanup cleanup;

        NodeBuild(List<String> stages, List<String> missing, java.util.function.BooleanSupplier controlPlaneBuilt, List<String> command, Path dir, Path log,
                  java.util.function.Consumer<String> say) {
            this.stages = stages;
            this.missing = missing;
            this.controlPlaneBuilt = controlPlaneBuilt;
            this.command = command;
            this.dir = dir;
            this.log = log;
            this.say = say;
        }

        /**
         * Whether the build will run in the background at all, with the control plane built or
         * not now: something is missing, e2e-real is chosen, and a stage before it runs with the
         * control plane built (one built now, or a cluster stage that builds it and is not the last before e2e-real).
         */
        boolean planned(boolean controlPlaneBuiltNow) {
            int real = stages.indexOf("e2e-real");
            if (missing.isEmpty() || real < 1) return false;
            if (controlPlaneBuiltNow) return true;
            for (int j = 0; j < real - 1; j++) if (clusterStage(stages.get(j))) return true;
            return false;
        }

        /** Before stage i: starts the build when its time has come; before e2e-real, waits for it. */
        void before(int i) {
            int real = stages.indexOf("e2e-real");
            if (i == real) {
                awaitEnd();
            } else if (!tried && i < real && !missing.isEmpty() && controlPlaneBuilt.getAsBoolean()) {
                start();
            }
        }

        boolean started() { return process != null; }

        private void start() {
            tried = true;
            var cmd = new ArrayList<String>();
            if (onPath("nice")) cmd.addAll(List.of("nice", "-n", "19"));
            cmd.addAll(command);
            try {
                Files.createDirectories(log.getParent());
                process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                process.getOutputStream().close();
            } catch (IOException e) {
                say.accept("test: could not start the real node's background build (" + e.getMessage() + "); e2e-real builds what it needs itself");
                process = null;
                return;
            }
            startedAt = System.nanoTime();
            cleanup = Interrupts.onStop("stop the real node's background build", this::stop);
            say.accept("test: building the real node's " + String.join(", ", missing) + " in the background" + (cmd.get(0).equals("nice") ? " at nice 19" : "")
                    + " while the next stages run: " + String.join(" ", cmd) + " (pid " + process.pid() + "), its log " + log);
        }

        /** Waits for the build to end (when one runs) and says how long it waited and how it ended. */
        void awaitEnd() {
            if (process == null) return;
            long t0 = System.nanoTime();
            say.accept("test: waiting for the real node's background build (pid " + process.pid() + ") to end …");
            int exit;
            try {
                exit = process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            cleanup.close();
            say.accept(String.format(java.util.Locale.ROOT, "test: the real node's background build ended (exit %d) after %.0f s; waited %.1f s for it; its log: %s",
                    exit, (System.nanoTime() - startedAt) / 1e9, (System.nanoTime() - t0) / 1e9, log));
            if (exit != 0) {
                say.accept("test: it failed; the last lines of its log:");
                tail(log, TAIL_LINES).forEach(l -> say.accept("  | " + l));
                say.accept("test: e2e-real goes on: it builds what is missing itself and names what fails");
            }
            process = null;
        }

        /** Stops the build and every process under it (the launcher may run the JVM as its child): SIGTERM, then after 30 s SIGKILL. */
        void stop() {
            var p = process;
            if (p == null || !p.isAlive()) return;
            var tree = new ArrayList<ProcessHandle>(p.descendants().toList());
            System.err.println("stopping: the real node's background build (pid " + p.pid() + ")");
            p.destroy();
            tree.forEach(ProcessHandle::destroy);
            try {
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
            tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }

        private static List<String> tail(Path file, int n) {
            try {
                var lines = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
                return lines.subList(Math.max(0, lines.size() - n), lines.size());
            } catch (IOException e) {
                return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
            }
        }

        private static boolean onPath(String name) {
            String path = System.getenv("PATH");
            if (path == null) return false;
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) return true;
            }
            return false;
        }
    }

    /**
     * The JUnit tag of a test class (or method) that runs real programs at length: whole scripts,
     * the ./jbang launcher, JBang builds, or many helm renders of the chart (seconds to minutes of
     * CPU on 2 cores). Its tests run in the scripts stage; the others in the unit stage, which
     * stays within seconds.
     */
    static final String SCRIPTS_TAG = "scripts";

    /**
     * JUnit tests under scripts/tests (one class per *Test.java file), in this JVM; results also
     * as JUnit XML. The unit stage runs the classes without the scripts tag, the scripts stage
     * those with it. Classes run side by side (their tests one after another): most of a slow
     * class's time is waiting (a load at its rate, a child process, a timeout). A class that
     * changes what the whole JVM shares says so with @Isolated and runs alone.
     */
    private void unit(Path repo, Path xml, boolean scripts) {
        List<DiscoverySelector> classes;
        try (var files = Files.list(repo.resolve("scripts/tests"))) {
            classes = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith("Test.java"))
                    .filter(n -> unitClasses == null || unitClasses.contains(n.substring(0, n.length() - ".java".length()))).sorted()
                    .map(n -> (DiscoverySelector) selectClass(n.substring(0, n.length() - ".java".length()))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var request = LauncherDiscoveryRequestBuilder.request().selectors(classes)
                .filters(scripts ? TagFilter.includeTags(SCRIPTS_TAG) : TagFilter.excludeTags(SCRIPTS_TAG))
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.mode.default", "same_thread")
                .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
                .configurationParameter("junit.jupiter.execution.parallel.config.executor-service", "FORK_JOIN_POOL")
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", String.valueOf(PARALLEL_CLASSES))
                .build();
        String stage = scripts ? "scripts" : "unit";
        var launcher = LauncherFactory.create();
        if (unitClasses != null && !launcher.discover(request).containsTests()) {
            // Every class named belongs to the other stage (--unit-class itself refuses a name that matches no file).
            System.out.println("test: no class of --unit-class is in the " + stage + " stage");
            return;
        }
        var report = new Report(stage, System.out, null, false);
        long t0 = System.nanoTime();
        var started = new java.util.concurrent.ConcurrentHashMap<String, Long>();
        launcher.execute(request, new TestExecutionListener() {
            @Override public void executionStarted(TestIdentifier id) { started.put(id.getUniqueId(), System.nanoTime()); }

            @Override public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) report.record(new Report.Result(name(id), Report.Status.SKIP, reason, "", 0));
            }

            @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
                boolean ok = r.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                // A container (a class) fails only when it could not run its tests at all.
                if (!id.isTest() && ok) return;
                String detail = ok ? "" : r.getThrowable().map(t -> id.isTest() ? String.valueOf(t.getMessage()) : Problem.rootMessage(t)).orElse("");
                report.record(new Report.Result(id.isTest() ? name(id) : id.getDisplayName(), ok ? Report.Status.PASS : Report.Status.FAIL,
                        detail, "", ms));
            }
        });
        if (report.results().isEmpty()) report.record(new Report.Result(stage + " tests", Report.Status.FAIL, "none found in scripts/tests", "", 0));
        passed += (int) report.count(Report.Status.PASS);
        failed += (int) report.count(Report.Status.FAIL);
        skipped += (int) report.count(Report.Status.SKIP);
        try {
            report.writeJunit(xml, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            failed++;
            System.out.println("FAIL  " + stage + " tests — could not write " + xml + ": " + e.getMessage());
        }
    }

    /** Test classes at a time: enough to overlap their waits, few enough for 2 cores. */
    static final int PARALLEL_CLASSES = 4;

    private static String name(TestIdentifier id) {
        String cls = id.getParentId().map(p -> p.replaceAll(".*\\[class:([^\\]]+)\\].*", "$1")).orElse("");
        return cls.replaceAll(".*\\[class:([^\\]]+)\\].*", "$1") + " " + id.getDisplayName();
    }

    /**
     * The case of safety.java from which its second run takes over: issue 14's rows of killed and
     * interrupted runs, and every case after them. The cases before it (issue 10's rows, issue 14's
     * input rows and its cluster's own rows) make up the first run. Chosen by time: the two runs
     * took about 200 and 300 s on a cold machine (2026-12-07) once status's waits were bounded.
     */
    static final String SAFETY_SECOND_RUN_FROM = "issue 14 rows 1, 9: ";

    /**
     * safety.java as two runs side by side, each on kwok clusters of its own (--name) with half
     * of its cases, in their order (--only): most of a case's time is waiting (a Lease expiring, a
     * hook hanging, a timeout, a status waiting for pods that will not come), and a case that
     * builds on an earlier case's release makes it itself when that case ran in the other run.
     * Each run checks its own output for secrets and its own clusters' down.
     */
    private void safety(Path repo, Path out) {
        var listed = run(repo, "safety.java", List.of("--list"), "list| ");
        var cases = listed.getKey().out().lines().filter(l -> l.startsWith("CASE  ")).map(l -> l.substring(6).strip()).toList();
        var split = cases.isEmpty() ? List.<List<String>>of() : safetyRuns(cases);
        if (split.size() < 2) {
            System.out.println("test: safety.java as one run (its --list " + (cases.isEmpty() ? "printed no case" : "has no case '" + SAFETY_SECOND_RUN_FROM + "…'") + ")");
            script(repo, "safety.java", List.of("--junit", out.resolve("safety.xml").toString(), "--diagnostics", out.resolve("safety-diagnostics").toString()));
            return;
        }
        var runs = new ArrayList<List<String>>();
        for (int i = 0; i < split.size(); i++) {
            String n = i == 0 ? "" : String.valueOf(i + 1);
            runs.add(List.of("--name", "trevor-safety" + n, "--only", onlyExactly(split.get(i)), "--junit", out.resolve("safety" + n + ".xml").toString(),
                    "--diagnostics", out.resolve("safety" + n + "-diagnostics").toString()));
            System.out.println("test: safety.java run " + (i + 1) + ": " + split.get(i).size() + " cases, from '" + split.get(i).get(0) + "'");
        }
        sideBySide(repo, "safety.java", runs);
    }

    /** Splits safety.java's listed cases (in order) into its two runs' case lists; one list when the split case is not among them. */
    static List<List<String>> safetyRuns(List<String> cases) {
        var common = List.of(ScriptDefects.NO_SECRET, ClusterChecks.DOWN);
        var mine = cases.stream().filter(c -> !common.contains(c)).toList();
        int at = 0;
        while (at < mine.size() && !mine.get(at).startsWith(SAFETY_SECOND_RUN_FROM)) at++;
        if (at == 0 || at == mine.size()) return List.of(cases);
        var first = new ArrayList<>(mine.subList(0, at));
        var second = new ArrayList<>(mine.subList(at, mine.size()));
        for (String c : common) {
            if (cases.contains(c)) {
                first.add(c);
                second.add(c);
            }
        }
        return List.of(first, second);
    }

    /** An --only pattern that selects exactly these case names. */
    static String onlyExactly(List<String> cases) {
        return String.join("|", cases.stream().map(c -> "^" + Pattern.quote(c) + "$").toList());
    }

    /** Another script of this repository, in its own JVM, counted by its closing line. */
    private void script(Path repo, String script, List<String> args) {
        var r = run(repo, script, args, "");
        count(script, args, r.getKey(), r.getValue());
    }

    /** Scripts of this repository side by side, each in its own JVM, each counted by its closing line; their lines prefixed with "N| ". */
    private void sideBySide(Path repo, String script, List<List<String>> runs) {
        var started = new ArrayList<java.util.concurrent.CompletableFuture<Map.Entry<Exec.Result, String>>>();
        for (int i = 0; i < runs.size(); i++) {
            String prefix = runs.size() == 1 ? "" : (i + 1) + "| ";
            var args = runs.get(i);
            started.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> run(repo, script, args, prefix)));
        }
        for (int i = 0; i < runs.size(); i++) {
            var r = started.get(i).join();
            count(script, runs.get(i), r.getKey(), r.getValue());
        }
    }

    /** Runs a script, printing its lines (after prefix); returns its result and its last summary line (or null). */
    private static Map.Entry<Exec.Result, String> run(Path repo, String script, List<String> args, String prefix) {
        var cmd = new ArrayList<String>(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts").resolve(script).toString()));
        cmd.addAll(args);
        String[] last = {null};
        var r = Exec.run(cmd, repo, Map.of(), Duration.ofMinutes(60), line -> {
            System.out.println(prefix + line);
            if (SUMMARY.matcher(line.strip()).matches()) last[0] = line.strip();
        });
        return new java.util.AbstractMap.SimpleEntry<>(r, last[0]);
    }

    private synchronized void count(String script, List<String> args, Exec.Result r, String summary) {
        var m = summary == null ? null : SUMMARY.matcher(summary);
        if (m != null && m.matches()) {
            passed += Integer.parseInt(m.group(1));
            failed += Integer.parseInt(m.group(2));
            if (m.group(3) != null) skipped += Integer.parseInt(m.group(3));
            if (m.group(4) != null) info += Integer.parseInt(m.group(4));
            if (r.exit() != 0 && Integer.parseInt(m.group(2)) == 0) failed++; // exited non-zero without saying why
        } else {
            failed++;
            System.out.println("FAIL  " + script + " " + String.join(" ", args) + " ended (exit " + r.exit() + ") without a summary line");
        }
    }
}
