//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** The Secrets a release reads: the dev defaults of a local cluster, and a Secret made to hold exactly an env file. */
final class Secrets {
    private Secrets() {}

    /**
     * Keys a dev Secret gets on a local cluster, pointing at the in-cluster dev services of
     * helm/trevor-dev-deps. Never used for a cluster that is not local.
     */
    static final Map<String, String> DEV = devSecret();

    private static Map<String, String> devSecret() {
        var m = new LinkedHashMap<String, String>();
        m.put("DATABASE_URL", "postgresql+asyncpg://trevor:trevor-dev@postgres:5432/trevor");
        m.put("REDIS_URL", "redis://redis:6379/0");
        m.put("S3_ENDPOINT_URL", "http://seaweedfs:8333");
        m.put("S3_ACCESS_KEY_ID", "trevor-dev");
        m.put("S3_SECRET_ACCESS_KEY", "trevor-dev-secret");
        m.put("S3_BUCKET", "trevor");
        m.put("OIDC_ISSUER_URL", "http://keycloak:8080/realms/trevor");
        m.put("OIDC_CLIENT_ID", "trevor");
        m.put("OIDC_CLIENT_SECRET", "trevor-dev-secret");
        m.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317");
        return m;
    }

    /**
     * Refuses an existing Secret an env file cannot describe (any type but Opaque): checked for
     * every Secret before the first one is written, so a refusal changes nothing.
     */
    static void requireOpaque(Kube kube, String namespace, String name, String source) {
        var existing = kube.get(namespace, "secret", name);
        String type = existing == null ? null : Yaml.str(existing, "type");
        if (type != null && !type.equals("Opaque")) {
            throw new Problem.BadInput("Secret " + name + " in namespace " + namespace + " is of type " + type + ", not Opaque: --env-file "
                    + source + " cannot say what it holds. Nothing was changed. Name an Opaque Secret in envFromSecrets, or delete this one "
                    + "first (kubectl -n " + namespace + " delete secret " + name + ") to have it made from the file");
        }
    }

    /** A Secret's data as it is in the cluster, decoded (empty when it does not exist). */
    static Map<String, String> read(Kube kube, String namespace, String name) {
        var s = kube.get(namespace, "secret", name);
        var out = new java.util.TreeMap<String, String>();
        if (s != null) Yaml.map(s, "data").forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8)));
        return out;
    }

    /**
     * Makes the Secret hold exactly this data, sent as JSON with base64 values: every key and
     * value stays a string (as YAML, a key Y, n or on would be read back as a boolean by
     * kubectl's YAML 1.1 reader, and two keys could become one). Says which keys it added, changed and removed, never their values. A Secret that
     * changes while this runs is not overwritten (the replace carries its resourceVersion).
     */
    static String apply(Kube kube, String namespace, String name, Map<String, String> data) {
        var existing = kube.get(namespace, "secret", name);
        var encoded = new LinkedHashMap<String, Object>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        var meta = new LinkedHashMap<String, Object>();
        meta.put("name", name);
        meta.put("namespace", namespace);
        var labels = new LinkedHashMap<String, Object>(Map.of("app.kubernetes.io/part-of", "trevor"));
        if (existing == null) {
            meta.put("labels", labels);
            var secret = Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque", "metadata", meta, "data", encoded);
            var r = kube.runWithInput(Yaml.json(secret), "create", "-f", "-");
            if (!r.ok()) throw new Problem.Failed("could not create Secret " + name + ": " + Kube.firstLine(r.said()));
            return "created with " + data.size() + " keys (" + String.join(", ", new TreeSet<>(data.keySet())) + ")";
        }
        String type = Yaml.str(existing, "type");
        if (type != null && !type.equals("Opaque")) {
            throw new Problem.BadInput("Secret " + name + " is of type " + type + ", not Opaque; an env file cannot say what it holds");
        }
        var current = new LinkedHashMap<String, String>();
        Yaml.map(existing, "data").forEach((k, v) -> current.put(k, new String(Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8)));
        var added = new TreeSet<String>();
        var changed = new TreeSet<String>();
        var removed = new TreeSet<String>(current.keySet());
        data.forEach((k, v) -> {
            removed.remove(k);
            if (!current.containsKey(k)) added.add(k);
            else if (!current.get(k).equals(v)) changed.add(k);
        });
        if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) return "already holds exactly these " + data.size() + " keys";
        labels.putAll(Yaml.map(existing, "metadata.labels"));
        meta.put("labels", labels);
        if (Yaml.at(existing, "metadata.annotations") != null) meta.put("annotations", Yaml.map(existing, "metadata.annotations"));
        meta.put("resourceVersion", Yaml.str(existing, "metadata.resourceVersion"));
        var secret = Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque", "metadata", meta, "data", encoded);
        var r = kube.runWithInput(Yaml.json(secret), "replace", "-f", "-");
        if (!r.ok()) {
            if (r.said().contains("the object has been modified")) {
                throw new Problem.Refused("Secret " + name + " changed while this run read it; nothing was written. Run again");
            }
            throw new Problem.Failed("could not update Secret " + name + ": " + Kube.firstLine(r.said()));
        }
        var parts = new ArrayList<String>();
        if (!added.isEmpty()) parts.add("added " + String.join(", ", added));
        if (!changed.isEmpty()) parts.add("changed " + String.join(", ", changed));
        if (!removed.isEmpty()) parts.add("removed " + String.join(", ", removed));
        return String.join("; ", parts);
    }}
