//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * values.yaml held against the two files that must agree with it: the hand-kept
 * values.schema.json (leaf by leaf, both ways) and the templates (every value used by one).
 * Pure functions over parsed documents and template texts, so a unit test can break each.
 */
final class ValuesLint {
    private ValuesLint() {}

    /** A schema property that is in the schema only must say so: its description starts with this. */
    static final String OPTIONAL = "Optional, no default";

    /** Values no template reads on purpose, and why. */
    static final Map<String, String> NOT_FOR_TEMPLATES = Map.of(
            "enabled", "a parent chart's `condition: trevor.enabled`",
            "global", "Helm's values shared with parent and subcharts");

    /** values.yaml's leaves, dotted: maps are walked, anything else (a scalar, a list, an empty map) is a leaf. */
    static Map<String, Object> leaves(Map<String, Object> values) {
        var out = new LinkedHashMap<String, Object>();
        walk(values, new ArrayList<>(), out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void walk(Map<String, Object> map, List<String> path, Map<String, Object> out) {
        for (var e : map.entrySet()) {
            path.add(e.getKey());
            if (e.getValue() instanceof Map<?, ?> m && !m.isEmpty()) walk((Map<String, Object>) m, path, out);
            else out.put(String.join(".", path), e.getValue());
            path.remove(path.size() - 1);
        }
    }

    // ---------------------------------------------------------------- values.yaml against the schema

    /** Where a walk through the schema ended: a node, an object that takes anything, or nothing. */
    private static final Map<String, Object> FREE_FORM = Map.of();

    /**
     * Every disagreement between values.yaml and the schema, one line each: a leaf with no
     * schema entry or with a default of a type its entry refuses, and a schema property that
     * values.yaml lacks without being marked optional ({@link #OPTIONAL}).
     */
    static List<String> schemaMismatches(Map<String, Object> values, Map<String, Object> schema) {
        var out = new ArrayList<String>();
        for (var leaf : leaves(values).entrySet()) {
            Map<String, Object> node = schema;
            for (String key : leaf.getKey().split("\\.")) {
                node = child(node, key);
                if (node == null || node == FREE_FORM) break;
            }
            if (node == null) {
                out.add(leaf.getKey() + ": in values.yaml, not in values.schema.json");
            } else if (node != FREE_FORM && !fits(node, jsonType(leaf.getValue()))) {
                out.add(leaf.getKey() + ": values.yaml gives " + jsonType(leaf.getValue()) + " " + Yaml.json(leaf.getValue())
                        + ", values.schema.json takes " + types(node));
            }
        }
        schemaOnly(schema, values, "", out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void schemaOnly(Map<String, Object> node, Map<String, Object> values, String path, List<String> out) {
        if (!(node.get("properties") instanceof Map<?, ?> props)) return;
        for (var e : ((Map<String, Object>) props).entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> child)) continue;
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (!values.containsKey(e.getKey())) {
                Object d = child.get("description");
                if (!(d instanceof String s && s.startsWith(OPTIONAL))) {
                    out.add(p + ": in values.schema.json, not in values.yaml (give it a default there, or start its schema description with \""
                            + OPTIONAL + "\")");
                }
            } else if (values.get(e.getKey()) instanceof Map<?, ?> m && !m.isEmpty()) {
                // An empty map's keys are optional by its default: only a map with keys is compared further.
                schemaOnly((Map<String, Object>) child, (Map<String, Object>) m, p, out);
            }
        }
    }

    /** The schema of a key under an object's schema: its property, a matching pattern property, additionalProperties, or any. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> node, String key) {
        if (node.get("properties") instanceof Map<?, ?> props && props.get(key) instanceof Map<?, ?> p) return (Map<String, Object>) p;
        if (node.get("patternProperties") instanceof Map<?, ?> pp) {
            for (var e : pp.entrySet()) {
                if (Pattern.compile(String.valueOf(e.getKey())).matcher(key).find() && e.getValue() instanceof Map<?, ?> p) return (Map<String, Object>) p;
            }
        }
        Object ap = node.get("additionalProperties");
        if (ap instanceof Map<?, ?> m) return m.isEmpty() ? FREE_FORM : (Map<String, Object>) m;
        boolean closed = Boolean.FALSE.equals(ap) || node.containsKey("properties") || node.containsKey("patternProperties");
        return closed ? null : FREE_FORM;
    }

    static String jsonType(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean) return "boolean";
        if (v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger) return "integer";
        if (v instanceof Number) return "number";
        if (v instanceof String) return "string";
        if (v instanceof List) return "array";
        if (v instanceof Map) return "object";
        return v.getClass().getSimpleName();
    }

    /** Whether a schema node's type (or one of its oneOf/anyOf alternatives) takes a value of this JSON type. */
    @SuppressWarnings("unchecked")
    private static boolean fits(Map<String, Object> node, String type) {
        Object t = node.get("type");
        if (t != null) {
            List<Object> ts = t instanceof List<?> l ? (List<Object>) l : List.of(t);
            return ts.contains(type) || (type.equals("integer") && ts.contains("number"));
        }
        boolean alternatives = false;
        for (String k : List.of("oneOf", "anyOf")) {
            if (node.get(k) instanceof List<?> alts) {
                alternatives = true;
                for (Object a : alts) if (a instanceof Map<?, ?> m && fits((Map<String, Object>) m, type)) return true;
            }
        }
        return !alternatives;
    }

    @SuppressWarnings("unchecked")
    private static String types(Map<String, Object> node) {
        if (node.get("type") != null) return String.valueOf(node.get("type"));
        var ts = new LinkedHashSet<String>();
        for (String k : List.of("oneOf", "anyOf")) {
            if (node.get(k) instanceof List<?> alts) for (Object a : alts) if (a instanceof Map<?, ?> m) ts.add(types((Map<String, Object>) m));
        }
        return ts.isEmpty() ? "anything" : String.join(" or ", ts);
    }

    // ---------------------------------------------------------------- values.yaml against the templates

    /**
     * The values no template reads. A value counts as read when a template names it
     * (`.Values.a.b`, through `with`, `range` and `$variables` too), names something under it,
     * hands a map above it to toYaml whole, or names a map above it and the rest of its path
     * relative to some other dot (a helper given `.Values.worker` as `.values`, reading
     * `.values.nodeSelector`). The last rule is loose on purpose: a lint that never fails a
     * used value, and fails a value that nothing mentions.
     */
    static List<String> unused(Map<String, Object> values, Map<String, String> templates) {
        var refs = new Refs();
        for (String text : templates.values()) refs.scan(text);
        var out = new ArrayList<String>();
        for (String leaf : leaves(values).keySet()) {
            if (NOT_FOR_TEMPLATES.containsKey(leaf.split("\\.")[0])) continue;
            if (!refs.reads(List.of(leaf.split("\\.")))) out.add(leaf);
        }
        return out;
    }

    /** What templates read: paths under .Values, chains under an unknown dot, and what toYaml takes whole. */
    static final class Refs {
        final Set<List<String>> abs = new LinkedHashSet<>();
        final Set<List<String>> rel = new LinkedHashSet<>();
        final Set<List<String>> wholeAbs = new LinkedHashSet<>();
        final Set<List<String>> wholeRel = new LinkedHashSet<>();

        /** The dot or a variable: a path under .Values (abs), a chain under something unknown (rel), or the root context. */
        private record Ref(boolean root, boolean abs, List<String> path) {
            static final Ref ROOT = new Ref(true, false, List.of());

            static Ref unknown() { return new Ref(false, false, List.of()); }

            Ref plus(List<String> fields) {
                if (fields.isEmpty()) return this;
                int v = fields.indexOf("Values");
                if (v >= 0 && (root || !abs)) return new Ref(false, true, List.copyOf(fields.subList(v + 1, fields.size())));
                if (root) return new Ref(false, false, List.copyOf(fields));
                var p = new ArrayList<>(path);
                p.addAll(fields);
                return new Ref(false, abs, p);
            }
        }

        private record Scope(String keyword, Ref dot, Ref outer) {}

        private static final Pattern ACTION = Pattern.compile("\\{\\{-?\\s*(.*?)\\s*-?\\}\\}", Pattern.DOTALL);
        private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`");
        private static final String OPERAND = "(\\$[A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*|(?:\\.[A-Za-z_][A-Za-z0-9_]*)+|\\.(?![A-Za-z_]))";
        private static final Pattern CHAIN = Pattern.compile("(?<![A-Za-z0-9_)\\]])" + OPERAND);
        private static final Pattern TO_YAML = Pattern.compile("\\b(?:toYaml|toJson)\\s+(?:\\(\\s*omit\\s+)?" + OPERAND);
        private static final Pattern ASSIGN = Pattern.compile("(\\$[A-Za-z0-9_]+)\\s*:?=\\s*(?:\\(\\s*)?" + OPERAND);
        private static final Pattern RANGE = Pattern.compile("^range\\s+(?:(\\$[A-Za-z0-9_]+)\\s*(?:,\\s*(\\$[A-Za-z0-9_]+)\\s*)?:=\\s*)?(?:\\(\\s*)?" + OPERAND);
        /** `with X`, or `with index X key` / `with get X key`: some entry of X. */
        private static final Pattern WITH = Pattern.compile("^(?:else\\s+)?with\\s+(?:\\(\\s*)?((?:index|get)\\s+)?" + OPERAND);

        void scan(String text) {
            var scopes = new ArrayList<Scope>();
            var vars = new HashMap<String, Ref>();
            Ref dot = Ref.ROOT;
            Matcher m = ACTION.matcher(text);
            while (m.find()) {
                String a = m.group(1).strip();
                if (a.startsWith("/*")) continue;
                a = STRING.matcher(a).replaceAll("\"\"");
                String kw = a.split("[\\s(]", 2)[0];
                // Reads first, against the dot the action runs under (a `with X` reads X under the outer dot).
                Matcher c = CHAIN.matcher(a);
                while (c.find()) record(resolve(c.group(1), dot, vars));
                Matcher y = TO_YAML.matcher(a);
                while (y.find()) {
                    Ref r = resolve(y.group(1), dot, vars);
                    if (r.abs()) wholeAbs.add(r.path());
                    else if (!r.root()) wholeRel.add(r.path());
                }
                switch (kw) {
                    case "define", "block" -> {
                        scopes.add(new Scope(kw, dot, dot));
                        vars.clear();
                        dot = Ref.unknown();
                    }
                    case "if" -> scopes.add(new Scope(kw, dot, dot));
                    case "with" -> {
                        Matcher w = WITH.matcher(a);
                        scopes.add(new Scope(kw, dot, dot));
                        dot = w.find() ? entry(w, dot, vars) : Ref.unknown();
                    }
                    case "range" -> {
                        Matcher r = RANGE.matcher(a);
                        scopes.add(new Scope(kw, dot, dot));
                        Ref each = Ref.unknown();
                        if (r.find()) {
                            each = resolve(r.group(3), dot, vars).plus(List.of("*"));
                            String var = r.group(2) != null ? r.group(2) : r.group(1);
                            if (var != null) vars.put(var, each);
                        }
                        dot = each;
                    }
                    case "else" -> {
                        if (!scopes.isEmpty()) {
                            Scope top = scopes.get(scopes.size() - 1);
                            Matcher w = WITH.matcher(a);
                            dot = a.startsWith("else with") && w.find() ? entry(w, top.outer(), vars) : top.outer();
                        }
                    }
                    case "end" -> {
                        if (!scopes.isEmpty()) {
                            Scope top = scopes.remove(scopes.size() - 1);
                            dot = top.outer();
                            if (top.keyword().equals("define") || top.keyword().equals("block")) vars.clear();
                        }
                    }
                    default -> { }
                }
                if (!kw.equals("range")) {
                    Matcher as = ASSIGN.matcher(a);
                    while (as.find()) vars.put(as.group(1), resolve(as.group(2), dot, vars));
                }
            }
        }

        private void record(Ref r) {
            if (r.abs()) abs.add(r.path());
            else if (!r.root() && !r.path().isEmpty()) rel.add(r.path());
        }

        private static Ref entry(Matcher with, Ref dot, Map<String, Ref> vars) {
            Ref r = resolve(with.group(2), dot, vars);
            return with.group(1) != null ? r.plus(List.of("*")) : r;
        }

        private static Ref resolve(String operand, Ref dot, Map<String, Ref> vars) {
            String head;
            String fields;
            Ref base;
            if (operand.startsWith("$")) {
                int i = operand.indexOf('.');
                head = i < 0 ? operand : operand.substring(0, i);
                fields = i < 0 ? "" : operand.substring(i);
                base = head.equals("$") ? Ref.ROOT : vars.getOrDefault(head, Ref.unknown());
            } else {
                fields = operand.equals(".") ? "" : operand;
                base = dot;
            }
            var fs = new ArrayList<String>();
            for (String f : fields.split("\\.")) if (!f.isEmpty()) fs.add(f);
            return base.plus(fs);
        }

        /** Whether a values path counts as read (see {@link ValuesLint#unused}). */
        boolean reads(List<String> p) {
            for (var a : abs) if (a.size() >= p.size() && prefix(p, a)) return true;
            for (var w : wholeAbs) if (w.size() <= p.size() && prefix(w, p)) return true;
            for (int q = 0; q < p.size(); q++) {
                var head = p.subList(0, q);
                var rest = p.subList(q, p.size());
                boolean named = q == 0 ? abs.contains(List.of()) : abs.stream().anyMatch(a -> a.size() >= head.size() && prefix(head, a));
                if (!named) continue;
                // Chains under an unknown dot name keys as written: their "*" (an entry of something unknown) matches no key.
                for (var c : rel) if (java.util.Collections.indexOfSubList(c, rest) >= 0) return true;
                for (var w : wholeRel) {
                    for (int n = 1; n <= rest.size(); n++) {
                        if (w.size() >= n && w.subList(w.size() - n, w.size()).equals(rest.subList(0, n))) return true;
                    }
                }
            }
            return false;
        }

        /** Whether a starts b, a "*" in either matching any key. */
        private static boolean prefix(List<String> a, List<String> b) {
            for (int i = 0; i < a.size(); i++) if (!same(a.get(i), b.get(i))) return false;
            return true;
        }

        private static boolean same(String a, String b) { return a.equals(b) || a.equals("*") || b.equals("*"); }
    }
}
