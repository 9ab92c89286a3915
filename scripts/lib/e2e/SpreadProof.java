//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the scheduler does with the API's topology spread constraints when a node the pods
 * cannot use is in the cluster (a tainted pool, or the simulated nodes beside the real one):
 * a scratch Deployment with exactly those constraints, in a namespace of its own, beside one
 * node tainted NoSchedule for the length of the proof.
 */
final class SpreadProof {
    private SpreadProof() {}

    static final String TAINT = "trevor.dev/spread-proof";
    static final String LABEL = "trevor.dev/spread-proof";

    /** How many of the replicas the scheduler placed, how many it left Pending, and its reason for the first. */
    record Outcome(int scheduled, int pending, String why) {
        @Override public String toString() { return scheduled + " scheduled, " + pending + " Pending" + (why == null ? "" : " (" + why + ")"); }
    }

    /**
     * The constraints with their labelSelector replaced by the scratch pods' label, so only
     * those pods count; nodeTaintsPolicy and nodeAffinityPolicy stay as given.
     */
    static List<Map<String, Object>> forScratchPods(List<Map<String, Object>> constraints, String name) {
        var out = new ArrayList<Map<String, Object>>();
        for (var c : constraints) {
            var copy = new LinkedHashMap<>(c);
            copy.put("labelSelector", Map.of("matchLabels", Map.of(LABEL, name)));
            copy.remove("matchLabelKeys"); // pod-template-hash would be the same anyway; keep the proof about taints
            out.add(copy);
        }
        return out;
    }

    /** Without the two policies: Kubernetes' defaults (taints Ignore, affinity Honor), as the chart rendered before. */
    static List<Map<String, Object>> withoutPolicies(List<Map<String, Object>> constraints) {
        var out = new ArrayList<Map<String, Object>>();
        for (var c : constraints) {
            var copy = new LinkedHashMap<>(c);
            copy.remove("nodeTaintsPolicy");
            copy.remove("nodeAffinityPolicy");
            out.add(copy);
        }
        return out;
    }

    static String deployment(String name, String namespace, int replicas, List<Map<String, Object>> constraints) {
        var labels = Map.of(LABEL, name);
        var container = Map.of("name", "pause", "image", "spread-proof:none");
        var pod = new LinkedHashMap<String, Object>();
        pod.put("containers", List.of(container));
        pod.put("topologySpreadConstraints", forScratchPods(constraints, name));
        var spec = Map.of("replicas", replicas, "selector", Map.of("matchLabels", labels),
                "template", Map.of("metadata", Map.of("labels", labels), "spec", pod));
        return Yaml.dump(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Map.of("name", name, "namespace", namespace), "spec", spec));
    }

    /**
     * Taints the first node NoSchedule, runs `replicas` scratch pods with the constraints in
     * namespace, waits until each is placed or refused (at most wait), and undoes it all.
     */
    static Outcome schedule(Kube kube, String namespace, String name, List<Map<String, Object>> constraints, int replicas, Duration wait)
            throws InterruptedException {
        var nodes = kube.list(null, "nodes", null);
        if (nodes.size() < 2) throw new Problem.Failed("the spread proof needs two nodes, the cluster has " + nodes.size());
        String tainted = Yaml.str(nodes.get(0), "metadata.name");
        var t = kube.run("taint", "nodes", tainted, TAINT + "=true:NoSchedule", "--overwrite");
        if (!t.ok()) throw new Problem.Failed("could not taint node " + tainted + ": " + t.said());
        try {
            kube.runWithInput(Yaml.dump(Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", namespace))), "apply", "-f", "-");
            var a = kube.runWithInput(deployment(name, namespace, replicas, constraints), "apply", "-f", "-");
            if (!a.ok()) throw new Problem.Failed("could not create the scratch Deployment: " + a.said());
            long until = System.nanoTime() + wait.toNanos();
            Outcome last = new Outcome(0, 0, null);
            while (System.nanoTime() < until) {
                last = count(kube.list(namespace, "pods", LABEL + "=" + name));
                if (last.scheduled() + last.pending() >= replicas && (last.pending() == 0 || last.why() != null)) break;
                Thread.sleep(1000);
            }
            return last;
        } finally {
            kube.run("delete", "deployment", name, "-n", namespace, "--wait=false", "--ignore-not-found");
            kube.run("taint", "nodes", tainted, TAINT + ":NoSchedule-");
        }
    }

    static Outcome count(List<Map<String, Object>> pods) {
        int scheduled = 0, pending = 0;
        String why = null;
        for (var pod : pods) {
            if (Yaml.str(pod, "spec.nodeName") != null) {
                scheduled++;
                continue;
            }
            for (var c : Yaml.maps(pod, "status.conditions")) {
                if ("PodScheduled".equals(c.get("type")) && "False".equals(String.valueOf(c.get("status")))) {
                    pending++;
                    if (why == null) why = String.valueOf(c.get("message"));
                }
            }
        }
        return new Outcome(scheduled, pending, why);
    }
}
