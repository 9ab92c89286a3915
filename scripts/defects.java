///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/node/WholeCluster.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/e2e/ClusterChecks.java
//SOURCES lib/e2e/DefectCoverage.java
//SOURCES lib/tools/Dirs.java
//SOURCES lib/tools/Exec.java
//SOURCES lib/kube/Helm.java
//SOURCES lib/cli/HelmOptions.java
//SOURCES lib/lifecycle/Installer.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/lifecycle/LiveChecks.java
//SOURCES lib/e2e/LiveDefects.java
//SOURCES lib/report/Progress.java
//SOURCES lib/kube/Release.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/report/Report.java
//SOURCES lib/e2e/ScriptDefects.java
//SOURCES lib/report/ScriptRunner.java
//SOURCES lib/tools/Text.java
//SOURCES lib/tools/Problem.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "defects", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Every live, safety and e2e check with a defect here can fail, and does. live: on a kwok cluster of its own, "
                + "prod-like releases are broken on purpose (objects deleted or edited by hand, a hook Job left running, a stuck rollout, "
                + "a failed and a pending revision), and status.java must print a FAIL line naming exactly the checks each state breaks, "
                + "while the others still pass. safety: safety.java's cases against copies of the scripts with guards taken out. "
                + "e2e: e2e.java (kwok) of a copy of the checkout whose scripts and chart carry defects.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every defect was caught by name", "1:a check passed that should have failed, or another check failed",
                "2:bad option or missing tool"},
        footerHeading = "%n",
        footer = "With --only every part still runs: only the checks it selects are reported.")
public class defects implements Callable<Integer> {
    @Mixin HelmOptions helmOptions;

    @Option(names = "--name", defaultValue = "trevor-defects", description = "kwok cluster name (default: ${DEFAULT-VALUE}).")
    String name;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Mixin SuiteOptions.DiagnosticsDir diagnostics = new SuiteOptions.DiagnosticsDir();

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    @Option(names = "--scripts-from", paramLabel = "DIR", description = "Try another checkout: its status.java against the live states, its scripts with the "
            + "safety guards taken out, its scripts and chart with the e2e defects put in (to see whether its checks catch them).")
    Path scriptsFrom;

    @Option(names = "--part", paramLabel = "PART", split = ",", defaultValue = "live,safety,e2e,e2e-stops",
            description = "live (status.java's checks against broken releases), safety (safety.java's cases against scripts with guards "
                    + "taken out), e2e (e2e.java's checks against a checkout with defects put in), e2e-stops (e2e.java's fatal stages, "
                    + "one short run each that must stop at the stage its defect breaks); default: ${DEFAULT-VALUE}.")
    List<String> parts;

    @Option(names = "--safety-runs", paramLabel = "N", split = ",", description = "With the safety part: only these of its runs (1, 2, 3; "
            + "default: all), to try one run's guards without the others.")
    List<Integer> safetyRuns;

    @Option(names = "--e2e-stops", paramLabel = "N", split = ",", description = "With the e2e-stops part: only these of its runs (1, 2, 3; "
            + "default: all).")
    List<Integer> e2eStopRuns;

    private static final Pattern LINE = Pattern.compile("^(PASS|FAIL|SKIP|INFO)  (.+?)(?: — .*)?$");

    public static void main(String[] args) { System.exit(Cli.execute(new defects(), args)); }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path repo = Repo.root();
        if (repo == null) {
            System.err.println("defects: run me from inside the trevor repository");
            return 2;
        }
        only.checkPattern();
        Path scripts = (scriptsFrom != null ? scriptsFrom : repo).toAbsolutePath().normalize();
        Path diagDir = diagnostics.or(repo.resolve("build/defects-diagnostics"));
        var progress = new Progress("defects", System.out);
        Helm helm = helmOptions.resolve(progress::info);
        var report = new Report("defects (helm " + helm.major + ")", System.out, only.pattern, false);
        Path work = Files.createTempDirectory("trevor-defects");
        Path kubeconfig = work.resolve("kubeconfig");
        Files.writeString(kubeconfig, "");
        for (String part : parts) {
            if (!List.of("live", "safety", "e2e", "e2e-stops").contains(part)) {
                System.err.println("defects: unknown --part '" + part + "'; parts are live, safety, e2e, e2e-stops");
                return 2;
            }
        }
        var runner = new ScriptRunner(repo, scripts);
        try {
            if (parts.contains("live")) {
                var checks = new ClusterChecks("defects", List.of(name), report, progress, diagDir, runner::transcript);
                try {
                    var kube = checks.up(repo, kubeconfig);
                    new Live(repo, helm, kube, kubeconfig, runner, checks, progress).run();
                } finally {
                    checks.down();
                }
            }
            // Side by side, each on clusters of its own: most of their time is waiting, and CI's time is bounded.
            var side = new ArrayList<CompletableFuture<Void>>();
            if (parts.contains("safety")) side.add(async(() -> new Safety(repo, scripts, work, report, progress, diagDir.resolve("safety")).run()));
            if (parts.contains("e2e")) side.add(async(() -> new E2eDefects(scripts, work, report, progress, diagDir.resolve("e2e")).run()));
            // One after the other, beside the rest: each run is short (it ends at its stage), and one cluster at a time adds little load.
            if (parts.contains("e2e-stops")) side.add(async(() -> new E2eStops(scripts, work, report, progress, diagDir.resolve("e2e-stops")).run()));
            for (var f : side) {
                try {
                    f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
            }
        } finally {
            Dirs.deleteTree(work);
        }
        progress.printTimings();
        if (!coverages.isEmpty()) {
            System.out.println("coverage (checks with a state, guard or defect here that makes them fail by name; counted from the suites' own lists and output):");
            var order = List.of("live", "safety", "e2e");
            coverages.stream().sorted(java.util.Comparator.comparingInt(c -> order.indexOf(c.part()))).forEach(c -> c.print(System.out));
        }
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("defects: total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.println(report.summary());
        return report.failed() ? 1 : 0;
    }

    interface Part { void run() throws Exception; }

    private final List<DefectCoverage> coverages = java.util.Collections.synchronizedList(new ArrayList<>());

    /** Records and checks one part's coverage. */
    private void coverage(Report report, DefectCoverage c) {
        coverages.add(c);
        report.check("coverage: every " + c.noun() + " of the " + c.part() + " part has a case here that makes it fail by name, or a reason why not",
                null, () -> {
                    Report.expect(!c.checks().isEmpty(), "no %s was listed: nothing to count", c.noun());
                    Report.expect(c.without().isEmpty() && c.stale().isEmpty(), "%s; without a failing case: %s; stale: %s", c.line(), c.without(), c.stale());
                });
    }

    private static CompletableFuture<Void> async(Part part) {
        return CompletableFuture.runAsync(() -> {
            try {
                part.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /** The live checks of status.java against the states of LiveDefects, one release per group, the groups side by side. */
    private final class Live {
        private final Path repo;
        private final Helm helm;
        private final Kube kube;
        private final Path kubeconfig;
        private final ScriptRunner runner;
        private final ClusterChecks checks;
        private final Progress progress;
        private final LiveDefects defects;

        Live(Path repo, Helm helm, Kube kube, Path kubeconfig, ScriptRunner runner, ClusterChecks checks, Progress progress) {
            this.repo = repo;
            this.helm = helm;
            this.kube = kube;
            this.kubeconfig = kubeconfig;
            this.runner = runner;
            this.checks = checks;
            this.progress = progress;
            this.defects = new LiveDefects(repo);
        }

        /** What happened to one group: status before the states, the states made (or why not), status after. */
        record Outcome(Exec.Result before, Throwable broke, Exec.Result after) {}

        void run() {
            checks.check("live: every live check of status.java has a state here that must make it fail", () -> {
                var none = defects.uncovered();
                Report.expect(none.isEmpty(), "no state fails: %s", none);
            });
            var covered = new java.util.LinkedHashSet<>(LiveChecks.NAMES);
            covered.removeAll(defects.uncovered());
            coverages.add(new DefectCoverage("live", "check", LiveChecks.NAMES, covered, Map.of(), List.of()));
            var groups = defects.groups();
            // Side by side: most of each group's time is status waiting for what will not come (pods, endpoints, a PDB's count).
            var runs = groups.stream().filter(g -> !g.alone()).map(g -> CompletableFuture.supplyAsync(() -> breakAndLook(g))).toList();
            var outcomes = new ArrayList<>(runs.stream().map(CompletableFuture::join).toList());
            // A group whose state is the whole cluster's (a cordoned node) runs once the others are done.
            groups.stream().filter(LiveDefects.Group::alone).forEach(g -> outcomes.add(breakAndLook(g)));
            var order = new ArrayList<>(groups.stream().filter(g -> !g.alone()).toList());
            order.addAll(groups.stream().filter(LiveDefects.Group::alone).toList());
            for (int i = 0; i < order.size(); i++) report(order.get(i), outcomes.get(i));
        }

        private Release release(String namespace) {
            return new Release(helm, kube, "trevor", namespace, repo.resolve("helm/trevor"));
        }

        private Outcome breakAndLook(LiveDefects.Group g) {
            var rel = release(g.namespace());
            try {
                Installer.install(rel, defects.installOptions(), progress);
            } catch (RuntimeException e) {
                return new Outcome(null, e, null);
            }
            var before = status(g.namespace());
            try {
                progress.step(g.namespace() + ": " + g.what(), () -> {
                    try {
                        g.breaker().apply(rel, progress);
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (RuntimeException e) {
                return new Outcome(before, e, null);
            }
            // The state made will not settle: status's waits (a minute for pods, half one for endpoints, a PDB's count, the
            // HPA's minimum) would each run out in full. Bounded, status still waits longer than any check that must pass needs.
            return new Outcome(before, null, status(g.namespace(), "--timeout", "20s"));
        }

        private Exec.Result status(String namespace, String... more) {
            var args = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString(), "--context", kube.context, "-n", namespace));
            args.addAll(List.of(more));
            args.addAll(helmOptions.args());
            return runner.run("status.java", args);
        }

        private void report(LiveDefects.Group g, Outcome o) {
            String ns = g.namespace();
            checks.check("live: status passes on the untouched prod-like release in " + ns, () -> {
                Report.expect(o.before() != null, "the install failed: %s", o.broke() == null ? "" : Problem.rootMessage(o.broke()));
                var failed = lines(o.before()).entrySet().stream().filter(e -> e.getValue().equals("FAIL")).map(Map.Entry::getKey).toList();
                Report.expect(o.before().exit() == 0 && failed.isEmpty(), "exit %d, failing %s: %s", o.before().exit(), failed, tail(o.before()));
            });
            checks.check("live: " + ns + ": made " + g.what(), () -> {
                Report.expect(o.broke() == null, "%s", o.broke() == null ? "" : Problem.rootMessage(o.broke()));
            });
            var seen = o.after() == null ? Map.<String, String>of() : lines(o.after());
            for (var d : g.defects()) {
                checks.check("live: '" + d.check() + "' fails by name when " + d.state(), () -> {
                    Report.expect(o.after() != null, "the state was not made");
                    Report.expect("FAIL".equals(seen.get(d.check())) && o.after().exit() == 1, "status said %s for it (exit %d): %s",
                            seen.getOrDefault(d.check(), "nothing"), o.after().exit(), tail(o.after()));
                });
            }
            checks.check("live: " + ns + ": exactly " + g.failing().size() + " live checks fail, the others still pass", () -> {
                Report.expect(o.after() != null, "the state was not made");
                var wrong = new ArrayList<String>();
                for (String c : LiveChecks.NAMES) {
                    String st = seen.getOrDefault(c, "missing");
                    boolean mustFail = g.failing().contains(c);
                    if (mustFail != st.equals("FAIL") || st.equals("missing")) wrong.add(st + " " + c);
                }
                Report.expect(wrong.isEmpty(), "expected to fail: %s; wrong: %s", g.failing(), wrong);
            });
        }

        /** status's verdict per check name. */
        private Map<String, String> lines(Exec.Result r) {
            var out = new LinkedHashMap<String, String>();
            for (String l : r.out().split("\n")) {
                var m = LINE.matcher(l.strip());
                if (m.matches()) out.put(m.group(2).strip(), m.group(1));
            }
            return out;
        }

        private String tail(Exec.Result r) {
            return Text.lastLines(r.out() + "\n" + r.err(), 14, " | ");
        }
    }

    /**
     * safety.java's cases against a copy of the scripts with their guards taken out, in one
     * run (the guards do not interact): each case that names the guarded behaviour must fail.
     */
    private final class Safety {
        private final Path repo;
        private final Path checkout;
        private final Path work;
        private final Report report;
        private final Progress progress;
        private final Path diagDir;

        Safety(Path repo, Path checkout, Path work, Report report, Progress progress, Path diagDir) {
            this.repo = repo;
            this.checkout = checkout;
            this.work = work;
            this.report = report;
            this.progress = progress;
            this.diagDir = diagDir;
        }

        void run() throws java.io.IOException {
            var runs = ScriptDefects.safetyRuns();
            // safety.java's own list of its cases (no cluster); this also builds it once, before the runs start side by side.
            var listed = progress.step("safety.java --list", () -> Exec.run(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts/safety.java").toString(),
                    "--list"), repo, Map.of(), java.time.Duration.ofMinutes(10), null));
            var cases = listed.out().lines().filter(l -> l.startsWith("CASE  ")).map(l -> l.substring(6).strip()).toList();
            var covered = new java.util.LinkedHashSet<String>();
            runs.forEach(run -> run.forEach(g -> g.fails().forEach(x -> covered.add(x.check()))));
            coverage(report, new DefectCoverage("safety", "case", cases, covered, ScriptDefects.SAFETY_EXEMPT, List.of()));
            // Side by side, each on its clusters: most of a case's time is waiting (a Lease expiring, a hook hanging, a timeout).
            var started = new ArrayList<CompletableFuture<Exec.Result>>();
            var t0 = java.time.Instant.now();
            for (int i = 0; i < runs.size(); i++) {
                int n = i + 1;
                if (safetyRuns != null && !safetyRuns.contains(n)) {
                    started.add(null);
                    continue;
                }
                Path copy;
                try {
                    copy = ScriptDefects.copyWithout(checkout, work.resolve("without-guards-" + n), runs.get(i));
                } catch (Report.Failure e) {
                    report.check("safety: a copy of the scripts with the guards of run " + n + " taken out", null, () -> { throw e; });
                    started.add(null);
                    continue;
                }
                var guards = runs.get(i);
                started.add(CompletableFuture.supplyAsync(() -> safety(n, runs.size(), copy, guards)));
            }
            for (int i = 0; i < runs.size(); i++) {
                if (started.get(i) == null) continue;
                var r = started.get(i).join();
                var seen = verdicts(r.out());
                for (var g : runs.get(i)) {
                    for (var x : g.fails()) {
                        report.check("safety: '" + x.check() + "' fails by name when " + g.what(), null, () -> {
                            String said = seen.getOrDefault(x.check(), "nothing");
                            Report.expect(said.startsWith("FAIL") && said.contains(x.says()), "expected FAIL saying '%s'; safety.java said (exit %d): %s",
                                    x.says(), r.exit(), said);
                        });
                    }
                }
            }
            removeDefectFiles(t0);
        }

        /** One safety.java run, on clusters of its own, on a copy of the scripts with these guards taken out together. */
        private Exec.Result safety(int n, int of, Path copy, List<ScriptDefects.Guard> guards) {
            // The cases the guards break, and in the first run row 8's first two, on which "rows 8, 13" builds.
            var only = new ArrayList<String>();
            guards.forEach(g -> g.fails().forEach(x -> only.add(Pattern.quote(x.check()))));
            if (n == 1) only.add("^row 8: ");
            var cmd = new ArrayList<>(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts/safety.java").toString(),
                    "--name", name + "-safety" + (n == 1 ? "" : String.valueOf(n)), "--scripts-from", copy.toString(), "--only", String.join("|", only),
                    "--diagnostics", diagDir.resolve("run-" + n).toString()));
            cmd.addAll(helmOptions.args());
            return progress.step("safety.java on the scripts without their guards, run " + n + " of " + of + " (" + guards.size() + " guards)",
                    () -> Exec.run(cmd, repo, Map.of(), java.time.Duration.ofMinutes(60), line -> System.out.println("  " + n + "| " + line)));
        }

        /** The temp files the Secrets defect wrote (they hold the run's throwaway secret values). */
        private void removeDefectFiles(java.time.Instant since) throws java.io.IOException {
            try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("trevor-defect-secret-")).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /**
     * Each check's verdict line and the detail lines printed under it (a failure's message may
     * span lines), by check name, from a suite's output.
     */
    static Map<String, String> verdicts(String out) {
        var seen = new LinkedHashMap<String, String>();
        String current = null;
        int more = 0;
        for (String l : out.split("\n")) {
            // A verdict starts its line (Report prints it at column 0); indented lines are a
            // step's own output, like the matrix tables whose rows begin with "FAIL".
            var m = LINE.matcher(l.stripTrailing());
            if (m.matches()) {
                current = m.group(2).strip();
                seen.put(current, l.stripTrailing());
                more = 0;
            } else if (current != null && more++ < 40) {
                seen.put(current, seen.get(current) + "\n" + l);
            }
        }
        return seen;
    }

    /**
     * e2e.java (kwok) of a copy of the checkout whose scripts and chart carry every defect of
     * ScriptDefects.e2eDefects(), in one run: each check a defect names must fail, saying why.
     */
    private final class E2eDefects {
        private final Path checkout;
        private final Path work;
        private final Report report;
        private final Progress progress;
        private final Path diagDir;

        E2eDefects(Path checkout, Path work, Report report, Progress progress, Path diagDir) {
            this.checkout = checkout;
            this.work = work;
            this.report = report;
            this.progress = progress;
            this.diagDir = diagDir;
        }

        void run() throws java.io.IOException {
            var defects = ScriptDefects.e2eDefects();
            Path copy;
            try {
                copy = ScriptDefects.copyWith(checkout, work.resolve("with-e2e-defects"), defects);
            } catch (Report.Failure e) {
                report.check("e2e: a copy of the checkout with the e2e defects put in", null, () -> { throw e; });
                return;
            }
            // The copy's own e2e.java, run from inside the copy: its chart and scripts are the copy's.
            var cmd = new ArrayList<>(List.of(copy.resolve("jbang").toString(), copy.resolve("scripts/e2e.java").toString(),
                    "--name", name + "-e2e", "--diagnostics", diagDir.toString()));
            cmd.addAll(helmOptions.args());
            var r = progress.step("e2e.java (kwok) of a checkout with " + defects.size() + " defects",
                    () -> Exec.run(cmd, copy, Map.of(), java.time.Duration.ofMinutes(45), line -> System.out.println("  | " + line)));
            // The copy's down leaves the cluster's folder on purpose (one of its defects): this checkout's down removes what is left.
            WholeCluster.down(name + "-e2e", null, progress::info);
            var seen = verdicts(r.out());
            coverage(report, e2eCoverage(seen));
            for (var d : defects) {
                for (var x : d.fails()) {
                    report.check("e2e: '" + x.check() + "' fails by name when " + d.what(), null, () -> {
                        String said = seen.getOrDefault(x.check(), "nothing");
                        Report.expect(said.startsWith("FAIL") && said.contains(x.says()), "expected FAIL saying '%s'; e2e.java said (exit %d): %s",
                                x.says(), r.exit(), said);
                    });
                }
            }
        }

        /**
         * The e2e's checks as its run printed them: those that PASS or FAIL are counted; INFO and
         * SKIP never pass, so they are listed apart. A live check ("X (after install)") has its
         * failing case in the live part.
         */
        private DefectCoverage e2eCoverage(Map<String, String> seen) {
            var checks = new ArrayList<String>();
            var notCounted = new ArrayList<String>();
            seen.forEach((name, line) -> (line.startsWith("PASS") || line.startsWith("FAIL") ? checks : notCounted).add(name));
            var covered = new java.util.LinkedHashSet<String>();
            ScriptDefects.e2eDefects().forEach(d -> d.fails().forEach(x -> covered.add(x.check())));
            // The fatal stages' defects, each in a run of its own (E2eStops).
            ScriptDefects.e2eStops().forEach(d -> d.fails().forEach(x -> covered.add(x.check())));
            var live = new java.util.LinkedHashSet<>(LiveChecks.NAMES);
            live.removeAll(new LiveDefects(checkout).uncovered());
            for (String c : checks) {
                int paren = c.lastIndexOf(" (after ");
                if (paren > 0 && c.endsWith(")") && live.contains(c.substring(0, paren))) covered.add(c);
            }
            return new DefectCoverage("e2e", "check", checks, covered, ScriptDefects.E2E_EXEMPT, notCounted);
        }
    }

    /**
     * The e2e's fatal stages, one e2e.java run each, on a copy of the checkout with that one
     * defect put in: a fatal stage's failure ends the lifecycle, so the run is short (up to the
     * stage, then the cluster's removal). The stage must fail by name, saying why, and the run
     * must stop there: no check of the lifecycle after it may report.
     */
    private final class E2eStops {
        private final Path checkout;
        private final Path work;
        private final Report report;
        private final Progress progress;
        private final Path diagDir;

        E2eStops(Path checkout, Path work, Report report, Progress progress, Path diagDir) {
            this.checkout = checkout;
            this.work = work;
            this.report = report;
            this.progress = progress;
            this.diagDir = diagDir;
        }

        void run() throws java.io.IOException {
            var stops = ScriptDefects.e2eStops();
            for (int i = 0; i < stops.size(); i++) {
                var d = stops.get(i);
                int n = i + 1;
                if (e2eStopRuns != null && !e2eStopRuns.contains(n)) continue;
                Path copy;
                try {
                    copy = ScriptDefects.copyWith(checkout, work.resolve("e2e-stop-" + n), List.of(d));
                } catch (Report.Failure e) {
                    report.check("e2e stop " + n + ": a copy of the checkout with its defect put in", null, () -> { throw e; });
                    continue;
                }
                String cluster = name + "-stop" + n;
                var cmd = new ArrayList<>(List.of(copy.resolve("jbang").toString(), copy.resolve("scripts/e2e.java").toString(),
                        "--name", cluster, "--diagnostics", diagDir.resolve("run-" + n).toString()));
                cmd.addAll(helmOptions.args());
                var r = progress.step("e2e.java (kwok) of a checkout where " + d.what() + " (stop " + n + " of " + stops.size() + ")",
                        () -> Exec.run(cmd, copy, Map.of(), java.time.Duration.ofMinutes(20), line -> System.out.println("  s" + n + "| " + line)));
                WholeCluster.down(cluster, null, progress::info);
                Dirs.deleteTree(copy);
                var seen = verdicts(r.out());
                var names = new ArrayList<>(seen.keySet());
                for (var x : d.fails()) {
                    report.check("e2e: '" + x.check() + "' fails by name and stops the lifecycle when " + d.what(), null, () -> {
                        String said = seen.getOrDefault(x.check(), "nothing");
                        Report.expect(said.startsWith("FAIL") && said.contains(x.says()), "expected FAIL saying '%s'; e2e.java said (exit %d): %s",
                                x.says(), r.exit(), said);
                        // After a fatal stage only the cluster's removal reports.
                        var after = names.subList(names.indexOf(x.check()) + 1, names.size()).stream()
                                .filter(c -> !c.equals(ScriptDefects.E2E_DOWN)).toList();
                        Report.expect(after.isEmpty() && r.exit() == 1, "the lifecycle went on after it (exit %d): %s", r.exit(), after);
                    });
                }
            }
        }
    }
}
