//SOURCES ../kube/Manifests.java
//SOURCES ../kube/Selectors.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What an upgrade would try to change that Kubernetes refuses to change in place: the
 * deployed manifests (what `helm get manifest` prints) against the new render. Each change
 * names the object, the field, its old and new value, and the way out, so an upgrade can be
 * stopped before Helm patches half a release and fails on "field is immutable".
 *
 * Objects are compared as rendered, not as live: a field the new render adds with its
 * default value is reported although the cluster already holds that value. Hooks are left
 * out: Helm creates them anew (before-hook-creation deletes the old one) instead of patching.
 */
final class ImmutableFields {
    private ImmutableFields() {}

    /** One refused change; wayOut is the command or step that gets past it. */
    record Change(String object, String field, Object before, Object after, String wayOut) {
        String message() {
            return object + ": " + field + " would change from " + show(before) + " to " + show(after)
                    + "; Kubernetes refuses that in place (\"field is immutable\"), so the upgrade would fail. Way out: " + wayOut;
        }
    }

    /** StatefulSet spec fields an update may change; every other spec field is forbidden. */
    private static final Set<String> STATEFULSET_MUTABLE = Set.of("replicas", "ordinals", "template", "updateStrategy",
            "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds");
    /** PVC spec fields an update may change (storage only upwards). */
    private static final Set<String> PVC_MUTABLE = Set.of("resources", "volumeAttributesClassName");

    /** Refused changes from the deployed objects to the new render, in render order; namespace goes into the commands. */
    static List<Change> changes(List<Manifests.Obj> deployed, List<Manifests.Obj> next, String namespace) {
        var old = new LinkedHashMap<String, Manifests.Obj>();
        for (var o : deployed) if (!o.isHook()) old.put(key(o), o);
        var out = new ArrayList<Change>();
        for (var n : next) {
            if (n.isHook()) continue;
            var o = old.get(key(n));
            if (o == null) continue;
            switch (String.valueOf(n.kind())) {
                case "Deployment", "ReplicaSet", "DaemonSet" -> selector(o, n, namespace, out);
                case "StatefulSet" -> statefulSet(o, n, namespace, out);
                case "Job" -> job(o, n, namespace, out);
                case "Service" -> service(o, n, namespace, out);
                case "PersistentVolumeClaim" -> pvc(o, n, out);
                case "ConfigMap", "Secret" -> immutableData(o, n, namespace, out);
                default -> { }
            }
        }
        return out;
    }

    private static String key(Manifests.Obj o) {
        return o.kind() + "/" + Objects.toString(Yaml.str(o.body(), "metadata.namespace"), "") + "/" + o.name();
    }

    private static String ns(String namespace) { return namespace == null || namespace.isEmpty() ? "" : "-n " + namespace + " "; }

    private static void selector(Manifests.Obj o, Manifests.Obj n, String namespace, List<Change> out) {
        var before = Yaml.at(o.body(), "spec.selector");
        var after = Yaml.at(n.body(), "spec.selector");
        if (Objects.equals(normal(before), normal(after))) return;
        String kind = n.kind().toLowerCase();
        String orphan = "install under a new release name, or `kubectl " + ns(namespace) + "delete " + kind + " " + n.name()
                + " --cascade=orphan` (its pods keep running) and upgrade again";
        String way;
        @SuppressWarnings("unchecked")
        var newSelector = Selectors.Selector.of(after instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
        if (newSelector.matches(o.podLabels())) {
            way = orphan + ": the new " + n.kind() + " adopts the old pods' owner, whose labels it selects, and replaces them as in any rollout";
        } else if ("Deployment".equals(n.kind())) {
            String query = orphanedReplicaSets(before, after, o.podLabels());
            way = orphan + ": the new Deployment adopts neither the old ReplicaSet nor its pods (their labels do not match its selector) and starts its own; "
                    + "once they are ready, delete the orphaned ReplicaSet and its pods: "
                    + (query == null ? "the ReplicaSet without an owner in `kubectl " + ns(namespace) + "get replicaset`"
                            : "`kubectl " + ns(namespace) + "delete replicaset -l '" + query + "'`");
        } else {
            way = orphan + ": the new " + n.kind() + " adopts none of the old pods (their labels do not match its selector) and starts its own; "
                    + "once they are ready, delete the old pods";
        }
        out.add(new Change(n.id(), "spec.selector", before, after, way));
    }

    /**
     * A label query for the old ReplicaSet (labelled like the old pod template) that leaves
     * out the new one: the old selector's labels, plus "!key" or "key!=value" for each label
     * of the new selector that the old pods lack or carry with another value. Null when the
     * old selector uses expressions (no simple query then).
     */
    private static String orphanedReplicaSets(Object before, Object after, Map<String, String> oldPodLabels) {
        var oldLabels = new TreeMap<>(Yaml.strings(before, "matchLabels"));
        if (oldLabels.isEmpty() || !Yaml.list(before, "matchExpressions").isEmpty()) return null;
        var parts = new ArrayList<String>();
        oldLabels.forEach((k, v) -> parts.add(k + "=" + v));
        int common = parts.size();
        new TreeMap<>(Yaml.strings(after, "matchLabels")).forEach((k, v) -> {
            if (!oldPodLabels.containsKey(k)) parts.add("!" + k);
            else if (!v.equals(oldPodLabels.get(k))) parts.add(k + "!=" + v);
        });
        return parts.size() == common ? null : String.join(",", parts);
    }

    /** Spec fields that differ between two renders, leaving out those Kubernetes lets change. */
    private static java.util.SortedSet<String> changedFields(Map<String, Object> before, Map<String, Object> after, Set<String> mutable) {
        var fields = new java.util.TreeSet<String>();
        fields.addAll(before.keySet());
        fields.addAll(after.keySet());
        fields.removeIf(f -> mutable.contains(f) || Objects.equals(normal(before.get(f)), normal(after.get(f))));
        return fields;
    }

    private static void statefulSet(Manifests.Obj o, Manifests.Obj n, String namespace, List<Change> out) {
        var before = Yaml.map(o.body(), "spec");
        var after = Yaml.map(n.body(), "spec");
        for (String f : changedFields(before, after, STATEFULSET_MUTABLE)) {
            String way = "volumeClaimTemplates".equals(f)
                    ? "keep the old volumeClaimTemplates, or `kubectl " + ns(namespace) + "delete statefulset " + n.name()
                            + " --cascade=orphan` and upgrade again: the new StatefulSet adopts the running pods and their existing PVCs, and only new PVCs get the new template"
                    : "install under a new release name, or `kubectl " + ns(namespace) + "delete statefulset " + n.name()
                            + " --cascade=orphan` and upgrade again: the new StatefulSet adopts the pods its selector matches and replaces them one by one";
            out.add(new Change(n.id(), "spec." + f, before.get(f), after.get(f), way));
        }
    }

    private static void job(Manifests.Obj o, Manifests.Obj n, String namespace, List<Change> out) {
        for (String f : List.of("selector", "template", "completions", "completionMode")) {
            var before = Yaml.at(o.body(), "spec." + f);
            var after = Yaml.at(n.body(), "spec." + f);
            if (Objects.equals(normal(before), normal(after))) continue;
            out.add(new Change(n.id(), "spec." + f, "template".equals(f) ? "(the old pod template)" : before,
                    "template".equals(f) ? "(a new pod template)" : after,
                    "`kubectl " + ns(namespace) + "delete job " + n.name() + "` and upgrade again (a Job runs once: a Helm hook with "
                            + "hook-delete-policy before-hook-creation is replaced on every upgrade instead)"));
        }
    }

    private static void service(Manifests.Obj o, Manifests.Obj n, String namespace, List<Change> out) {
        String before = Yaml.str(o.body(), "spec.clusterIP");
        String after = Yaml.str(n.body(), "spec.clusterIP");
        // Unset on both sides means "keep what the cluster allocated".
        if (Objects.equals(emptyToNull(before), emptyToNull(after))) return;
        out.add(new Change(n.id(), "spec.clusterIP", before, after,
                "install under a new release name, or `kubectl " + ns(namespace) + "delete service " + n.name()
                        + "` and upgrade again (the Service gets a new address; clients that resolve its DNS name follow)"));
    }

    private static void pvc(Manifests.Obj o, Manifests.Obj n, List<Change> out) {
        var before = Yaml.map(o.body(), "spec");
        var after = Yaml.map(n.body(), "spec");
        for (String f : changedFields(before, after, PVC_MUTABLE)) {
            out.add(new Change(n.id(), "spec." + f, before.get(f), after.get(f),
                    "keep the old value: a claim's spec is fixed once bound (only its storage request can grow); "
                            + "for different storage, create a new claim and copy the data"));
        }
        Object oldSize = Yaml.at(before, "resources.requests.storage");
        Object newSize = Yaml.at(after, "resources.requests.storage");
        if (oldSize != null && newSize != null && bytes(oldSize) >= 0 && bytes(newSize) >= 0 && bytes(newSize) < bytes(oldSize)) {
            out.add(new Change(n.id(), "spec.resources.requests.storage", oldSize, newSize,
                    "keep " + oldSize + " or more: a claim's storage can grow but never shrink"));
        }
    }

    private static void immutableData(Manifests.Obj o, Manifests.Obj n, String namespace, List<Change> out) {
        if (!Boolean.TRUE.equals(Yaml.at(o.body(), "immutable"))) return;
        String way = "give it a new name (pods pick up the new one as they restart), or `kubectl " + ns(namespace) + "delete "
                + n.kind().toLowerCase() + " " + n.name() + "` and upgrade again";
        if (!Boolean.TRUE.equals(Yaml.at(n.body(), "immutable"))) {
            out.add(new Change(n.id(), "immutable", true, Yaml.at(n.body(), "immutable"), way));
        }
        for (String f : List.of("data", "binaryData", "stringData")) {
            var before = Yaml.at(o.body(), f);
            var after = Yaml.at(n.body(), f);
            if (Objects.equals(normal(before), normal(after))) continue;
            // Secret values are not printed.
            boolean secret = "Secret".equals(n.kind());
            out.add(new Change(n.id(), f, secret ? "(old values)" : before, secret ? "(new values)" : after, way));
        }
    }

    /** Values compared as the API sees them: numbers and strings of the same text are equal, empty is absent. */
    private static Object normal(Object v) {
        if (v instanceof Map<?, ?> m) {
            var out = new TreeMap<String, Object>();
            m.forEach((k, x) -> {
                Object nx = normal(x);
                if (nx != null) out.put(String.valueOf(k), nx);
            });
            return out.isEmpty() ? null : out;
        }
        if (v instanceof List<?> l) {
            var out = l.stream().map(ImmutableFields::normal).toList();
            return out.isEmpty() ? null : out;
        }
        return v == null ? null : String.valueOf(v);
    }

    private static String emptyToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    private static String show(Object v) {
        if (v == null) return "(unset)";
        if (v instanceof Map<?, ?> m && m.containsKey("matchLabels") && m.size() == 1) {
            return "matchLabels {" + new TreeMap<>(Yaml.strings(m, "matchLabels")).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ")) + "}";
        }
        return String.valueOf(v);
    }

    /** Bytes of a quantity (10Gi, 500M, 1000), or -1 when it is not one. */
    private static long bytes(Object quantity) {
        var m = java.util.regex.Pattern.compile("^([0-9.]+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$").matcher(String.valueOf(quantity).strip());
        if (!m.matches()) return -1;
        double n = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10; case "Mi" -> 1L << 20; case "Gi" -> 1L << 30; case "Ti" -> 1L << 40; case "Pi" -> 1L << 50;
            case "k" -> 1_000L; case "M" -> 1_000_000L; case "G" -> 1_000_000_000L; case "T" -> 1_000_000_000_000L; case "P" -> 1_000_000_000_000_000L;
            default -> 1L;
        };
        return (long) (n * unit);
    }
}
