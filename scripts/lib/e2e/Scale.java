//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.function.Consumer;

/**
 * A scale of the API Deployment under load, and the flag it needs: on a cluster that is not a
 * local dev cluster, only with --allow-scale naming the Deployment (as a drain needs
 * --allow-drain naming the node), else exit 2 before anything is created or scaled.
 */
final class Scale {
    private Scale() {}

    /**
     * Null when the scale may go ahead; else why not. notLocal: why the context is not a local
     * dev cluster (null when it is). deployment: the API Deployment's name, null while not yet
     * read (then only a missing flag is refused).
     */
    static String refusal(String context, String notLocal, String allowScale, String deployment) {
        if (allowScale != null && deployment != null && !allowScale.equals(deployment)) {
            return "nothing was scaled: --allow-scale names " + allowScale + ", but the API Deployment on " + context + " is " + deployment
                    + "; say --allow-scale " + deployment;
        }
        if (notLocal != null && allowScale == null) {
            return "nothing was created or scaled: " + context + " is not a local dev cluster (" + notLocal + "); scaling its API Deployment needs "
                    + "--allow-scale DEPLOYMENT, the Deployment's name" + (deployment == null ? "" : " (" + deployment + ")");
        }
        return null;
    }

    /** kubectl scale, then waits until exactly n pods of the selector are left (none terminating) and n are Ready. */
    static void to(Kube kube, String namespace, String deployment, String selector, int n, Duration timeout, Consumer<String> progress) {
        var r = kube.run("scale", "deployment/" + deployment, "-n", namespace, "--replicas=" + n);
        if (!r.ok()) throw new Problem.Failed("kubectl scale deployment/" + deployment + " --replicas=" + n + ": " + Kube.firstLine(r.said()));
        progress.accept("scaled deployment/" + deployment + " to " + n + " replicas; waiting for exactly " + n + " pods, Ready");
        Wait.until(n + " pods of " + deployment + ", Ready, none terminating", timeout, () -> {
            var pods = kube.list(namespace, "pods", selector);
            long ready = pods.stream().filter(p -> Yaml.str(p, "metadata.deletionTimestamp") == null && Kube.conditionTrue(p, "Ready")).count();
            return pods.size() == n && ready == n ? null : pods.size() + " pods (" + ready + " Ready)";
        });
        progress.accept("deployment/" + deployment + ": " + n + " pods, Ready");
    }
}
