import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fake kubectl and helm behind {@link Exec.Runner}, for unit tests of the orchestration:
 * kubectl's get, list, create, replace, delete and JSON patch work on objects kept in a map (a
 * tiny API server: resourceVersion, "test" ops, AlreadyExists); every other answer, and every
 * helm answer, comes from rules a test gives ({@link #on}). Every call is recorded, as the
 * tool's name and its arguments without the context, kubeconfig and namespace flags the
 * scripts add to each call ("kubectl create -f -", "helm upgrade --install trevor …").
 */
final class FakeCluster implements Exec.Runner {
    /** One call: tool ("kubectl", "helm"), its arguments as the scripts wrote them, stdin (or null). */
    record Call(String tool, List<String> args, String stdin) {
        String line() { return tool + " " + String.join(" ", args); }
        boolean is(String prefix) { return line().startsWith(prefix); }
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Objects by "kind/namespace/name" (kind lower case, singular; namespace "" for cluster-scoped ones). */
    final Map<String, Map<String, Object>> objects = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Map.Entry<String, Function<Call, Exec.Result>>> rules = new CopyOnWriteArrayList<>();
    private int version = 100;

    /** The Kube the scripts get: kubectl through this fake. */
    Kube kube() { return new Kube(Path.of("/fake/kubectl"), "kwok-fake", null, this); }

    /** A Release of the chart named trevor in namespace trevor, helm 4 and kubectl through this fake. */
    Release release() {
        return new Release(Helm.of(Path.of("/fake/helm"), "v4.0.0", this), kube(), "trevor", "trevor", Path.of("/fake/chart"));
    }

    /** Calls whose line starts with prefix answer with answer(call); the newest rule wins; a null answer falls through. */
    FakeCluster on(String prefix, Function<Call, Exec.Result> answer) {
        rules.add(0, Map.entry(prefix, answer));
        return this;
    }

    FakeCluster on(String prefix, int exit, String out, String err) { return on(prefix, c -> result(c, exit, out, err)); }

    static Exec.Result result(Call c, int exit, String out, String err) {
        return new Exec.Result(List.of(c.tool()), exit, out, err, 0);
    }

    /** The recorded calls' lines that start with any of these prefixes, in order. */
    List<String> lines(String... prefixes) {
        var out = new ArrayList<String>();
        for (var c : calls) for (String p : prefixes) if (c.is(p)) { out.add(c.line()); break; }
        return out;
    }

    void put(Map<String, Object> obj) {
        String kind = singular(Yaml.str(obj, "kind"));
        String ns = Yaml.str(obj, "metadata.namespace");
        var copy = Yaml.loadMap(Yaml.json(obj)); // a deep, mutable copy
        meta(copy).putIfAbsent("resourceVersion", String.valueOf(++version));
        objects.put(kind + "/" + (ns == null ? "" : ns) + "/" + Yaml.str(obj, "metadata.name"), copy);
    }

    Map<String, Object> get(String kind, String namespace, String name) {
        return objects.get(singular(kind) + "/" + (namespace == null ? "" : namespace) + "/" + name);
    }

    @Override public Exec.Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout, Consumer<String> echo, String stdin) {
        return answer(cmd, stdin, echo);
    }

    @Override public Exec.Result runDetached(List<String> cmd, Duration timeout, Consumer<String> echo, String stdin) {
        return answer(cmd, stdin, echo);
    }

    private Exec.Result answer(List<String> cmd, String stdin, Consumer<String> echo) {
        String tool = Path.of(cmd.get(0)).getFileName().toString();
        var args = new ArrayList<String>();
        for (String a : cmd.subList(1, cmd.size())) {
            if (a.startsWith("--context=") || a.startsWith("--kube-context=") || a.startsWith("--kubeconfig=") || a.startsWith("--namespace=")) continue;
            args.add(a);
        }
        var call = new Call(tool, List.copyOf(args), stdin);
        calls.add(call);
        for (var r : rules) {
            if (!call.is(r.getKey())) continue;
            var res = r.getValue().apply(call);
            if (res != null) {
                if (echo != null) res.out().lines().forEach(echo);
                return res;
            }
        }
        if (tool.equals("kubectl")) return kubectl(call);
        return result(call, 1, "", "fake: no answer for: " + call.line());
    }

    private synchronized Exec.Result kubectl(Call c) {
        var a = c.args();
        String verb = a.get(0);
        var pos = new ArrayList<String>();
        var flags = new LinkedHashMap<String, String>();
        for (int i = 1; i < a.size(); i++) {
            String s = a.get(i);
            if (List.of("-n", "-l", "-o", "-p", "-f", "--type").contains(s) && i + 1 < a.size()) flags.put(s, a.get(++i));
            else if (!s.startsWith("-")) pos.add(s);
        }
        String ns = flags.getOrDefault("-n", "");
        switch (verb) {
            case "get" -> {
                if (pos.size() >= 2) {
                    var o = get(pos.get(0), ns, pos.get(1));
                    if (o == null && !a.contains("--ignore-not-found")) return result(c, 1, "", "Error from server (NotFound): " + pos.get(0) + " \"" + pos.get(1) + "\" not found");
                    return result(c, 0, o == null ? "" : Yaml.json(o), "");
                }
                String kind = singular(pos.get(0));
                var items = new ArrayList<Object>();
                for (var e : objects.entrySet()) {
                    String[] k = e.getKey().split("/", 3);
                    if (k[0].equals(kind) && k[1].equals(ns) && selects(flags.get("-l"), e.getValue())) items.add(e.getValue());
                }
                return result(c, 0, Yaml.json(Map.of("items", items)), "");
            }
            case "create", "replace" -> {
                Map<String, Object> o = Yaml.loadMap(c.stdin());
                if (!ns.isEmpty()) meta(o).putIfAbsent("namespace", ns);
                var existing = get(Yaml.str(o, "kind"), Yaml.str(o, "metadata.namespace"), Yaml.str(o, "metadata.name"));
                if (verb.equals("create") && existing != null) {
                    return result(c, 1, "", "Error from server (AlreadyExists): error when creating \"STDIN\": " + Yaml.str(o, "kind") + " \""
                            + Yaml.str(o, "metadata.name") + "\" already exists");
                }
                meta(o).remove("resourceVersion");
                put(o);
                return result(c, 0, singular(Yaml.str(o, "kind")) + "/" + Yaml.str(o, "metadata.name") + " " + verb + "d", "");
            }
            case "delete" -> {
                var o = objects.remove(singular(pos.get(0)) + "/" + ns + "/" + pos.get(1));
                if (o == null && !a.contains("--ignore-not-found")) return result(c, 1, "", "Error from server (NotFound): not found");
                return result(c, 0, pos.get(0) + " \"" + pos.get(1) + "\" deleted", "");
            }
            case "patch" -> {
                var o = get(pos.get(0), ns, pos.get(1));
                if (o == null) return result(c, 1, "", "Error from server (NotFound): " + pos.get(0) + " \"" + pos.get(1) + "\" not found");
                if (!"json".equals(flags.get("--type")) && !a.contains("--type=json")) return result(c, 1, "", "fake: only JSON patches");
                String patch = flags.get("-p");
                for (Object op : (List<?>) Yaml.load(patch)) {
                    var m = (Map<?, ?>) op;
                    String path = String.valueOf(m.get("path"));
                    if ("test".equals(m.get("op"))) {
                        if (!String.valueOf(m.get("value")).equals(String.valueOf(Yaml.at(o, path.substring(1).replace('/', '.'))))) {
                            return result(c, 1, "", "The request is invalid: the server rejected our request due to an error in our request");
                        }
                    } else {
                        set(o, path, m.get("value"));
                    }
                }
                meta(o).put("resourceVersion", String.valueOf(++version));
                return result(c, 0, pos.get(0) + "/" + pos.get(1) + " patched", "");
            }
            default -> {
                return result(c, 1, "", "fake: no answer for: " + c.line());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void set(Map<String, Object> o, String pointer, Object value) {
        var parts = pointer.substring(1).split("/");
        Map<String, Object> at = o;
        for (int i = 0; i < parts.length - 1; i++) at = (Map<String, Object>) at.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
        at.put(parts[parts.length - 1], value instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> meta(Map<String, Object> o) {
        return (Map<String, Object>) o.computeIfAbsent("metadata", k -> new LinkedHashMap<String, Object>());
    }

    /** "k=v" parts must match, "!k" parts must be absent. */
    private static boolean selects(String selector, Map<String, Object> o) {
        if (selector == null) return true;
        var labels = Yaml.strings(o, "metadata.labels");
        for (String part : selector.split(",")) {
            if (part.startsWith("!")) {
                if (labels.containsKey(part.substring(1))) return false;
            } else {
                String[] kv = part.split("=", 2);
                if (!kv[1].equals(labels.get(kv[0]))) return false;
            }
        }
        return true;
    }

    /**
     * Runs body, which must stop with exit code 2, nothing changed (bad input, or a release or
     * cluster refused), and returns what it threw.
     */
    static Problem nothingChanged(org.junit.jupiter.api.function.Executable body) {
        var e = org.junit.jupiter.api.Assertions.assertThrows(Problem.class, body);
        org.junit.jupiter.api.Assertions.assertEquals(Problem.NOTHING_CHANGED, e.exitCode, e.getMessage());
        return e;
    }

    static String singular(String kind) {
        String k = kind.toLowerCase(java.util.Locale.ROOT);
        if (k.endsWith("ies")) return k.substring(0, k.length() - 3) + "y";
        if (k.endsWith("s") && !k.endsWith("ss")) return k.substring(0, k.length() - 1);
        return k;
    }
}
