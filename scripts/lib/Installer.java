import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Installs or upgrades the release with its prerequisites: a namespace that enforces Pod
 * Security "restricted" and the Secrets that envFromSecrets names. Everything that can be
 * wrong with the input is found before the first change to the cluster.
 */
final class Installer {
    private Installer() {}

    /** What the user asked for. */
    record Options(List<Path> valuesFiles, List<String> sets, String tag, Path envFile, boolean devSecrets, Duration timeout,
                   boolean rollback) {
        Options withTag(String newTag) {
            return new Options(valuesFiles, sets, newTag, envFile, devSecrets, timeout, rollback);
        }

        Helm.Values values() {
            var s = new ArrayList<>(sets);
            if (tag != null) s.add("image.tag=" + tag);
            return new Helm.Values(valuesFiles, s);
        }
    }

    /** The release did not reach its desired state; the message says why, from the cluster. */
    static final class Failed extends RuntimeException {
        Failed(String msg) { super(msg); }
    }

    /**
     * Keys a dev Secret gets on a local cluster, pointing at the usual in-cluster dev
     * services. Never used for a context the user named deliberately.
     */
    static final Map<String, String> DEV_SECRET = devSecret();

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

    /** What preflight found: the rendered objects and where each missing Secret comes from. */
    record Plan(List<Manifests.Obj> objects, Map<String, Map<String, String>> secretsToCreate, Map<String, String> secretSources) {}

    static Plan preflight(Release rel, Options o, boolean deliberateContext) {
        for (Path f : o.valuesFiles()) {
            if (!Files.isRegularFile(f)) throw new Target.Invalid("values file " + f + " does not exist");
            try {
                Yaml.loadMap(Files.readString(f));
            } catch (Yaml.Invalid e) {
                throw new Target.Invalid("values file " + f + " is not valid YAML: " + e.getMessage());
            } catch (IOException e) {
                throw new Target.Invalid("cannot read values file " + f + ": " + e.getMessage());
            }
        }
        if (o.tag() != null && !o.tag().matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new Target.Invalid("--tag '" + o.tag() + "' is not a valid image tag");
        }
        var render = rel.render(o.values());
        if (!render.ok()) throw new Target.Invalid("the chart refuses these values (" + o.values().describe() + "):\n" + render.said());
        var objs = Manifests.parse(render.out());

        Set<String> needed = new LinkedHashSet<>();
        for (var obj : objs) {
            for (var c : obj.allContainers()) {
                for (var ef : Yaml.maps(c, "envFrom")) {
                    String name = Yaml.str(ef, "secretRef.name");
                    if (name != null && !Boolean.TRUE.equals(Yaml.at(ef, "secretRef.optional"))) needed.add(name);
                }
            }
        }
        Map<String, String> fromFile = o.envFile() == null ? null : readEnvFile(o.envFile());
        var create = new LinkedHashMap<String, Map<String, String>>();
        var sources = new LinkedHashMap<String, String>();
        boolean nsExists = rel.kube.exists(null, "namespace", rel.namespace);
        for (String name : needed) {
            if (nsExists && rel.kube.exists(rel.namespace, "secret", name)) continue;
            if (fromFile != null) {
                create.put(name, fromFile);
                sources.put(name, "from " + o.envFile());
            } else if (o.devSecrets() && !deliberateContext) {
                create.put(name, DEV_SECRET);
                sources.put(name, "with dev defaults");
            } else {
                throw new Target.Invalid("Secret " + name + " (named by envFromSecrets) does not exist in namespace " + rel.namespace
                        + " on " + rel.kube.context + "; create it (kubectl -n " + rel.namespace + " create secret generic " + name
                        + " --from-env-file=FILE) or pass --env-file FILE");
            }
        }
        return new Plan(objs, create, sources);
    }

    /** KEY=VALUE lines; blank lines and # comments are skipped. Values are never printed. */
    static Map<String, String> readEnvFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new Target.Invalid("cannot read --env-file " + file + ": " + e.getMessage());
        }
        var out = new LinkedHashMap<String, String>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            if (l.startsWith("export ")) l = l.substring(7).strip();
            int eq = l.indexOf('=');
            String key = eq < 0 ? l : l.substring(0, eq).strip();
            if (eq < 0 || !key.matches("[-._a-zA-Z][-._a-zA-Z0-9]*")) {
                throw new Target.Invalid(file + ":" + (i + 1) + ": expected KEY=VALUE with a valid environment variable name");
            }
            String v = l.substring(eq + 1).strip();
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) v = v.substring(1, v.length() - 1);
            out.put(key, v);
        }
        if (out.isEmpty()) throw new Target.Invalid("--env-file " + file + " has no KEY=VALUE lines");
        return out;
    }

    /** The namespace, labelled so the API server enforces Pod Security "restricted". */
    static void ensureNamespace(Kube kube, String namespace) {
        var ns = Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", namespace, "labels", Map.of(
                "pod-security.kubernetes.io/enforce", "restricted",
                "pod-security.kubernetes.io/enforce-version", "latest",
                "pod-security.kubernetes.io/warn", "restricted",
                "pod-security.kubernetes.io/audit", "restricted")));
        var r = kube.runWithInput(Yaml.dump(ns), "apply", "--server-side", "--field-manager=trevor-install", "-f", "-");
        if (!r.ok()) throw new Failed("could not create namespace " + namespace + ": " + r.said());
    }

    static void applySecret(Kube kube, String namespace, String name, Map<String, String> data) {
        var secret = Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque",
                "metadata", Map.of("name", name, "namespace", namespace, "labels", Map.of("app.kubernetes.io/part-of", "trevor")),
                "stringData", data);
        var r = kube.runWithInput(Yaml.dump(secret), "apply", "--server-side", "--field-manager=trevor-install", "-f", "-");
        // kubectl's own error never contains the data; still, say only the first line.
        if (!r.ok()) throw new Failed("could not create Secret " + name + ": " + Kube.firstLine(r.said()));
    }

    /** Preflight, prerequisites, then helm upgrade --install; a failure explains itself from the cluster. */
    static void install(Release rel, Options o, boolean deliberateContext, Progress p) {
        var plan = p.step("preflight (values, render, secrets)", () -> preflight(rel, o, deliberateContext));
        p.step("namespace " + rel.namespace + " (Pod Security restricted)", () -> ensureNamespace(rel.kube, rel.namespace));
        for (var e : plan.secretsToCreate().entrySet()) {
            p.step("Secret " + e.getKey() + " " + plan.secretSources().get(e.getKey()) + " (" + e.getValue().size() + " keys)",
                    () -> applySecret(rel.kube, rel.namespace, e.getKey(), e.getValue()));
        }
        boolean upgrade = rel.exists();
        var r = p.step((upgrade ? "helm upgrade " : "helm install ") + rel.name + " (" + rel.helm.version + ", wait " + o.timeout().toSeconds() + " s)",
                () -> rel.upgradeInstall(o.values(), o.timeout(), o.rollback(), line -> p.info("  helm: " + line)));
        if (!r.ok()) {
            throw new Failed((upgrade ? "upgrade" : "install") + " of " + rel.name + " failed: " + r.said()
                    + "\n\nmigration Job, from the cluster:\n" + Diagnostics.explainJob(rel.kube, rel.namespace, rel.selector("migrate"))
                    + (o.rollback() && upgrade ? "\n\nrolled back; history:\n" + rel.historyText() : ""));
        }
    }
}
