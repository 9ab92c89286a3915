//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A node drain as `kubectl drain` does it, through the eviction API and never by deleting
 * pods: cordon, then ask for an Eviction of every pod on the node (but DaemonSets' and static
 * pods), asking again each second for those the API refuses (HTTP 429: a PodDisruptionBudget
 * allows no disruption right now), until every pod is gone from the node. Each refusal is
 * recorded with what its PDB said at that moment, so a caller can show the budget holding.
 */
final class Drain {
    private Drain() {}

    /** One eviction the API refused, and the budgets of the pod's namespace at that moment. */
    record Refusal(Instant at, String pod, String message, String budgets) {
        String describe() { return at + " " + pod + ": " + message + (budgets.isEmpty() ? "" : " (" + budgets + ")"); }
    }

    record Result(String node, List<String> evicted, List<Refusal> refusals, Duration took) {
        String summary() {
            return "drained " + node + " in " + took.toSeconds() + " s: " + evicted.size() + " pods evicted, " + refusals.size()
                    + " evictions refused by a PodDisruptionBudget (HTTP 429)";
        }
    }

    /**
     * Null when the drain may go ahead: --allow-drain names the node, on any cluster; else why
     * nothing was drained (exit 2). The pods it would evict are shown before this refusal.
     */
    static String refusal(String node, String allowDrain, String context) {
        if (node.equals(allowDrain)) return null;
        return "nothing was drained: draining " + node + " on " + context + " evicts the pods above; say so with --allow-drain " + node
                + (allowDrain == null ? "" : " (--allow-drain names " + allowDrain + ", not " + node + ")");
    }

    /** Pods a drain evicts: on the node, not a DaemonSet's, not a static (mirror) pod. terminating: include those already going. */
    static List<Map<String, Object>> evictable(Kube kube, String node, boolean terminating) {
        var r = kube.run("get", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=" + node, "-o", "json");
        if (!r.ok()) throw new Problem.Failed("listing the pods of node " + node + ": " + r.said());
        var out = new ArrayList<Map<String, Object>>();
        for (var p : Yaml.maps(Yaml.loadMap(r.out()), "items")) {
            if (Yaml.strings(p, "metadata.annotations").containsKey("kubernetes.io/config.mirror")) continue;
            boolean daemonSet = Yaml.maps(p, "metadata.ownerReferences").stream().anyMatch(o -> "DaemonSet".equals(o.get("kind")));
            if (daemonSet) continue;
            if (!terminating && Yaml.str(p, "metadata.deletionTimestamp") != null) continue;
            out.add(p);
        }
        return out;
    }

    static String key(Map<String, Object> pod) { return Yaml.str(pod, "metadata.namespace") + "/" + Yaml.str(pod, "metadata.name"); }

    static void cordon(Kube kube, String node, boolean on) {
        var r = kube.run(on ? "cordon" : "uncordon", node);
        if (!r.ok()) throw new Problem.Failed((on ? "cordon " : "uncordon ") + node + ": " + r.said());
    }

    /** Cordons the node and evicts its pods; returns once none is left on it, or fails after timeout. */
    static Result drain(Kube kube, String node, Duration timeout, Consumer<String> progress) {
        long t0 = System.nanoTime();
        long end = t0 + timeout.toNanos();
        cordon(kube, node, true);
        var pending = new LinkedHashMap<String, Map<String, Object>>();
        for (var p : evictable(kube, node, false)) pending.put(key(p), p);
        progress.accept("cordoned " + node + "; evicting " + pending.size() + " pods: " + String.join(", ", pending.keySet()));
        var evicted = new ArrayList<String>();
        var refusals = new ArrayList<Refusal>();
        while (!pending.isEmpty()) {
            if (System.nanoTime() > end) {
                throw new Problem.Failed("the drain of " + node + " timed out after " + timeout.toSeconds() + " s; not evicted: "
                        + String.join(", ", pending.keySet()) + (refusals.isEmpty() ? "" : "; last refusal: " + refusals.get(refusals.size() - 1).describe()));
            }
            for (String k : List.copyOf(pending.keySet())) {
                String[] nsName = k.split("/", 2);
                var r = evict(kube, nsName[0], nsName[1]);
                String said = r.said();
                if (r.ok() || said.contains("NotFound") || said.contains("not found")) {
                    pending.remove(k);
                    evicted.add(k);
                    progress.accept("evicted " + k);
                } else if (said.contains("TooManyRequests") || said.contains("disruption budget")) {
                    var refusal = new Refusal(Instant.now(), k, Kube.firstLine(said).replace("Error from server (TooManyRequests): ", ""), budgets(kube, nsName[0]));
                    refusals.add(refusal);
                    progress.accept("refused (429): " + refusal.describe());
                } else {
                    throw new Problem.Failed("evicting " + k + " failed: " + said);
                }
            }
            if (!pending.isEmpty()) Wait.sleep(1000);
        }
        // Evicted pods run their preStop and grace period; the node is drained once they are gone.
        while (true) {
            var left = evictable(kube, node, true);
            if (left.isEmpty()) break;
            if (System.nanoTime() > end) {
                throw new Problem.Failed("evicted pods still on " + node + " after " + timeout.toSeconds() + " s: "
                        + String.join(", ", left.stream().map(Drain::key).toList()));
            }
            Wait.sleep(1000);
        }
        var took = Duration.ofNanos(System.nanoTime() - t0);
        return new Result(node, evicted, refusals, took);
    }

    /** POST of an Eviction (policy/v1) for one pod: what the API answered. */
    static Exec.Result evict(Kube kube, String namespace, String pod) {
        String body = "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"" + pod + "\",\"namespace\":\"" + namespace + "\"}}";
        return kube.runWithInput(body, "create", "--raw", "/api/v1/namespaces/" + namespace + "/pods/" + pod + "/eviction", "-f", "-");
    }

    /** The PodDisruptionBudgets of a namespace, as the disruption controller sees them now. */
    static String budgets(Kube kube, String namespace) {
        try {
            var out = new ArrayList<String>();
            for (var pdb : kube.list(namespace, "poddisruptionbudgets", null)) {
                out.add("PDB " + Yaml.str(pdb, "metadata.name") + ": " + Yaml.str(pdb, "status.currentHealthy") + " healthy, "
                        + Yaml.str(pdb, "status.desiredHealthy") + " needed, " + Yaml.str(pdb, "status.disruptionsAllowed") + " disruptions allowed");
            }
            return String.join("; ", out);
        } catch (RuntimeException e) {
            return "";
        }
    }

    /**
     * Topology spread over the real nodes: null when every node has an API pod and their
     * counts differ by at most maxSkew; else what was found. podNodes: pod → node.
     */
    static String spreadProblem(Map<String, String> podNodes, List<String> nodes, int maxSkew) {
        var count = new LinkedHashMap<String, Integer>();
        for (String n : nodes) count.put(n, 0);
        for (String n : podNodes.values()) count.merge(n, 1, Integer::sum);
        int min = nodes.stream().mapToInt(count::get).min().orElse(0);
        int max = count.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (min == 0) return "not spread: API pods per node " + count + " (a real node runs none)";
        if (max - min > maxSkew) return "skew " + (max - min) + " > " + maxSkew + ": API pods per node " + count;
        return null;
    }

    /** Null when an eviction of one of these pods (namespace/name) was refused; else why the check fails. */
    static String refusalProblem(Result r, java.util.Collection<String> pods) {
        if (r.refusals().stream().anyMatch(f -> pods.contains(f.pod()))) return null;
        return "no eviction of " + pods + " was refused (" + r.refusals().size() + " refusals in all): the PodDisruptionBudget never held the drain back";
    }
}
