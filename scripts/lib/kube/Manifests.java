//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Rendered Kubernetes objects: helm's multi-document output split, parsed and queried. */
final class Manifests {
    private Manifests() {}

    /** One object with the template it came from (helm's "# Source:" line). */
    record Obj(String source, Map<String, Object> body) {
        String kind() { return Yaml.str(body, "kind"); }
        String apiVersion() { return Yaml.str(body, "apiVersion"); }
        String name() { return Yaml.str(body, "metadata.name"); }
        String id() { return kind() + "/" + name(); }
        Map<String, String> labels() { return Yaml.strings(body, "metadata.labels"); }
        Map<String, String> annotations() { return Yaml.strings(body, "metadata.annotations"); }
        boolean isHook() { return annotations().containsKey("helm.sh/hook"); }

        /** The pod spec of a workload (Deployment, Job…) or of a bare Pod (a helm test hook), or null for other kinds. */
        Map<String, Object> podSpec() {
            Object s = Yaml.at(body, "Pod".equals(kind()) ? "spec" : "spec.template.spec");
            @SuppressWarnings("unchecked") var m = s instanceof Map ? (Map<String, Object>) s : null;
            return m;
        }

        /** Labels of the pods it runs: a workload's pod template labels, a Pod's own. */
        Map<String, String> podLabels() { return Yaml.strings(body, "Pod".equals(kind()) ? "metadata.labels" : "spec.template.metadata.labels"); }

        /** Containers and init containers of the pod spec, init containers first. */
        List<Map<String, Object>> allContainers() {
            var out = new ArrayList<Map<String, Object>>();
            if (podSpec() == null) return out;
            out.addAll(Yaml.maps(podSpec(), "initContainers"));
            out.addAll(Yaml.maps(podSpec(), "containers"));
            return out;
        }
    }

    private static final Pattern DOC_SPLIT = Pattern.compile("(?m)^---[ \\t]*$");
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: (\\S+)");

    /** Parses helm template output. A document that fails to parse names its template. */
    static List<Obj> parse(String rendered) { return parse(rendered, Manifests::parseDocument); }

    /**
     * As above, each document through parseDocument (a caller may remember documents it has
     * parsed before: many renders share most of their documents, word for word).
     */
    static List<Obj> parse(String rendered, java.util.function.Function<String, Obj> parseDocument) {
        var out = new ArrayList<Obj>();
        for (String doc : DOC_SPLIT.split(rendered)) {
            Obj o = parseDocument.apply(doc);
            if (o != null) out.add(o);
        }
        return out;
    }

    /** One document, or null when it holds no object (only comments, or empty). */
    static Obj parseDocument(String doc) {
        var m = SOURCE.matcher(doc);
        String source = m.find() ? m.group(1) : "(unknown template)";
        if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) return null;
        Map<String, Object> body;
        try {
            body = Yaml.loadMap(doc);
        } catch (Yaml.Invalid e) {
            throw new Yaml.Invalid(source + ": " + e.getMessage());
        }
        return body.isEmpty() ? null : new Obj(source, body);
    }

    static List<Obj> ofKind(List<Obj> objs, String kind) {
        return objs.stream().filter(o -> kind.equals(o.kind())).toList();
    }

    static List<Obj> where(List<Obj> objs, Predicate<Obj> p) { return objs.stream().filter(p).toList(); }

    static boolean isWorkload(Obj o) {
        return switch (String.valueOf(o.kind())) {
            case "Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "Pod" -> true;
            default -> false;
        };
    }
}
