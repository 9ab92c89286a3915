//SOURCES Manifests.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Kubernetes label selectors (matchLabels + matchExpressions), evaluated offline. */
final class Selectors {
    private Selectors() {}

    /** A selector as the API knows it; an empty selector matches everything. */
    record Selector(Map<String, String> matchLabels, List<Map<String, Object>> matchExpressions) {
        static Selector of(Map<String, Object> sel) {
            if (sel == null) return new Selector(Map.of(), List.of());
            // A Service's selector is a plain label map; the others are LabelSelector objects.
            if (!sel.containsKey("matchLabels") && !sel.containsKey("matchExpressions")) {
                return new Selector(Yaml.strings(Map.of("s", sel), "s"), List.of());
            }
            return new Selector(Yaml.strings(sel, "matchLabels"), Yaml.maps(sel, "matchExpressions"));
        }

        boolean isEmpty() { return matchLabels.isEmpty() && matchExpressions.isEmpty(); }

        boolean matches(Map<String, String> labels) {
            for (var e : matchLabels.entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) return false;
            }
            for (var expr : matchExpressions) {
                String key = String.valueOf(expr.get("key"));
                String op = String.valueOf(expr.get("operator"));
                var values = new ArrayList<String>();
                for (Object v : Yaml.list(expr, "values")) values.add(String.valueOf(v));
                boolean has = labels.containsKey(key);
                boolean ok = switch (op) {
                    case "In" -> has && values.contains(labels.get(key));
                    case "NotIn" -> !has || !values.contains(labels.get(key));
                    case "Exists" -> has;
                    case "DoesNotExist" -> !has;
                    default -> throw new IllegalArgumentException("unknown selector operator " + op);
                };
                if (!ok) return false;
            }
            return true;
        }

        @Override public String toString() {
            var parts = new ArrayList<String>();
            matchLabels.forEach((k, v) -> parts.add(k + "=" + v));
            for (var e : matchExpressions) parts.add(e.get("key") + " " + e.get("operator") + " " + e.getOrDefault("values", ""));
            return parts.isEmpty() ? "(everything)" : String.join(",", parts);
        }
    }

    /** The selector an object uses to pick pods, or null for kinds that select none. */
    static Selector podSelectorOf(Manifests.Obj o) {
        return switch (String.valueOf(o.kind())) {
            case "Service" -> Selector.of(Yaml.map(o.body(), "spec.selector"));
            case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "PodDisruptionBudget" ->
                    Selector.of(Yaml.map(o.body(), "spec.selector"));
            case "NetworkPolicy" -> Selector.of(Yaml.map(o.body(), "spec.podSelector"));
            default -> null;
        };
    }
}
