import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs named checks over real helm output. Check groups declare scenarios (one render each),
 * deferred helm runs (lints, rejection batches) and checks; {@link #run} starts every helm
 * process up front, in parallel, evaluates the checks in parallel as their inputs arrive, and
 * reports them in the order they were declared.
 */
final class CheckRunner {
    record Check(String name, String context, Report.Body body, boolean listed) {}

    final Helm helm;
    private final Report report;
    private final PrintStream timings;
    private final List<Scenario> scenarios = new ArrayList<>();
    private final List<Check> checks = new ArrayList<>();
    private final Map<String, Deferred> batches = new LinkedHashMap<>();
    private Path scratch;

    CheckRunner(Helm helm, Report report, PrintStream timings) {
        this.helm = helm;
        this.report = report;
        this.timings = timings;
    }

    /** One render of a chart, started in the background and awaited by the checks. */
    final class Scenario {
        final String name;
        final Path chart;
        final String release;
        final String namespace;
        final Helm.Values values;
        private CompletableFuture<List<Manifests.Obj>> objs;
        private volatile long doneAt;

        private Scenario(String name, Path chart, String release, String namespace, Helm.Values values) {
            this.name = name;
            this.chart = chart;
            this.release = release;
            this.namespace = namespace;
            this.values = values;
        }

        /** The rendered objects; a failed render fails the check that asks. */
        List<Manifests.Obj> objs() {
            synchronized (this) {
                // Rendered here, not queued: a check waiting on the pool it runs in could deadlock.
                if (objs == null) objs = CompletableFuture.completedFuture(null).thenApply(x -> render());
            }
            try {
                return objs.join();
            } catch (CompletionException e) {
                throw new Report.Failure("scenario '" + name + "' did not render: " + e.getCause().getMessage());
            }
        }

        String context() { return values.describe(); }

        private synchronized void start(ExecutorService pool) {
            if (objs == null) objs = CompletableFuture.supplyAsync(this::render, pool);
        }

        private List<Manifests.Obj> render() {
            try {
                var r = helm.template(release, chart, namespace, values);
                if (!r.ok()) throw new IllegalStateException("helm template failed: " + r.said());
                return Manifests.parse(r.out());
            } finally {
                doneAt = System.nanoTime();
            }
        }
    }

    /** A check whose work (a helm process) can start before its turn to report. */
    static final class Deferred implements Report.Body {
        private final Supplier<Exec.Result> work;
        private final Consumer<Exec.Result> verdict;
        private CompletableFuture<Exec.Result> result;

        Deferred(Supplier<Exec.Result> work, Consumer<Exec.Result> verdict) {
            this.work = work;
            this.verdict = verdict;
        }

        synchronized void start(ExecutorService pool) {
            if (result == null) result = CompletableFuture.supplyAsync(work, pool);
        }

        /** The work's result, run here if nobody started it (so batches can share one run). */
        synchronized Exec.Result result() {
            if (result == null) result = CompletableFuture.completedFuture(work.get());
            return result.join();
        }

        @Override public void run() { verdict.accept(result()); }
    }

    // ---------------------------------------------------------------- declaring

    Scenario scenario(String name, Path chart, String release, String namespace, Helm.Values values) {
        var s = new Scenario(name, chart, release, namespace, values);
        scenarios.add(s);
        return s;
    }

    void check(String name, String context, Report.Body body) { checks.add(new Check(name, context, body, true)); }

    /** A check that runs and reports but is not named by {@link #names}. */
    void unlistedCheck(String name, String context, Report.Body body) { checks.add(new Check(name, context, body, false)); }

    /** One helm run that several checks share (the first to ask runs it, unless the runner started it). */
    Deferred batch(String key, Supplier<Exec.Result> work) { return batches.computeIfAbsent(key, k -> new Deferred(work, r -> {})); }

    /** The names of the checks, in the order they report. */
    List<String> names() { return checks.stream().filter(Check::listed).map(Check::name).toList(); }

    /** A folder for copies of charts, removed when the run ends. */
    synchronized Path scratch() {
        if (scratch == null) {
            try {
                scratch = Files.createTempDirectory("trevor-verify-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    // ---------------------------------------------------------------- running

    void run() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            var t = new Thread(r, "render");
            t.setDaemon(true);
            return t;
        });
        try {
            long t0 = System.nanoTime();
            var wanted = checks.stream().filter(c -> report.selected(c.name())).toList();
            boolean all = wanted.size() == checks.size();
            // Everything renders up front and in parallel; under --only, a scenario renders when a
            // selected check first asks for it, so a narrow --only stays fast.
            if (all) scenarios.forEach(s -> s.start(pool));
            // Load the schema and YAML classes while helm renders: class loading is most of a cold check.
            var warm = CompletableFuture.runAsync(KubeSchema::warmUp, pool);
            for (var c : wanted) {
                if (c.body() instanceof Deferred d) d.start(pool);
            }
            if (all) batches.values().forEach(b -> b.start(pool));
            warm.join();
            long t1 = System.nanoTime();
            var results = wanted.stream()
                    .map(c -> CompletableFuture.supplyAsync(() -> Report.evaluate(c.name(), c.context(), c.body()), pool)).toList();
            results.forEach(r -> report.record(r.join()));
            if (timings != null) {
                // Measured, not waited for: -v must not change the schedule it reports on.
                long rendered = scenarios.stream().filter(s -> s.objs != null && s.objs.isDone())
                        .mapToLong(s -> s.doneAt).max().orElse(t1);
                long end = System.nanoTime();
                long deferred = checks.stream().filter(c -> c.body() instanceof Deferred).count();
                timings.printf("verify: stage render %d ms (%d scenarios, %d helm processes in parallel)%n", (rendered - t0) / 1_000_000,
                        scenarios.size(), scenarios.size() + deferred + batches.size());
                timings.printf("verify: stage checks %d ms (%d checks, overlapping the renders they wait for)%n", (end - t1) / 1_000_000,
                        wanted.size());
            }
        } finally {
            pool.shutdownNow();
            Dirs.deleteTree(scratch);
        }
    }
}
