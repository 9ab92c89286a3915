//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Why a pod will not become ready by waiting, read from what the kubelet and the scheduler
 * wrote into its status. Helm's --wait only sees "not ready yet" and waits out its timeout;
 * these reasons do not go away on their own, so a run can stop within seconds and say which
 * pod, why, and what to do.
 */
final class PodTrouble {
    private PodTrouble() {}

    enum Kind {
        /** The image cannot be had on this node: a wrong tag, an image never built or imported there. */
        IMAGE,
        /** The container cannot even be created: a missing Secret, ConfigMap or key. */
        CONFIG,
        /** The container starts and dies, again and again. */
        CRASH,
        /** No node takes the pod; the scheduler says why. */
        UNSCHEDULABLE
    }

    /** The kubelet's waiting reasons that mean the image will not come by waiting. */
    static final Set<String> IMAGE_REASONS = Set.of("ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName");

    /**
     * Restarts before CrashLoopBackOff counts: the first back-offs can be a container that started
     * before what it needs (the database of the dev dependencies), which the next start finds.
     */
    static final int CRASH_RESTARTS = 3;

    /** One pod that will not become ready, and why, in the words of the component that knows. */
    record Found(String pod, String container, Kind kind, String reason, String message) {
        /** "pod P (container C): REASON: message". */
        String describe() {
            return "pod " + pod + (container == null ? "" : " (container " + container + ")") + ": " + reason
                    + (message == null || message.isBlank() ? "" : ": " + message.strip());
        }

        /** What the user can do about it; realNode: the cluster runs a real node (images come from scripts/images.java). */
        String advice(boolean realNode) {
            return switch (kind) {
                case IMAGE -> realNode
                        ? "the real node has only the images scripts/images.java built and imported: install with -f values/real-node.yaml "
                                + "(its tags are the ones built), or build the image first: ./jbang scripts/images.java"
                        : "check image.repository and image.tag (--tag), and that the cluster can pull it (imagePullSecrets); "
                                + "on a local cluster with a real node, install with -f values/real-node.yaml or build it with ./jbang scripts/images.java";
                case CONFIG -> "the container cannot be created from its configuration: create what the message names "
                        + "(a Secret or ConfigMap, or its key), or pass --env-file for the Secrets envFromSecrets names";
                case CRASH -> "the container exits soon after it starts: read its logs (kubectl -n NAMESPACE logs " + pod
                        + (container == null ? "" : " -c " + container) + " --previous)";
                case UNSCHEDULABLE -> "no node can take the pod, as the scheduler says above: free or add capacity, or change the "
                        + "values that constrain it (nodeSelector, affinity, tolerations, topologySpreadConstraints, resources)";
            };
        }
    }

    /** The first reason this pod cannot become ready by waiting, or null when waiting may still help. */
    static Found classify(Map<String, Object> pod) {
        String name = Yaml.str(pod, "metadata.name");
        if (Yaml.at(pod, "metadata.deletionTimestamp") != null) return null; // on its way out: no longer this run's concern
        for (var c : Yaml.maps(pod, "status.conditions")) {
            if ("PodScheduled".equals(c.get("type")) && "False".equals(String.valueOf(c.get("status")))
                    && "Unschedulable".equals(c.get("reason"))) {
                return new Found(name, null, Kind.UNSCHEDULABLE, "Unschedulable", Yaml.str(c, "message"));
            }
        }
        var statuses = new ArrayList<Map<String, Object>>(Yaml.maps(pod, "status.initContainerStatuses"));
        statuses.addAll(Yaml.maps(pod, "status.containerStatuses"));
        for (var cs : statuses) {
            String reason = Yaml.str(cs, "state.waiting.reason");
            if (reason == null) continue;
            String message = Yaml.str(cs, "state.waiting.message");
            String container = Yaml.str(cs, "name");
            if (IMAGE_REASONS.contains(reason)) return new Found(name, container, Kind.IMAGE, reason, message);
            if ("CreateContainerConfigError".equals(reason)) return new Found(name, container, Kind.CONFIG, reason, message);
            if ("CrashLoopBackOff".equals(reason)) {
                int restarts = Yaml.at(cs, "restartCount") instanceof Number n ? n.intValue() : 0;
                if (restarts < CRASH_RESTARTS) continue;
                String last = lastExit(cs);
                return new Found(name, container, Kind.CRASH, reason, "restarted " + restarts + " times" + (last == null ? "" : "; last exit: " + last));
            }
        }
        return null;
    }

    /** The last exit of a container that restarts: code, reason and the kubelet's message (its last words). */
    private static String lastExit(Map<String, Object> cs) {
        var t = Yaml.at(cs, "lastState.terminated");
        if (!(t instanceof Map<?, ?>)) return null;
        String msg = Yaml.str(cs, "lastState.terminated.message");
        return "exit code " + Yaml.str(cs, "lastState.terminated.exitCode") + " (" + Yaml.str(cs, "lastState.terminated.reason") + ")"
                + (msg == null || msg.isBlank() ? "" : ": " + msg.strip().lines().reduce((a, b) -> b).orElse(""));
    }

    /**
     * A pod that is not ready yet, in a few words for a progress line: name, phase, and the
     * reason the kubelet or scheduler gives (Pending with the scheduler's message, waiting with
     * the kubelet's reason), or null when the pod is ready or finished.
     */
    static String notReady(Map<String, Object> pod) {
        String phase = Yaml.str(pod, "status.phase");
        if ("Succeeded".equals(phase)) return null;
        boolean ready = false;
        for (var c : Yaml.maps(pod, "status.conditions")) if ("Ready".equals(c.get("type"))) ready = "True".equals(String.valueOf(c.get("status")));
        if (ready && "Running".equals(phase)) return null;
        var words = new ArrayList<String>();
        words.add(Yaml.str(pod, "metadata.name") + " " + phase);
        for (var c : Yaml.maps(pod, "status.conditions")) {
            if ("PodScheduled".equals(c.get("type")) && "False".equals(String.valueOf(c.get("status")))) {
                words.add(c.get("reason") + (Yaml.str(c, "message") == null ? "" : ": " + Yaml.str(c, "message")));
            }
        }
        var statuses = new ArrayList<Map<String, Object>>(Yaml.maps(pod, "status.initContainerStatuses"));
        statuses.addAll(Yaml.maps(pod, "status.containerStatuses"));
        for (var cs : statuses) {
            String reason = Yaml.str(cs, "state.waiting.reason");
            if (reason != null) words.add(Yaml.str(cs, "name") + " " + reason);
        }
        if (words.size() == 1 && "Running".equals(phase)) words.add("not ready");
        return String.join(", ", words);
    }

    /** Each troubled pod of a list, first reason per pod. */
    static List<Found> all(List<Map<String, Object>> pods) {
        var out = new ArrayList<Found>();
        for (var p : pods) {
            var f = classify(p);
            if (f != null) out.add(f);
        }
        return out;
    }
}
