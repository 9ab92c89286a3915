///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//DEPS net.jqwik:jqwik:1.10.1
//DEPS org.junit.platform:junit-platform-launcher:6.1.1
//SOURCES lib/node/WholeCluster.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/tools/Exec.java
//SOURCES lib/kube/Helm.java
//SOURCES lib/cli/HelmOptions.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/cluster/KwokCluster.java
//SOURCES lib/kube/Manifests.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/report/Progress.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/report/Report.java
//SOURCES lib/tools/Tools.java
//SOURCES lib/tools/Yaml.java

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "properties", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Property-based test of the chart (jqwik): generates values that values.schema.json accepts (bounds, "
                + "percentages, names at length limits, duplicate names, optional blocks on and off, knobs combined), renders "
                + "each with helm template and submits every render to a kwok cluster's API server as a server-side dry run. "
                + "Every render helm accepts must be accepted; a failing case prints its values (shrunk) and the API server's message.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every render helm accepted, the API server accepted", "1:a generated case failed (its values are printed)",
                "2:bad option, missing tool, or the cluster could not be had"})
public class properties implements Callable<Integer> {
    @Mixin HelmOptions helmOptions;

    @Option(names = "--tries", paramLabel = "N", defaultValue = "40",
            description = "Generated tries; each submits up to --batch cases in one dry run (default: ${DEFAULT-VALUE}, CI's bound).")
    int tries;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "20261206",
            description = "Random seed; the same seed generates the same cases (default: ${DEFAULT-VALUE}; CI's). Hunt with another.")
    String seed;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "4",
            description = "Most cases per try, each in a namespace of its own, dry-run in one kubectl call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--survey", paramLabel = "N", description = "Instead of the property: try N generated cases one by one, without "
            + "stopping or shrinking, and list every distinct refusal with one case that shows it (for a person mapping the chart's gaps).")
    Integer survey;

    @Option(names = "--name", defaultValue = "trevor-properties", description = "kwok cluster name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--chart", paramLabel = "DIR", description = "Chart to test (default: helm/trevor of this repository).")
    Path chart;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Option(names = "--keep", description = "Leave the cluster running at the end.")
    boolean keep;

    public static void main(String[] args) { System.exit(Cli.execute(new properties(), args)); }

    /** What the property needs, set before the engine runs it (jqwik makes its own instances). */
    static final class Run {
        static Helm helm;
        static Kube kube;
        static Path chart;
        static int tries;
        static String seed;
        static int batch;
        static final Map<String, Integer> helmReasons = new java.util.concurrent.ConcurrentHashMap<>();
        static final Map<String, String> surveyed = new java.util.concurrent.ConcurrentHashMap<>();
        static final AtomicInteger rendered = new AtomicInteger(), refusedByHelm = new AtomicInteger(), submitted = new AtomicInteger();
        static final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            var t = new Thread(r, "render");
            t.setDaemon(true);
            return t;
        });
    }

    static final String NAMESPACE_PREFIX = "props-";

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path repo = Repo.root();
        if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository");
        if (tries < 1) throw new Problem.BadInput("--tries must be at least 1, not " + tries);
        if (batch < 1 || batch > 20) throw new Problem.BadInput("--batch must be 1 to 20, not " + batch);
        KwokCluster.checkName(name);
        Path chartDir = (chart != null ? chart : repo.resolve("helm/trevor")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(chartDir.resolve("Chart.yaml"))) throw new Problem.BadInput("--chart " + chartDir + " holds no Chart.yaml");
        var progress = new Progress("properties", System.out);
        var helm = helmOptions.resolve(progress::info);
        var kubectl = Tools.kubectl(progress::info);
        var report = new Report("properties (helm " + helm.major + ")", System.out, null, false);
        Path kubeconfig = Files.createTempDirectory("trevor-properties-kube").resolve("kubeconfig");
        try {
            var cluster = progress.step("cluster up " + name, () -> WholeCluster.up(repo, name, kubeconfig, false, progress::info));
            var kube = new Kube(kubectl, cluster.context(), cluster.kubeconfig());
            progress.step("namespaces and the ServiceMonitor CRD", () -> prepare(kube, repo));
            Run.helm = helm;
            Run.kube = kube;
            Run.chart = chartDir;
            Run.tries = tries;
            Run.seed = seed;
            Run.batch = batch;
            progress.info("chart " + chartDir + ", helm " + helm.version + ", " + tries + " tries of up to " + batch + " cases, seed " + seed);
            if (survey != null) {
                progress.step("survey of " + survey + " cases", () -> survey(repo, survey, report));
            } else {
                progress.step("property: every render helm accepts, the API server accepts", () -> runProperty(repo, report));
            }
            progress.info(String.format("%d cases submitted (shrinking included): %d rendered and accepted by the API server, "
                    + "%d refused by helm naming the value", Run.submitted.get(), Run.rendered.get(), Run.refusedByHelm.get()));
        } finally {
            if (!keep) progress.step("cluster down " + name, () -> WholeCluster.down(name, kubeconfig, progress::info));
        }
        progress.printTimings();
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("properties: total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.println(report.summary());
        return report.failed() ? 1 : 0;
    }

    /**
     * One namespace per case of a batch (objects of several cases then never share a name),
     * labelled for Pod Security "restricted" as install.java labels a release's namespace;
     * and the ServiceMonitor kind, which a bare API server does not know.
     */
    private static void prepare(Kube kube, Path repo) {
        var docs = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            docs.append("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ").append(NAMESPACE_PREFIX).append(i)
                    .append("\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/warn: restricted\n");
        }
        var r = kube.runWithInput(docs.toString(), "apply", "--server-side", "--field-manager=trevor-properties", "-f", "-");
        if (!r.ok()) throw new Problem.Refused("could not create the test namespaces: " + r.said());
        var crd = kube.run("apply", "--server-side", "--field-manager=trevor-properties", "-f",
                repo.resolve("scripts/properties/servicemonitor-crd.yaml").toString());
        if (!crd.ok()) throw new Problem.Refused("could not install the ServiceMonitor CRD: " + crd.said());
        var est = kube.run(Duration.ofMinutes(2), "wait", "--for=condition=Established", "--timeout=90s", "crd/servicemonitors.monitoring.coreos.com");
        if (!est.ok()) throw new Problem.Refused("the ServiceMonitor CRD did not become established: " + est.said());
    }

    private static void runProperty(Path repo, Report report) {
        // jqwik cannot write its database into a folder that is not there (a fresh clone has no build/),
        // and then fails the whole engine rather than the write.
        try {
            Files.createDirectories(repo.resolve("build"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(ChartProperties.class))
                // jqwik remembers failed samples in a database to try them first next time: CI must
                // not depend on an earlier run, so it lives under build/ and the seed decides.
                .configurationParameter("jqwik.database", repo.resolve("build/jqwik-database").toString())
                .configurationParameter("jqwik.reporting.usejunitplatform", "false")
                // A failing case is worth a minute and a half of shrinking: each step is a render and a dry run.
                .configurationParameter("jqwik.shrinking.bounded.seconds", "90")
                .build();
        var started = new java.util.concurrent.ConcurrentHashMap<String, Long>();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override public void executionStarted(TestIdentifier id) { started.put(id.getUniqueId(), System.nanoTime()); }

            @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                if (!id.isTest() && r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) return;
                long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
                boolean ok = r.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                String detail = ok ? "" : r.getThrowable().map(t -> String.valueOf(t.getMessage())).orElse("");
                report.record(new Report.Result(id.getDisplayName(), ok ? Report.Status.PASS : Report.Status.FAIL, detail, "seed " + Run.seed, ms));
            }
        });
        if (report.results().isEmpty()) report.record(new Report.Result("chart properties", Report.Status.FAIL, "no property ran", "", 0));
    }

    /** Each case alone, none skipped after a failure: every distinct refusal, with the first case that shows it. */
    private static void survey(Path repo, int n, Report report) {
        Run.tries = n;
        Run.surveyed.clear();
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Survey.class))
                .configurationParameter("jqwik.database", repo.resolve("build/jqwik-database").toString())
                .configurationParameter("jqwik.reporting.usejunitplatform", "false")
                .build();
        LauncherFactory.create().execute(request);
        System.out.println("what helm refused, most often first:");
        Run.helmReasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(15)
                .forEach(e -> System.out.printf("%5d %s%n", e.getValue(), e.getKey()));
        report.record(new Report.Result("survey of " + n + " cases: " + Run.surveyed.size() + " distinct refusals",
                Run.surveyed.isEmpty() ? Report.Status.PASS : Report.Status.FAIL, "", "seed " + Run.seed, 0));
    }

    public static class Survey {
        @Property(shrinking = net.jqwik.api.ShrinkingMode.OFF)
        @AddLifecycleHook(FromCommandLine.class)
        void everyCaseAlone(@ForAll("oneCase") Case c) throws Exception {
            try {
                new ChartProperties().everyRenderHelmAcceptsTheApiServerAccepts(List.of(c));
            } catch (AssertionError t) {
                String msg = String.valueOf(t.getMessage());
                String said = msg.contains("\nvalues") ? msg.substring(0, msg.indexOf("\nvalues")) : msg;
                // The same refusal of another object or value: names and numbers aside.
                String key = said.replaceAll("\"[^\"]*\"", "\"…\"").replaceAll("[0-9]+", "N");
                if (Run.surveyed.putIfAbsent(key, msg) == null) {
                    System.out.println("--- refusal " + Run.surveyed.size() + ":\n" + msg);
                }
            }
        }

        @Provide
        Arbitrary<Case> oneCase() { return Generators.cases(); }
    }

    /** Tries and seed from the command line: jqwik's annotation attributes are compile-time constants. */
    public static final class FromCommandLine implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            context.attributes().setTries(Run.tries);
            context.attributes().setSeed(Run.seed);
            context.attributes().setAfterFailure(net.jqwik.api.AfterFailureMode.RANDOM_SEED);
            // Edge cases would be every knob's odd choice at once: refused by helm, never rendered.
            // The choices hold the bounds themselves.
            context.attributes().setEdgeCases(net.jqwik.api.EdgeCasesMode.NONE);
            return property.execute();
        }
    }

    /** One generated case: a release name and the values given to helm. */
    record Case(String release, Map<String, Object> values) {
        String yaml() { return Yaml.dump(copy(values)); }

        /** A tree of its own: shared instances would be dumped as YAML anchors, which read badly in a failure. */
        @SuppressWarnings("unchecked")
        static <T> T copy(T o) {
            if (o instanceof Map<?, ?> m) {
                var out = new LinkedHashMap<Object, Object>();
                m.forEach((k, v) -> out.put(k, copy(v)));
                return (T) out;
            }
            if (o instanceof List<?> l) return (T) l.stream().map(Case::copy).collect(java.util.stream.Collectors.toList());
            return o;
        }

        @Override public String toString() { return "\n# release " + release + "\n" + yaml(); }
    }

    public static class ChartProperties {
        @Property(shrinking = net.jqwik.api.ShrinkingMode.BOUNDED)
        @AddLifecycleHook(FromCommandLine.class)
        void everyRenderHelmAcceptsTheApiServerAccepts(@ForAll("batches") List<Case> cases) throws Exception {
            var renders = new ArrayList<Future<Exec.Result>>();
            for (int i = 0; i < cases.size(); i++) {
                var c = cases.get(i);
                String ns = NAMESPACE_PREFIX + i;
                renders.add(Run.pool.submit(() -> Run.helm.template(c.release(), Run.chart, ns, new Helm.Values(List.of(), List.of(), c.yaml()))));
            }
            var docs = new StringBuilder();
            var serviceAccounts = new LinkedHashSet<String>();
            var problems = new ArrayList<String>();
            for (int i = 0; i < cases.size(); i++) {
                var c = cases.get(i);
                var r = renders.get(i).get();
                Run.submitted.incrementAndGet();
                if (!r.ok()) {
                    r.said().lines().filter(l -> l.startsWith("- ")).map(l -> l.replaceAll("[0-9]+", "N").replaceAll("\\(.*", ""))
                            .forEach(l -> Run.helmReasons.merge(l, 1, Integer::sum));
                    if (!namesTheValue(r.said())) problems.add("helm refused the values without naming them:\n" + r.said() + "\nvalues:" + c);
                    Run.refusedByHelm.incrementAndGet();
                    continue;
                }
                Run.rendered.incrementAndGet();
                for (var o : Manifests.parse(r.out())) {
                    @SuppressWarnings("unchecked") var meta = (Map<String, Object>) o.body().get("metadata");
                    meta.putIfAbsent("namespace", NAMESPACE_PREFIX + i);
                    String operator = OperatorRules.problem(o);
                    if (operator != null) problems.add(operator + "\nvalues:" + c);
                    if ("Pod".equals(o.kind())) {
                        Object sa = Yaml.at(o.body(), "spec.serviceAccountName");
                        if (sa != null) serviceAccounts.add(meta.get("namespace") + "/" + sa);
                    }
                    docs.append("---\n").append(Yaml.dump(o.body()));
                }
            }
            if (!problems.isEmpty()) throw new AssertionError(String.join("\n\n", problems));
            if (docs.isEmpty()) return;
            ensureServiceAccounts(serviceAccounts);
            var r = Run.kube.runWithInput(docs.toString(), "apply", "--server-side", "--force-conflicts", "--field-manager=trevor-properties",
                    "--dry-run=server", "-f", "-");
            var refused = new ArrayList<String>();
            if (!r.ok()) refused.add(r.err().strip());
            r.err().lines().filter(l -> l.contains("would violate PodSecurity")).forEach(refused::add);
            if (!refused.isEmpty()) {
                throw new AssertionError("the API server refused what helm rendered (server-side dry run):\n" + String.join("\n", refused)
                        + "\nvalues of the " + cases.size() + " case(s), namespaces " + NAMESPACE_PREFIX + "0..:" + cases);
            }
        }

        @Provide
        Arbitrary<List<Case>> batches() { return Generators.cases().list().ofMinSize(1).ofMaxSize(Run.batch); }
    }

    /**
     * A refusal that names its value: the values schema's report, or validate.yaml's list. Anything
     * else (a template that crashed on a value) is a defect of the chart too.
     */
    static boolean namesTheValue(String said) {
        return said.contains("values don't meet the specifications of the schema") || said.contains("problem in the values:")
                || said.contains("problems in the values:");
    }

    /**
     * The helm test Pod runs as the chart's ServiceAccount (or one the user names), and a Pod's
     * admission looks it up even in a dry run, where the apply's own ServiceAccount is not stored.
     * Installing the chart creates it first; here it is created for real, once.
     */
    private static final java.util.Set<String> createdAccounts = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void ensureServiceAccounts(java.util.Set<String> accounts) {
        var docs = new StringBuilder();
        for (String a : accounts) {
            if (createdAccounts.contains(a)) continue;
            String[] nsName = a.split("/", 2);
            docs.append("---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ").append(Yaml.json(nsName[1]))
                    .append("\n  namespace: ").append(nsName[0]).append("\n");
        }
        if (docs.isEmpty()) return;
        var r = Run.kube.runWithInput(docs.toString(), "apply", "--server-side", "--field-manager=trevor-properties", "-f", "-");
        if (!r.ok()) throw new AssertionError("could not create the ServiceAccounts the test Pod runs as (" + accounts + "): " + r.said());
        createdAccounts.addAll(accounts);
    }

    /**
     * What the Prometheus Operator documents beyond its CRD's schema: a ServiceMonitor endpoint's
     * scrapeTimeout must not exceed its interval (Prometheus refuses such a scrape config, and
     * the operator then skips the ServiceMonitor).
     */
    static final class OperatorRules {
        private static final Pattern PART = Pattern.compile("([0-9]+)(ms|y|w|d|h|m|s)");
        private static final Map<String, Long> UNIT = Map.of("ms", 1L, "s", 1000L, "m", 60_000L, "h", 3_600_000L, "d", 86_400_000L,
                "w", 604_800_000L, "y", 31_536_000_000L);

        static String problem(Manifests.Obj o) {
            if (!"ServiceMonitor".equals(o.kind())) return null;
            for (var e : Yaml.maps(o.body(), "spec.endpoints")) {
                Object interval = e.get("interval"), timeout = e.get("scrapeTimeout");
                if (interval == null || timeout == null) continue;
                if (millis(timeout.toString()) > millis(interval.toString())) {
                    return "the Prometheus Operator refuses ServiceMonitor " + o.name() + ": endpoint scrapeTimeout " + timeout
                            + " exceeds its interval " + interval;
                }
            }
            return null;
        }

        static long millis(String duration) {
            long total = 0;
            var m = PART.matcher(duration);
            while (m.find()) total += Long.parseLong(m.group(1)) * UNIT.get(m.group(2));
            return total;
        }
    }

    /**
     * Values the schema accepts, knob by knob: each knob's choices are its bounds and the values
     * around them, a usual value first (jqwik shrinks towards it); optional blocks are on or off;
     * lists may repeat a name. A case is every knob at once, so each is combined with the others.
     */
    static final class Generators {
        static final Object UNSET = new Object() {
            @Override public String toString() { return "(unset)"; }
        };

        static String repeat(char c, int n) { return String.valueOf(c).repeat(n); }

        /** A lowercase DNS label of exactly n characters. */
        static String label(int n) { return n == 1 ? "a" : "a" + repeat('b', n - 2) + "c"; }

        static Arbitrary<Case> cases() {
            var release = Arbitraries.of("trevor", "t", label(53), "prod-" + label(48), "9trevor");
            return Combinators.combine(release, values()).as(Case::new);
        }

        static Arbitrary<Map<String, Object>> values() {
            return all(List.of(
                    set("nameOverride", Arbitraries.of("", "api", label(63), "7up")),
                    set("fullnameOverride", Arbitraries.of("", "trevor-api", label(63), "0trevor")),
                    set("image.tag", Arbitraries.of("", "1.4.2", "v1.0.0-rc.1", "build_7", repeat('a', 128), "1.0_", "_beta")),
                    set("image.digest", Arbitraries.of("", "sha256:" + repeat('a', 64))),
                    set("commonLabels", labels()),
                    set("podLabels", labels()),
                    set("podAnnotations", annotations()),
                    set("replicaCount", Arbitraries.of(1, 0, 2, 3)),
                    set("revisionHistoryLimit", Arbitraries.of(5, 0)),
                    strategy(),
                    set("containerPort", Arbitraries.of(8000, 1, 65535)),
                    serviceAccount(),
                    set("tmpVolume.sizeLimit", Arbitraries.of("256Mi", "1Mi", "1.5Gi", "64M")),
                    set("tmpVolume.medium", Arbitraries.of("", "Memory")),
                    service(),
                    ingress(),
                    resources("resources"),
                    probes(),
                    set("terminationGracePeriodSeconds", rare(Arbitraries.of(30, 3600), 0, 1)),
                    set("preStopSleepSeconds", rare(Arbitraries.of(0, 1, 29), 30, 3600)),
                    set("topologySpreadConstraints", spread()),
                    set("env", Arbitraries.of(Map.of(), Map.of("APP_MODE", "debug"), Map.of("HOME", "/home/x", "_X.y-z", "1"))),
                    set("extraEnv", extraEnv()),
                    set("envFromSecrets", Arbitraries.of(List.of(), List.of(Map.of("secretName", "trevor-env")),
                            List.of(Map.of("secretName", "trevor-env"), Map.of("secretName", "trevor-env", "optional", true)),
                            List.of(Map.of("secretName", "a." + label(251))))),
                    opentelemetry(),
                    set("sidecars", containers(List.of("proxy", "log-shipper", label(63)), "Proxy_1", "setup")),
                    set("extraInitContainers", containers(List.of("setup", "wait-for-db"), "proxy")),
                    volumes(),
                    metrics(),
                    autoscaling("autoscaling"),
                    pdb("podDisruptionBudget"),
                    worker(),
                    migrations(),
                    networkPolicy(),
                    set("tests.enabled", Arbitraries.of(false, true))));
        }

        static Arbitrary<Object> labels() {
            return rare(Arbitraries.of(Map.of(), Map.of("team", "payments"), Map.of("example.com/team", label(63)), Map.of("tier", "")),
                    Map.of("team", "a b"), Map.of("bad key", "x"), Map.of("team", label(64)));
        }

        static Arbitrary<Object> annotations() {
            return rare(Arbitraries.of(Map.of(), Map.of("example.com/owner", "payments team, room 4")), Map.of("bad key", "x"));
        }

        /**
         * Usual choices, and now and then one that the schema or validate.yaml must refuse: a case
         * holds every knob at once, so frequent refusals would leave few renders for the API server.
         */
        @SafeVarargs
        static <T> Arbitrary<T> rare(Arbitrary<T> usual, T... odd) {
            return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(40, usual), net.jqwik.api.Tuple.of(1, Arbitraries.of(odd)));
        }

        static Arbitrary<Map<String, Object>> strategy() {
            var surge = rare(Arbitraries.<Object>of("25%", 1, "100%", "150%"), 0, "0%");
            var unavailable = rare(Arbitraries.<Object>of(0, 1, "0%", "25%", "100%"), "101%");
            return Arbitraries.of("RollingUpdate", "Recreate").flatMap(type -> type.equals("Recreate")
                    // The defaults' rollingUpdate stays unless the values null it: both are a user's ways to say Recreate.
                    ? Arbitraries.of(true, false).map(alone -> alone ? nest("strategy.type", type)
                            : merged(List.of(nest("strategy.type", type), nest("strategy.rollingUpdate", null))))
                    : all(List.of(set("strategy.type", Arbitraries.just(type)), set("strategy.rollingUpdate.maxSurge", surge),
                            set("strategy.rollingUpdate.maxUnavailable", unavailable))));
        }

        static Arbitrary<Map<String, Object>> serviceAccount() {
            return all(List.of(set("serviceAccount.create", Arbitraries.of(true, false)),
                    set("serviceAccount.name", rare(Arbitraries.of("", "trevor-sa", label(63)), "Trevor_SA"))));
        }

        static Arbitrary<Map<String, Object>> service() {
            return all(List.of(set("service.type", Arbitraries.of("ClusterIP", "NodePort", "LoadBalancer")),
                    set("service.port", Arbitraries.of(80, 1, 65535)), set("service.nodePort", Arbitraries.of(0, 30000, 32767))));
        }

        static Arbitrary<Map<String, Object>> ingress() {
            var path = Arbitraries.<Object>of(Map.of("path", "/", "pathType", "Prefix"), Map.of("path", "/api", "pathType", "Exact"),
                    Map.of("path", "/x", "pathType", "ImplementationSpecific"));
            var host = Combinators.combine(rare(Arbitraries.of("trevor.example.com", "*.example.com", label(63) + ".example.com"),
                    "Trevor.example.com", "10.0.0.1"), path.list().ofMinSize(1).ofMaxSize(2)).as((h, p) -> (Object) Map.of("host", h, "paths", p));
            return optional("ingress.enabled", List.of(
                    set("ingress.className", rare(Arbitraries.of("", "nginx"), "Nginx_Class")),
                    set("ingress.hosts", host.list().ofMinSize(1).ofMaxSize(2).map(l -> (Object) l)),
                    set("ingress.tls", Arbitraries.of(List.of(), List.of(Map.of("secretName", "trevor-tls", "hosts", List.of("trevor.example.com")))))));
        }

        /** Request and limit pairs: equal, apart, in other units, and now and then a request above its limit. */
        static Arbitrary<Map<String, Object>> resources(String key) {
            var cpu = rare(Arbitraries.of(List.of("100m", "1"), List.of("1m", "1m"), List.of("0.5", "2000m"), List.of("1", "1000m")),
                    List.of("2", "1"), List.of("101m", "0.1"));
            var memory = rare(Arbitraries.of(List.of("256Mi", "512Mi"), List.of("1Mi", "1Mi"), List.of("64M", "1Gi"), List.of("1Gi", "1024Mi")),
                    List.of("2Gi", "1Gi"), List.of("1Gi", "1000M"));
            return all(List.of(cpu.map(p -> merged(List.of(nest(key + ".requests.cpu", p.get(0)), nest(key + ".limits.cpu", p.get(1))))),
                    memory.map(p -> merged(List.of(nest(key + ".requests.memory", p.get(0)), nest(key + ".limits.memory", p.get(1)))))));
        }

        static Arbitrary<Map<String, Object>> probes() {
            var parts = new ArrayList<Arbitrary<Map<String, Object>>>();
            for (String p : List.of("startup", "liveness", "readiness")) {
                parts.add(set("probes." + p + ".enabled", Arbitraries.of(true, false)));
                parts.add(set("probes." + p + ".periodSeconds", Arbitraries.of(10, 1)));
                parts.add(set("probes." + p + ".timeoutSeconds", Arbitraries.of(2, 1, 60)));
                parts.add(set("probes." + p + ".failureThreshold", Arbitraries.of(3, 1)));
            }
            parts.add(set("probes.readiness.successThreshold", Arbitraries.of(1, 3)));
            return all(parts);
        }

        static Arbitrary<Object> spread() {
            var c = Combinators.combine(Arbitraries.of("topology.kubernetes.io/zone", "kubernetes.io/hostname"),
                    Arbitraries.of("ScheduleAnyway", "DoNotSchedule"), Arbitraries.of(1, 5), Arbitraries.<Object>of(UNSET, 1, 3),
                    rare(Arbitraries.of(false), true))
                    .as((key, when, skew, min, anyway) -> {
                        var m = new LinkedHashMap<String, Object>(Map.of("topologyKey", key, "whenUnsatisfiable", when, "maxSkew", skew));
                        // minDomains belongs to DoNotSchedule; now and then it comes with ScheduleAnyway, which must be refused.
                        if (min != UNSET && (when.equals("DoNotSchedule") || anyway)) m.put("minDomains", min);
                        return (Object) m;
                    });
            return c.list().ofMaxSize(2).uniqueElements(m -> ((Map<?, ?>) m).get("topologyKey") + " " + ((Map<?, ?>) m).get("whenUnsatisfiable"))
                    .map(l -> (Object) l);
        }

        static Arbitrary<Object> extraEnv() {
            return rare(Arbitraries.<Object>of(Map.of("name", "LOG_LEVEL", "value", "info"),
                    Map.of("name", "POD_IP", "valueFrom", Map.of("fieldRef", Map.of("fieldPath", "status.podIP")))),
                    Map.of("name", "HOME", "value", "/x")).list().ofMaxSize(2).uniqueElements().map(l -> (Object) l);
        }

        static Arbitrary<Map<String, Object>> opentelemetry() {
            return optional("opentelemetry.enabled", List.of(set("opentelemetry.serviceName", Arbitraries.of("", "trevor-api", label(63)))));
        }

        /** Sidecars that meet Pod Security "restricted", as the chart's own containers do. */
        static Arbitrary<Object> containers(List<String> names, String... odd) {
            var restricted = Map.of("runAsNonRoot", true, "allowPrivilegeEscalation", false, "capabilities", Map.of("drop", List.of("ALL")),
                    "seccompProfile", Map.of("type", "RuntimeDefault"));
            return rare(Arbitraries.of(names), odd)
                    .map(n -> (Object) Map.of("name", n, "image", "busybox:1.36", "securityContext", restricted))
                    .list().ofMaxSize(2).uniqueElements().map(l -> (Object) l);
        }

        /** Volumes, and mounts mostly of those volumes; now and then a name twice, "tmp", /tmp, or a volume no one defined. */
        static Arbitrary<Map<String, Object>> volumes() {
            var names = rare(Arbitraries.of("certs", "config", label(63)), "tmp").list().ofMaxSize(2).uniqueElements();
            return names.flatMap(vols -> {
                var mountable = new ArrayList<String>(vols);
                var mount = Combinators.combine(mountable.isEmpty() ? Arbitraries.just("missing") : rare(Arbitraries.of(mountable), "missing"),
                        rare(Arbitraries.of("/etc/certs", "/etc/config"), "/tmp"))
                        .as((n, p) -> (Object) Map.of("name", n, "mountPath", p, "readOnly", true));
                var mounts = vols.isEmpty() ? Arbitraries.just((Object) List.of())
                        : mount.list().ofMaxSize(2).uniqueElements(m -> ((Map<?, ?>) m).get("mountPath")).map(l -> (Object) l);
                return mounts.map(m -> merged(List.of(
                        nest("extraVolumes", vols.stream().map(n -> (Object) Map.of("name", n, "emptyDir", Map.of())).toList()),
                        nest("extraVolumeMounts", m))));
            });
        }

        static Arbitrary<Map<String, Object>> metrics() {
            // Interval and timeout: at, below and (now and then) above each other, in every unit.
            var durations = List.of("0", "1ms", "500ms", "10s", "30s", "1m", "1h30m", "1d");
            var pair = Combinators.combine(Arbitraries.integers().between(0, durations.size() - 1), Arbitraries.integers().between(0, durations.size() - 1),
                    rare(Arbitraries.of(false), true)).as((a, b, above) -> {
                        int interval = Math.max(a, b), timeout = above && a != b ? interval : Math.min(a, b);
                        if (above && a != b) interval = Math.min(a, b);
                        return merged(List.of(nest("metrics.serviceMonitor.interval", durations.get(interval)),
                                nest("metrics.serviceMonitor.scrapeTimeout", durations.get(timeout))));
                    });
            var unset = rare(Arbitraries.of(false), true).map(none -> none ? nest("metrics.serviceMonitor.interval", "") : Map.<String, Object>of());
            var relabel = Arbitraries.<Object>of(Map.of("action", "replace", "sourceLabels", List.of("__meta_kubernetes_pod_name"), "targetLabel", "pod"),
                    Map.of("action", "hashmod", "modulus", 1, "sourceLabels", List.of("__address__"), "targetLabel", "shard"),
                    Map.of("action", "labeldrop", "regex", "tmp_.*"));
            return all(List.of(set("metrics.scrapeAnnotations", rare(Arbitraries.of(false), true)),
                    optional("metrics.serviceMonitor.enabled", List.of(
                            pair, unset,
                            set("metrics.serviceMonitor.labels", labels()),
                            set("metrics.serviceMonitor.relabelings", relabel.list().ofMaxSize(2).map(l -> (Object) l)),
                            set("metrics.serviceMonitor.metricRelabelings", relabel.list().ofMaxSize(1).map(l -> (Object) l))))));
        }

        static Arbitrary<Map<String, Object>> autoscaling(String key) {
            var minMax = rare(Arbitraries.of(List.of(2, 10), List.of(1, 1), List.of(3, 3), List.of(1, 100), List.of(2, 3)), List.of(3, 2));
            return optional(key + ".enabled", List.of(
                    minMax.map(p -> merged(List.of(nest(key + ".minReplicas", p.get(0)), nest(key + ".maxReplicas", p.get(1))))),
                    set(key + ".targetCPUUtilizationPercentage", rare(Arbitraries.<Object>of(80, 1, 1000), UNSET, 0)),
                    set(key + ".targetMemoryUtilizationPercentage", rare(Arbitraries.<Object>of(UNSET, 80, 1, 1000), 0))));
        }

        static Arbitrary<Map<String, Object>> pdb(String key) {
            return optional(key + ".enabled", List.of(
                    set(key + ".minAvailable", Arbitraries.<Object>of(1, 0, 2, "0%", "1%", "50%", "100%", "101%")),
                    set(key + ".maxUnavailable", rare(Arbitraries.<Object>of(UNSET, UNSET, UNSET, 1, 5, "1%", "50%", "100%"), 0, "0%", "101%"))));
        }

        static Arbitrary<Map<String, Object>> worker() {
            return optional("worker.enabled", List.of(set("worker.replicaCount", Arbitraries.of(1, 0, 2, 3)),
                    autoscaling("worker.autoscaling"), pdb("worker.podDisruptionBudget"), resources("worker.resources"),
                    set("worker.terminationGracePeriodSeconds", Arbitraries.of(30, 0, 1)),
                    set("worker.sidecars", containers(List.of("proxy", label(63)), "Proxy_1", "worker")), set("worker.topologySpreadConstraints", spread())));
        }

        static Arbitrary<Map<String, Object>> migrations() {
            return all(List.of(set("migrations.enabled", rare(Arbitraries.of(false), true)), set("migrations.hookEnabled", Arbitraries.of(true, false)),
                    set("migrations.backoffLimit", Arbitraries.of(2, 0, 6)), set("migrations.activeDeadlineSeconds", Arbitraries.of(600, 1)),
                    set("migrations.ttlSecondsAfterFinished", Arbitraries.<Object>of(UNSET, 0, 86400)),
                    set("migrations.hookDeletePolicy", Arbitraries.of("before-hook-creation,hook-succeeded", "before-hook-creation",
                            "before-hook-creation,hook-failed,hook-succeeded")),
                    resources("migrations.resources")));
        }

        static Arbitrary<Map<String, Object>> networkPolicy() {
            var port = Combinators.combine(Arbitraries.of(5432, 1, 65535), Arbitraries.of("TCP", "UDP", "SCTP"))
                    .as((p, proto) -> (Object) Map.of("port", p, "protocol", proto));
            var rule = Combinators.combine(Arbitraries.of("postgres", "redis"), port.list().ofMinSize(1).ofMaxSize(2))
                    .as((n, ports) -> (Object) Map.of("name", n, "ports", ports));
            return optional("networkPolicy.enabled", List.of(set("networkPolicy.egress", rule.list().ofMaxSize(3).map(l -> (Object) l)),
                    set("networkPolicy.ingressNamespace", Arbitraries.of("ingress-nginx", label(63))),
                    set("networkPolicy.ingressPodLabels", labels())));
        }

        // --- building values maps from knobs

        static Arbitrary<Map<String, Object>> set(String path, Arbitrary<?> a) {
            return a.map(v -> v == UNSET ? Map.<String, Object>of() : nest(path, v));
        }

        static Arbitrary<Map<String, Object>> all(List<Arbitrary<Map<String, Object>>> parts) {
            return Combinators.combine(parts).as(Generators::merged);
        }

        static Arbitrary<Map<String, Object>> optional(String enabledPath, List<Arbitrary<Map<String, Object>>> parts) {
            return Arbitraries.of(false, true).flatMap(on -> on
                    ? all(parts).map(m -> merged(List.of(m, nest(enabledPath, true))))
                    : Arbitraries.just(nest(enabledPath, false)));
        }

        static Map<String, Object> nest(String path, Object v) {
            var keys = path.split("\\.");
            Object out = v;
            for (int i = keys.length - 1; i >= 0; i--) {
                var m = new LinkedHashMap<String, Object>();
                m.put(keys[i], out);
                out = m;
            }
            @SuppressWarnings("unchecked") var m = (Map<String, Object>) out;
            return m;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> merged(List<Map<String, Object>> maps) {
            var out = new LinkedHashMap<String, Object>();
            for (var m : maps) {
                for (var e : m.entrySet()) {
                    Object old = out.get(e.getKey());
                    if (old instanceof Map && e.getValue() instanceof Map) {
                        out.put(e.getKey(), merged(List.of((Map<String, Object>) old, (Map<String, Object>) e.getValue())));
                    } else {
                        out.put(e.getKey(), e.getValue());
                    }
                }
            }
            return out;
        }
    }
}
