//SOURCES ChartChecks.java
//SOURCES ChartGroup.java
//SOURCES KubeSchema.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Report.java
//SOURCES ../kube/Selectors.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The operator knobs beyond the test plan: extra volumes, metrics, graceful shutdown, sidecars,
 * OpenTelemetry, worker autoscaling, helm test, env, probes, placement, image, names and labels.
 */
final class KnobChecks extends ChartGroup {
    KnobChecks(ChartChecks suite) { super(suite); }

    /** What the pod-level knobs add to each trevor pod, and helm test. */
    void podKnobs() {
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
    }

    /** What single values change in the rendered objects: env, probes, placement, image, names, labels. */
    void valueKnobs() {
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
    }

    /** Rollout capacity and ingress TLS. */
    void rolloutAndIngress() {
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

    }

    private String chartAppVersion() {
        try {
            return Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "appVersion");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
