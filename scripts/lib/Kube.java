//SOURCES Exec.java
//SOURCES Problem.java
//SOURCES Yaml.java

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * kubectl bound to one kubeconfig context. Every call names the context explicitly, so a
 * user's current-context switching mid-run can never redirect a script to another cluster.
 */
final class Kube {
    /** Names of the contexts the scripts create for local dev clusters. */
    static final Pattern LOCAL_CONTEXT = Pattern.compile("^(k3d|kwok)-[a-z0-9][-a-z0-9]*$");

    final Path kubectl;
    final String context;
    final Path kubeconfig; // null: kubectl's default (KUBECONFIG or ~/.kube/config)
    private String notLocal; // why this context is not a local dev cluster ("" when it is), once asked

    Kube(Path kubectl, String context, Path kubeconfig) {
        this.kubectl = kubectl;
        this.context = context;
        this.kubeconfig = kubeconfig;
    }

    /** A cluster the scripts must not touch, or cannot reach: exit code 2 material. */
    static final class Refused extends Problem {
        Refused(String msg) { super(NOTHING_CHANGED, msg); }
    }

    /**
     * The context to work on: the one named by --context (deliberate), else the current
     * context, but only when it is a local dev cluster (see {@link #notLocal}).
     */
    static String chooseContext(Path kubectl, Path kubeconfig, String explicit) {
        if (explicit != null && !explicit.isBlank()) return explicit;
        var r = Exec.run(config(kubectl, kubeconfig, "current-context"), Duration.ofSeconds(15));
        if (!r.ok() || r.out().isBlank()) {
            throw new Refused("no current kube context (" + r.said() + "); start a local cluster with "
                    + "'jbang scripts/cluster.java up', or name one with --context");
        }
        String current = r.out().strip();
        String why = notLocal(kubectl, kubeconfig, current);
        if (why != null) {
            throw new Refused("the current kube context '" + current + "' is not a local dev cluster (" + why + "); "
                    + "pass --context " + current + " to work on it deliberately");
        }
        return current;
    }

    /** Whether this context is a local dev cluster: dev defaults are for those alone. */
    boolean isLocal() { return localProblem() == null; }

    /** Why this context is not a local dev cluster, or null when it is. */
    synchronized String localProblem() {
        if (notLocal == null) {
            String why = notLocal(kubectl, kubeconfig, context);
            notLocal = why == null ? "" : why;
        }
        return notLocal.isEmpty() ? null : notLocal;
    }

    /**
     * Why a context is not a local dev cluster, or null when it is. A name proves nothing
     * (a context called kwok-prod may point anywhere): the name must be one the scripts give
     * (k3d-*, kwok-*) and the API server must be on this machine, at a loopback address or
     * at 0.0.0.0 as k3d publishes it. Only the kubeconfig is read; no request is sent.
     */
    static String notLocal(Path kubectl, Path kubeconfig, String context) {
        if (!LOCAL_CONTEXT.matcher(context).matches()) return "its name is not k3d-* or kwok-*";
        var r = Exec.run(config(kubectl, kubeconfig, "view", "--minify", "--context", context, "-o",
                "jsonpath={.clusters[0].cluster.server}"), Duration.ofSeconds(15));
        if (!r.ok()) return "kubectl cannot read it: " + firstLine(r.said());
        String server = r.out().strip();
        String host = serverHost(server);
        if (host == null) return "its server '" + server + "' is not a URL";
        if (!isLoopbackHost(host)) return "its server " + server + " is not on this machine";
        return null;
    }

    /** The host of an API server URL ("https://[::1]:6443" → "::1"), or null. */
    static String serverHost(String server) {
        try {
            var uri = java.net.URI.create(server);
            String h = uri.getHost();
            if (h == null) return null;
            return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Loopback by its spelling alone (no DNS lookup): localhost, 127.0.0.0/8, ::1, and 0.0.0.0. */
    static boolean isLoopbackHost(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost") || h.equals("::1") || h.equals("0.0.0.0")) return true;
        return h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
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
        if (kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of("--context", context));
        return cmd;
    }

    Exec.Result run(String... args) { return run(Duration.ofMinutes(2), args); }

    Exec.Result run(Duration timeout, String... args) {
        var cmd = base();
        cmd.addAll(List.of(args));
        return Exec.run(cmd, timeout);
    }

    /** kubectl with YAML/JSON on stdin (apply, create). */
    Exec.Result runWithInput(String input, String... args) {
        var cmd = base();
        cmd.addAll(List.of(args));
        return Exec.run(cmd, null, Map.of(), Duration.ofMinutes(2), null, input);
    }

    /** Fails with a clear message when the API server does not answer. */
    void requireReachable() {
        var r = run(Duration.ofSeconds(20), "get", "--raw", "/readyz", "--request-timeout=10s");
        if (!r.ok()) {
            throw new Refused("the cluster of context '" + context + "' does not answer: " + firstLine(r.said())
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

    /** Polls until cond holds, or fails after timeout with what was last seen. */
    static void waitFor(String what, Duration timeout, java.util.function.Supplier<String> notYet) {
        Instant end = Instant.now().plus(timeout);
        String last = null;
        while (Instant.now().isBefore(end)) {
            last = notYet.get();
            if (last == null) return;
            sleep(500);
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what + ": " + last);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

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
