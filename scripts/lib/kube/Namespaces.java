//SOURCES Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The namespaces install works in: never the cluster's own, and labelled to enforce Pod Security "restricted". */
final class Namespaces {
    private Namespaces() {}

    /** Namespaces the scripts never install into: the cluster's own. */
    static final Set<String> SYSTEM = Set.of("kube-system", "kube-public", "kube-node-lease", "default");

    /** The labels a namespace gets so the API server enforces Pod Security "restricted". */
    static final Map<String, String> POD_SECURITY = podSecurity();

    private static Map<String, String> podSecurity() {
        var m = new LinkedHashMap<String, String>();
        m.put("pod-security.kubernetes.io/enforce", "restricted");
        m.put("pod-security.kubernetes.io/enforce-version", "latest");
        m.put("pod-security.kubernetes.io/warn", "restricted");
        m.put("pod-security.kubernetes.io/audit", "restricted");
        return m;
    }

    /** Creates the namespace; false when another run created it first. */
    static boolean create(Kube kube, String namespace) {
        var ns = Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", namespace, "labels", POD_SECURITY));
        var r = kube.runWithInput(Yaml.dump(ns), "create", "-f", "-");
        if (r.ok()) return true;
        if (r.said().contains("AlreadyExists") || r.said().contains("already exists")) return false;
        throw new Problem.Failed("could not create namespace " + namespace + ": " + r.said());
    }

    static void relabel(Kube kube, String namespace, Map<String, String> labels) {
        var args = new ArrayList<>(List.of("label", "namespace", namespace, "--overwrite"));
        labels.forEach((k, v) -> args.add(k + "=" + v));
        var r = kube.run(args.toArray(String[]::new));
        if (!r.ok()) throw new Problem.Failed("could not label namespace " + namespace + ": " + r.said());
    }

}
