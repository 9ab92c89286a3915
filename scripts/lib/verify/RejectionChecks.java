//SOURCES ChartChecks.java
//SOURCES ChartGroup.java
//SOURCES ../kube/Helm.java
//SOURCES ../report/Report.java

import java.util.ArrayList;
import java.util.List;

/**
 * Bad values are refused, naming the key: what the schema refuses (one helm run reports every
 * case, each under a name of its own) and what the templates `fail` on (each its own run, as a
 * render stops at the first failure).
 */
final class RejectionChecks extends ChartGroup {
    /**
     * Values the schema or the templates must refuse, and the words the refusal must contain:
     * each group of words on one line of it. With several groups (several bad values at once),
     * problems is how many the one refusal must say it lists.
     */
    record Rejection(String refusedBy, String name, Helm.Values values, List<List<String>> mustName, int problems) {}

    private final List<Rejection> rejections = new ArrayList<>();

    RejectionChecks(ChartChecks suite) {
        super(suite);
        // "schema" cases are refused by values.schema.json: one batched helm run reports them
        // all, each case's violations under its own name. Template `fail`s stop a render at the
        // first, so each of those gets a render of its own.
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
        reject("fail-scrape-timeout", "a ServiceMonitor scrapeTimeout longer than its interval (the Prometheus Operator refuses it)",
                List.of("metrics.serviceMonitor.scrapeTimeout", "metrics.serviceMonitor.interval"), "metrics.serviceMonitor.enabled=true",
                "metrics.serviceMonitor.interval=1m", "metrics.serviceMonitor.scrapeTimeout=61s");
        // What the API server refuses, found by properties.java: refused by helm first, naming the value.
        reject("schema", "a label value Kubernetes refuses (commonLabels.team=a b)", List.of("commonLabels", "team"), "commonLabels.team=a b");
        reject("schema", "an ingress host that is an IP address", List.of("ingress.hosts.0.host"), "ingress.enabled=true",
                "ingress.hosts[0].host=10.0.0.1", "ingress.hosts[0].paths[0].path=/");
        reject("fail-request-above-limit", "a CPU request above its limit", List.of("resources.requests.cpu", "resources.limits.cpu"),
                "resources.requests.cpu=2", "resources.limits.cpu=1");
        reject("fail-min-domains", "minDomains with whenUnsatisfiable ScheduleAnyway", List.of("topologySpreadConstraints[0].minDomains", "ScheduleAnyway"),
                "--set-json topologySpreadConstraints=[{\"topologyKey\":\"kubernetes.io/hostname\",\"whenUnsatisfiable\":\"ScheduleAnyway\",\"maxSkew\":1,\"minDomains\":2}]");
        reject("fail-volume-tmp", "an extra volume named tmp, like the chart's own", List.of("extraVolumes[0]", "tmp"),
                "--set-json extraVolumes=[{\"name\":\"tmp\",\"emptyDir\":{}}]");
        reject("fail-extra-env-twice", "extraEnv repeating a variable the chart sets (HOME)", List.of("extraEnv[0]", "HOME"),
                "--set-json extraEnv=[{\"name\":\"HOME\",\"value\":\"/x\"}]");
        reject("fail-rolling-zero", "a rolling update with maxSurge and maxUnavailable both 0",
                List.of("strategy.rollingUpdate.maxSurge", "strategy.rollingUpdate.maxUnavailable"), "strategy.rollingUpdate.maxSurge=0",
                "strategy.rollingUpdate.maxUnavailable=0");
        // validate.yaml collects every problem before it fails: one refusal names them all.
        rejections.add(new Rejection("fail-several", "several bad values at once, every one named in one error",
                new Helm.Values(List.of(), List.of("migrations.enabled=true", "migrations.hookEnabled=true", "preStopSleepSeconds=30",
                        "terminationGracePeriodSeconds=30", "replicaCount=3", "podDisruptionBudget.maxUnavailable=0",
                        "autoscaling.enabled=true", "autoscaling.minReplicas=5", "autoscaling.maxReplicas=2",
                        "--set-json worker.sidecars=[{\"name\":\"migrate\",\"image\":\"x\"}]")),
                List.of(List.of("migrations.enabled", "migrations.hookEnabled"),
                        List.of("preStopSleepSeconds", "terminationGracePeriodSeconds"),
                        List.of("podDisruptionBudget.maxUnavailable"),
                        List.of("autoscaling.minReplicas", "autoscaling.maxReplicas"),
                        List.of("worker.sidecars", "migrate")), 5));
    }

    private void reject(String refusedBy, String what, List<String> mustName, String... sets) {
        rejections.add(new Rejection(refusedBy, what, new Helm.Values(List.of(), List.of(sets)), List.of(mustName), 0));
    }

    void define() {
        for (var rej : rejections) {
            var refusal = suite.runner.refusal(chart, RELEASE, NAMESPACE, rej.values(), rej.refusedBy().startsWith("schema"), null);
            suite.runner.check("rejects " + rej.name(), rej.values().describe(), () -> {
                var v = refusal.verdict();
                Report.expect(v.refused(), "expected helm to refuse these values, it rendered them");
                for (var words : rej.mustName()) {
                    Report.expect(v.lines().stream().map(l -> l.replace('/', '.')).anyMatch(l -> words.stream().allMatch(l::contains)),
                            "no line of the error names %s: %s", String.join(" and ", words), oneLine(v.said()));
                }
                if (rej.problems() > 0) {
                    String count = "trevor: " + rej.problems() + " problems in the values:";
                    Report.expect(v.said().contains(count), "expected one error that says \"%s\": %s", count, oneLine(v.said()));
                }
            }, refusal.input());
        }
    }
}
