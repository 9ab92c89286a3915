//DEPS org.yaml:snakeyaml:2.5
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/** YAML in, plain maps out: strict loading (duplicate keys are an error) and path lookups. */
final class Yaml {
    private Yaml() {}

    static final class Invalid extends RuntimeException {
        Invalid(String msg) { super(msg); }
    }

    /**
     * Loads one YAML document. A duplicate key is refused: Kubernetes would keep one of the
     * two silently (the chart bug where a second envFrom: hides the first).
     */
    static Object load(String text) {
        var opts = new LoaderOptions();
        opts.setAllowDuplicateKeys(false);
        opts.setMaxAliasesForCollections(50);
        opts.setCodePointLimit(64 * 1024 * 1024);
        try {
            return new org.yaml.snakeyaml.Yaml(new SafeConstructor(opts)).load(text);
        } catch (MarkedYAMLException e) {
            String problem = e.getProblem() == null ? "" : e.getProblem();
            String ctx = e.getContext() == null ? "" : e.getContext() + ": ";
            var mark = e.getProblemMark();
            String where = mark == null ? "" : " (line " + (mark.getLine() + 1) + ")";
            throw new Invalid((ctx + problem).strip() + where);
        } catch (YAMLException e) {
            throw new Invalid(e.getMessage());
        }
    }

    /** Block-style YAML of plain maps and lists (manifests to apply, configs to write). */
    static String dump(Object o) {
        var opts = new org.yaml.snakeyaml.DumperOptions();
        opts.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        return new org.yaml.snakeyaml.Yaml(opts).dump(o);
    }

    /** JSON of plain maps, lists, strings, numbers and booleans (kubectl patch bodies). */
    static String json(Object o) {
        var b = new StringBuilder();
        json(o, b);
        return b.toString();
    }

    private static void json(Object o, StringBuilder b) {
        if (o == null) {
            b.append("null");
        } else if (o instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (var e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                json(String.valueOf(e.getKey()), b);
                b.append(':');
                json(e.getValue(), b);
            }
            b.append('}');
        } else if (o instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(',');
                json(l.get(i), b);
            }
            b.append(']');
        } else if (o instanceof Number || o instanceof Boolean) {
            b.append(o);
        } else {
            b.append('"');
            for (char c : o.toString().toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            b.append('"');
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> loadMap(String text) {
        Object o = load(text);
        if (o == null) return new LinkedHashMap<>();
        if (!(o instanceof Map)) throw new Invalid("expected a mapping at the top, found " + typeName(o));
        return (Map<String, Object>) o;
    }

    /** Value at a dotted path ("spec.template.spec"), or null where any step is missing. */
    @SuppressWarnings("unchecked")
    static Object at(Object root, String path) {
        Object cur = root;
        for (String step : path.split("\\.")) {
            if (!(cur instanceof Map)) return null;
            cur = ((Map<String, Object>) cur).get(step);
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object root, String path) {
        Object o = at(root, path);
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object root, String path) {
        Object o = at(root, path);
        return o instanceof List ? (List<Object>) o : List.of();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object root, String path) {
        var out = new ArrayList<Map<String, Object>>();
        for (Object o : list(root, path)) if (o instanceof Map) out.add((Map<String, Object>) o);
        return out;
    }

    static String str(Object root, String path) {
        Object o = at(root, path);
        return o == null ? null : String.valueOf(o);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> strings(Object root, String path) {
        var out = new LinkedHashMap<String, String>();
        map(root, path).forEach((k, v) -> out.put(k, v == null ? "" : String.valueOf(v)));
        return out;
    }

    static String typeName(Object o) {
        if (o == null) return "null";
        if (o instanceof Map) return "mapping";
        if (o instanceof List) return "list";
        return o.getClass().getSimpleName().toLowerCase();
    }
}
