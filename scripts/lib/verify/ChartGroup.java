//SOURCES ChartChecks.java
//SOURCES CheckRunner.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Report.java
//SOURCES ../kube/Selectors.java
//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What every check group of the trevor chart shares: the suite it adds checks to, its
 * scenarios by name, and queries over rendered objects (one of a kind, a component's
 * object, the PDB covering a component, selectors that pick their own pods).
 */
abstract class ChartGroup {
    static final String RELEASE = ChartChecks.RELEASE;
    static final String NAMESPACE = ChartChecks.NAMESPACE;

    final ChartChecks suite;
    final Helm helm;
    final Path chart;

    ChartGroup(ChartChecks suite) {
        this.suite = suite;
        this.helm = suite.runner.helm;
        this.chart = suite.chart;
    }

    CheckRunner.Scenario s(String name) { return suite.s(name); }

    void check(String name, CheckRunner.Scenario s, Report.Body body) { suite.runner.check(name, s.context(), body); }

    void check(String name, String context, Report.Body body) { suite.runner.check(name, context, body); }

    // ---------------------------------------------------------------- queries over rendered objects

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

    static void selectOwnComponent(List<Manifests.Obj> objs) {
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
}
