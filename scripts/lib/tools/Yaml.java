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

    /**
     * Compact JSON of maps (in their iteration order; an unordered map's keys sorted, so the
     * output is stable: image configs are hashed), lists, strings, numbers, booleans and null.
     */
    static String json(Object o) {
        var sb = new StringBuilder();
        json(sb, o);
        return sb.toString();
    }

    private static void json(StringBuilder sb, Object o) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof String s) {
            quote(sb, s);
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            var keys = new ArrayList<Object>(m.keySet());
            if (!(m instanceof LinkedHashMap) && !(m instanceof java.util.SortedMap)) keys.sort((x, z) -> x.toString().compareTo(z.toString()));
            for (Object k : keys) {
                if (!first) sb.append(',');
                first = false;
                quote(sb, k.toString());
                sb.append(':');
                json(sb, m.get(k));
            }
            sb.append('}');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(',');
                json(sb, l.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("no JSON form for " + o.getClass().getName());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    // C1 controls, U+2028/U+2029 and the byte-order mark escaped too: YAML 1.1 readers (go-yaml, which
                    // helm reads values with) fold U+0085, U+2028 and U+2029 as line breaks even inside quotes.
                    if (ch < 0x20 || (ch >= 0x7f && ch <= 0x9f) || ch == 0x2028 || ch == 0x2029 || ch == 0xfeff) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        sb.append('"');
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
