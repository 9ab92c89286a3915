//SOURCES ChartChecks.java
//SOURCES ChartFixtures.java
//SOURCES ChartGroup.java
//SOURCES CheckRunner.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Report.java
//SOURCES ../kube/Selectors.java
//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The spec's test plan, steps 1 to 7 and 12: what each values switch renders (Ingress, worker,
 * HPA, NetworkPolicies, migrations as a hook Job or init container, envFromSecrets, PDBs),
 * with the hook ordering and NOTES a first install depends on.
 */
final class PlanChecks extends ChartGroup {
    PlanChecks(ChartChecks suite) { super(suite); }

    /** Steps 1 to 7 of the test plan, with the hook objects and NOTES of step 6. */
    void steps1to7() {
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
            var rules = Yaml.maps(ing.body(), "spec.rules");
            // An Ingress without rules or paths routes nothing to the API: it must not pass for one that does.
            Report.expect(!rules.isEmpty(), "expected at least one rule routing to the API, found none");
            for (var rule : rules) {
                Report.expect(!Yaml.maps(rule, "http.paths").isEmpty(), "expected paths under the rule for host %s, found none", rule.get("host"));
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
            var comps = nps.stream().map(ChartGroup::component).collect(Collectors.toSet());
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
            var rules = Yaml.maps(api.body(), "spec.ingress");
            Report.expect(!rules.isEmpty(), "expected ingress rules admitting traffic to the API, found none");
            for (var rule : rules) {
                // A rule without ports admits every port: exactly what this check guards against.
                Report.expect(!Yaml.maps(rule, "ports").isEmpty(), "expected every ingress rule to name the http port, found a rule with no ports "
                        + "(it opens every port) from %s", rule.get("from"));
                for (var p : Yaml.maps(rule, "ports")) {
                    String port = Yaml.str(p, "port");
                    Report.expect("http".equals(port) || "8000".equals(port), "expected ingress only to the http port, found %s", port);
                }
            }
            for (String other : List.of("worker", "migrate")) {
                var np = component(s("network-policy").objs(), "NetworkPolicy", other);
                Report.expect(Yaml.list(np.body(), "spec.ingress").isEmpty() && Yaml.list(np.body(), "spec.policyTypes").contains("Ingress"),
                        "expected the %s's policy to deny all ingress, found %s", other, Yaml.at(np.body(), "spec.ingress"));
            }
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
            if (suite.has("values/prod.yaml")) scs.add(s("values/prod.yaml"));
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
        Path probe = suite.runner.fixture("notes/trevor", chart, ChartFixtures::notesProbe);
        var deletedJob = suite.runner.scenario("NOTES: default values", probe, RELEASE, NAMESPACE, Helm.Values.none());
        var keptJob = suite.runner.scenario("NOTES: hook Job kept", probe, RELEASE, NAMESPACE,
                new Helm.Values(List.of(), List.of("migrations.hookDeletePolicy=before-hook-creation")));
        var noJob = suite.runner.scenario("NOTES: no hook Job", probe, RELEASE, NAMESPACE,
                new Helm.Values(List.of(), List.of("migrations.hookEnabled=false")));
        check("NOTES: migration logs are offered only while the hook Job is kept", "default values; migrations.hookDeletePolicy=before-hook-creation", () -> {
            String deleted = notes(deletedJob);
            Report.expect(deleted.contains("helm -n " + NAMESPACE + " get hooks " + RELEASE),
                    "with the default hookDeletePolicy the Job is gone after a success; expected NOTES to point at `helm get hooks`, found:%n%s", deleted);
            Report.expect(!deleted.contains("Migrations ran as hook Job"), "NOTES send the reader to a Job that was deleted:%n%s", deleted);
            String kept = notes(keptJob);
            Report.expect(kept.contains("kubectl -n " + NAMESPACE + " logs job/trevor-migrate") && !kept.contains("get hooks"),
                    "with hookDeletePolicy=before-hook-creation the Job is kept; expected its logs command, found:%n%s", kept);
            String none = notes(noJob);
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
    }

    /** Step 12: a PodDisruptionBudget exactly when it leaves a pod to evict. */
    void step12() {
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
    }

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

    private static String notes(CheckRunner.Scenario sc) {
        var cm = sc.objs().stream().filter(o -> ChartFixtures.NOTES_PROBE.equals(o.name())).findFirst();
        Report.expect(cm.isPresent(), "the NOTES probe rendered nothing");
        return Yaml.str(cm.get().body(), "data.NOTES");
    }
}
