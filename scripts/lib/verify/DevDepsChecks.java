//SOURCES ChartChecks.java
//SOURCES CheckRunner.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Report.java
//SOURCES SchemaSecurityChecks.java
//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * verify's checks of helm/trevor-dev-deps: lint, render, the Kubernetes API schema and Pod
 * Security "restricted" for each values set (the same checks as the trevor chart's renders),
 * and what trevor relies on: fixed Service names and ports, real readiness probes, local
 * images never pulled on the real node. They run on verify's one runner, beside the trevor
 * chart's checks.
 */
final class DevDepsChecks {
    /**
     * Not the chart's usual release name: Service names must not depend on it. The longest
     * release name Helm takes, which the trevor chart's long-release-name scenario renders with
     * too, so that the two share a helm process.
     */
    static final String RELEASE = ChartChecks.LONG_RELEASE;
    static final String NAMESPACE = "trevor";
    /** Service → port that values/dev.yaml and the dev Secret (Secrets.DEV) use. */
    static final Map<String, Integer> SERVICES = Map.of("postgres", 5432, "redis", 6379, "seaweedfs", 8333, "keycloak", 8080,
            "otel-collector", 4317);

    /** REAL_NODE_VALUES (DevDeps needs the install classes, which verify does not load). */
    static final String REAL_NODE_VALUES = "values-real-node.yaml";

    private final Map<String, CheckRunner.Scenario> scenarios = new LinkedHashMap<>();

    DevDepsChecks(CheckRunner runner, Path chart) {
        var values = new LinkedHashMap<String, Helm.Values>();
        values.put("default values", Helm.Values.none());
        values.put(REAL_NODE_VALUES, new Helm.Values(List.of(chart.resolve(REAL_NODE_VALUES)), List.of()));
        values.put("PostgreSQL and Redis only", new Helm.Values(List.of(), List.of("seaweedfs.enabled=false", "keycloak.enabled=false",
                "otelCollector.enabled=false")));
        values.put("no buckets, Keycloak users", new Helm.Values(List.of(), List.of("--set-json seaweedfs.buckets=[]",
                "keycloak.users[0].username=dev", "keycloak.users[0].password=dev")));
        for (String name : List.of("default values", REAL_NODE_VALUES)) {
            // Not named by --list, as before the check runner was split out (see NOTES-verify.md).
            runner.lintCheck("dev-deps: helm lint --strict: " + name, chart, values.get(name));
        }
        values.forEach((name, v) -> scenarios.put(name, runner.scenario("dev-deps " + name, chart, RELEASE, NAMESPACE, v)));
        scenarios.forEach((name, sc) -> SchemaSecurityChecks.everyRender(runner, "dev-deps: ", "renders, strict YAML", sc, name));
        var unknownKey = runner.refusal(chart, RELEASE, NAMESPACE,
                new Helm.Values(List.of(), List.of("postgres.imge.tag=15", "redis.image.pullPolicy=Sometimes")), true, null);
        runner.check(FIXED_SERVICES, "default values, release " + RELEASE, () -> {
            var services = new LinkedHashMap<String, List<Object>>();
            for (var o : Manifests.ofKind(scenarios.get("default values").objs(), "Service")) {
                services.put(o.name(), Yaml.maps(o.body(), "spec.ports").stream().map(p -> p.get("port")).toList());
            }
            for (var e : SERVICES.entrySet()) {
                Report.expect(services.containsKey(e.getKey()) && services.get(e.getKey()).contains(e.getValue()),
                        "expected Service %s with port %d, found %s", e.getKey(), e.getValue(), services);
            }
        });
        runner.check(PROBES, "every values set", () -> {
            for (String s : scenarios.keySet()) {
                for (var o : Manifests.ofKind(scenarios.get(s).objs(), "Deployment")) {
                    for (var c : o.allContainers()) {
                        var probe = Yaml.map(c, "readinessProbe");
                        Report.expect(probe != null && (probe.containsKey("exec") || probe.containsKey("tcpSocket") || probe.containsKey("httpGet")),
                                "%s container %s: expected an exec, tcpSocket or httpGet readiness probe, found %s (%s)", o.id(), c.get("name"), probe, s);
                    }
                }
            }
        });
        runner.check(LOCAL_IMAGES, values.get(REAL_NODE_VALUES).describe(), () -> {
            var objs = scenarios.get(REAL_NODE_VALUES).objs();
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
        runner.check(SCHEMA, "--set postgres.imge.tag=15 --set redis.image.pullPolicy=Sometimes", () -> {
            var v = unknownKey.verdict();
            Report.expect(v.refused() && v.said().contains("imge") && v.said().contains("pullPolicy"),
                    "expected helm to refuse both and name them, %s: %s", v.refused() ? "it said" : "it rendered them", v.said());
        }, unknownKey.input());
    }

    private static final String FIXED_SERVICES = "dev-deps: Services postgres:5432, redis:6379, seaweedfs:8333, keycloak:8080, "
            + "otel-collector:4317, whatever the release name";
    private static final String PROBES = "dev-deps: every dependency has a readiness probe that talks to it";
    private static final String LOCAL_IMAGES = "dev-deps: " + REAL_NODE_VALUES + " runs only images built by scripts/images.java, never pulled";
    private static final String SCHEMA = "dev-deps: values.schema.json refuses an unknown key and an unknown pull policy";
}
