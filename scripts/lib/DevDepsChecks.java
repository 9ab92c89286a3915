//SOURCES Exec.java
//SOURCES Helm.java
//SOURCES KubeSchema.java
//SOURCES Manifests.java
//SOURCES PodSecurity.java
//SOURCES Report.java
//SOURCES Yaml.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * verify's checks of helm/trevor-dev-deps: lint, render, the Kubernetes API schema and Pod
 * Security "restricted" for each values set, and what trevor relies on (fixed Service names
 * and ports, real readiness probes, local images never pulled on the real node). The helm runs
 * start when the object is made, so they overlap with the trevor chart's checks.
 */
final class DevDepsChecks {
    /** Not the chart's usual release name: Service names must not depend on it. */
    static final String RELEASE = "any-release-name";
    static final String NAMESPACE = "trevor";
    /** Service → port that values/dev.yaml and the dev Secret (Secrets.DEV) use. */
    static final Map<String, Integer> SERVICES = Map.of("postgres", 5432, "redis", 6379, "seaweedfs", 8333, "keycloak", 8080,
            "otel-collector", 4317);

    /** REAL_NODE_VALUES (DevDeps needs the install classes, which verify does not load). */
    static final String REAL_NODE_VALUES = "values-real-node.yaml";

    private final Helm helm;
    private final Path chart;
    private final Report report;
    private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
        var t = new Thread(r, "dev-deps");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Helm.Values> scenarios = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<Exec.Result>> renders = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<Exec.Result>> lints = new LinkedHashMap<>();
    private CompletableFuture<Exec.Result> unknownKey;

    DevDepsChecks(Helm helm, Path chart, Report report) {
        this.helm = helm;
        this.chart = chart;
        this.report = report;
        scenarios.put("default values", Helm.Values.none());
        scenarios.put(REAL_NODE_VALUES, new Helm.Values(List.of(chart.resolve(REAL_NODE_VALUES)), List.of()));
        scenarios.put("PostgreSQL and Redis only", new Helm.Values(List.of(), List.of("seaweedfs.enabled=false", "keycloak.enabled=false",
                "otelCollector.enabled=false")));
        scenarios.put("no buckets, Keycloak users", new Helm.Values(List.of(), List.of("--set-json seaweedfs.buckets=[]",
                "keycloak.users[0].username=dev", "keycloak.users[0].password=dev")));
    }

    /** Starts every helm run in the background (nothing when --only selects none of these checks). */
    void start() {
        if (!renders.isEmpty() || names().stream().noneMatch(report::selected)) return;
        for (var e : scenarios.entrySet()) {
            renders.put(e.getKey(), CompletableFuture.supplyAsync(() -> helm.template(RELEASE, chart, NAMESPACE, e.getValue()), pool));
        }
        for (String name : List.of("default values", REAL_NODE_VALUES)) {
            lints.put(name, CompletableFuture.supplyAsync(() -> helm.lint(chart, scenarios.get(name)), pool));
        }
        unknownKey = CompletableFuture.supplyAsync(() -> helm.template(RELEASE, chart, NAMESPACE,
                new Helm.Values(List.of(), List.of("postgres.imge.tag=15", "redis.image.pullPolicy=Sometimes"))), pool);
    }

    private List<Manifests.Obj> objs(String scenario) {
        var r = renders.get(scenario).join();
        if (!r.ok()) throw new Report.Failure("helm template failed: " + r.said());
        return Manifests.parse(r.out());
    }

    List<String> names() {
        var out = new ArrayList<String>();
        lints.keySet().forEach(n -> out.add("dev-deps: helm lint --strict: " + n));
        for (String s : scenarios.keySet()) {
            out.add("dev-deps: renders, strict YAML: " + s);
            out.add("dev-deps: Kubernetes API schema: " + s);
            out.add("dev-deps: Pod Security restricted: " + s);
        }
        out.addAll(List.of(FIXED_SERVICES, PROBES, LOCAL_IMAGES, SCHEMA));
        return out;
    }

    private static final String FIXED_SERVICES = "dev-deps: Services postgres:5432, redis:6379, seaweedfs:8333, keycloak:8080, "
            + "otel-collector:4317, whatever the release name";
    private static final String PROBES = "dev-deps: every dependency has a readiness probe that talks to it";
    private static final String LOCAL_IMAGES = "dev-deps: " + REAL_NODE_VALUES + " runs only images built by scripts/images.java, never pulled";
    private static final String SCHEMA = "dev-deps: values.schema.json refuses an unknown key and an unknown pull policy";

    void run() {
        if (names().stream().noneMatch(report::selected)) return;
        start();
        try {
            for (var e : lints.entrySet()) {
                report.check("dev-deps: helm lint --strict: " + e.getKey(), scenarios.get(e.getKey()).describe(), () -> {
                    var r = e.getValue().join();
                    Report.expect(r.ok(), "lint failed: %s", r.said());
                    Report.expect(!r.out().contains("[WARNING]") && !r.out().contains("[ERROR]"), "lint reported: %s", r.out().strip());
                });
            }
            for (var e : scenarios.entrySet()) {
                String s = e.getKey(), ctx = e.getValue().describe();
                report.check("dev-deps: renders, strict YAML: " + s, ctx, () -> Report.expect(!objs(s).isEmpty(), "rendered nothing"));
                report.check("dev-deps: Kubernetes API schema: " + s, ctx, () -> {
                    var problems = new ArrayList<String>();
                    for (var o : objs(s)) {
                        String p = KubeSchema.problem(o);
                        if (p != null) problems.add(o.id() + ": " + p);
                    }
                    Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
                });
                report.check("dev-deps: Pod Security restricted: " + s, ctx, () -> {
                    var problems = new ArrayList<String>();
                    for (var o : objs(s)) {
                        if (o.podSpec() == null) continue;
                        for (String v : PodSecurity.restrictedViolations(o.podSpec())) problems.add(o.id() + " " + v);
                    }
                    Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
                });
            }
            report.check(FIXED_SERVICES, "default values, release " + RELEASE, () -> {
                var services = new LinkedHashMap<String, List<Object>>();
                for (var o : Manifests.ofKind(objs("default values"), "Service")) {
                    services.put(o.name(), Yaml.maps(o.body(), "spec.ports").stream().map(p -> p.get("port")).toList());
                }
                for (var e : SERVICES.entrySet()) {
                    Report.expect(services.containsKey(e.getKey()) && services.get(e.getKey()).contains(e.getValue()),
                            "expected Service %s with port %d, found %s", e.getKey(), e.getValue(), services);
                }
            });
            report.check(PROBES, "every values set", () -> {
                for (String s : scenarios.keySet()) {
                    for (var o : Manifests.ofKind(objs(s), "Deployment")) {
                        for (var c : o.allContainers()) {
                            var probe = Yaml.map(c, "readinessProbe");
                            Report.expect(probe != null && (probe.containsKey("exec") || probe.containsKey("tcpSocket") || probe.containsKey("httpGet")),
                                    "%s container %s: expected an exec, tcpSocket or httpGet readiness probe, found %s (%s)", o.id(), c.get("name"), probe, s);
                        }
                    }
                }
            });
            report.check(LOCAL_IMAGES, scenarios.get(REAL_NODE_VALUES).describe(), () -> {
                var objs = objs(REAL_NODE_VALUES);
                var workloads = Manifests.where(objs, Manifests::isWorkload);
                Report.expect(!workloads.isEmpty(), "rendered no workloads");
                for (var o : workloads) {
                    for (var c : o.allContainers()) {
                        Report.expect(String.valueOf(c.get("image")).startsWith("localhost/trevor-dev/") && "Never".equals(c.get("imagePullPolicy")),
                                "%s container %s: expected a localhost/trevor-dev/ image with imagePullPolicy Never, found %s (%s)",
                                o.id(), c.get("name"), c.get("image"), c.get("imagePullPolicy"));
                    }
                }
            });
            report.check(SCHEMA, "--set postgres.imge.tag=15 --set redis.image.pullPolicy=Sometimes", () -> {
                var r = unknownKey.join();
                Report.expect(!r.ok() && r.said().contains("imge") && r.said().contains("pullPolicy"),
                        "expected helm to refuse both and name them, got exit %d: %s", r.exit(), r.said());
            });
        } finally {
            pool.shutdownNow();
        }
    }
}
