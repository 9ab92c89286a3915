//DEPS io.kubernetes:client-java-api:27.0.0
//SOURCES ../kube/Manifests.java
//SOURCES ../tools/Yaml.java
//SOURCES ../tools/Problem.java

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Strict offline validation against the Kubernetes API schema, through the model classes
 * of the official Java client: each class knows its fields, their JSON types and which are
 * required, and refuses anything else (a misplaced field, a typo, a string where an object
 * belongs).
 */
final class KubeSchema {
    private KubeSchema() {}

    private static final Gson GSON = new Gson();
    /** Fields of type Quantity, where a bare number is valid. */
    private static final java.util.regex.Pattern QUANTITY = java.util.regex.Pattern.compile(
            "\\.(limits|requests|hard|overhead|capacity|allocatable)\\.[^.\\[]+$|\\.sizeLimit$|\\.storage$");
    private static final Map<String, Method> VALIDATORS = new ConcurrentHashMap<>();

    /** Verdicts by object: most scenarios render many objects exactly alike. */
    private static final Map<Map<String, Object>, String> VERDICTS = new ConcurrentHashMap<>();

    /** Null when the object is valid, else what is wrong with it. */
    static String problem(Manifests.Obj o) {
        String v = VERDICTS.computeIfAbsent(o.body(), b -> String.valueOf(check(o)));
        return "null".equals(v) ? null : v;
    }

    /**
     * What validates an object of this kind: the client model class, or for the custom
     * resources the chart renders, a pinned structure. Null: nothing does, and problem()
     * says so.
     */
    static String validatedBy(Manifests.Obj o) {
        var pinned = PINNED.get(o.apiVersion() + " " + o.kind());
        if (pinned != null) return pinned.source();
        try {
            return validatorFor(o.apiVersion(), o.kind()).getDeclaringClass().getSimpleName() + " of the Kubernetes client model";
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static String check(Manifests.Obj o) {
        var pinned = PINNED.get(o.apiVersion() + " " + o.kind());
        if (pinned != null) {
            String p = pinned.shape().problem("", o.body());
            return p == null ? null : p + " (" + o.kind() + " is not a core kind: checked against " + pinned.source() + ")";
        }
        Method validate;
        try {
            validate = validatorFor(o.apiVersion(), o.kind());
        } catch (ClassNotFoundException e) {
            return "no schema for " + o.apiVersion() + " " + o.kind() + " in the Kubernetes client model";
        }
        JsonElement json = GSON.toJsonTree(o.body());
        try {
            validate.invoke(null, json);
        } catch (InvocationTargetException e) {
            return shorten(Problem.rootMessage(e.getCause()));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        // validateJsonElement checks names and structure but not scalar types: the typed
        // round trip does. A string where the API wants a number fails to parse, or comes
        // back as a number (the API server itself refuses a quoted integer).
        JsonElement typed;
        try {
            typed = GSON.toJsonTree(GSON.fromJson(json, validate.getDeclaringClass()));
        } catch (RuntimeException e) {
            return "wrong type: " + shorten(String.valueOf(e.getMessage()).replaceFirst("^java\\.lang\\.\\w+: ", ""));
        }
        return typeMismatch("", json, typed);
    }

    private static String typeMismatch(String path, JsonElement raw, JsonElement typed) {
        if (raw == null || typed == null || typed.isJsonNull()) return null;
        if (raw.isJsonObject() && typed.isJsonObject()) {
            for (var e : raw.getAsJsonObject().entrySet()) {
                String p = typeMismatch(path + "." + e.getKey(), e.getValue(), typed.getAsJsonObject().get(e.getKey()));
                if (p != null) return p;
            }
        } else if (raw.isJsonArray() && typed.isJsonArray()) {
            var ra = raw.getAsJsonArray();
            var ta = typed.getAsJsonArray();
            for (int i = 0; i < Math.min(ra.size(), ta.size()); i++) {
                String p = typeMismatch(path + "[" + i + "]", ra.get(i), ta.get(i));
                if (p != null) return p;
            }
        } else if (raw.isJsonPrimitive() && typed.isJsonPrimitive()) {
            var r = raw.getAsJsonPrimitive();
            var t = typed.getAsJsonPrimitive();
            if (r.isString() && (t.isNumber() || t.isBoolean())) {
                return path.substring(1) + ": expected " + (t.isNumber() ? "a number" : "a boolean") + ", found string \"" + r.getAsString() + "\"";
            }
            // An unquoted number or boolean where the API wants a string (a label, an env
            // value, an annotation): the client coerces it, the API server refuses it.
            // Quantities are the exception: `cpu: 1` is legal.
            if ((r.isNumber() || r.isBoolean()) && t.isString() && !QUANTITY.matcher(path).find()) {
                return path.substring(1) + ": expected a string, found " + (r.isNumber() ? "number " : "boolean ") + r.getAsString()
                        + " (quote it)";
            }
        }
        return null;
    }

    /** Loads the model classes a chart's objects need, so the first real check does not pay for it. */
    static void warmUp() {
        var container = Map.of("name", "c", "image", "i", "ports", java.util.List.of(Map.of("containerPort", 1)),
                "securityContext", Map.of("capabilities", Map.of("drop", java.util.List.of("ALL"))),
                "resources", Map.of("limits", Map.of("cpu", "1")), "env", java.util.List.of(Map.of("name", "A", "value", "b")),
                "startupProbe", Map.of("httpGet", Map.of("path", "/", "port", "http")));
        var pod = Map.<String, Object>of("containers", java.util.List.of(container), "securityContext", Map.of("runAsNonRoot", true),
                "volumes", java.util.List.of(Map.of("name", "tmp", "emptyDir", Map.of())));
        var template = Map.of("metadata", Map.of("labels", Map.of("a", "b")), "spec", pod);
        problem(new Manifests.Obj("warm-up", Map.of("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Map.of("name", "w"),
                "spec", Map.of("selector", Map.of("matchLabels", Map.of("a", "b")), "template", template))));
        problem(new Manifests.Obj("warm-up", Map.of("apiVersion", "batch/v1", "kind", "Job", "metadata", Map.of("name", "w"),
                "spec", Map.of("template", template))));
    }

    /** apps/v1 Deployment → V1Deployment; autoscaling/v2 HorizontalPodAutoscaler → V2HorizontalPodAutoscaler. */
    static String modelClassName(String apiVersion, String kind) {
        String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
        return "io.kubernetes.client.openapi.models." + Character.toUpperCase(version.charAt(0)) + version.substring(1) + kind;
    }

    private static Method validatorFor(String apiVersion, String kind) throws ClassNotFoundException {
        if (apiVersion == null || kind == null) throw new ClassNotFoundException("apiVersion/kind missing");
        String cls = modelClassName(apiVersion, kind);
        Method m = VALIDATORS.get(cls);
        if (m != null) return m;
        try {
            m = Class.forName(cls).getMethod("validateJsonElement", JsonElement.class);
        } catch (NoSuchMethodException e) {
            throw new ClassNotFoundException(cls);
        }
        VALIDATORS.put(cls, m);
        return m;
    }

    // ---------------------------------------------------------------- custom resources

    /**
     * The client model knows only core kinds. A custom resource the chart renders is checked
     * against a structure pinned from its CRD: the fields the chart renders, their types,
     * patterns and enums, and the CRD's required fields. A field outside the pin is an error,
     * never a pass: pin it here first (from the CRD of the version named in the source).
     */
    record Pinned(String source, Shape shape) {}

    interface Shape { String problem(String path, Object value); }

    private static String at(String path, String field) { return path.isEmpty() ? field : path + "." + field; }

    private static Shape string() {
        return (p, v) -> v instanceof String ? null : p + ": expected a string, found " + Yaml.typeName(v);
    }

    private static Shape pattern(String regex) {
        var re = java.util.regex.Pattern.compile(regex);
        return (p, v) -> !(v instanceof String s) ? p + ": expected a string, found " + Yaml.typeName(v)
                : re.matcher(s).find() ? null : p + ": \"" + s + "\" does not match " + regex;
    }

    private static Shape oneOf(String... values) {
        var allowed = java.util.List.of(values);
        return (p, v) -> allowed.contains(v) ? null : p + ": expected one of " + allowed + ", found " + v;
    }

    private static Shape bool() { return (p, v) -> v instanceof Boolean ? null : p + ": expected a boolean, found " + Yaml.typeName(v); }

    private static Shape integer() { return (p, v) -> v instanceof Integer || v instanceof Long ? null : p + ": expected an integer, found " + Yaml.typeName(v); }

    private static Shape intOrString() {
        return (p, v) -> v instanceof Integer || v instanceof Long || v instanceof String ? null : p + ": expected an integer or a string, found " + Yaml.typeName(v);
    }

    private static Shape listOf(Shape item) {
        return (p, v) -> {
            if (!(v instanceof java.util.List<?> l)) return p + ": expected a list, found " + Yaml.typeName(v);
            for (int i = 0; i < l.size(); i++) {
                String e = item.problem(p + "[" + i + "]", l.get(i));
                if (e != null) return e;
            }
            return null;
        };
    }

    private static Shape object(Map<String, Shape> fields, String... required) {
        return (p, v) -> {
            if (!(v instanceof Map<?, ?> m)) return p + ": expected an object, found " + Yaml.typeName(v);
            for (String r : required) if (m.get(r) == null) return at(p, r) + ": required field missing";
            for (var e : m.entrySet()) {
                String name = String.valueOf(e.getKey());
                Shape f = fields.get(name);
                if (f == null) return at(p, name) + ": unknown field";
                String err = f.problem(at(p, name), e.getValue());
                if (err != null) return err;
            }
            return null;
        };
    }

    /** A nested core type (ObjectMeta, LabelSelector), checked by its client model class. */
    private static Shape model(String simpleName) {
        return (p, v) -> {
            try {
                var m = Class.forName("io.kubernetes.client.openapi.models." + simpleName).getMethod("validateJsonElement", JsonElement.class);
                m.invoke(null, GSON.toJsonTree(v));
                return null;
            } catch (InvocationTargetException e) {
                return p + ": " + shorten(Problem.rootMessage(e.getCause()));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static final String DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

    private static final Shape RELABEL_CONFIG = object(Map.of(
            "action", oneOf("replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod", "labelmap", "LabelMap",
                    "labeldrop", "LabelDrop", "labelkeep", "LabelKeep", "lowercase", "Lowercase", "uppercase", "Uppercase",
                    "keepequal", "KeepEqual", "dropequal", "DropEqual"),
            "modulus", integer(),
            "regex", string(),
            "replacement", string(),
            "separator", string(),
            "sourceLabels", listOf(pattern("^[a-zA-Z_][a-zA-Z0-9_]*$")),
            "targetLabel", string()));

    private static final Shape SERVICE_MONITOR = object(Map.of(
            "apiVersion", string(),
            "kind", string(),
            "metadata", model("V1ObjectMeta"),
            "spec", object(Map.of(
                    "selector", model("V1LabelSelector"),
                    "namespaceSelector", object(Map.of("any", bool(), "matchNames", listOf(string()))),
                    "jobLabel", string(),
                    "targetLabels", listOf(string()),
                    "podTargetLabels", listOf(string()),
                    "sampleLimit", integer(),
                    "endpoints", listOf(object(Map.of(
                            "port", string(),
                            "targetPort", intOrString(),
                            "path", string(),
                            "scheme", oneOf("http", "https"),
                            "interval", pattern(DURATION),
                            "scrapeTimeout", pattern(DURATION),
                            "honorLabels", bool(),
                            "honorTimestamps", bool(),
                            "relabelings", listOf(RELABEL_CONFIG),
                            "metricRelabelings", listOf(RELABEL_CONFIG))))),
                    "endpoints", "selector")),
            "spec");

    private static final Map<String, Pinned> PINNED = Map.of(
            "monitoring.coreos.com/v1 ServiceMonitor",
            new Pinned("the ServiceMonitor fields pinned from the prometheus-operator v0.84.1 CRD", SERVICE_MONITOR));

    /** The client quotes the whole offending JSON after its message; the message is enough. */
    private static String shorten(String msg) {
        int cut = msg.indexOf(" JSON: ");
        if (cut < 0) cut = msg.indexOf(" in the JSON string");
        String s = cut > 0 ? msg.substring(0, cut) : msg;
        return s.replace("io.kubernetes.client.openapi.models.", "");
    }
}
