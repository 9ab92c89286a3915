//SOURCES CheckRunner.java
//SOURCES ../kube/Helm.java
//SOURCES KnobChecks.java
//SOURCES PlanChecks.java
//SOURCES RejectionChecks.java
//SOURCES ../report/Report.java
//SOURCES SchemaSecurityChecks.java
//SOURCES UmbrellaChecks.java
//SOURCES ValuesDocsChecks.java
//SOURCES ZeroDowntimeChecks.java

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The render half of the spec's test plan (steps 1–7 and 12) and what a chart reviewer adds
 * to it, as named checks over real `helm template` and `helm lint` output: the scenarios
 * (values sets) to render, and the check groups over them in the order they report.
 */
final class ChartChecks {
    static final String RELEASE = "trevor";
    static final String NAMESPACE = "trevor";
    /** Helm's limit for release names: what the 63-character name rules must survive. */
    static final String LONG_RELEASE = "release-with-a-very-long-name-that-uses-all-53-chars";

    final CheckRunner runner;
    final Path chart;
    private final Path valuesDir;
    private final Map<String, CheckRunner.Scenario> scenarios = new LinkedHashMap<>();
    private final Map<String, Helm.Values> lints = new LinkedHashMap<>();

    /** The trevor chart's checks on a runner of their own (as the defect tests use them). */
    ChartChecks(Helm helm, Path chart, Path valuesDir, Report report, PrintStream timings) {
        this(new CheckRunner(helm, report, timings), chart, valuesDir);
    }

    /** Adds the trevor chart's scenarios and checks to a runner. */
    ChartChecks(CheckRunner runner, Path chart, Path valuesDir) {
        this.runner = runner;
        this.chart = chart;
        this.valuesDir = valuesDir;
        defineScenarios();
        var plan = new PlanChecks(this);
        var knobs = new KnobChecks(this);
        var security = new SchemaSecurityChecks(this);
        plan.steps1to7();
        knobs.podKnobs();
        plan.step12();
        security.lintsAndRenders();
        security.selectors();
        security.containers();
        knobs.valueKnobs();
        security.noServiceAccountToken();
        security.noServiceLinks();
        knobs.rolloutAndIngress();
        new ZeroDowntimeChecks(this).define();
        new UmbrellaChecks(this).define();
        new ValuesDocsChecks(this).define();
        new RejectionChecks(this).define();
    }

    List<String> names() { return runner.names(); }

    void run() { runner.run(); }

    CheckRunner.Scenario s(String name) { return Objects.requireNonNull(scenarios.get(name), name); }

    boolean has(String name) { return scenarios.containsKey(name); }

    Collection<CheckRunner.Scenario> scenarios() { return scenarios.values(); }

    /** What `helm lint --strict` runs with: default values, then each values file. */
    Map<String, Helm.Values> lints() { return lints; }

    // ---------------------------------------------------------------- scenarios

    private CheckRunner.Scenario scenario(String name, String... sets) { return scenario(name, RELEASE, List.of(), sets); }

    private CheckRunner.Scenario scenario(String name, String release, List<Path> files, String... sets) {
        var s = runner.scenario(name, chart, release, NAMESPACE, new Helm.Values(files, List.of(sets)));
        scenarios.put(name, s);
        return s;
    }

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

        lints.put("default values", Helm.Values.none());
        for (Path f : valuesFiles()) lints.put("values/" + f.getFileName(), new Helm.Values(List.of(f), List.of()));
    }

    private List<Path> valuesFiles() {
        if (!Files.isDirectory(valuesDir)) return List.of();
        try (Stream<Path> files = Files.list(valuesDir)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
