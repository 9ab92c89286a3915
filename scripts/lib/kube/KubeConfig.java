//SOURCES InputFile.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The kubeconfig as kubectl would see it, read here in Java: deciding whether a context is a
 * local dev cluster must not start kubectl, because a kubectl (a gcloud-style dispatcher, an
 * exec credential plugin) may contact the very server the guard is about to refuse.
 *
 * <p>Merged as kubectl merges: {@code --kubeconfig FILE} alone when given; else every file of
 * {@code KUBECONFIG} (colon-separated, missing files skipped), where the first file that names
 * a cluster, context or user, or sets current-context, wins; else {@code ~/.kube/config}.
 */
final class KubeConfig {
    /** A kubeconfig with dozens of embedded certificates stays far below this; anything bigger is not one. */
    static final long MAX_BYTES = 4L * 1024 * 1024;
    /** Names of the contexts the scripts create for local dev clusters. */
    static final Pattern LOCAL_CONTEXT = Pattern.compile("^(k3d|kwok)-[a-z0-9][-a-z0-9]*$");
    /**
     * 127.0.0.0/8 spelled as Go's net.ParseIP reads it (no leading zeros): only then does kubectl
     * treat it as loopback and keep it away from HTTPS_PROXY.
     */
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\." + OCTET + "\\." + OCTET + "\\." + OCTET);

    final String currentContext; // null when no file sets one
    final List<Path> files;       // the files read, in precedence order
    private final Map<String, Map<String, Object>> clusters;
    private final Map<String, Map<String, Object>> contexts;
    private final Map<String, Map<String, Object>> users;

    private KubeConfig(String currentContext, List<Path> files, Map<String, Map<String, Object>> clusters,
                       Map<String, Map<String, Object>> contexts, Map<String, Map<String, Object>> users) {
        this.currentContext = currentContext;
        this.files = files;
        this.clusters = clusters;
        this.contexts = contexts;
        this.users = users;
    }

    /** The kubeconfig kubectl would use with this --kubeconfig (null: KUBECONFIG, else ~/.kube/config). */
    static KubeConfig load(Path explicit) {
        return load(explicit, System.getenv("KUBECONFIG"), Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    static KubeConfig load(Path explicit, String kubeconfigEnv, Path home) {
        var files = new ArrayList<Path>();
        if (explicit != null) {
            files.add(explicit);
        } else if (kubeconfigEnv != null && !kubeconfigEnv.isEmpty()) {
            for (String f : kubeconfigEnv.split(":")) if (!f.isEmpty() && Files.exists(Path.of(f))) files.add(Path.of(f));
        } else if (Files.exists(home)) {
            files.add(home);
        }
        String current = null;
        var clusters = new LinkedHashMap<String, Map<String, Object>>();
        var contexts = new LinkedHashMap<String, Map<String, Object>>();
        var users = new LinkedHashMap<String, Map<String, Object>>();
        for (Path f : files) {
            String flag = explicit != null ? "--kubeconfig " + f : "kubeconfig " + f + (kubeconfigEnv != null && !kubeconfigEnv.isEmpty() ? " (from KUBECONFIG)" : "");
            String text = InputFile.readString(flag, f, MAX_BYTES, "4 MiB: far more than a kubeconfig with dozens of embedded certificates needs");
            Map<String, Object> doc;
            try {
                doc = text.isBlank() ? Map.of() : Yaml.loadMap(text);
            } catch (Yaml.Invalid | ClassCastException e) {
                throw new Problem.BadInput(flag + " is not a valid kubeconfig: " + e.getMessage());
            }
            Object cc = doc.get("current-context");
            if (current == null && cc != null && !String.valueOf(cc).isEmpty()) current = String.valueOf(cc);
            firstWins(doc, "clusters", "cluster", clusters, flag);
            firstWins(doc, "contexts", "context", contexts, flag);
            firstWins(doc, "users", "user", users, flag);
        }
        return new KubeConfig(current, List.copyOf(files), clusters, contexts, users);
    }

    private static void firstWins(Map<String, Object> doc, String list, String field, Map<String, Map<String, Object>> into, String flag) {
        Object items = doc.get(list);
        if (items == null) return;
        if (!(items instanceof List<?> l)) throw new Problem.BadInput(flag + ": '" + list + "' is not a list");
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> m) || m.get("name") == null) continue;
            Object body = m.get(field);
            @SuppressWarnings("unchecked")
            Map<String, Object> b = body instanceof Map<?, ?> bm ? (Map<String, Object>) bm : Map.of();
            into.putIfAbsent(String.valueOf(m.get("name")), b);
        }
    }

    /**
     * Why a context is not a local dev cluster, or null when it is. A name proves nothing (a
     * context called kwok-prod may point anywhere), so it must be one the scripts give (k3d-*,
     * kwok-*), its server a literal loopback address, with no proxy-url, and its user no exec or
     * auth-provider plugin: each of those would reach beyond this machine or run a program.
     */
    String notLocal(String context) {
        if (!LOCAL_CONTEXT.matcher(context).matches()) return "its name is not k3d-* or kwok-*";
        var ctx = contexts.get(context);
        if (ctx == null) return "the kubeconfig (" + describeFiles() + ") has no context " + context;
        String clusterName = Yaml.str(ctx, "cluster");
        var cluster = clusterName == null ? null : clusters.get(clusterName);
        if (cluster == null) return "its cluster '" + clusterName + "' is not in the kubeconfig";
        String server = Yaml.str(cluster, "server");
        if (server == null || server.isBlank()) return "its cluster " + clusterName + " has no server";
        String host = serverHost(server);
        if (host == null) return "its server '" + server + "' is not an http(s) URL";
        if (!isLoopbackHost(host)) {
            return "its server " + server + " is not on this machine (only localhost, 127.0.0.1 (127.0.0.0/8), [::1] and k3d's 0.0.0.0 are, spelled exactly so)";
        }
        Object proxy = cluster.get("proxy-url");
        if (proxy != null && !String.valueOf(proxy).isBlank()) return "its cluster " + clusterName + " sends requests through proxy-url " + proxy;
        String userName = Yaml.str(ctx, "user");
        var user = userName == null ? null : users.get(userName);
        if (user != null && user.get("exec") != null) return "its user " + userName + " runs an exec credential plugin";
        if (user != null && user.get("auth-provider") != null) return "its user " + userName + " uses an auth-provider plugin";
        return null;
    }

    boolean hasContext(String context) { return contexts.containsKey(context); }

    /** The context names of the merged kubeconfig, in file order. */
    List<String> contextNames() { return new ArrayList<>(contexts.keySet()); }

    String describeFiles() {
        if (files.isEmpty()) return "no kubeconfig file";
        var names = new ArrayList<String>();
        files.forEach(f -> names.add(f.toString()));
        return String.join(":", names);
    }

    /** The host of an http(s) API server URL ("https://[::1]:6443" → "::1"), or null. */
    static String serverHost(String server) {
        try {
            var uri = new URI(server);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) return null;
            String h = uri.getHost();
            // java.net.URI leaves the host out when it is no valid name or IPv4 ("127.1"): take it from the authority
            if (h == null && uri.getRawAuthority() != null) {
                String a = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
                int colon = a.lastIndexOf(':');
                h = colon < 0 || a.endsWith("]") ? a : a.substring(0, colon);
            }
            if (h == null || h.isEmpty()) return null;
            return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /**
     * Loopback by its exact spelling (no DNS lookup), as kubectl's Go runtime decides it when it
     * skips HTTPS_PROXY: "localhost", 127.0.0.0/8 without leading zeros, "::1"; and 0.0.0.0,
     * where k3d publishes its API server. Not "prod.localhost" or "127.000.000.001": Go hands
     * those to a proxy or to DNS.
     */
    static boolean isLoopbackHost(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("0.0.0.0") || LOOPBACK_V4.matcher(host).matches();
    }
}
