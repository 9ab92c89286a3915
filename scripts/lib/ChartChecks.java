//SOURCES Dirs.java
//SOURCES Exec.java
//SOURCES Helm.java
//SOURCES KubeSchema.java
//SOURCES Manifests.java
//SOURCES PodSecurity.java
//SOURCES Report.java
//SOURCES Selectors.java
//SOURCES Yaml.java

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The render half of the spec's test plan (steps 1–7 and 12) and what a chart reviewer
 * adds to it, as named checks over real `helm template` and `helm lint` output.
 */
final class ChartChecks {
    static final String RELEASE = "trevor";
    static final String NAMESPACE = "trevor";
    /** Helm's limit for release names: what the 63-character name rules must survive. */
    static final String LONG_RELEASE = "release-with-a-very-long-name-that-uses-all-53-chars";

    private final Helm helm;
    private final Path chart;
    private final Path valuesDir;
    private final Report report;
    private final PrintStream timings;
    private final Map<String, Scenario> scenarios = new LinkedHashMap<>();
    private final List<Rejection> rejections = new ArrayList<>();
    private final List<Lint> lints = new ArrayList<>();
    private final List<Check> checks = new ArrayList<>();
    private final Map<String, Deferred> batches = new LinkedHashMap<>();
    private ExecutorService pool;

    record Check(String name, String context, Report.Body body) {}

    /** One render of the chart, started in the background and awaited by the checks. */
    final class Scenario {
        final String name;
        final String release;
        final Helm.Values values;
        CompletableFuture<List<Manifests.Obj>> objs;
        volatile long doneAt;

        Scenario(String name, String release, Helm.Values values) {
            this.name = name;
            this.release = release;
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
            } catch (java.util.concurrent.CompletionException e) {
                throw new Report.Failure("scenario '" + name + "' did not render: " + e.getCause().getMessage());
            }
        }

        String context() { return values.describe(); }

        synchronized CompletableFuture<List<Manifests.Obj>> start(ExecutorService pool) {
            if (objs != null) return objs;
            objs = CompletableFuture.supplyAsync(this::render, pool);
            return objs;
        }

        private List<Manifests.Obj> render() {
            try {
                return parse(helm.template(release, chart, NAMESPACE, values));
            } finally {
                doneAt = System.nanoTime();
            }
        }

        private List<Manifests.Obj> parse(Exec.Result r) {
            if (!r.ok()) throw new IllegalStateException("helm template failed: " + r.said());
            return Manifests.parse(r.out());
        }
    }

    /** Values the schema or the templates must refuse, and words the refusal must contain. */
    record Rejection(String batch, String name, Helm.Values values, List<String> mustName) {}

    record Lint(String name, Helm.Values values) {}

    ChartChecks(Helm helm, Path chart, Path valuesDir, Report report, PrintStream timings) {
        this.helm = helm;
        this.chart = chart;
        this.valuesDir = valuesDir;
        this.report = report;
        this.timings = timings;
        defineScenarios();
        defineChecks();
    }

    List<String> names() { return checks.stream().map(Check::name).toList(); }

    // ---------------------------------------------------------------- scenarios

    private Scenario scenario(String name, String... sets) { return scenario(name, RELEASE, List.of(), sets); }

    private Scenario scenario(String name, String release, List<Path> files, String... sets) {
        var s = new Scenario(name, release, new Helm.Values(files, List.of(sets)));
        scenarios.put(name, s);
        return s;
    }

    private Scenario s(String name) { return Objects.requireNonNull(scenarios.get(name), name); }

    private void defineScenarios() {
        scenario("default");
        scenario("ingress-tls", "ingress.enabled=true", "ingress.tls[0].secretName=trevor-tls",
                "ingress.tls[0].hosts[0]=trevor.example.com");
        scenario("no-worker", "worker.enabled=false");
        scenario("autoscaling", "autoscaling.enabled=true");
        scenario("network-policy", "networkPolicy.enabled=true");
        scenario("init-migrations", "migrations.enabled=true", "migrations.hookEnabled=false");
        scenario("no-migrations", "migrations.enabled=false", "migrations.hookEnabled=false");
        scenario("two-secrets", "envFromSecrets[0].secretName=trevor-db", "envFromSecrets[1].secretName=trevor-s3",
                "migrations.enabled=false", "migrations.hookEnabled=true");
        scenario("two-secrets-init", "envFromSecrets[0].secretName=trevor-db", "envFromSecrets[1].secretName=trevor-s3",
                "migrations.enabled=true", "migrations.hookEnabled=false");
        scenario("replicas-3", "replicaCount=3");
        scenario("hpa-min-1", "replicaCount=5", "autoscaling.enabled=true", "autoscaling.minReplicas=1");
        scenario("pdb-max-unavailable", "replicaCount=3", "podDisruptionBudget.maxUnavailable=1");
        scenario("pdb-percent", "replicaCount=3", "--set-string podDisruptionBudget.minAvailable=60%",
                "worker.replicaCount=2", "--set-string worker.podDisruptionBudget.maxUnavailable=1%");
        scenario("overrides", "probes.liveness.path=/livez", "probes.readiness.path=/readyz",
                "probes.startup.path=/startz", "probes.startup.failureThreshold=90",
                "--set-json env={\"HOME\":\"/home/app\",\"DB_POOL_SIZE\":5}", "image.tag=1.2.3",
                "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        scenario("existing-service-account", "serviceAccount.create=false", "serviceAccount.name=trevor-existing");
        scenario("long-release-name", LONG_RELEASE, List.of(), "ingress.enabled=true", "networkPolicy.enabled=true",
                "autoscaling.enabled=true");
        scenario("everything", "ingress.enabled=true", "ingress.tls[0].secretName=trevor-tls",
                "ingress.tls[0].hosts[0]=trevor.example.com", "autoscaling.enabled=true", "networkPolicy.enabled=true",
                "worker.enabled=true", "worker.replicaCount=2", "envFromSecrets[0].secretName=trevor-env",
                "topologySpreadConstraints[0].maxSkew=1", "topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
                "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule", "priorityClassName=high",
                "nodeSelector.pool=api", "podAnnotations.team=trevor", "tests.enabled=true");
        String dbCaVolume = "--set-json extraVolumes=[{\"name\":\"db-ca\",\"secret\":{\"secretName\":\"trevor-db-ca\"}}]";
        String dbCaMount = "--set-json extraVolumeMounts=[{\"name\":\"db-ca\",\"mountPath\":\"/etc/trevor/db-ca\",\"readOnly\":true}]";
        scenario("extra-volumes", dbCaVolume, dbCaMount);
        scenario("extra-volumes-init", dbCaVolume, dbCaMount, "migrations.enabled=true", "migrations.hookEnabled=false");
        scenario("service-monitor", "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
                "metrics.serviceMonitor.namespace=monitoring", "metrics.serviceMonitor.relabelings[0].targetLabel=node",
                "metrics.serviceMonitor.relabelings[0].sourceLabels[0]=__meta_kubernetes_pod_node_name");
        scenario("scrape-annotations", "metrics.scrapeAnnotations=true", "podAnnotations.team=trevor",
                "--set-string podAnnotations.prometheus\\.io/port=9999");
        scenario("graceful-shutdown", "preStopSleepSeconds=10", "terminationGracePeriodSeconds=40");
        String restricted = "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]},"
                + "\"readOnlyRootFilesystem\":true,\"runAsNonRoot\":true},\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"32Mi\"},"
                + "\"limits\":{\"memory\":\"64Mi\"}}";
        scenario("sidecars", "migrations.enabled=true", "migrations.hookEnabled=false",
                "--set-json sidecars=[{\"name\":\"log-shipper\",\"image\":\"example/log-shipper:1.0\"," + restricted + "}]",
                "--set-json extraInitContainers=[{\"name\":\"wait-for-db\",\"image\":\"example/wait:1.0\"," + restricted + "}]",
                "--set-json worker.sidecars=[{\"name\":\"queue-exporter\",\"image\":\"example/exporter:1.0\"," + restricted + "}]",
                "--set-json worker.extraInitContainers=[{\"name\":\"wait-for-redis\",\"image\":\"example/wait:1.0\"," + restricted + "}]");
        scenario("opentelemetry", "opentelemetry.enabled=true", "worker.enabled=true");
        scenario("opentelemetry-init", "opentelemetry.enabled=true", "opentelemetry.serviceName=shop",
                "migrations.enabled=true", "migrations.hookEnabled=false");
        scenario("worker-autoscaling", "worker.autoscaling.enabled=true", "worker.autoscaling.minReplicas=2", "worker.replicaCount=1");
        scenario("worker-hpa-min-1", "worker.autoscaling.enabled=true", "worker.autoscaling.minReplicas=1", "worker.replicaCount=4");
        scenario("tests", "tests.enabled=true");
        // Standard keys in the user's label maps: the chart's own values must win, once each.
        scenario("label-overrides", "replicaCount=2", "ingress.enabled=true", "networkPolicy.enabled=true",
                "worker.replicaCount=2", "tests.enabled=true", "metrics.serviceMonitor.enabled=true", "autoscaling.enabled=true",
                "worker.autoscaling.enabled=true", "worker.autoscaling.minReplicas=2",
                "--set-json commonLabels={\"app.kubernetes.io/name\":\"other\",\"app.kubernetes.io/component\":\"other\",\"app.kubernetes.io/version\":\"9.9\",\"team\":\"payments\"}",
                "--set-json podLabels={\"app.kubernetes.io/component\":\"other\",\"app.kubernetes.io/instance\":\"other\",\"tier\":\"web\"}",
                "--set-json worker.podLabels={\"app.kubernetes.io/component\":\"other\",\"tier\":\"jobs\"}",
                "--set-json migrations.podLabels={\"app.kubernetes.io/name\":\"other\",\"tier\":\"migrate\"}");
        for (Path f : valuesFiles()) scenario("values/" + f.getFileName(), RELEASE, List.of(f));

        lints.add(new Lint("default values", Helm.Values.none()));
        for (Path f : valuesFiles()) lints.add(new Lint("values/" + f.getFileName(), new Helm.Values(List.of(f), List.of())));

        // Schema violations are all reported by one helm run (the schema lists every one), so
        // the cases of a batch share a render; each must still be named on a line of its own.
        // Template `fail`s stop at the first, so each of those gets a render of its own.
        reject("schema", "a misspelt top-level key (servce.port)", List.of("servce"), "servce.port=8000");
        reject("schema", "an unknown nested key (worker.replicas)", List.of("worker", "replicas"), "worker.replicas=2");
        reject("schema", "a string where an integer belongs (replicaCount=abc)", List.of("replicaCount"), "replicaCount=abc");
        reject("schema", "an impossible port (service.port=70000)", List.of("service.port"), "service.port=70000");
        reject("schema", "an unknown pull policy (image.pullPolicy=Sometimes)", List.of("image.pullPolicy"), "image.pullPolicy=Sometimes");
        reject("schema", "an unknown ingress pathType", List.of("pathType"), "ingress.hosts[0].paths[0].pathType=Regex");
        reject("schema", "a nodePort outside 30000-32767", List.of("service.nodePort"), "service.nodePort=80");
        reject("schema", "resources without limits", List.of("resources", "limits"), "resources.limits=null");
        reject("schema", "a boolean flag given a string (worker.enabled=maybe)", List.of("worker.enabled"), "--set-string worker.enabled=maybe");
        reject("schema", "an invalid env var name", List.of("env", "1-BAD NAME"), "--set-json env={\"1-BAD NAME\":\"x\"}");
        reject("schema", "a secret name that is not a Kubernetes name", List.of("envFromSecrets.0.secretName"), "envFromSecrets[0].secretName=Bad_Name");
        reject("schema", "an impossible egress port", List.of("networkPolicy.egress.0.ports.0.port"),
                "networkPolicy.egress[0].name=db", "networkPolicy.egress[0].ports[0].port=99999");
        reject("schema-service-type", "an unknown service type (service.type=External)", List.of("service.type"), "service.type=External");
        reject("fail-migrations", "both migration modes at once", List.of("migrations.enabled", "migrations.hookEnabled"),
                "migrations.enabled=true", "migrations.hookEnabled=true");
        reject("fail-hook-delete-policy", "a migration hook delete policy without before-hook-creation",
                List.of("migrations.hookDeletePolicy", "before-hook-creation"), "migrations.hookDeletePolicy=hook-succeeded");
        // A PDB that allows no eviction blocks node drains for good; each refusal names the values.
        reject("fail-pdb-api-min", "an API PDB whose minAvailable equals replicaCount",
                List.of("podDisruptionBudget.minAvailable", "replicaCount"), "replicaCount=3", "podDisruptionBudget.minAvailable=3");
        reject("fail-pdb-api-min-hpa", "an API PDB whose minAvailable reaches autoscaling.minReplicas",
                List.of("podDisruptionBudget.minAvailable", "autoscaling.minReplicas"), "autoscaling.enabled=true",
                "autoscaling.minReplicas=2", "podDisruptionBudget.minAvailable=3");
        reject("fail-pdb-api-max0", "an API PDB with maxUnavailable 0",
                List.of("podDisruptionBudget.maxUnavailable"), "replicaCount=3", "podDisruptionBudget.maxUnavailable=0");
        reject("fail-pdb-api-max0pct", "an API PDB with maxUnavailable 0%",
                List.of("podDisruptionBudget.maxUnavailable", "0%"), "replicaCount=3", "--set-string podDisruptionBudget.maxUnavailable=0%");
        reject("fail-pdb-api-min100pct", "an API PDB with minAvailable 100%",
                List.of("podDisruptionBudget.minAvailable", "100%", "replicaCount"), "replicaCount=3", "--set-string podDisruptionBudget.minAvailable=100%");
        reject("fail-pdb-api-min67pct", "an API PDB with minAvailable 67% of 3 replicas (rounds up to 3)",
                List.of("podDisruptionBudget.minAvailable", "67%", "replicaCount"), "replicaCount=3", "--set-string podDisruptionBudget.minAvailable=67%");
        reject("fail-pdb-worker-min", "a worker PDB whose minAvailable equals worker.replicaCount",
                List.of("worker.podDisruptionBudget.minAvailable", "worker.replicaCount"), "worker.replicaCount=2",
                "worker.podDisruptionBudget.minAvailable=2");
        reject("fail-pdb-worker-max0", "a worker PDB with maxUnavailable 0",
                List.of("worker.podDisruptionBudget.maxUnavailable"), "worker.replicaCount=2", "worker.podDisruptionBudget.maxUnavailable=0");
        reject("fail-pdb-worker-min100pct", "a worker PDB with minAvailable 100%",
                List.of("worker.podDisruptionBudget.minAvailable", "100%"), "worker.replicaCount=2",
                "--set-string worker.podDisruptionBudget.minAvailable=100%");
        reject("fail-scrape-twice", "a ServiceMonitor and scrape annotations at once",
                List.of("metrics.scrapeAnnotations", "metrics.serviceMonitor.enabled"), "metrics.scrapeAnnotations=true",
                "metrics.serviceMonitor.enabled=true");
        reject("schema", "a scrape interval that is not a Prometheus duration", List.of("metrics.serviceMonitor.interval"),
                "metrics.serviceMonitor.interval=30 seconds");
        reject("fail-prestop", "a preStop sleep as long as the grace period",
                List.of("preStopSleepSeconds", "terminationGracePeriodSeconds"), "preStopSleepSeconds=30", "terminationGracePeriodSeconds=30");
        reject("fail-sidecar-name", "a sidecar named like the chart's container (trevor)", List.of("sidecars", "trevor"),
                "--set-json sidecars=[{\"name\":\"trevor\",\"image\":\"x\"}]");
        reject("fail-pdb-worker-min-hpa", "a worker PDB whose minAvailable reaches worker.autoscaling.minReplicas",
                List.of("worker.podDisruptionBudget.minAvailable", "worker.autoscaling.minReplicas"), "worker.autoscaling.enabled=true",
                "worker.autoscaling.minReplicas=2", "worker.podDisruptionBudget.minAvailable=2");
        reject("fail-worker-autoscaling", "worker.autoscaling.minReplicas above maxReplicas",
                List.of("worker.autoscaling.minReplicas", "worker.autoscaling.maxReplicas"),
                "worker.autoscaling.enabled=true", "worker.autoscaling.minReplicas=5", "worker.autoscaling.maxReplicas=2");
        reject("fail-autoscaling", "autoscaling.minReplicas above maxReplicas", List.of("autoscaling.minReplicas", "autoscaling.maxReplicas"),
                "autoscaling.enabled=true", "autoscaling.minReplicas=5", "autoscaling.maxReplicas=2");
    }

    private void reject(String batch, String what, List<String> mustName, String... sets) {
        rejections.add(new Rejection(batch, what, new Helm.Values(List.of(), List.of(sets)), mustName));
    }

    private List<Path> valuesFiles() {
        if (!Files.isDirectory(valuesDir)) return List.of();
        try (Stream<Path> files = Files.list(valuesDir)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- running

    void run() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
        pool = Executors.newFixedThreadPool(threads, r -> {
            var t = new Thread(r, "render");
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        var wanted = checks.stream().filter(c -> report.selected(c.name())).toList();
        // Everything renders up front and in parallel; under --only, a scenario renders when a
        // selected check first asks for it, so a narrow --only stays fast.
        if (wanted.size() == checks.size()) scenarios.values().forEach(s -> s.start(pool));
        // Load the schema and YAML classes while helm renders: class loading is most of a cold check.
        var warm = CompletableFuture.runAsync(KubeSchema::warmUp, pool);
        for (var c : wanted) {
            if (c.body instanceof Deferred d) d.start(pool);
        }
        if (wanted.size() == checks.size()) batches.values().forEach(b -> b.start(pool));
        warm.join();
        long t1 = System.nanoTime();
        var results = wanted.stream()
                .map(c -> CompletableFuture.supplyAsync(() -> Report.evaluate(c.name(), c.context(), c.body()), pool)).toList();
        results.forEach(r -> report.record(r.join()));
        pool.shutdownNow();
        Dirs.deleteTree(scratch);
        if (timings != null) {
            // Measured, not waited for: -v must not change the schedule it reports on.
            long rendered = scenarios.values().stream().filter(s -> s.objs != null && s.objs.isDone())
                    .mapToLong(s -> s.doneAt).max().orElse(t1);
            long end = System.nanoTime();
            timings.printf("verify: stage render %d ms (%d scenarios, %d helm processes in parallel)%n", (rendered - t0) / 1_000_000,
                    scenarios.size(), scenarios.size() + lints.size() + batches.size());
            timings.printf("verify: stage checks %d ms (%d checks, overlapping the renders they wait for)%n", (end - t1) / 1_000_000,
                    wanted.size());
        }
    }

    /** A check whose work (a helm process) can start before its turn to report. */
    static final class Deferred implements Report.Body {
        private final java.util.function.Supplier<Exec.Result> work;
        private final java.util.function.Consumer<Exec.Result> verdict;
        private CompletableFuture<Exec.Result> result;

        Deferred(java.util.function.Supplier<Exec.Result> work, java.util.function.Consumer<Exec.Result> verdict) {
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

    private void check(String name, Scenario s, Report.Body body) { checks.add(new Check(name, s.context(), body)); }

    private void check(String name, String context, Report.Body body) { checks.add(new Check(name, context, body)); }

    // ---------------------------------------------------------------- the checks

    private void defineChecks() {
        // Test plan, step by step.
        check("plan 1: helm template renders with default values", s("default"), () -> {
            var objs = s("default").objs();
            Report.expect(!objs.isEmpty(), "expected objects, rendered none");
            for (String kind : List.of("Deployment", "Service", "ServiceAccount")) {
                Report.expect(!Manifests.ofKind(objs, kind).isEmpty(), "expected a %s, found %s", kind, ids(objs));
            }
        });
        check("plan 2: ingress.enabled=true renders an Ingress", s("ingress-tls"), () -> {
            var ing = one(s("ingress-tls").objs(), "Ingress");
            var svc = one(s("ingress-tls").objs(), "Service");
            for (var rule : Yaml.maps(ing.body(), "spec.rules")) {
                for (var path : Yaml.maps(rule, "http.paths")) {
                    Report.expect(svc.name().equals(Yaml.str(path, "backend.service.name")),
                            "expected backend service %s, found %s", svc.name(), Yaml.str(path, "backend.service.name"));
                    String port = Yaml.str(path, "backend.service.port.name");
                    Report.expect("http".equals(port), "expected backend port name http (the Service's port), found %s", port);
                }
            }
        });
        check("plan 2: ingress disabled by default renders no Ingress", s("default"),
                () -> none(s("default").objs(), "Ingress"));
        check("plan 3: worker.enabled=false omits the worker Deployment", s("no-worker"), () -> {
            var deps = Manifests.ofKind(s("no-worker").objs(), "Deployment");
            Report.expect(deps.size() == 1 && "api".equals(component(deps.get(0))),
                    "expected only the API Deployment, found %s", ids(deps));
        });
        check("plan 3: the worker Deployment runs ARQ with no ports or probes", s("default"), () -> {
            var w = component(s("default").objs(), "Deployment", "worker");
            var c = Yaml.maps(w.podSpec(), "containers").get(0);
            Report.expect(String.valueOf(c.get("command")).contains("arq"), "expected an arq command, found %s", c.get("command"));
            Report.expect(c.get("ports") == null, "expected no ports on the worker, found %s", c.get("ports"));
            Report.expect(c.get("readinessProbe") == null && c.get("startupProbe") == null, "expected no HTTP probes on the worker");
        });
        check("plan 4: autoscaling.enabled=true renders an HPA for the API Deployment", s("autoscaling"), () -> {
            var hpa = one(s("autoscaling").objs(), "HorizontalPodAutoscaler");
            var api = component(s("autoscaling").objs(), "Deployment", "api");
            Report.expect("Deployment".equals(Yaml.str(hpa.body(), "spec.scaleTargetRef.kind"))
                            && api.name().equals(Yaml.str(hpa.body(), "spec.scaleTargetRef.name")),
                    "expected scaleTargetRef Deployment/%s, found %s", api.name(), Yaml.at(hpa.body(), "spec.scaleTargetRef"));
        });
        check("plan 4: the HPA owns the count: no replicas on the API Deployment", s("autoscaling"), () -> {
            var api = component(s("autoscaling").objs(), "Deployment", "api");
            Report.expect(Yaml.at(api.body(), "spec.replicas") == null,
                    "expected no spec.replicas (an upgrade would reset the HPA's scale), found %s", Yaml.at(api.body(), "spec.replicas"));
        });
        check("plan 4: without autoscaling, no HPA and replicas = replicaCount", s("replicas-3"), () -> {
            none(s("replicas-3").objs(), "HorizontalPodAutoscaler");
            var api = component(s("replicas-3").objs(), "Deployment", "api");
            Report.expect("3".equals(Yaml.str(api.body(), "spec.replicas")), "expected replicas 3, found %s", Yaml.str(api.body(), "spec.replicas"));
        });
        check("plan 5: networkPolicy.enabled=true renders a NetworkPolicy per component", s("network-policy"), () -> {
            var nps = Manifests.ofKind(s("network-policy").objs(), "NetworkPolicy");
            var comps = nps.stream().map(ChartChecks::component).collect(Collectors.toSet());
            Report.expect(comps.containsAll(List.of("api", "worker", "migrate")), "expected policies for api, worker, migrate; found %s", ids(nps));
        });
        check("plan 5: network policies are off by default", s("default"), () -> none(s("default").objs(), "NetworkPolicy"));
        check("plan 5: egress allows DNS and each dependency's port to any destination", s("network-policy"), () -> {
            var np = component(s("network-policy").objs(), "NetworkPolicy", "api");
            var rules = Yaml.maps(np.body(), "spec.egress");
            var ports = new ArrayList<String>();
            for (var r : rules) {
                var to = Yaml.maps(r, "to");
                for (var p : Yaml.maps(r, "ports")) {
                    String port = Yaml.str(p, "port");
                    ports.add(port);
                    // The sketch's `podSelector: {}` alone means "pods of this namespace": an
                    // external PostgreSQL, S3 or Keycloak would be unreachable.
                    if (!port.equals("53")) {
                        for (var peer : to) {
                            Report.expect(peer.containsKey("namespaceSelector") || peer.containsKey("ipBlock"),
                                    "egress to port %s only allows pods of the release namespace (%s)", port, peer);
                        }
                    }
                }
            }
            for (String need : List.of("53", "5432", "6379", "443", "4317")) {
                Report.expect(ports.contains(need), "expected an egress rule for port %s, found ports %s", need, ports);
            }
        });
        check("plan 5: only the API accepts ingress traffic, on its http port", s("network-policy"), () -> {
            var api = component(s("network-policy").objs(), "NetworkPolicy", "api");
            for (var rule : Yaml.maps(api.body(), "spec.ingress")) {
                for (var p : Yaml.maps(rule, "ports")) {
                    String port = Yaml.str(p, "port");
                    Report.expect("http".equals(port) || "8000".equals(port), "expected ingress only to the http port, found %s", port);
                }
            }
            var worker = component(s("network-policy").objs(), "NetworkPolicy", "worker");
            Report.expect(Yaml.list(worker.body(), "spec.ingress").isEmpty()
                            && Yaml.list(worker.body(), "spec.policyTypes").contains("Ingress"),
                    "expected the worker's policy to deny all ingress, found %s", Yaml.at(worker.body(), "spec.ingress"));
        });
        check("plan 6: hookEnabled renders the migration Job as a pre-install/pre-upgrade hook", s("default"), () -> {
            var job = one(s("default").objs(), "Job");
            var a = job.annotations();
            var hooks = List.of(a.getOrDefault("helm.sh/hook", "").split(","));
            Report.expect(hooks.contains("pre-install") && hooks.contains("pre-upgrade"),
                    "expected helm.sh/hook pre-install,pre-upgrade, found %s", a.get("helm.sh/hook"));
            Report.expect(a.containsKey("helm.sh/hook-weight"), "expected a helm.sh/hook-weight");
            Report.expect(a.getOrDefault("helm.sh/hook-delete-policy", "").contains("before-hook-creation"),
                    "expected hook-delete-policy before-hook-creation (a re-run must replace the old Job), found %s", a.get("helm.sh/hook-delete-policy"));
            var c = Yaml.maps(job.podSpec(), "containers").get(0);
            Report.expect(String.valueOf(c.get("command")).contains("alembic"), "expected an alembic command, found %s", c.get("command"));
            Report.expect("Never".equals(Yaml.str(job.podSpec(), "restartPolicy")), "expected restartPolicy Never");
        });
        check("plan 6: the migration Job retries a failed attempt (backoffLimit 3, as the spec says) within activeDeadlineSeconds",
                "default values and values/prod.yaml", () -> {
            var scs = new ArrayList<>(List.of(s("default")));
            if (scenarios.containsKey("values/prod.yaml")) scs.add(s("values/prod.yaml"));
            for (var sc : scs) {
                var job = one(sc.objs(), "Job");
                String backoff = Yaml.str(job.body(), "spec.backoffLimit");
                Report.expect("3".equals(backoff), "%s (%s): expected backoffLimit 3 (an Alembic upgrade on PostgreSQL is one transaction, "
                        + "so a retry is safe and rides out a database restart), found %s", job.id(), sc.context(), backoff);
                Report.expect(Yaml.at(job.body(), "spec.activeDeadlineSeconds") != null,
                        "%s (%s): expected activeDeadlineSeconds to bound the retries", job.id(), sc.context());
            }
        });
        check("plan 6: the hook Job's ServiceAccount exists before the Job on a first install", s("default"),
                () -> hookServiceAccountExists(s("default").objs()));
        check("hooks: the default render deletes every hook object once it succeeded (nothing outlives helm uninstall)",
                "default values; --set networkPolicy.enabled=true", () -> {
            // Helm deletes hook-succeeded objects only after every hook of the event succeeded,
            // so the ServiceAccount and NetworkPolicy live as long as the Job needs them.
            for (var sc : List.of(s("default"), s("network-policy"))) {
                var hooks = Manifests.where(sc.objs(), Manifests.Obj::isHook);
                Report.expect(!hooks.isEmpty(), "expected hook objects in scenario %s, found none", sc.name);
                for (var h : hooks) {
                    var policy = List.of(h.annotations().getOrDefault("helm.sh/hook-delete-policy", "").split(","));
                    Report.expect(policy.contains("before-hook-creation") && policy.contains("hook-succeeded"),
                            "%s (scenario %s): hook-delete-policy is %s; expected before-hook-creation,hook-succeeded, or it outlives helm uninstall",
                            h.id(), sc.name, h.annotations().get("helm.sh/hook-delete-policy"));
                }
            }
        });
        check("NOTES: migration logs are offered only while the hook Job is kept", "default values; migrations.hookDeletePolicy=before-hook-creation", () -> {
            String deleted = notes(Helm.Values.none());
            Report.expect(deleted.contains("helm -n " + NAMESPACE + " get hooks " + RELEASE),
                    "with the default hookDeletePolicy the Job is gone after a success; expected NOTES to point at `helm get hooks`, found:%n%s", deleted);
            Report.expect(!deleted.contains("Migrations ran as hook Job"), "NOTES send the reader to a Job that was deleted:%n%s", deleted);
            String kept = notes(new Helm.Values(List.of(), List.of("migrations.hookDeletePolicy=before-hook-creation")));
            Report.expect(kept.contains("kubectl -n " + NAMESPACE + " logs job/trevor-migrate") && !kept.contains("get hooks"),
                    "with hookDeletePolicy=before-hook-creation the Job is kept; expected its logs command, found:%n%s", kept);
            String none = notes(new Helm.Values(List.of(), List.of("migrations.hookEnabled=false")));
            Report.expect(!none.contains("job/"), "without the hook Job NOTES still name one:%n%s", none);
        });
        check("plan 6: the hook Job's NetworkPolicy exists before the Job on a first install", s("network-policy"),
                () -> hookNetworkPolicyExists(s("network-policy").objs()));
        check("plan 6: the hook Job uses a pre-existing ServiceAccount when the chart creates none", s("existing-service-account"), () -> {
            var job = one(s("existing-service-account").objs(), "Job");
            Report.expect("trevor-existing".equals(Yaml.str(job.podSpec(), "serviceAccountName")),
                    "expected serviceAccountName trevor-existing, found %s", Yaml.str(job.podSpec(), "serviceAccountName"));
            none(s("existing-service-account").objs(), "ServiceAccount");
        });
        check("plan 6: init-container migrations run alembic before the API and render no Job", s("init-migrations"), () -> {
            none(s("init-migrations").objs(), "Job");
            var api = component(s("init-migrations").objs(), "Deployment", "api");
            var init = Yaml.maps(api.podSpec(), "initContainers");
            Report.expect(init.size() == 1 && String.valueOf(init.get(0).get("command")).contains("alembic"),
                    "expected one alembic init container, found %s", init);
        });
        check("plan 6: no migrations at all when both modes are off", s("no-migrations"), () -> {
            none(s("no-migrations").objs(), "Job");
            var api = component(s("no-migrations").objs(), "Deployment", "api");
            Report.expect(Yaml.list(api.podSpec(), "initContainers").isEmpty(), "expected no init containers");
        });
        check("plan 7: envFromSecrets reach the API, worker and migration containers", s("two-secrets"),
                () -> secretsEverywhere(s("two-secrets").objs(), 3));
        check("plan 7: envFromSecrets reach the migration init container", s("two-secrets-init"),
                () -> secretsEverywhere(s("two-secrets-init").objs(), 2));
        check("extraVolumes and extraVolumeMounts reach every trevor pod and container (API, worker, migration Job and init container)",
                "extraVolumes/extraVolumeMounts (db-ca) with the hook Job, and with init-container migrations", () -> {
            for (var sc : List.of(s("extra-volumes"), s("extra-volumes-init"))) {
                int pods = 0, containers = 0;
                var seen = new ArrayList<String>();
                for (var o : sc.objs()) {
                    if (o.podSpec() == null || !TREVOR_COMPONENTS.contains(component(o))) continue;
                    pods++;
                    var vols = Yaml.maps(o.podSpec(), "volumes").stream().map(v -> String.valueOf(v.get("name"))).toList();
                    Report.expect(vols.contains("db-ca"), "%s (scenario %s): extraVolumes missing, volumes are %s", o.id(), sc.name, vols);
                    for (var c : trevorContainers(o)) {
                        containers++;
                        seen.add(o.id() + "/" + c.get("name"));
                        boolean mounted = Yaml.maps(c, "volumeMounts").stream()
                                .anyMatch(m -> "db-ca".equals(m.get("name")) && "/etc/trevor/db-ca".equals(m.get("mountPath")));
                        Report.expect(mounted, "%s container %s (scenario %s): extraVolumeMounts missing, mounts are %s",
                                o.id(), c.get("name"), sc.name, c.get("volumeMounts"));
                    }
                }
                Report.expect(pods == 3 - (sc.name.endsWith("init") ? 1 : 0) && containers == 3,
                        "scenario %s: expected the API, worker and migration containers, found %s", sc.name, seen);
            }
        });
        check("metrics: serviceMonitor.enabled renders a ServiceMonitor that scrapes /metrics on the API Service's http port", s("service-monitor"), () -> {
            var objs = s("service-monitor").objs();
            var sm = one(objs, "ServiceMonitor");
            Report.expect("monitoring.coreos.com/v1".equals(sm.apiVersion()), "expected apiVersion monitoring.coreos.com/v1, found %s", sm.apiVersion());
            var sel = Selectors.Selector.of(Yaml.map(sm.body(), "spec.selector"));
            var picked = Manifests.ofKind(objs, "Service").stream().filter(svc -> sel.matches(svc.labels())).toList();
            var api = component(objs, "Service", "api");
            Report.expect(picked.size() == 1 && picked.get(0) == api, "expected the selector %s to pick Service/%s only, it picks %s", sel, api.name(), ids(picked));
            Report.expect(List.of(NAMESPACE).equals(Yaml.list(sm.body(), "spec.namespaceSelector.matchNames")),
                    "a ServiceMonitor in namespace %s must look for the Service in %s, found namespaceSelector %s",
                    Yaml.str(sm.body(), "metadata.namespace"), NAMESPACE, Yaml.at(sm.body(), "spec.namespaceSelector"));
            var ep = Yaml.maps(sm.body(), "spec.endpoints");
            var ports = Yaml.maps(api.body(), "spec.ports").stream().map(p -> String.valueOf(p.get("name"))).toList();
            Report.expect(ep.size() == 1 && ports.contains(Yaml.str(ep.get(0), "port")) && "/metrics".equals(Yaml.str(ep.get(0), "path")),
                    "expected one endpoint on a port of the Service (%s) with path /metrics, found %s", ports, ep);
            Report.expect("kube-prometheus-stack".equals(sm.labels().get("release")), "expected the label release=kube-prometheus-stack for Prometheus' selector, found %s", sm.labels());
            Report.expect("node".equals(Yaml.str(Yaml.maps(ep.get(0), "relabelings").get(0), "targetLabel")), "relabelings missing: %s", ep.get(0));
            none(s("default").objs(), "ServiceMonitor");
        });
        check("Kubernetes API schema: ServiceMonitor is not a core kind and is checked against the fields pinned from its CRD, never skipped",
                s("service-monitor"), () -> {
            var sm = one(s("service-monitor").objs(), "ServiceMonitor");
            String by = KubeSchema.validatedBy(sm);
            Report.expect(by != null && by.contains("pinned"), "expected the ServiceMonitor to be validated by a pinned CRD structure, found %s", by);
            var broken = new Manifests.Obj(sm.source(), Yaml.loadMap(Yaml.dump(sm.body()).replace("port: http", "portt: http")));
            Report.expect(KubeSchema.problem(broken) != null, "the pinned structure accepts a misspelt endpoint field (portt): it checks nothing");
            Report.expect(KubeSchema.problem(sm) == null, "%s: %s", sm.id(), KubeSchema.problem(sm));
        });
        check("metrics: scrapeAnnotations annotate API pods with the http port and /metrics (over podAnnotations)", s("scrape-annotations"), () -> {
            var api = component(s("scrape-annotations").objs(), "Deployment", "api");
            var a = Yaml.strings(api.body(), "spec.template.metadata.annotations");
            Report.expect("true".equals(a.get("prometheus.io/scrape")) && "8000".equals(a.get("prometheus.io/port"))
                    && "/metrics".equals(a.get("prometheus.io/path")) && "trevor".equals(a.get("team")),
                    "expected prometheus.io/scrape=true, port=8000, path=/metrics and team=trevor, found %s", a);
            var worker = component(s("scrape-annotations").objs(), "Deployment", "worker");
            Report.expect(!Yaml.strings(worker.body(), "spec.template.metadata.annotations").containsKey("prometheus.io/scrape"),
                    "the worker serves no /metrics but is annotated for scraping");
            var def = component(s("default").objs(), "Deployment", "api");
            Report.expect(Yaml.at(def.body(), "spec.template.metadata.annotations") == null, "expected no pod annotations by default, found %s",
                    Yaml.at(def.body(), "spec.template.metadata.annotations"));
        });
        check("graceful shutdown: the API sleeps in preStop before SIGTERM and its grace period outlasts the sleep", s("graceful-shutdown"), () -> {
            var api = component(s("graceful-shutdown").objs(), "Deployment", "api");
            var c = Yaml.maps(api.podSpec(), "containers").get(0);
            var cmd = Yaml.list(c, "lifecycle.preStop.exec.command").stream().map(String::valueOf).toList();
            Report.expect(List.of("sleep", "10").equals(cmd), "expected preStop exec [sleep, 10], found %s", Yaml.at(c, "lifecycle"));
            Report.expect("40".equals(Yaml.str(api.podSpec(), "terminationGracePeriodSeconds")),
                    "expected terminationGracePeriodSeconds 40, found %s", Yaml.str(api.podSpec(), "terminationGracePeriodSeconds"));
            var worker = component(s("graceful-shutdown").objs(), "Deployment", "worker");
            Report.expect(Yaml.maps(worker.podSpec(), "containers").get(0).get("lifecycle") == null, "the worker serves no traffic and needs no preStop pause");
            var def = Yaml.maps(component(s("default").objs(), "Deployment", "api").podSpec(), "containers").get(0);
            Report.expect(def.get("lifecycle") == null, "expected no preStop hook by default, found %s", def.get("lifecycle"));
        });
        check("sidecars and extraInitContainers: API and worker pods run them, extra init containers before migrate", s("sidecars"), () -> {
            var objs = s("sidecars").objs();
            var api = component(objs, "Deployment", "api");
            var worker = component(objs, "Deployment", "worker");
            Report.expect(List.of("trevor", "log-shipper").equals(names(api.podSpec(), "containers")),
                    "API containers: expected [trevor, log-shipper], found %s", names(api.podSpec(), "containers"));
            Report.expect(List.of("wait-for-db", "migrate").equals(names(api.podSpec(), "initContainers")),
                    "API init containers: expected [wait-for-db, migrate], found %s", names(api.podSpec(), "initContainers"));
            Report.expect(List.of("worker", "queue-exporter").equals(names(worker.podSpec(), "containers")),
                    "worker containers: expected [worker, queue-exporter], found %s", names(worker.podSpec(), "containers"));
            Report.expect(List.of("wait-for-redis").equals(names(worker.podSpec(), "initContainers")),
                    "worker init containers: expected [wait-for-redis], found %s", names(worker.podSpec(), "initContainers"));
            var def = component(s("default").objs(), "Deployment", "api");
            Report.expect(List.of("trevor").equals(names(def.podSpec(), "containers")) && names(def.podSpec(), "initContainers").isEmpty(),
                    "expected only the trevor container by default, found %s", def.allContainers().stream().map(c -> c.get("name")).toList());
        });
        check("OpenTelemetry: every trevor container gets OTEL_SERVICE_NAME and its namespace and pod name from the downward API",
                "opentelemetry.enabled=true with the hook Job, and serviceName=shop with init-container migrations", () -> {
            for (var sc : List.of(s("opentelemetry"), s("opentelemetry-init"))) {
                String service = sc.name.endsWith("init") ? "shop" : "trevor";
                int seen = 0;
                for (var o : sc.objs()) {
                    for (var c : trevorContainers(o)) {
                        seen++;
                        String who = o.id() + " container " + c.get("name") + " (scenario " + sc.name + ")";
                        var env = Yaml.maps(c, "env");
                        var names = env.stream().map(e -> String.valueOf(e.get("name"))).toList();
                        int ns = names.indexOf("K8S_NAMESPACE_NAME"), pod = names.indexOf("K8S_POD_NAME"), attrs = names.indexOf("OTEL_RESOURCE_ATTRIBUTES");
                        Report.expect(ns >= 0 && "metadata.namespace".equals(Yaml.str(env.get(ns), "valueFrom.fieldRef.fieldPath")),
                                "%s: expected K8S_NAMESPACE_NAME from fieldRef metadata.namespace, found %s", who, ns < 0 ? "none" : env.get(ns));
                        Report.expect(pod >= 0 && "metadata.name".equals(Yaml.str(env.get(pod), "valueFrom.fieldRef.fieldPath")),
                                "%s: expected K8S_POD_NAME from fieldRef metadata.name, found %s", who, pod < 0 ? "none" : env.get(pod));
                        // Kubernetes expands $(VAR) only from variables defined earlier in the list.
                        Report.expect(attrs > Math.max(ns, pod), "%s: OTEL_RESOURCE_ATTRIBUTES must come after the variables it references, found order %s", who, names);
                        String value = envOf(c).get("OTEL_RESOURCE_ATTRIBUTES");
                        Report.expect(value.contains("k8s.namespace.name=$(K8S_NAMESPACE_NAME)") && value.contains("k8s.pod.name=$(K8S_POD_NAME)"),
                                "%s: OTEL_RESOURCE_ATTRIBUTES=%s lacks the namespace or pod name", who, value);
                        String expected = "api".equals(component(o)) && "trevor".equals(c.get("name")) ? service : service + "-" + c.get("name");
                        Report.expect(expected.equals(envOf(c).get("OTEL_SERVICE_NAME")), "%s: expected OTEL_SERVICE_NAME=%s, found %s",
                                who, expected, envOf(c).get("OTEL_SERVICE_NAME"));
                    }
                }
                Report.expect(seen == 3, "scenario %s: expected 3 trevor containers (API, worker, migrations), found %d", sc.name, seen);
            }
            for (var o : s("default").objs()) {
                for (var c : o.allContainers()) {
                    Report.expect(!envOf(c).containsKey("OTEL_SERVICE_NAME"), "%s: OTEL_SERVICE_NAME set although opentelemetry is off", o.id());
                }
            }
        });
        check("worker autoscaling: an HPA scales the worker Deployment, which then renders no replicas", s("worker-autoscaling"), () -> {
            var objs = s("worker-autoscaling").objs();
            var worker = component(objs, "Deployment", "worker");
            var hpa = component(objs, "HorizontalPodAutoscaler", "worker");
            Report.expect("Deployment".equals(Yaml.str(hpa.body(), "spec.scaleTargetRef.kind")) && worker.name().equals(Yaml.str(hpa.body(), "spec.scaleTargetRef.name")),
                    "expected scaleTargetRef Deployment/%s, found %s", worker.name(), Yaml.at(hpa.body(), "spec.scaleTargetRef"));
            Report.expect("2".equals(Yaml.str(hpa.body(), "spec.minReplicas")), "expected minReplicas 2, found %s", Yaml.str(hpa.body(), "spec.minReplicas"));
            Report.expect(Yaml.at(worker.body(), "spec.replicas") == null,
                    "expected no spec.replicas on the worker (an upgrade would reset the HPA's scale), found %s", Yaml.at(worker.body(), "spec.replicas"));
            Report.expect(Manifests.ofKind(objs, "HorizontalPodAutoscaler").size() == 1, "expected only the worker's HPA, found %s",
                    ids(Manifests.ofKind(objs, "HorizontalPodAutoscaler")));
            Report.expect("1".equals(Yaml.str(component(s("default").objs(), "Deployment", "worker").body(), "spec.replicas")),
                    "expected worker replicas 1 without worker autoscaling");
        });
        check("plan 12: the worker PDB follows the worker HPA's minReplicas (min 2, replicaCount 1: PDB; min 1, replicaCount 4: none)",
                "worker.autoscaling.enabled=true with minReplicas 2, then 1", () -> {
            Report.expect(pdbFor(s("worker-autoscaling").objs(), "worker") != null, "expected a worker PDB: the HPA keeps at least 2 worker pods");
            Report.expect(pdbFor(s("worker-hpa-min-1").objs(), "worker") == null, "expected no worker PDB: the HPA may scale the worker to 1 pod");
        });
        check("helm test: a test hook Pod checks /health through the API Service with the trevor image, and is deleted on success", s("tests"), () -> {
            var objs = s("tests").objs();
            var pod = one(objs, "Pod");
            var a = pod.annotations();
            Report.expect("test".equals(a.get("helm.sh/hook")), "expected helm.sh/hook test, found %s", a.get("helm.sh/hook"));
            Report.expect("before-hook-creation,hook-succeeded".equals(a.get("helm.sh/hook-delete-policy")),
                    "expected hook-delete-policy before-hook-creation,hook-succeeded, found %s", a.get("helm.sh/hook-delete-policy"));
            var c = Yaml.maps(pod.podSpec(), "containers");
            Report.expect(c.size() == 1, "expected one container, found %s", names(pod.podSpec(), "containers"));
            var api = component(objs, "Deployment", "api");
            var svc = component(objs, "Service", "api");
            String image = Yaml.str(Yaml.maps(api.podSpec(), "containers").get(0), "image");
            Report.expect(image.equals(Yaml.str(c.get(0), "image")), "expected the trevor image %s, found %s", image, Yaml.str(c.get(0), "image"));
            String cmd = String.join(" ", Yaml.list(c.get(0), "command").stream().map(String::valueOf).toList());
            String url = "http://" + svc.name() + "." + NAMESPACE + ".svc:" + Yaml.str(Yaml.maps(svc.body(), "spec.ports").get(0), "port") + "/health";
            Report.expect(cmd.startsWith("python -c") && cmd.contains("urllib.request") && cmd.endsWith(url),
                    "expected python -c with urllib requesting %s, found: %s", url, cmd);
            Report.expect("Never".equals(Yaml.str(pod.podSpec(), "restartPolicy")), "expected restartPolicy Never");
            Report.expect(bytes(Yaml.at(c.get(0), "resources.limits.memory")) <= 128L << 20,
                    "expected a small memory limit (at most 128Mi), found %s", Yaml.at(c.get(0), "resources.limits"));
            Report.expect(Manifests.ofKind(s("default").objs(), "Pod").isEmpty(), "expected no test Pod by default");
        });
        check("helm test with network policies: the test pod may reach the API's http port, and the API admits it", s("everything"), () -> {
            var objs = s("everything").objs();
            var pod = one(objs, "Pod");
            var api = component(objs, "Deployment", "api");
            var testPolicy = component(objs, "NetworkPolicy", "test");
            // A release object exists before any `helm test`; a non-Pod test hook would break
            // `helm test --logs`, which asks for the logs of every test hook as a Pod.
            Report.expect(!testPolicy.isHook(), "expected the test pod's NetworkPolicy to be a release object, found hook annotations %s",
                    testPolicy.annotations());
            var testHooks = Manifests.where(objs, o -> "test".equals(o.annotations().get("helm.sh/hook"))).stream().map(Manifests.Obj::id).toList();
            Report.expect(testHooks.equals(List.of(pod.id())), "expected the test Pod to be the only test hook (helm test --logs), found %s", testHooks);
            String port = Yaml.str(Yaml.maps(Yaml.maps(api.podSpec(), "containers").get(0), "ports").get(0), "containerPort");
            boolean egress = Yaml.maps(testPolicy.body(), "spec.egress").stream().anyMatch(r ->
                    Yaml.maps(r, "to").stream().anyMatch(p -> p.containsKey("podSelector") && Selectors.Selector.of(Yaml.map(p, "podSelector")).matches(api.podLabels()))
                            && Yaml.maps(r, "ports").stream().anyMatch(p -> port.equals(Yaml.str(p, "port"))));
            Report.expect(egress, "the test pod's policy allows no egress to the API pods on port %s: %s", port, Yaml.at(testPolicy.body(), "spec.egress"));
            var apiPolicy = component(objs, "NetworkPolicy", "api");
            boolean ingress = Yaml.maps(apiPolicy.body(), "spec.ingress").stream().anyMatch(r ->
                    Yaml.maps(r, "from").stream().anyMatch(p -> p.containsKey("podSelector") && !p.containsKey("namespaceSelector")
                            && Selectors.Selector.of(Yaml.map(p, "podSelector")).matches(pod.podLabels())));
            Report.expect(ingress, "the API's policy admits no traffic from the test pod %s: %s", pod.podLabels(), Yaml.at(apiPolicy.body(), "spec.ingress"));
        });
        check("plan 12: PDB only when replicaCount > 1 (replicaCount=1: none)", s("default"),
                () -> Report.expect(pdbFor(s("default").objs(), "api") == null, "expected no API PDB with one replica, found one"));
        check("plan 12: PDB only when replicaCount > 1 (replicaCount=3: one)", s("replicas-3"), () -> {
            var pdb = pdbFor(s("replicas-3").objs(), "api");
            Report.expect(pdb != null, "expected an API PDB with 3 replicas, found %s", ids(s("replicas-3").objs()));
            Report.expect(Yaml.at(pdb.body(), "spec.minAvailable") != null ^ Yaml.at(pdb.body(), "spec.maxUnavailable") != null,
                    "expected exactly one of minAvailable / maxUnavailable, found %s", Yaml.at(pdb.body(), "spec"));
        });
        check("plan 12: PDB follows the HPA's minReplicas (min 2, replicaCount 1: PDB)", s("autoscaling"),
                () -> Report.expect(pdbFor(s("autoscaling").objs(), "api") != null, "expected an API PDB: the HPA keeps at least 2 pods"));
        check("plan 12: PDB follows the HPA's minReplicas (min 1, replicaCount 5: none)", s("hpa-min-1"),
                () -> Report.expect(pdbFor(s("hpa-min-1").objs(), "api") == null, "expected no API PDB: the HPA may scale to 1 pod"));
        check("plan 12: the worker gets its own PDB when it runs more than one replica", s("everything"), () -> {
            Report.expect(pdbFor(s("everything").objs(), "worker") != null, "expected a worker PDB with 2 worker replicas");
            Report.expect(pdbFor(s("default").objs(), "worker") == null, "expected no worker PDB with 1 worker replica");
        });
        check("plan 12: percentages that leave a pod to evict render a PDB (minAvailable 60% of 3, maxUnavailable 1% of 2)", s("pdb-percent"), () -> {
            var api = pdbFor(s("pdb-percent").objs(), "api");
            var worker = pdbFor(s("pdb-percent").objs(), "worker");
            Report.expect(api != null && "60%".equals(Yaml.str(api.body(), "spec.minAvailable")), "expected an API PDB with minAvailable 60%%, found %s",
                    api == null ? "none" : Yaml.at(api.body(), "spec"));
            Report.expect(worker != null && "1%".equals(Yaml.str(worker.body(), "spec.maxUnavailable")), "expected a worker PDB with maxUnavailable 1%%, found %s",
                    worker == null ? "none" : Yaml.at(worker.body(), "spec"));
        });
        check("plan 12: maxUnavailable replaces minAvailable, never both", s("pdb-max-unavailable"), () -> {
            var pdb = pdbFor(s("pdb-max-unavailable").objs(), "api");
            Report.expect(pdb != null && Yaml.at(pdb.body(), "spec.minAvailable") == null
                            && "1".equals(Yaml.str(pdb.body(), "spec.maxUnavailable")),
                    "expected maxUnavailable 1 and no minAvailable, found %s", pdb == null ? "no PDB" : Yaml.at(pdb.body(), "spec"));
        });

        // Every values file: lint and render.
        for (var lint : lints) {
            checks.add(new Check("helm lint --strict: " + lint.name(), lint.values().describe(), new Deferred(() -> helm.lint(chart, lint.values()), r -> {
                Report.expect(r.ok(), "lint failed: %s", r.said());
                Report.expect(!r.out().contains("[WARNING]") && !r.out().contains("[ERROR]"), "lint reported: %s", r.out().strip());
            })));
        }

        // Every scenario: strict YAML, the Kubernetes schema, Pod Security.
        for (var sc : scenarios.values()) {
            check("renders, strict YAML (no duplicate keys): " + sc.name, sc, () -> Report.expect(!sc.objs().isEmpty(), "rendered nothing"));
            check("Kubernetes API schema: " + sc.name, sc, () -> {
                var problems = new ArrayList<String>();
                for (var o : sc.objs()) {
                    String p = KubeSchema.problem(o);
                    if (p != null) problems.add(o.id() + ": " + p);
                }
                Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
            });
            check("Pod Security restricted: " + sc.name, sc, () -> {
                var problems = new ArrayList<String>();
                for (var o : sc.objs()) {
                    if (o.podSpec() == null) continue;
                    for (String v : PodSecurity.restrictedViolations(o.podSpec())) problems.add(o.id() + " " + v);
                }
                Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
            });
        }

        // Selectors: nobody grabs another component's pods.
        for (String name : List.of("everything", "values/prod.yaml", "values/dev.yaml")) {
            if (!scenarios.containsKey(name)) continue;
            var sc = s(name);
            check("selectors: no workload's selector matches another workload's pods (" + name + ")", sc, () -> noOverlap(sc.objs()));
            check("selectors: Service, PDB and NetworkPolicy each select exactly their component's pods (" + name + ")", sc,
                    () -> selectOwnComponent(sc.objs()));
        }
        check("selectors: each Deployment's selector matches its own pod template", s("everything"), () -> {
            for (var d : Manifests.ofKind(s("everything").objs(), "Deployment")) {
                var sel = Selectors.podSelectorOf(d);
                Report.expect(!sel.isEmpty() && sel.matches(d.podLabels()), "%s: selector %s does not match its pods %s", d.id(), sel, d.podLabels());
                Report.expect(sel.matchLabels().containsKey("app.kubernetes.io/component"),
                        "%s: selector %s has no app.kubernetes.io/component", d.id(), sel);
            }
        });
        check("selectors: the HPA scales the API Deployment, not the worker", s("everything"), () -> {
            var hpa = one(s("everything").objs(), "HorizontalPodAutoscaler");
            String target = Yaml.str(hpa.body(), "spec.scaleTargetRef.name");
            var dep = s("everything").objs().stream().filter(o -> "Deployment".equals(o.kind()) && o.name().equals(target)).findFirst();
            Report.expect(dep.isPresent() && "api".equals(component(dep.get())), "expected the HPA to target the API Deployment, it targets %s", target);
        });

        // Containers: what every production pod needs.
        check("resources: every container sets requests and limits", s("everything"), () -> {
            for (var sc : List.of(s("everything"), s("init-migrations"))) {
                for (var o : sc.objs()) {
                    for (var c : o.allContainers()) {
                        Report.expect(!Yaml.map(c, "resources.requests").isEmpty() && !Yaml.map(c, "resources.limits").isEmpty(),
                                "%s container %s has requests %s, limits %s", o.id(), c.get("name"),
                                Yaml.at(c, "resources.requests"), Yaml.at(c, "resources.limits"));
                    }
                }
            }
        });
        check("ephemeral storage: every chart container requests and limits it, and each pod's limit leaves room for /tmp at its sizeLimit",
                "default values, everything, init-migrations and values/*.yaml", () -> {
            var scs = new ArrayList<>(List.of(s("default"), s("everything"), s("init-migrations")));
            scenarios.values().stream().filter(sc -> sc.name.startsWith("values/")).forEach(scs::add);
            for (var sc : scs) {
                for (var o : sc.objs()) {
                    if (o.podSpec() == null) continue;
                    long podLimit = 0;
                    for (var c : o.allContainers()) {
                        String who = o.id() + " container " + c.get("name") + " (scenario " + sc.name + ")";
                        Object req = Yaml.at(c, "resources.requests.ephemeral-storage"), lim = Yaml.at(c, "resources.limits.ephemeral-storage");
                        Report.expect(req != null && lim != null, "%s: expected ephemeral-storage requests and limits, found %s", who, c.get("resources"));
                        Report.expect(bytes(req) <= bytes(lim), "%s: ephemeral-storage request %s is above its limit %s", who, req, lim);
                        if (Yaml.maps(o.podSpec(), "containers").contains(c)) podLimit += bytes(lim);
                    }
                    for (var v : Yaml.maps(o.podSpec(), "volumes")) {
                        // A disk-backed emptyDir counts against the pod's ephemeral-storage limit.
                        if (!v.containsKey("emptyDir") || "Memory".equals(Yaml.str(v, "emptyDir.medium"))) continue;
                        Object size = Yaml.at(v, "emptyDir.sizeLimit");
                        Report.expect(size != null, "%s volume %s (scenario %s): a disk emptyDir without sizeLimit", o.id(), v.get("name"), sc.name);
                        Report.expect(podLimit > bytes(size), "%s (scenario %s): its containers' ephemeral-storage limits (%d Mi) leave no room above "
                                + "the %s emptyDir's sizeLimit %s: the kubelet would evict the pod before /tmp is full", o.id(), sc.name,
                                podLimit >> 20, v.get("name"), size);
                    }
                }
            }
        });
        check("read-only root filesystem with a writable /tmp in every container", s("everything"), () -> {
            for (var sc : List.of(s("everything"), s("init-migrations"))) {
                for (var o : sc.objs()) {
                    if (o.podSpec() == null) continue;
                    var emptyDirs = Yaml.maps(o.podSpec(), "volumes").stream().filter(v -> v.containsKey("emptyDir"))
                            .map(v -> String.valueOf(v.get("name"))).collect(Collectors.toSet());
                    for (var c : o.allContainers()) {
                        Report.expect(Boolean.TRUE.equals(Yaml.at(c, "securityContext.readOnlyRootFilesystem")),
                                "%s container %s: readOnlyRootFilesystem is not true", o.id(), c.get("name"));
                        boolean tmp = Yaml.maps(c, "volumeMounts").stream()
                                .anyMatch(m -> "/tmp".equals(m.get("mountPath")) && emptyDirs.contains(String.valueOf(m.get("name"))));
                        Report.expect(tmp, "%s container %s: no emptyDir mounted at /tmp", o.id(), c.get("name"));
                    }
                }
            }
        });
        check("uv and Python write only under /tmp (UV_CACHE_DIR, HOME, no bytecode)", s("everything"), () -> {
            for (var o : s("everything").objs()) {
                for (var c : o.allContainers()) {
                    var env = envOf(c);
                    Report.expect(env.getOrDefault("UV_CACHE_DIR", "").startsWith("/tmp"), "%s %s: UV_CACHE_DIR=%s", o.id(), c.get("name"), env.get("UV_CACHE_DIR"));
                    Report.expect(env.getOrDefault("HOME", "").startsWith("/tmp"), "%s %s: HOME=%s", o.id(), c.get("name"), env.get("HOME"));
                    Report.expect("1".equals(env.get("UV_NO_SYNC")), "%s %s: UV_NO_SYNC must be 1 (uv run must not rewrite the venv)", o.id(), c.get("name"));
                    Report.expect("1".equals(env.get("PYTHONDONTWRITEBYTECODE")), "%s %s: PYTHONDONTWRITEBYTECODE must be 1", o.id(), c.get("name"));
                }
            }
        });
        check("env: values.env overrides a runtime default without duplicate names", s("overrides"), () -> {
            var api = component(s("overrides").objs(), "Deployment", "api");
            var c = Yaml.maps(api.podSpec(), "containers").get(0);
            var names = Yaml.maps(c, "env").stream().map(e -> String.valueOf(e.get("name"))).toList();
            Report.expect(names.size() == names.stream().distinct().count(), "duplicate env names: %s", names);
            var env = envOf(c);
            Report.expect("/home/app".equals(env.get("HOME")) && "5".equals(env.get("DB_POOL_SIZE")),
                    "expected HOME=/home/app and DB_POOL_SIZE=5, found %s", env);
        });
        check("probes: the API has startup, liveness and readiness probes on its http port", s("default"), () -> {
            var api = component(s("default").objs(), "Deployment", "api");
            var c = Yaml.maps(api.podSpec(), "containers").get(0);
            for (String p : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                Report.expect("http".equals(Yaml.str(c, p + ".httpGet.port")), "%s: expected httpGet on port http, found %s", p, c.get(p));
                Report.expect("/health".equals(Yaml.str(c, p + ".httpGet.path")), "%s: expected path /health, found %s", p, Yaml.str(c, p + ".httpGet.path"));
            }
            Report.expect("8000".equals(Yaml.str(Yaml.maps(c, "ports").get(0), "containerPort")), "expected containerPort 8000");
        });
        check("probes: paths and timings come from values", s("overrides"), () -> {
            var api = component(s("overrides").objs(), "Deployment", "api");
            var c = Yaml.maps(api.podSpec(), "containers").get(0);
            Report.expect("/livez".equals(Yaml.str(c, "livenessProbe.httpGet.path")), "liveness path %s", Yaml.str(c, "livenessProbe.httpGet.path"));
            Report.expect("/readyz".equals(Yaml.str(c, "readinessProbe.httpGet.path")), "readiness path %s", Yaml.str(c, "readinessProbe.httpGet.path"));
            Report.expect("/startz".equals(Yaml.str(c, "startupProbe.httpGet.path")), "startup path %s", Yaml.str(c, "startupProbe.httpGet.path"));
            Report.expect("90".equals(Yaml.str(c, "startupProbe.failureThreshold")), "startup failureThreshold %s", Yaml.str(c, "startupProbe.failureThreshold"));
        });
        check("placement knobs reach the pod spec (nodeSelector, priorityClassName, topology spread, podAnnotations)", s("everything"), () -> {
            var api = component(s("everything").objs(), "Deployment", "api");
            var pod = api.podSpec();
            Report.expect("api".equals(Yaml.str(pod, "nodeSelector.pool")), "nodeSelector %s", pod.get("nodeSelector"));
            Report.expect("high".equals(Yaml.str(pod, "priorityClassName")), "priorityClassName %s", pod.get("priorityClassName"));
            Report.expect("trevor".equals(Yaml.str(api.body(), "spec.template.metadata.annotations.team")), "podAnnotations missing");
            var tsc = Yaml.maps(pod, "topologySpreadConstraints");
            Report.expect(tsc.size() == 1, "expected one topology spread constraint, found %s", tsc);
            var sel = Selectors.Selector.of(Yaml.map(tsc.get(0), "labelSelector"));
            Report.expect(sel.matches(api.podLabels()) && !sel.isEmpty(), "spread labelSelector %s does not pick the API pods", sel);
        });
        check("image: tag defaults to appVersion; a digest pins it", s("overrides"), () -> {
            String appVersion = chartAppVersion();
            var def = component(s("default").objs(), "Deployment", "api");
            String img = Yaml.str(Yaml.maps(def.podSpec(), "containers").get(0), "image");
            Report.expect(img.endsWith(":" + appVersion), "expected the tag %s (appVersion), found %s", appVersion, img);
            var pinned = component(s("overrides").objs(), "Deployment", "api");
            String pimg = Yaml.str(Yaml.maps(pinned.podSpec(), "containers").get(0), "image");
            Report.expect(pimg.endsWith(":1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "found %s", pimg);
        });
        check("names fit Kubernetes' 63-character limit with a 53-character release name", s("long-release-name"), () -> {
            for (var o : s("long-release-name").objs()) {
                Report.expect(o.name().length() <= 63, "%s is %d characters", o.id(), o.name().length());
                for (var e : o.labels().entrySet()) {
                    Report.expect(e.getValue().length() <= 63, "%s label %s is %d characters", o.id(), e.getKey(), e.getValue().length());
                }
            }
            var names = s("long-release-name").objs().stream().map(Manifests.Obj::id).toList();
            Report.expect(names.size() == names.stream().distinct().count(), "two objects share a name: %s", names);
        });
        check("labels: every object carries the standard app.kubernetes.io labels", s("everything"), () -> {
            for (var o : s("everything").objs()) {
                for (String l : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                        "app.kubernetes.io/managed-by", "helm.sh/chart")) {
                    Report.expect(o.labels().containsKey(l), "%s lacks label %s", o.id(), l);
                }
            }
        });
        check("labels: standard keys in commonLabels/podLabels never override the chart's labels or selectors", s("label-overrides"), () -> {
            var objs = s("label-overrides").objs();
            var tiers = Map.of("api", "web", "worker", "jobs", "migrate", "migrate");
            for (var o : objs) {
                var l = o.labels();
                Report.expect("trevor".equals(l.get("app.kubernetes.io/name")) && RELEASE.equals(l.get("app.kubernetes.io/instance")),
                        "%s: expected name trevor and instance %s, found %s", o.id(), RELEASE, l);
                Report.expect(!"9.9".equals(l.get("app.kubernetes.io/version")), "%s: commonLabels replaced the chart's version: %s", o.id(), l);
                // The shared ServiceAccount belongs to no component: there, commonLabels' one stands.
                boolean shared = "ServiceAccount".equals(o.kind()) && !o.isHook();
                Report.expect(shared || !"other".equals(l.get("app.kubernetes.io/component")),
                        "%s: commonLabels replaced the chart's component: %s", o.id(), l);
                Report.expect("payments".equals(l.get("team")), "%s: commonLabels team=payments missing: %s", o.id(), l);
                if (o.podSpec() == null) continue;
                var pl = o.podLabels();
                Report.expect("trevor".equals(pl.get("app.kubernetes.io/name")) && RELEASE.equals(pl.get("app.kubernetes.io/instance"))
                                && Objects.equals(component(o), pl.get("app.kubernetes.io/component")),
                        "%s: pod labels %s lost the chart's name/instance/component", o.id(), pl);
                String tier = tiers.get(component(o));
                Report.expect(tier == null || tier.equals(pl.get("tier")), "%s: expected its podLabels tier=%s, found %s", o.id(), tier, pl);
                var sel = Selectors.podSelectorOf(o);
                Report.expect(sel == null || sel.matches(pl), "%s: selector %s does not match its pod labels %s", o.id(), sel, pl);
            }
            selectOwnComponent(objs);
        });
        check("no ServiceAccount token is mounted into trevor pods", s("everything"), () -> {
            for (var o : s("everything").objs()) {
                if (o.podSpec() == null) continue;
                Report.expect(Boolean.FALSE.equals(Yaml.at(o.podSpec(), "automountServiceAccountToken")),
                        "%s: automountServiceAccountToken is %s", o.id(), Yaml.at(o.podSpec(), "automountServiceAccountToken"));
            }
        });
        check("rollouts keep full capacity (API maxUnavailable 0)", s("default"), () -> {
            var api = component(s("default").objs(), "Deployment", "api");
            Report.expect("0".equals(Yaml.str(api.body(), "spec.strategy.rollingUpdate.maxUnavailable")),
                    "expected maxUnavailable 0, found %s", Yaml.at(api.body(), "spec.strategy"));
        });
        check("ingress TLS: hosts and secret rendered", s("ingress-tls"), () -> {
            var ing = one(s("ingress-tls").objs(), "Ingress");
            var tls = Yaml.maps(ing.body(), "spec.tls");
            Report.expect(tls.size() == 1 && "trevor-tls".equals(tls.get(0).get("secretName"))
                    && Yaml.list(tls.get(0), "hosts").contains("trevor.example.com"), "found tls %s", tls);
        });

        // As a dependency of a parent chart (condition: trevor.enabled).
        check("umbrella chart: condition trevor.enabled=true renders trevor, and its schema still applies", "parent chart with trevor under charts/", () -> {
            var r = helm.template(RELEASE, umbrella(), NAMESPACE, Helm.Values.none());
            Report.expect(r.ok(), "the parent chart (values trevor.enabled=true) did not render: %s", oneLine(r.said()));
            var objs = Manifests.parse(r.out());
            component(objs, "Deployment", "api");
            component(objs, "Deployment", "worker");
            one(objs, "Service");
            var bad = helm.template(RELEASE, umbrella(), NAMESPACE, new Helm.Values(List.of(), List.of("trevor.servce.port=8000")));
            Report.expect(!bad.ok() && bad.said().contains("servce"),
                    "expected the subchart's schema to refuse trevor.servce.port, helm said: %s", bad.ok() ? "(rendered)" : oneLine(bad.said()));
        });
        check("umbrella chart: condition trevor.enabled=false renders no trevor objects", "parent chart with --set trevor.enabled=false", () -> {
            var r = helm.template(RELEASE, umbrella(), NAMESPACE, new Helm.Values(List.of(), List.of("trevor.enabled=false")));
            Report.expect(r.ok(), "the parent chart did not render: %s", oneLine(r.said()));
            var objs = Manifests.parse(r.out());
            Report.expect(objs.size() == 1 && UMBRELLA_MARKER.equals(objs.get(0).name()),
                    "expected only the parent's own ConfigMap/%s, found %s", UMBRELLA_MARKER, ids(objs));
        });

        // Values and schema as documents.
        check("values.yaml documents every value (helm-docs `# --` comments)", "helm/trevor/values.yaml", this::valuesDocumented);
        check("values.schema.json is draft-07 and closed (additionalProperties: false)", "helm/trevor/values.schema.json", this::schemaClosed);

        // Bad values are refused, naming the key.
        for (var rej : rejections) {
            var batch = batches.computeIfAbsent(rej.batch(), b -> {
                var sets = rejections.stream().filter(r -> r.batch().equals(b)).flatMap(r -> r.values().sets().stream()).toList();
                return new Deferred(() -> helm.template(RELEASE, chart, NAMESPACE, new Helm.Values(List.of(), sets)), r -> {});
            });
            checks.add(new Check("rejects " + rej.name(), rej.values().describe(), () -> {
                var r = batch.result();
                Report.expect(!r.ok(), "expected helm to refuse these values, it rendered them");
                var lines = r.said().replace('/', '.').lines().toList();
                Report.expect(lines.stream().anyMatch(l -> rej.mustName().stream().allMatch(l::contains)),
                        "no line of the error names %s: %s", String.join(" and ", rej.mustName()), oneLine(r.said()));
            }));
        }
    }

    // ---------------------------------------------------------------- check helpers

    static String component(Manifests.Obj o) { return o.labels().get("app.kubernetes.io/component"); }

    /** Components whose pods run trevor itself (not the helm test probe). */
    static final List<String> TREVOR_COMPONENTS = List.of("api", "worker", "migrate");
    /** Names of the chart's own containers; anything else in a pod is the user's (sidecars, extra init containers). */
    static final List<String> TREVOR_CONTAINERS = List.of("trevor", "worker", "migrate");

    static List<Map<String, Object>> trevorContainers(Manifests.Obj o) {
        return o.allContainers().stream().filter(c -> TREVOR_CONTAINERS.contains(String.valueOf(c.get("name")))).toList();
    }

    static Manifests.Obj one(List<Manifests.Obj> objs, String kind) {
        var found = Manifests.ofKind(objs, kind);
        Report.expect(found.size() == 1, "expected one %s, found %s", kind, found.isEmpty() ? "none" : ids(found));
        return found.get(0);
    }

    static void none(List<Manifests.Obj> objs, String kind) {
        var found = Manifests.ofKind(objs, kind);
        Report.expect(found.isEmpty(), "expected no %s, found %s", kind, ids(found));
    }

    static Manifests.Obj component(List<Manifests.Obj> objs, String kind, String component) {
        var found = Manifests.where(objs, o -> kind.equals(o.kind()) && component.equals(component(o)));
        Report.expect(found.size() == 1, "expected one %s with component %s, found %s", kind, component, ids(Manifests.ofKind(objs, kind)));
        return found.get(0);
    }

    /** The PDB that covers a component's pods, or null. */
    static Manifests.Obj pdbFor(List<Manifests.Obj> objs, String comp) {
        var workload = component(objs, "Deployment", comp);
        for (var pdb : Manifests.ofKind(objs, "PodDisruptionBudget")) {
            if (Selectors.podSelectorOf(pdb).matches(workload.podLabels())) return pdb;
        }
        return null;
    }

    static String ids(List<Manifests.Obj> objs) { return objs.isEmpty() ? "none" : objs.stream().map(Manifests.Obj::id).collect(Collectors.joining(", ")); }

    static Map<String, String> envOf(Map<String, Object> container) {
        var env = new LinkedHashMap<String, String>();
        for (var e : Yaml.maps(container, "env")) env.put(String.valueOf(e.get("name")), e.get("value") == null ? null : String.valueOf(e.get("value")));
        return env;
    }

    static List<String> names(Map<String, Object> podSpec, String list) {
        return Yaml.maps(podSpec, list).stream().map(c -> String.valueOf(c.get("name"))).toList();
    }

    private static final Pattern QUANTITY = Pattern.compile("^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$");

    /** A Kubernetes quantity of bytes (128Mi, 1G, 1000). */
    static long bytes(Object quantity) {
        var m = QUANTITY.matcher(String.valueOf(quantity).strip());
        Report.expect(m.matches(), "not a byte quantity: %s", quantity);
        double n = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10; case "Mi" -> 1L << 20; case "Gi" -> 1L << 30; case "Ti" -> 1L << 40;
            case "k" -> 1_000L; case "M" -> 1_000_000L; case "G" -> 1_000_000_000L; case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
        return (long) (n * unit);
    }

    static String oneLine(String s) { return s.replaceAll("\\s*\\n\\s*", " ").strip(); }

    private static void secretsEverywhere(List<Manifests.Obj> objs, int expectContainers) {
        int seen = 0;
        for (var o : objs) {
            for (var c : o.allContainers()) {
                var refs = Yaml.maps(c, "envFrom").stream().map(e -> Yaml.str(e, "secretRef.name")).toList();
                Report.expect(refs.containsAll(List.of("trevor-db", "trevor-s3")),
                        "%s container %s: envFrom names %s, expected trevor-db and trevor-s3", o.id(), c.get("name"), refs);
                seen++;
            }
        }
        Report.expect(seen >= expectContainers, "expected at least %d containers, found %d", expectContainers, seen);
    }

    /**
     * A hook Job's pod is created before the release's own objects on a first install: its
     * ServiceAccount must be a hook too, with a lower weight, or not be the chart's at all.
     */
    private static void hookServiceAccountExists(List<Manifests.Obj> objs) {
        var job = one(objs, "Job");
        String sa = Yaml.str(job.podSpec(), "serviceAccountName");
        int jobWeight = weight(job);
        var sas = Manifests.ofKind(objs, "ServiceAccount").stream().filter(o -> o.name().equals(sa)).toList();
        Report.expect(!sas.isEmpty(), "the Job runs as ServiceAccount %s, which the chart does not render at all", sa);
        var hookSa = sas.stream().filter(Manifests.Obj::isHook).findFirst();
        Report.expect(hookSa.isPresent(), "the Job runs as ServiceAccount %s, which Helm creates only after pre-install hooks: "
                + "the first install's migration pod would be refused", sa);
        var a = hookSa.get().annotations().getOrDefault("helm.sh/hook", "");
        Report.expect(a.contains("pre-install") && a.contains("pre-upgrade"), "ServiceAccount %s hook is %s, expected pre-install,pre-upgrade", sa, a);
        Report.expect(weight(hookSa.get()) < jobWeight, "ServiceAccount %s hook weight %d is not below the Job's %d", sa, weight(hookSa.get()), jobWeight);
    }

    /**
     * In a default-deny namespace the migration pod reaches PostgreSQL only through its own
     * policy; on a first install an ordinary policy is created after the pre-install hooks.
     */
    private static void hookNetworkPolicyExists(List<Manifests.Obj> objs) {
        var job = one(objs, "Job");
        var policies = Manifests.ofKind(objs, "NetworkPolicy").stream()
                .filter(np -> Selectors.podSelectorOf(np).matches(job.podLabels())).toList();
        Report.expect(!policies.isEmpty(), "no NetworkPolicy selects the migration pods %s: they get no egress in a default-deny namespace", job.podLabels());
        for (var np : policies) {
            Report.expect(np.isHook(), "%s is an ordinary release object, created only after the pre-install hooks: "
                    + "on a first install the migration Job runs without its egress rules", np.id());
            var a = np.annotations().getOrDefault("helm.sh/hook", "");
            Report.expect(a.contains("pre-install") && a.contains("pre-upgrade"), "%s hook is %s, expected pre-install,pre-upgrade", np.id(), a);
            Report.expect(weight(np) < weight(job), "%s hook weight %d is not below the Job's %d", np.id(), weight(np), weight(job));
        }
    }

    private static int weight(Manifests.Obj o) {
        try {
            return Integer.parseInt(o.annotations().getOrDefault("helm.sh/hook-weight", "0").strip());
        } catch (NumberFormatException e) {
            throw new Report.Failure(o.id() + ": hook-weight is not a number");
        }
    }

    private static void noOverlap(List<Manifests.Obj> objs) {
        var workloads = Manifests.where(objs, Manifests::isWorkload);
        for (var a : workloads) {
            var sel = Selectors.podSelectorOf(a);
            if (sel == null) continue; // a Job's selector is generated by the API server
            for (var b : workloads) {
                if (a == b) continue;
                Report.expect(!sel.matches(b.podLabels()), "%s's selector %s also matches the pods of %s", a.id(), sel, b.id());
            }
        }
    }

    private static void selectOwnComponent(List<Manifests.Obj> objs) {
        var workloads = Manifests.where(objs, Manifests::isWorkload);
        for (var o : objs) {
            if (!List.of("Service", "PodDisruptionBudget", "NetworkPolicy").contains(o.kind())) continue;
            var sel = Selectors.podSelectorOf(o);
            Report.expect(!sel.isEmpty(), "%s has an empty selector: it selects every pod in the namespace", o.id());
            var picked = workloads.stream().filter(w -> sel.matches(w.podLabels())).toList();
            Report.expect(picked.size() == 1, "%s (selector %s) picks the pods of %s; expected exactly one workload", o.id(), sel, ids(picked));
            Report.expect(Objects.equals(component(picked.get(0)), component(o)),
                    "%s (component %s) selects the pods of %s (component %s)", o.id(), component(o), picked.get(0).id(), component(picked.get(0)));
        }
    }

    private Path scratch;

    /** A folder for copies of the chart, removed when the run ends. */
    private synchronized Path scratch() {
        if (scratch == null) {
            try {
                scratch = Files.createTempDirectory("trevor-verify-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    private Path notesChart;
    private static final String NOTES_PROBE = "trevor-verify-notes";

    /**
     * NOTES.txt as Helm prints it after an install. `helm template` leaves NOTES out (and Helm 3
     * cannot dry-run an install offline), so a copy of the chart gets one more template that
     * includes NOTES.txt by its template name into a ConfigMap.
     */
    private String notes(Helm.Values values) {
        synchronized (this) {
            if (notesChart == null) {
                Path copy = scratch().resolve("notes").resolve("trevor");
                Dirs.copyTree(chart, copy);
                try {
                    Files.writeString(copy.resolve("templates/zz-verify-notes.yaml"), """
                            apiVersion: v1
                            kind: ConfigMap
                            metadata:
                              name: %s
                            data:
                              NOTES: {{ include (printf "%%s/templates/NOTES.txt" .Chart.Name) . | toJson }}
                            """.formatted(NOTES_PROBE));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                notesChart = copy;
            }
        }
        var r = helm.template(RELEASE, notesChart, NAMESPACE, values);
        Report.expect(r.ok(), "helm template failed: %s", r.said());
        var cm = Manifests.parse(r.out()).stream().filter(o -> NOTES_PROBE.equals(o.name())).findFirst();
        Report.expect(cm.isPresent(), "the NOTES probe rendered nothing");
        return Yaml.str(cm.get().body(), "data.NOTES");
    }

    private Path umbrella;
    private static final String UMBRELLA_MARKER = "platform-marker";

    /**
     * A parent chart holding a copy of this chart under charts/ with `condition: trevor.enabled`,
     * as a platform repository would (no repository URL, so nothing to download), and one
     * object of its own so that a render without trevor is not empty.
     */
    private synchronized Path umbrella() throws IOException {
        if (umbrella != null) return umbrella;
        Path parent = scratch().resolve("umbrella").resolve("platform");
        Dirs.copyTree(chart, parent.resolve("charts").resolve("trevor"));
        String version = Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "version");
        Files.writeString(parent.resolve("Chart.yaml"), """
                apiVersion: v2
                name: platform
                version: 1.0.0
                dependencies:
                  - name: trevor
                    version: "%s"
                    condition: trevor.enabled
                """.formatted(version));
        Files.writeString(parent.resolve("values.yaml"), "trevor:\n  enabled: true\n");
        Files.createDirectories(parent.resolve("templates"));
        Files.writeString(parent.resolve("templates/marker.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                data: {}
                """.formatted(UMBRELLA_MARKER));
        umbrella = parent;
        return parent;
    }

    private String chartAppVersion() {
        try {
            return Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "appVersion");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern KEY_LINE = Pattern.compile("^(\\s*)([A-Za-z0-9_.-]+):(.*)$");

    /**
     * Every leaf value needs a `# --` comment on itself or on a parent key, so the file reads
     * as the chart's manual and a values table can be generated from it.
     */
    private void valuesDocumented() throws IOException {
        var lines = Files.readAllLines(chart.resolve("values.yaml"));
        var documentedIndents = new ArrayList<Integer>(); // indents of documented ancestors still open
        var missing = new ArrayList<String>();
        boolean pendingDoc = false;
        boolean inList = false;
        int listIndent = -1;
        var path = new ArrayList<String>();
        var pathIndent = new ArrayList<Integer>();
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("# --")) { pendingDoc = true; continue; }
            if (t.startsWith("#") || t.isEmpty()) continue;
            int indent = line.length() - line.stripLeading().length();
            if (inList && indent > listIndent) continue; // inside a documented default list/map body
            inList = false;
            if (t.startsWith("- ")) continue;
            var m = KEY_LINE.matcher(line);
            if (!m.matches()) { pendingDoc = false; continue; }
            while (!pathIndent.isEmpty() && pathIndent.get(pathIndent.size() - 1) >= indent) {
                pathIndent.remove(pathIndent.size() - 1);
                path.remove(path.size() - 1);
            }
            while (!documentedIndents.isEmpty() && documentedIndents.get(documentedIndents.size() - 1) >= indent) {
                documentedIndents.remove(documentedIndents.size() - 1);
            }
            path.add(m.group(2));
            pathIndent.add(indent);
            String rest = m.group(3).strip();
            boolean parent = rest.isEmpty();
            boolean covered = pendingDoc || !documentedIndents.isEmpty();
            if (parent) {
                if (pendingDoc) documentedIndents.add(indent);
            } else if (!covered) {
                missing.add(String.join(".", path));
            }
            if (parent && pendingDoc) { inList = true; listIndent = indent; }
            pendingDoc = false;
        }
        Report.expect(missing.isEmpty(), "values without a `# --` description: %s", String.join(", ", missing));
    }

    @SuppressWarnings("unchecked")
    private void schemaClosed() throws IOException {
        var schema = Yaml.loadMap(Files.readString(chart.resolve("values.schema.json")));
        Report.expect("http://json-schema.org/draft-07/schema#".equals(schema.get("$schema")),
                "expected $schema draft-07 (Helm 3 and Helm 4 read it alike), found %s", schema.get("$schema"));
        var open = new ArrayList<String>();
        walkSchema("", schema, open);
        Report.expect(open.isEmpty(), "objects that accept unknown keys: %s", open);
        // Every key of values.yaml must be declared, or the schema would refuse the defaults.
        var values = Yaml.loadMap(Files.readString(chart.resolve("values.yaml")));
        for (String key : values.keySet()) {
            Report.expect(((Map<String, Object>) schema.getOrDefault("properties", Map.of())).containsKey(key),
                    "values.yaml key %s is not in the schema", key);
        }
    }

    @SuppressWarnings("unchecked")
    private static void walkSchema(String path, Map<String, Object> node, List<String> open) {
        if (node.get("properties") instanceof Map<?, ?> props) {
            if (!Boolean.FALSE.equals(node.get("additionalProperties"))) open.add(path.isEmpty() ? "(root)" : path);
            for (var e : ((Map<String, Object>) props).entrySet()) {
                if (e.getValue() instanceof Map) walkSchema(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), (Map<String, Object>) e.getValue(), open);
            }
        }
        if (node.get("items") instanceof Map) walkSchema(path + "[]", (Map<String, Object>) node.get("items"), open);
    }
}
