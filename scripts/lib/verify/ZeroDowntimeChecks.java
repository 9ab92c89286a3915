//SOURCES ChartChecks.java
//SOURCES ChartGroup.java
//SOURCES CheckRunner.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a rolling upgrade, a rollback or a scale-down needs so that no request fails: the
 * rendered settings that issue 17 measured under load on the real node (0 failed of ~450 with
 * a 5-10 s preStop pause, 2-7 failed without one; prod's spread rule left 2 of 3 API pods
 * Pending on a cluster with tainted nodes).
 */
final class ZeroDowntimeChecks extends ChartGroup {
    /** The shortest preStop pause that measured 0 failed requests on the real node. */
    static final int MIN_PRESTOP_SECONDS = 5;
    /** What uvicorn takes after SIGTERM to finish the requests in flight, within the grace period. */
    static final int APP_SHUTDOWN_SECONDS = 10;

    ZeroDowntimeChecks(ChartChecks suite) { super(suite); }

    void define() {
        var files = suite.scenarios().stream().filter(sc -> sc.name.startsWith("values/")).toList();
        String filesContext = files.stream().map(sc -> sc.name).toList().toString();
        check("zero downtime: API pods of a values/ file with more than one replica pause " + MIN_PRESTOP_SECONDS
                        + " s or more in preStop, and their grace period outlasts the pause and " + APP_SHUTDOWN_SECONDS + " s of shutdown",
                filesContext, () -> {
            var problems = new ArrayList<String>();
            for (var sc : files) {
                var objs = sc.objs();
                var api = component(objs, "Deployment", "api");
                int promised = apiReplicas(objs, api);
                if (promised < 2) continue; // one pod promises no availability through a rollout
                var c = Yaml.maps(api.podSpec(), "containers").get(0);
                int pause = preStopSeconds(c);
                int grace = Integer.parseInt(String.valueOf(Yaml.str(api.podSpec(), "terminationGracePeriodSeconds")));
                if (pause < MIN_PRESTOP_SECONDS) {
                    problems.add(sc.name + ": " + promised + " API replicas but a preStop pause of " + pause + " s (lifecycle " + c.get("lifecycle")
                            + "): old pods stop while kube-proxy and the ingress still send them requests; set preStopSleepSeconds to 5-10");
                } else if (grace <= pause + APP_SHUTDOWN_SECONDS) {
                    problems.add(sc.name + ": terminationGracePeriodSeconds " + grace + " is not above the preStop pause (" + pause + " s) plus "
                            + APP_SHUTDOWN_SECONDS + " s for uvicorn to finish its requests: the kubelet kills requests in flight");
                }
            }
            Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
        });
        check("zero downtime: API rollouts of a values/ file never drop below ready capacity (RollingUpdate, maxUnavailable 0, "
                + "maxSurge above 0, a readiness probe)", filesContext, () -> {
            var problems = new ArrayList<String>();
            for (var sc : files) {
                var objs = sc.objs();
                var api = component(objs, "Deployment", "api");
                int replicas = apiReplicas(objs, api);
                var strategy = Yaml.map(api.body(), "spec.strategy");
                String type = strategy == null ? "RollingUpdate" : String.valueOf(strategy.getOrDefault("type", "RollingUpdate"));
                String unavailable = String.valueOf(Yaml.str(api.body(), "spec.strategy.rollingUpdate.maxUnavailable"));
                String surge = String.valueOf(Yaml.str(api.body(), "spec.strategy.rollingUpdate.maxSurge"));
                if (!"RollingUpdate".equals(type)) problems.add(sc.name + ": strategy " + type + " stops every API pod before the new ones serve");
                else if (!List.of("0", "0%").contains(unavailable)) {
                    problems.add(sc.name + ": maxUnavailable " + unavailable + " lets a rollout take ready pods away before their replacements are ready; set 0");
                } else if (List.of("0", "0%", "null").contains(surge)) {
                    problems.add(sc.name + ": maxSurge " + surge + " with maxUnavailable 0 cannot roll");
                }
                var c = Yaml.maps(api.podSpec(), "containers").get(0);
                if (replicas >= 1 && c.get("readinessProbe") == null) {
                    problems.add(sc.name + ": the API has no readiness probe, so a new pod takes requests before uvicorn listens");
                }
            }
            Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
        });
        var spread = new ArrayList<CheckRunner.Scenario>();
        spread.add(s("everything"));
        spread.addAll(files);
        check("zero downtime: topology spread counts only nodes the API and worker pods can use (nodeTaintsPolicy and nodeAffinityPolicy Honor)",
                spread.stream().map(sc -> sc.name).toList().toString(), () -> {
            var problems = new ArrayList<String>();
            int seen = 0;
            for (var sc : spread) {
                for (var o : sc.objs()) {
                    if (o.podSpec() == null || !List.of("api", "worker").contains(component(o))) continue;
                    for (var c : Yaml.maps(o.podSpec(), "topologySpreadConstraints")) {
                        seen++;
                        for (String policy : List.of("nodeTaintsPolicy", "nodeAffinityPolicy")) {
                            if (!"Honor".equals(c.get(policy))) {
                                problems.add(sc.name + " " + o.id() + " on " + c.get("topologyKey") + ": " + policy + " " + c.get(policy));
                            }
                        }
                    }
                }
            }
            Report.expect(seen > 0, "no topology spread constraint rendered in %s: the check saw nothing", spread.stream().map(sc -> sc.name).toList());
            Report.expect(problems.isEmpty(), "%s (unset, Kubernetes ignores taints: tainted nodes the pods cannot use still count as domains, "
                    + "and DoNotSchedule leaves pods Pending)", String.join("; ", problems));
        });
    }

    /** What the API promises to keep: the HPA's minReplicas when an HPA scales it, else its replicas. */
    static int apiReplicas(List<Manifests.Obj> objs, Manifests.Obj api) {
        for (var hpa : Manifests.ofKind(objs, "HorizontalPodAutoscaler")) {
            if (api.name().equals(Yaml.str(hpa.body(), "spec.scaleTargetRef.name"))) {
                Object min = Yaml.at(hpa.body(), "spec.minReplicas");
                return min == null ? 1 : Integer.parseInt(String.valueOf(min));
            }
        }
        Object r = Yaml.at(api.body(), "spec.replicas");
        return r == null ? 1 : Integer.parseInt(String.valueOf(r));
    }

    /** The seconds of the chart's preStop `sleep N`, 0 without one. */
    static int preStopSeconds(Map<String, Object> container) {
        var cmd = Yaml.list(container, "lifecycle.preStop.exec.command");
        if (cmd == null || cmd.size() != 2 || !"sleep".equals(String.valueOf(cmd.get(0)))) return 0;
        try {
            return Integer.parseInt(String.valueOf(cmd.get(1)));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
