//SOURCES ../tools/Exec.java
//SOURCES KubeConfig.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * kubectl bound to one kubeconfig context. Every call names the context explicitly, so a
 * user's current-context switching mid-run can never redirect a script to another cluster.
 */
final class Kube {
    final Path kubectl;
    final String context;
    final Path kubeconfig; // null: kubectl's default (KUBECONFIG or ~/.kube/config)
    final Exec.Runner exec; // how kubectl runs: real processes, or a unit test's fake
    private String notLocal; // why this context is not a local dev cluster ("" when it is), once asked

    Kube(Path kubectl, String context, Path kubeconfig) { this(kubectl, context, kubeconfig, Exec.PROCESSES); }

    Kube(Path kubectl, String context, Path kubeconfig, Exec.Runner exec) {
        this.kubectl = kubectl;
        this.context = context;
        this.kubeconfig = kubeconfig;
        this.exec = exec;
    }

    /**
     * The context to work on: the one named by --context (deliberate), else the current
     * context, but only when it is a local dev cluster (see {@link KubeConfig#notLocal}).
     * The kubeconfig is read in Java: no kubectl runs, and no server is contacted, before
     * the context is accepted.
     */
    static String chooseContext(Path kubeconfig, String explicit) {
        var config = KubeConfig.load(kubeconfig);
        if (explicit != null && !explicit.isBlank()) {
            // Named here, before kubectl starts: kubectl would only say the cluster does not answer.
            if (!config.contextNames().contains(explicit)) {
                throw new Problem.BadInput("--context " + explicit + ": no such context in the kubeconfig " + config.describeFiles()
                        + (config.contextNames().isEmpty() ? "" : "; its contexts: " + String.join(", ", config.contextNames()))
                        + "; pass one of them, or --kubeconfig FILE with this context");
            }
            return explicit;
        }
        String current = config.currentContext;
        if (current == null) {
            throw new Problem.Refused("no current kube context in " + config.describeFiles() + "; start a local cluster with "
                    + "'jbang scripts/cluster.java up', or name one with --context");
        }
        String why = config.notLocal(current);
        if (why != null) {
            throw new Problem.Refused("the current kube context '" + current + "' is not a local dev cluster (" + why + "); "
                    + "pass --context " + current + " to work on it deliberately");
        }
        return current;
    }

    /** Whether this context is a local dev cluster: dev defaults are for those alone. */
    boolean isLocal() { return localProblem() == null; }

    /** Why this context is not a local dev cluster, or null when it is. */
    synchronized String localProblem() {
        if (notLocal == null) {
            String why = KubeConfig.load(kubeconfig).notLocal(context);
            notLocal = why == null ? "" : why;
        }
        return notLocal.isEmpty() ? null : notLocal;
    }

    /** `kubectl config ARGS`, on the given kubeconfig (null: kubectl's default). */
    static List<String> config(Path kubectl, Path kubeconfig, String... args) {
        var cmd = new ArrayList<>(List.of(kubectl.toString(), "config"));
        cmd.addAll(List.of(args));
        if (kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kubeconfig.toString()));
        return cmd;
    }

    List<String> base() {
        var cmd = new ArrayList<>(List.of(kubectl.toString()));
        // name=value: a context name can never be read as a flag of its own
        if (kubeconfig != null) cmd.add("--kubeconfig=" + kubeconfig);
        cmd.add("--context=" + context);
        return cmd;
    }

    Exec.Result run(String... args) { return run(Duration.ofMinutes(2), args); }

    Exec.Result run(Duration timeout, String... args) {
        var cmd = base();
        cmd.addAll(List.of(args));
        return exec.run(cmd, timeout);
    }

    /** kubectl with YAML/JSON on stdin (apply, create). */
    Exec.Result runWithInput(String input, String... args) {
        var cmd = base();
        cmd.addAll(List.of(args));
        return exec.run(cmd, null, Map.of(), Duration.ofMinutes(2), null, input);
    }

    /** Fails with a clear message when the API server does not answer. */
    void requireReachable() {
        var r = run(Duration.ofSeconds(20), "get", "--raw", "/readyz", "--request-timeout=10s");
        if (!r.ok()) {
            throw new Problem.Refused("the cluster of context '" + context + "' does not answer: " + firstLine(r.said())
                    + "; is it running? ('jbang scripts/cluster.java status')");
        }
    }

    /** The object as a map, or null when it does not exist. */
    Map<String, Object> get(String namespace, String kind, String name) {
        var args = new ArrayList<>(List.of("get", kind, name, "-o", "json", "--ignore-not-found"));
        if (namespace != null) args.addAll(List.of("-n", namespace));
        var r = run(args.toArray(String[]::new));
        if (!r.ok()) throw new IllegalStateException("kubectl get " + kind + "/" + name + ": " + r.said());
        if (r.out().isBlank()) return null;
        return Yaml.loadMap(r.out());
    }

    /** Items of a list call (kubectl get KIND -l SELECTOR). */
    List<Map<String, Object>> list(String namespace, String kind, String selector) {
        var args = new ArrayList<>(List.of("get", kind, "-o", "json"));
        if (namespace != null) args.addAll(List.of("-n", namespace));
        if (selector != null) args.addAll(List.of("-l", selector));
        var r = run(args.toArray(String[]::new));
        if (!r.ok()) throw new IllegalStateException("kubectl get " + kind + ": " + r.said());
        return Yaml.maps(Yaml.loadMap(r.out()), "items");
    }

    boolean exists(String namespace, String kind, String name) { return get(namespace, kind, name) != null; }

    static Instant time(Object o, String path) {
        String s = Yaml.str(o, path);
        return s == null ? null : Instant.parse(s);
    }

    /** The value of one condition (e.g. Complete=True) of an object's status. */
    static Map<String, Object> condition(Map<String, Object> obj, String type) {
        for (var c : Yaml.maps(obj, "status.conditions")) if (type.equals(c.get("type"))) return c;
        return null;
    }

    static boolean conditionTrue(Map<String, Object> obj, String type) {
        var c = condition(obj, type);
        return c != null && "True".equals(String.valueOf(c.get("status")));
    }

    /** Events about one object, oldest first, as "Reason: message" lines. */
    List<String> eventsFor(String namespace, String kind, String name) {
        var out = new ArrayList<String>();
        var items = list(namespace, "events", null);
        items.sort((a, b) -> String.valueOf(eventTime(a)).compareTo(String.valueOf(eventTime(b))));
        for (var e : items) {
            if (kind.equals(Yaml.str(e, "involvedObject.kind")) && name.equals(Yaml.str(e, "involvedObject.name"))) {
                out.add(Yaml.str(e, "type") + " " + Yaml.str(e, "reason") + ": " + Yaml.str(e, "message"));
            }
        }
        return out;
    }

    static String eventTime(Map<String, Object> e) {
        for (String p : List.of("lastTimestamp", "eventTime", "firstTimestamp", "metadata.creationTimestamp")) {
            String s = Yaml.str(e, p);
            if (s != null && !"null".equals(s)) return s;
        }
        return "";
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static Map<String, String> labelsOf(Map<String, Object> obj) {
        return new HashMap<>(Yaml.strings(obj, "metadata.labels"));
    }
}
