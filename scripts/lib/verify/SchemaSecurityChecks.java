//SOURCES ChartChecks.java
//SOURCES ChartGroup.java
//SOURCES CheckRunner.java
//SOURCES KubeSchema.java
//SOURCES ../kube/Manifests.java
//SOURCES PodSecurity.java
//SOURCES ../report/Report.java
//SOURCES ../kube/Selectors.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What holds for every render, whatever the values: helm lint --strict, strict YAML, the
 * Kubernetes API schema, Pod Security "restricted", selectors that pick only their own pods,
 * and what every container needs (resources, ephemeral storage, a read-only root with /tmp).
 */
final class SchemaSecurityChecks extends ChartGroup {
    SchemaSecurityChecks(ChartChecks suite) { super(suite); }

    /** A render's three checks: it renders strict YAML, every object fits the API schema, every pod is "restricted". */
    static void everyRender(CheckRunner runner, String prefix, String rendersLabel, CheckRunner.Scenario sc, String shownAs) {
        runner.check(prefix + rendersLabel + ": " + shownAs, sc.context(), () -> Report.expect(!sc.objs().isEmpty(), "rendered nothing"));
        runner.check(prefix + "Kubernetes API schema: " + shownAs, sc.context(), () -> {
            var problems = new ArrayList<String>();
            for (var o : sc.objs()) {
                String p = KubeSchema.problem(o);
                if (p != null) problems.add(o.id() + ": " + p);
            }
            Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
        });
        runner.check(prefix + "Pod Security restricted: " + shownAs, sc.context(), () -> {
            var problems = new ArrayList<String>();
            for (var o : sc.objs()) {
                if (o.podSpec() == null) continue;
                for (String v : PodSecurity.restrictedViolations(o.podSpec())) problems.add(o.id() + " " + v);
            }
            Report.expect(problems.isEmpty(), "%s", String.join("; ", problems));
        });
    }

    /** Every values file linted, every scenario rendered and checked. */
    void lintsAndRenders() {
        suite.lints().forEach((name, values) -> suite.runner.lintCheck("helm lint --strict: " + name, chart, values));
        for (var sc : suite.scenarios()) everyRender(suite.runner, "", "renders, strict YAML (no duplicate keys)", sc, sc.name);
    }

    /** Selectors: nobody grabs another component's pods. */
    void selectors() {
        for (String name : List.of("everything", "values/prod.yaml", "values/dev.yaml")) {
            if (!suite.has(name)) continue;
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

    }

    /** Containers: what every production pod needs. */
    void containers() {
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
            suite.scenarios().stream().filter(sc -> sc.name.startsWith("values/")).forEach(scs::add);
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
    }

    void noServiceAccountToken() {
        check("no ServiceAccount token is mounted into trevor pods", s("everything"), () -> {
            for (var o : s("everything").objs()) {
                if (o.podSpec() == null) continue;
                Report.expect(Boolean.FALSE.equals(Yaml.at(o.podSpec(), "automountServiceAccountToken")),
                        "%s: automountServiceAccountToken is %s", o.id(), Yaml.at(o.podSpec(), "automountServiceAccountToken"));
            }
        });
    }

    /**
     * Service links would put TREVOR_PORT=tcp://… and friends into every pod of a release
     * named trevor, over any trevor setting of that name (and RELEASE_* for other releases).
     */
    void noServiceLinks() {
        check("no Service link variables in trevor pods (enableServiceLinks false)", s("everything"), () -> {
            int pods = 0;
            for (var o : s("everything").objs()) {
                if (o.podSpec() == null) continue;
                pods++;
                Report.expect(Boolean.FALSE.equals(Yaml.at(o.podSpec(), "enableServiceLinks")),
                        "%s: enableServiceLinks is %s", o.id(), Yaml.at(o.podSpec(), "enableServiceLinks"));
            }
            Report.expect(pods > 0, "no pod specs rendered");
        });
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
}
