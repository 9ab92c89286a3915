//SOURCES ChartFixtures.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES HelmRuns.java
//SOURCES KubeSchema.java
//SOURCES LintBake.java
//SOURCES ../kube/Manifests.java
//SOURCES ../tools/Once.java
//SOURCES Refusals.java
//SOURCES RenderBatch.java
//SOURCES ../report/Report.java

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Runs named checks over real helm output. Check groups declare scenarios (renders), lints and
 * refusals (values helm must refuse), then checks over them; {@link #run} plans the helm runs,
 * starts them all up front, evaluates the checks in parallel as their inputs arrive, and reports
 * them in the order they were declared.
 *
 * <p>Helm runs are batched ({@link RenderBatch}): scenarios with one release name render as
 * aliases of one umbrella chart, refusals go in two batches ({@link Refusals}), lints with the
 * same values lint their charts in one process. Per chart, the first scenario also renders on its own and is compared with its
 * aliased twin: a chart that renders differently under an alias gets a render of its own for
 * every scenario. A batch that fails falls back to one render per member, so a failure is
 * always attributed to its own values.
 */
final class CheckRunner {
    record Check(String name, String context, Report.Body body, Once<?> input) {}

    /** One helm process, for -v: what it ran and when it started and ended (ms since the runner started). */
    record HelmRun(String label, long startMs, long endMs) {}

    final Helm helm;
    /** The helm runs, remembered or not (see {@link HelmRuns}). */
    final HelmRuns helmRuns;
    private final Report report;
    private final PrintStream timings;
    private final long t0 = System.nanoTime();
    private final List<Scenario> scenarios = new ArrayList<>();
    private final Refusals refusals = new Refusals(this);
    private final Map<String, LintGroup> lints = new LinkedHashMap<>();
    private final List<Check> checks = new ArrayList<>();
    private final List<Batch> batches = new ArrayList<>();
    private final Map<Path, Once<Boolean>> trust = new LinkedHashMap<>();
    private final List<HelmRun> runs = Collections.synchronizedList(new ArrayList<>());
    /** Documents parsed so far, by their text: scenarios share most of their objects word for word. */
    private final Map<String, Manifests.Obj> parsed = new java.util.concurrent.ConcurrentHashMap<>();
    /** Made when the run starts, removed when it ends; only named before (--list makes nothing). */
    private final Path scratch = Path.of(System.getProperty("java.io.tmpdir"),
            "trevor-verify-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime()));
    private final Map<Path, Path> origins = new LinkedHashMap<>();
    private final Map<Path, java.util.function.Function<Path, ChartFixtures.Fixture>> fixtures = new LinkedHashMap<>();
    /** Where each fixture was made, by the path that stood for it before the run. */
    private final Map<Path, Path> placed = new java.util.concurrent.ConcurrentHashMap<>();
    private int lintFixtures;
    private boolean planned;

    /** A runner that makes every helm run. */
    CheckRunner(Helm helm, Report report, PrintStream timings) { this(helm, report, timings, null, false); }

    /** store: where helm runs are remembered (null: nowhere); reuse: whether remembered runs are used again. */
    CheckRunner(Helm helm, Report report, PrintStream timings, Path store, boolean reuse) {
        this.helm = helm;
        this.helmRuns = new HelmRuns(helm, store, reuse, scratch);
        this.report = report;
        this.timings = timings;
    }

    /** One render of a chart with one set of values. */
    final class Scenario {
        final String name;
        Path chart;
        final String release;
        final String namespace;
        final Helm.Values values;
        private Batch batch;
        private String alias;
        private final Once<List<Manifests.Obj>> objs = new Once<>(this::render);

        private Scenario(String name, Path chart, String release, String namespace, Helm.Values values) {
            this.name = name;
            this.chart = chart;
            this.release = release;
            this.namespace = namespace;
            this.values = values;
        }

        /** The rendered objects; a failed render fails the check that asks. */
        List<Manifests.Obj> objs() {
            plan();
            try {
                return objs.get();
            } catch (Report.Failure e) {
                throw e;
            } catch (RuntimeException e) {
                throw new Report.Failure("scenario '" + name + "' did not render: " + e.getMessage());
            }
        }

        String context() { return values.describe(); }

        private List<Manifests.Obj> render() {
            if (batch != null) {
                String docs = batch.docs(alias, chart);
                if (docs != null) return parse(docs);
            }
            var r = run("template " + name, () -> helmRuns.template(release, chart, namespace, values));
            if (!r.ok()) throw new IllegalStateException("helm template failed: " + r.said());
            return parse(r.out());
        }
    }

    private List<Manifests.Obj> parse(String rendered) {
        return Manifests.parse(rendered, doc -> {
            var o = parsed.get(doc);
            if (o != null) return o;
            o = Manifests.parseDocument(doc);
            if (o != null) parsed.putIfAbsent(doc, o);
            return o;
        });
    }

    /** Charts linted with the same values: one `helm lint --strict` process for all of them. */
    private final class LintGroup {
        final Helm.Values values;
        final List<Path> charts = new ArrayList<>();
        final Once<Exec.Result> result;

        LintGroup(Helm.Values values) {
            this.values = values;
            this.result = new Once<>(() -> run("lint " + describe(), () -> helmRuns.lint(charts, values)));
        }

        String describe() { return charts.size() + " chart(s), " + values.describe(); }

        /** What helm lint said about one chart: its "==> Linting" section. */
        String section(Path chart) {
            String out = result.get().out();
            String head = "==> Linting " + chart;
            int from = out.indexOf(head);
            if (from < 0) return null;
            int to = out.indexOf("==> Linting ", from + head.length());
            return out.substring(from, to < 0 ? out.length() : to);
        }

        boolean clean(Path chart) {
            String s = section(chart);
            return s != null && !s.contains("[WARNING]") && !s.contains("[ERROR]");
        }
    }

    /** One umbrella render; members fall back to their own renders when it fails. */
    private final class Batch {
        final List<RenderBatch.Member> members = new ArrayList<>();
        final Once<RenderBatch.Rendered> rendered;

        Batch(String dir, String release, String namespace) {
            rendered = new Once<>(() -> run("template batch of " + members.size() + " (" + dir + ")",
                    () -> RenderBatch.render(helmRuns, scratch().resolve(dir), release, namespace, members, true)));
        }

        String add(Path chart, Helm.Values values) {
            String alias = String.format("m%02d", members.size() + 1);
            members.add(new RenderBatch.Member(alias, chart, values));
            return alias;
        }

        /** A member's documents, or null when it must render on its own. */
        String docs(String alias, Path chart) {
            var r = rendered.get();
            if (!r.result().ok()) return null;
            var t = trust.get(origin(chart));
            if (t == null || !t.get()) return null;
            return r.docs().get(alias);
        }
    }

    // ---------------------------------------------------------------- declaring

    Scenario scenario(String name, Path chart, String release, String namespace, Helm.Values values) {
        var s = new Scenario(name, chart, release, namespace, values);
        scenarios.add(s);
        return s;
    }

    /**
     * Values helm must refuse; bySchema: the chart's values schema refuses them (else its
     * templates). section: the chart whose schema refuses them, when it is a dependency of this one.
     */
    Refusals.Refusal refusal(Path chart, String release, String namespace, Helm.Values values, boolean bySchema, String section) {
        return refusals.add(chart, release, namespace, values, bySchema, section);
    }

    /** A check that `helm lint --strict chart` with these values says nothing above INFO. */
    void lintCheck(String name, Path chart, Helm.Values values) {
        // A values file baked into a copy of the chart lints in the process of the charts with no values (see LintBake).
        String baked = LintBake.bake(chart, values);
        Path stand = baked == null ? chart
                : fixture("lint-" + lintFixtures++, chart, from -> new ChartFixtures.Fixture("", Map.of("values.yaml", baked)));
        Helm.Values with = baked == null ? values : Helm.Values.none();
        var group = lints.computeIfAbsent(String.join("\u0000", with.args()) + "\u0000" + with.stdin(), k -> new LintGroup(with));
        group.charts.add(stand);
        checks.add(new Check(name, values.describe(), () -> {
            var r = group.result.get();
            Path linted = placed.getOrDefault(stand, stand);
            String said = group.section(linted);
            if (said == null) said = r.out();
            if (baked != null) said = said.replace(linted.toString(), chart + " " + values.describe() + " (baked into a copy's values.yaml)");
            Report.expect(!said.contains("[WARNING]") && !said.contains("[ERROR]"), "lint reported: %s", said.strip());
            // With several charts in one run, a failed run is explained by another chart's section.
            boolean explained = group.charts.stream().anyMatch(c -> !group.clean(c));
            Report.expect(r.ok() || explained, "lint failed: %s", r.said());
        }, group.result));
    }

    void check(String name, String context, Report.Body body) { checks.add(new Check(name, context, body, null)); }

    /** A check whose input (a lint or a refusal) starts early when the check is selected. */
    void check(String name, String context, Report.Body body, Once<?> input) { checks.add(new Check(name, context, body, input)); }

    /** The names of the checks, in the order they report. */
    List<String> names() { return checks.stream().map(Check::name).toList(); }

    /**
     * A chart verify builds for itself from another (a copy with one more template, a parent
     * chart holding it), made when the run starts: kept with the remembered helm runs, named by
     * what it is made of (so made once per content of the chart it comes from), else in the
     * scratch folder. The path returned stands for it until then. It renders under an alias as
     * the chart it is derived from does, so that chart's comparison speaks for it too.
     */
    Path fixture(String name, Path derivedFrom, java.util.function.Function<Path, ChartFixtures.Fixture> make) {
        Path dir = scratch.resolve(name);
        fixtures.put(dir, make);
        origins.put(dir, derivedFrom);
        return dir;
    }

    Path scratch() { return scratch; }

    /** What was declared, in order (the batch tests render each one both ways). */
    List<Scenario> scenarios() { return List.copyOf(scenarios); }

    List<Refusals.Refusal> refusals() { return refusals.all(); }

    private Path origin(Path chart) { return origins.getOrDefault(chart, chart); }

    <T> T run(String label, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            runs.add(new HelmRun(label, (start - t0) / 1_000_000, (System.nanoTime() - t0) / 1_000_000));
        }
    }

    // ---------------------------------------------------------------- planning

    /**
     * Groups the renders into umbrella batches (scenarios by release and namespace) and the
     * refusals into theirs ({@link Refusals}).
     */
    synchronized void plan() {
        if (planned) return;
        planned = true;
        try {
            Files.createDirectory(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        fixtures.forEach((stand, make) -> {
            Path from = origins.get(stand);
            Path dir = helmRuns.fixture(make.apply(from), from, stand);
            if (dir.equals(stand)) return;
            origins.put(dir, from);
            for (var s : scenarios) if (s.chart.equals(stand)) s.chart = dir;
            for (var g : lints.values()) g.charts.replaceAll(c -> c.equals(stand) ? dir : c);
            placed.put(stand, dir);
            refusals.moved(stand, dir);
        });
        // Per chart, the first scenario renders on its own, and again as the twin in its batch;
        // a chart verify built renders as the chart it comes from.
        var guards = new LinkedHashMap<Path, Scenario>();
        var groups = new LinkedHashMap<String, List<Scenario>>();
        for (var s : scenarios) {
            if (!RenderBatch.canHold(s.chart, s.values)) continue;
            if (!origins.containsKey(s.chart)) guards.putIfAbsent(s.chart, s);
            groups.computeIfAbsent(s.release + "\u0000" + s.namespace, k -> new ArrayList<>()).add(s);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        for (var group : groups.values()) {
            var twins = group.stream().filter(guards::containsValue).toList();
            var members = group.stream().filter(s -> !guards.containsValue(s) && guards.containsKey(origin(s.chart))).toList();
            if (members.size() + twins.size() < 2) continue;
            // One umbrella per 8 members at most, and one core left for the JVM and the other
            // helm processes, which all run at once (see HeadStart): on 2 cores, one process
            // start saved is worth more than a second process.
            int n = Math.max(1, Math.min(cores - 1, (members.size() + twins.size()) / 8));
            var chunk = new ArrayList<Batch>();
            for (int i = 0; i < n; i++) chunk.add(new Batch("batch-" + (batches.size() + i), group.get(0).release, group.get(0).namespace));
            for (var g : twins) {
                var b = chunk.get(0);
                String twin = b.add(g.chart, g.values);
                trust.put(g.chart, new Once<>(() -> sameUnderAlias(g, b, twin)));
            }
            for (int i = 0; i < members.size(); i++) {
                var s = members.get(i);
                s.batch = chunk.get((i + twins.size()) % n);
                s.alias = s.batch.add(s.chart, s.values);
            }
            batches.addAll(chunk);
        }
        refusals.plan();
    }

    /** Whether the chart renders the same on its own and as an alias of the batch. */
    private boolean sameUnderAlias(Scenario guard, Batch batch, String twin) {
        List<Manifests.Obj> own;
        try {
            own = guard.objs();
        } catch (RuntimeException e) {
            return false; // the guard's own check reports it; nothing to compare with
        }
        var r = batch.rendered.get();
        if (!r.result().ok()) return false;
        List<Manifests.Obj> aliased;
        try {
            aliased = parse(r.docs().get(twin));
        } catch (RuntimeException e) {
            return false;
        }
        if (own.equals(aliased)) return true;
        String where = "a different number of objects";
        for (int i = 0; i < Math.min(own.size(), aliased.size()); i++) {
            if (!own.get(i).equals(aliased.get(i))) {
                where = own.get(i).id() + " from " + own.get(i).source();
                break;
            }
        }
        System.err.println("verify: " + guard.chart + " renders differently as an aliased dependency than on its own (" + where
                + "); each of its scenarios renders on its own");
        return false;
    }

    // ---------------------------------------------------------------- running

    void run() {
        plan();
        int cores = Runtime.getRuntime().availableProcessors();
        // Load the schema and YAML classes while helm renders: class loading is most of a cold check.
        var warm = new Thread(KubeSchema::warmUp, "warm-up");
        warm.setDaemon(true);
        warm.start();
        ExecutorService pool = pool("helm", Math.max(2, cores * 2));
        ExecutorService checking = pool("check", Math.max(2, cores));
        try {
            var wanted = checks.stream().filter(c -> report.selected(c.name())).toList();
            if (wanted.size() == checks.size()) {
                // Everything up front, the longest first. Under --only, a render starts when a
                // selected check first asks for it, so a narrow --only stays fast.
                var big = batches.stream().sorted(Comparator.comparingInt(b -> -b.members.size())).toList();
                big.stream().filter(b -> b.members.size() >= 8).forEach(b -> b.rendered.start(pool));
                refusals.startBatches(pool);
                big.forEach(b -> b.rendered.start(pool));
                scenarios.stream().filter(s -> s.batch == null).forEach(s -> s.objs.start(pool));
                refusals.startOwn(pool);
                lints.values().forEach(l -> l.result.start(pool));
            } else {
                wanted.stream().filter(c -> c.input() != null).forEach(c -> c.input().start(pool));
            }
            long t1 = System.nanoTime();
            var results = wanted.stream()
                    .map(c -> CompletableFuture.supplyAsync(() -> Report.evaluate(c.name(), c.context(), c.body()), checking)).toList();
            results.forEach(r -> report.record(r.join()));
            if (timings != null) printTimings(t1, wanted.size());
        } finally {
            pool.shutdownNow();
            checking.shutdownNow();
            Dirs.deleteTree(scratch);
            helmRuns.prune();
        }
    }

    private static ExecutorService pool(String name, int threads) {
        return Executors.newFixedThreadPool(threads, r -> {
            var t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    private void printTimings(long t1, int checked) {
        timings.printf("verify: clock runner %d%n", System.currentTimeMillis() - (System.nanoTime() - t0) / 1_000_000);
        var all = new ArrayList<>(runs);
        all.sort(Comparator.comparingLong(HelmRun::startMs));
        for (var r : all) timings.printf("verify: helm %d ms (at %d ms) %s%n", r.endMs() - r.startMs(), r.startMs(), r.label());
        long rendered = all.stream().mapToLong(HelmRun::endMs).max().orElse(0);
        timings.printf("verify: stage render %d ms (%d scenarios, %d helm processes in parallel)%n", rendered, scenarios.size(), all.size());
        timings.printf("verify: stage checks %d ms (%d checks, overlapping the renders they wait for)%n", (System.nanoTime() - t1) / 1_000_000,
                checked);
    }
}
