//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES HelmRuns.java
//SOURCES Layout.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Many renders in one helm process. An umbrella chart holds each member's chart under an alias
 * of its own, each alias gets that member's values (every --set prefixed with the alias, every
 * -f file nested under it), and one `helm template` renders them all; the output is split back
 * by each object's `# Source:` path. A Helm process costs about as much to start as to render
 * the chart, so this is the difference between one start and forty.
 *
 * <p>What an alias changes, and how it is undone:
 * <ul>
 *   <li>{@code .Chart.Name} is the alias: a chart that declares {@code nameOverride} gets its own
 *       name there by default (a member that sets nameOverride or fullnameOverride itself, or any
 *       {@code global} value, which all members would share, keeps a render of its own);</li>
 *   <li>the {@code helm.sh/chart} label starts with the alias: it is given the chart's name back;</li>
 *   <li>{@code # Source:} paths run through the umbrella: they are given the chart's path back.</li>
 * </ul>
 * The runner compares one member per chart with a render of its own (see {@link CheckRunner}),
 * so a chart that renders differently under an alias in any other way is never batched.
 */
final class RenderBatch {
    static final String UMBRELLA = "verify-batch";

    /** One render of the batch: the chart, its name and version (from Chart.yaml), and its values. */
    record Member(String alias, Path chart, Helm.Values values) {}

    /** What one helm run of the batch said: the whole result, and each member's documents. */
    record Rendered(Exec.Result result, Map<String, String> docs) {}

    private RenderBatch() {}

    /**
     * Whether these values mean the same to the chart under an alias as at the top: no value a
     * sibling would see (global), no name override of its own, no multi-value --set, and -f files
     * that can be nested by indenting them.
     */
    static boolean canHold(Path chart, Helm.Values values) {
        if (values.stdin() != null) return false;
        var args = values.args();
        for (int i = 0; i < args.size(); i += 2) {
            String flag = args.get(i), value = args.get(i + 1);
            if (flag.equals("-f")) {
                if (nested("x", Path.of(value)) == null) return false;
                continue;
            }
            int eq = value.indexOf('=');
            if (eq <= 0) return false;
            String key = value.substring(0, eq), v = value.substring(eq + 1);
            if (key.equals("global") || key.startsWith("global.") || key.startsWith("global[")) return false;
            if (key.equals("nameOverride") || key.equals("fullnameOverride")) return false;
            switch (flag) {
                case "--set", "--set-string", "--set-file" -> { if (v.contains(",")) return false; }
                case "--set-json" -> { if (!oneJsonValue(v)) return false; }
                case "--set-literal" -> { }
                default -> { return false; }
            }
        }
        return true;
    }

    /** Whether a --set-json value is one JSON value, not `{..},key2=..` (a second assignment). */
    static boolean oneJsonValue(String v) {
        if (!v.startsWith("{") && !v.startsWith("[")) return !v.contains(",");
        try {
            Object o = Yaml.load(v);
            return o instanceof Map || o instanceof List;
        } catch (Yaml.Invalid e) {
            return false;
        }
    }

    private static final Pattern GLOBAL = Pattern.compile("global\\s*:");

    /** The file's YAML nested under {@code alias:}, or null when indenting could change its meaning. */
    static String nested(String alias, Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            return null;
        }
        var out = new StringBuilder(alias).append(":\n");
        boolean content = false;
        for (String line : text.split("\n", -1)) {
            // Document markers, directives and tabs would not survive being indented.
            if (line.startsWith("---") || line.startsWith("...") || line.startsWith("%") || line.startsWith("\t")) return null;
            if (GLOBAL.matcher(line).lookingAt()) return null;
            if (!line.isBlank() && !line.stripLeading().startsWith("#")) content = true;
            out.append(line.isEmpty() ? "" : "  ").append(line).append('\n');
        }
        return content ? out.toString() : null;
    }

    /**
     * Describes the umbrella and renders it once (its files are written under dir only when the
     * run is not remembered). Members' charts are linked in, one link per chart folder; a second
     * folder whose chart has the same name goes in under another name (Helm finds an alias's
     * chart by name), which no template sees: under an alias, .Chart.Name is the alias.
     */
    static Rendered render(HelmRuns helm, Path dir, String release, String namespace, List<Member> members) {
        return render(helm, dir, release, namespace, members, false);
    }

    /**
     * As above; with hoistSchemas, each member chart's values schema is checked once for all of
     * its members: the umbrella's own schema holds it once, under definitions, and points each
     * alias at it, instead of Helm compiling it anew for every alias (about half the cost of an
     * aliased render of a chart with a large schema). Helm validates an alias's values against
     * the member's schema exactly as against the umbrella's property for that alias: the same
     * values, the same schema. A refusal is then reported under the umbrella's name, so only
     * batches that fall back to renders of their own on any refusal hoist (the scenarios');
     * schemas with references or identifiers of their own, or of another draft, stay where they are.
     */
    static Rendered render(HelmRuns helm, Path dir, String release, String namespace, List<Member> members, boolean hoistSchemas) {
        try {
            var layout = new Layout();
            var charts = new LinkedHashMap<Path, Chart>();
            var deps = new StringBuilder();
            var values = new StringBuilder();
            var files = new ArrayList<String>();
            var sets = new ArrayList<String>();
            for (var m : members) {
                Chart c = charts.get(m.chart());
                if (c == null) {
                    c = chart(m.chart(), layout, "charts/", charts.values().stream().map(Chart::inUmbrella).toList(), hoistSchemas);
                    charts.put(m.chart(), c);
                }
                deps.append("  - name: ").append(c.inUmbrella()).append("\n    version: \"").append(c.version())
                        .append("\"\n    alias: ").append(m.alias()).append('\n');
                values.append(m.alias()).append(":\n");
                values.append(c.overridable() ? "  nameOverride: " + Yaml.json(c.name()) + "\n" : "  {}\n");
                aliased(m, layout, files, sets);
            }
            layout.file("Chart.yaml", "apiVersion: v2\nname: " + UMBRELLA + "\nversion: 0.0.0\ndependencies:\n" + deps);
            layout.file("values.yaml", values.toString());
            String schema = hoisted(members, charts);
            if (schema != null) layout.file("values.schema.json", schema);
            Path at = helm.place(layout, dir);
            var r = helm.templateBatch(release, namespace, layout, files, sets, at);
            var names = new LinkedHashMap<String, String>();
            for (var m : members) names.put(m.alias(), charts.get(m.chart()).name());
            return new Rendered(r, r.ok() ? split(r.out(), names) : Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A member's values under its alias: each -f file nested (as a file of the layout), each --set prefixed. */
    static void aliased(Member m, Layout layout, List<String> files, List<String> sets) {
        var a = m.values().args();
        for (int i = 0; i < a.size(); i += 2) {
            if (a.get(i).equals("-f")) {
                String name = "values-" + m.alias() + "-" + i + ".yaml";
                layout.file(name, nested(m.alias(), Path.of(a.get(i + 1))));
                files.add(name);
            } else {
                sets.add(a.get(i) + " " + m.alias() + "." + a.get(i + 1));
            }
        }
    }

    /** A member's chart in an umbrella: its own name and version, and the name it goes by there. */
    record Chart(String name, String version, String inUmbrella, boolean overridable, String schema) {}

    /** Links the chart into the layout under prefix, as itself or, when its name is taken, under another one. */
    static Chart chart(Path chart, Layout layout, String prefix, List<String> taken) throws IOException {
        return chart(chart, layout, prefix, taken, false);
    }

    /** As above; with hoistSchema, a schema the umbrella can hold (see {@link #hoistable}) is left out of the link and returned. */
    static Chart chart(Path chart, Layout layout, String prefix, List<String> taken, boolean hoistSchema) throws IOException {
        var meta = meta(chart);
        String name = meta.name(), version = meta.version();
        String inUmbrella = name;
        for (int n = 2; taken.contains(inUmbrella); n++) inUmbrella = name + "-verify" + n;
        String schema = hoistSchema ? meta.schema() : null;
        if (inUmbrella.equals(name) && schema == null) {
            layout.link(prefix + name, chart);
        } else {
            // Its files linked one by one (the schema left out when the umbrella holds it), and
            // a Chart.yaml of its own with the other name.
            try (var entries = Files.list(chart)) {
                for (Path e : entries.sorted().toList()) {
                    String f = e.getFileName().toString();
                    if (f.equals("Chart.yaml") && !inUmbrella.equals(name)) continue;
                    if (f.equals(SCHEMA) && schema != null) continue;
                    layout.link(prefix + inUmbrella + "/" + f, e);
                }
            }
            if (!inUmbrella.equals(name)) {
                layout.file(prefix + inUmbrella + "/Chart.yaml", renamed(Files.readString(chart.resolve("Chart.yaml")), name, inUmbrella));
            }
        }
        return new Chart(name, version, inUmbrella, meta.overridable(), schema);
    }

    /** What a batch reads of a member chart: its name and version, whether it declares nameOverride, its schema if hoistable. */
    private record Meta(String name, String version, boolean overridable, String schema) {}

    /** Read once for all the batches of a run, unless one of the files it is read from changed (size or time). */
    private static final Map<String, Meta> METAS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Meta meta(Path chart) throws IOException {
        Path dir = chart.toAbsolutePath().normalize();
        var key = new StringBuilder(dir.toString());
        for (String f : List.of("Chart.yaml", "values.yaml", SCHEMA)) {
            Path p = dir.resolve(f);
            key.append('\u0000').append(Files.exists(p) ? Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() : "-");
        }
        var m = METAS.get(key.toString());
        if (m != null) return m;
        var yaml = Yaml.loadMap(Files.readString(dir.resolve("Chart.yaml")));
        m = new Meta(Yaml.str(yaml, "name"), Yaml.str(yaml, "version"), declaresNameOverride(dir), hoistable(dir.resolve(SCHEMA)));
        METAS.put(key.toString(), m);
        return m;
    }

    static final String SCHEMA = "values.schema.json";
    static final String DRAFT_07 = "http://json-schema.org/draft-07/schema#";
    private static final Pattern SCHEMA_HEAD = Pattern.compile("\\A\\s*\\{\\s*\"\\$schema\"\\s*:\\s*\"" + Pattern.quote(DRAFT_07) + "\"\\s*,");

    /**
     * A chart's schema as a definition of the umbrella's (its text without the leading
     * "$schema" member), or null when it stays with the chart: none, not draft-07 named first,
     * or a schema with references ($ref, $id), which would resolve against the umbrella's.
     */
    static String hoistable(Path schemaFile) throws IOException {
        if (!Files.isRegularFile(schemaFile)) return null;
        String text = Files.readString(schemaFile);
        var head = SCHEMA_HEAD.matcher(text);
        if (!head.find() || text.contains("\"$ref\"") || text.contains("\"$id\"") || text.indexOf("\"$schema\"", head.end()) >= 0) return null;
        return "{" + text.substring(head.end());
    }

    /** The umbrella's schema: every alias of a chart whose schema it holds points at that chart's definition. Null: none hoisted. */
    static String hoisted(List<Member> members, Map<Path, Chart> charts) {
        var defs = new StringBuilder();
        var props = new StringBuilder();
        for (var c : charts.values()) {
            if (c.schema() == null) continue;
            defs.append(defs.length() == 0 ? "" : ",\n").append(Yaml.json(c.inUmbrella())).append(": ").append(c.schema().strip());
        }
        if (defs.length() == 0) return null;
        for (var m : members) {
            var c = charts.get(m.chart());
            if (c.schema() == null) continue;
            props.append(props.length() == 0 ? "" : ",\n").append("    ").append(Yaml.json(m.alias()))
                    .append(": {\"$ref\": ").append(Yaml.json("#/definitions/" + c.inUmbrella())).append('}');
        }
        return "{\n  \"$schema\": " + Yaml.json(DRAFT_07) + ",\n  \"type\": \"object\",\n  \"properties\": {\n" + props
                + "\n  },\n  \"definitions\": {\n" + defs + "\n  }\n}\n";
    }

    private static final Pattern NAME_OVERRIDE = Pattern.compile("(?m)^nameOverride\\s*:");

    /** Whether values.yaml has a top-level nameOverride (read as text: the file is long, and only this line matters). */
    static boolean declaresNameOverride(Path chart) throws IOException {
        return NAME_OVERRIDE.matcher(Files.readString(chart.resolve("values.yaml"))).find();
    }

    private static String renamed(String chartYaml, String from, String to) {
        String renamed = chartYaml.replaceFirst("(?m)^name:\\s*[\"']?" + Pattern.quote(from) + "[\"']?\\s*$", "name: " + to);
        if (renamed.equals(chartYaml)) throw new IllegalStateException("Chart.yaml: no top-level name: " + from);
        return renamed;
    }

    private static final Pattern DOC_SPLIT = Pattern.compile("(?m)^---[ \\t]*$");
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: " + UMBRELLA + "/charts/([^/\\s]+)/(\\S*)");

    /**
     * Each member's documents, as its own render would print them: Source paths from the chart's
     * own name, and the helm.sh/chart label with the chart's name where the alias stood.
     */
    static Map<String, String> split(String out, Map<String, String> chartNames) {
        var docs = new LinkedHashMap<String, StringBuilder>();
        for (String alias : chartNames.keySet()) docs.put(alias, new StringBuilder());
        for (String doc : DOC_SPLIT.split(out)) {
            if (doc.isBlank()) continue;
            Matcher m = SOURCE.matcher(doc);
            if (!m.find()) {
                if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) continue;
                throw new IllegalStateException("a rendered document without a member's # Source: line:\n" + doc.strip());
            }
            String alias = m.group(1), name = chartNames.get(alias);
            if (name == null) throw new IllegalStateException("a rendered document of an unknown member " + alias);
            String own = doc.substring(0, m.start()) + "# Source: " + name + "/" + m.group(2) + doc.substring(m.end());
            own = own.replace("helm.sh/chart: " + alias + "-", "helm.sh/chart: " + name + "-")
                    .replace("helm.sh/chart: \"" + alias + "-", "helm.sh/chart: \"" + name + "-");
            docs.get(alias).append("---").append(own.startsWith("\n") ? "" : "\n").append(own);
        }
        var result = new LinkedHashMap<String, String>();
        docs.forEach((k, v) -> result.put(k, v.toString()));
        return result;
    }

    /**
     * A refusal's lines per member. Helm lists schema violations by chart: a line "alias:" and
     * that member's violations under it (a chart nested in a member goes by its own name).
     */
    static Map<String, List<String>> sections(String said) {
        var out = new LinkedHashMap<String, List<String>>();
        List<String> current = null;
        for (String line : said.lines().toList()) {
            var m = SECTION.matcher(line);
            if (m.matches()) {
                current = out.computeIfAbsent(m.group(1), k -> new ArrayList<>());
            } else if (current != null && line.stripLeading().startsWith("- ")) {
                current.add(line);
            } else {
                current = null;
            }
        }
        return out;
    }

    private static final Pattern SECTION = Pattern.compile("^([A-Za-z0-9][A-Za-z0-9_.-]*):$");

    /** Helm 4's line about a hoisted member: "- at '/m03/service/port': got string…" (nested causes indented). */
    private static final Pattern HOISTED4 = Pattern.compile("^(\\s*- at ')/([A-Za-z0-9][A-Za-z0-9_-]*)(/[^']*)?('.*)$");
    /** Helm 3's: "- m03.service.port: Invalid type…", "- m01: Additional property…" (the member's root). */
    private static final Pattern HOISTED3 = Pattern.compile("^(\\s*- )([A-Za-z0-9][A-Za-z0-9_-]*)(?:\\.(\\S+))?: (.*)$");

    /**
     * Each member's refusal lines (see {@link #sections}), those of a hoisted schema too: the
     * umbrella's lines about a member, said as the member's own schema says them (its paths
     * without the alias, its root "" in Helm 4 and "(root)" in Helm 3). Aliases: the members'.
     */
    static Map<String, List<String>> refusals(String said, java.util.Set<String> aliases) {
        var out = new LinkedHashMap<>(sections(said));
        var top = out.remove(UMBRELLA);
        if (top == null) return out;
        for (String line : top) {
            var m4 = HOISTED4.matcher(line);
            var m3 = HOISTED3.matcher(line);
            String alias, own;
            if (m4.matches() && aliases.contains(m4.group(2))) {
                alias = m4.group(2);
                own = m4.group(1) + (m4.group(3) == null ? "" : m4.group(3)) + m4.group(4);
            } else if (m3.matches() && aliases.contains(m3.group(2))) {
                alias = m3.group(2);
                String field = m3.group(3) == null ? "(root)" : m3.group(3);
                own = m3.group(1) + field + ": " + m3.group(4).replace(alias + ".", "");
            } else {
                continue; // not about a member: no member's refusal
            }
            out.computeIfAbsent(alias, k -> new ArrayList<>()).add(own);
        }
        for (String alias : aliases) {
            var lines = out.get(alias);
            // Helm 4 gathers two or more violations of a hoisted member under one line for its
            // property, "at '/m03': validation failed", the member's own lines nested under it:
            // on its own, those are the top lines.
            if (lines == null || !lines.contains(GATHERED)) continue;
            var own = new ArrayList<String>();
            boolean dropped = false;
            for (String l : lines) {
                if (!dropped && l.equals(GATHERED)) { dropped = true; continue; }
                own.add(l.startsWith("  ") ? l.substring(2) : l);
            }
            out.put(alias, own);
        }
        return out;
    }

    private static final String GATHERED = "- at '': validation failed";

    /**
     * Whether the run got past the values schemas of every member: it rendered, or it was
     * refused by the schemas (which Helm lists in full, chart by chart) or by a template (which
     * runs only after every schema passed). Else (say, a chart that could not be loaded) nothing
     * is known of the schemas.
     */
    static boolean schemasChecked(Exec.Result r) {
        if (r.ok()) return true;
        String said = r.said();
        return said.contains("values don't meet the specifications of the schema") || said.contains("execution error at (" + UMBRELLA + "/");
    }
}
