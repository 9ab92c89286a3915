//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/GoTool.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A chart's documentation, made from one source: the helm-docs `# --` comments in its
 * values.yaml. helm-docs writes the chart's README.md; the same descriptions go into
 * values.schema.json, so editors show them. Generated files are compared, never trusted.
 */
final class ChartDocs {
    private ChartDocs() {}

    /** What helm-docs writes, and the schema with the values' descriptions. */
    record Generated(String readme, String schema) {}

    /** One row per value, as helm-docs parses values.yaml (and as its own table prefers them): key, a tab, the description. */
    private static final String ROWS_TEMPLATE = "{{ range .Values }}{{ .Key }}{{ \"\\t\" }}"
            + "{{ if .Description }}{{ .Description }}{{ else }}{{ .AutoDescription }}{{ end }}{{ \"\\n\" }}{{ end }}";

    static Generated generate(Path chart, Consumer<String> progress) {
        Path helmDocs = GoTool.ensure(GoTool.HELM_DOCS, progress);
        Path tmp;
        try {
            tmp = Files.createTempDirectory("trevor-chart-docs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            // helm-docs writes into the chart folder: it works on a copy, so a failed run changes nothing.
            Path copy = tmp.resolve(chart.getFileName());
            Dirs.copyTree(chart, copy);
            Files.deleteIfExists(copy.resolve("README.md"));
            run(helmDocs, copy, List.of());
            String readme = Files.readString(copy.resolve("README.md"));
            Files.writeString(tmp.resolve("rows.gotmpl"), ROWS_TEMPLATE);
            run(helmDocs, copy, List.of("--template-files", tmp.resolve("rows.gotmpl").toString(), "--output-file", "rows.txt"));
            var descriptions = new LinkedHashMap<String, String>();
            for (String line : Files.readAllLines(copy.resolve("rows.txt"))) {
                int tab = line.indexOf('\t');
                if (tab > 0 && tab < line.length() - 1) descriptions.put(line.substring(0, tab), line.substring(tab + 1).strip());
            }
            String schema = withDescriptions(Files.readString(chart.resolve("values.schema.json")), descriptions);
            return new Generated(readme, schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Dirs.deleteTree(tmp);
        }
    }

    private static void run(Path helmDocs, Path chart, List<String> more) {
        var cmd = new java.util.ArrayList<>(List.of(helmDocs.toString(), "--chart-search-root", chart.toString(), "--log-level", "warning"));
        cmd.addAll(more);
        var r = Exec.run(cmd, chart, Map.of(), Duration.ofMinutes(2), null);
        if (!r.ok()) throw new Problem.Failed("helm-docs failed on " + chart.getFileName() + ": " + r.said());
    }

    /**
     * The schema with each documented value's description set on its property (keys are
     * helm-docs' dotted paths). Values without a schema property of their own are left alone.
     */
    @SuppressWarnings("unchecked")
    static String withDescriptions(String schemaJson, Map<String, String> descriptions) {
        var schema = Yaml.loadMap(schemaJson);
        for (var e : descriptions.entrySet()) {
            Map<String, Object> node = schema;
            for (String step : e.getKey().split("\\.")) {
                Object props = node == null ? null : node.get("properties");
                node = props instanceof Map<?, ?> m && m.get(step) instanceof Map<?, ?> child ? (Map<String, Object>) child : null;
            }
            if (node != null && !e.getValue().isEmpty()) node.put("description", e.getValue());
        }
        return pretty(schema, 0) + "\n";
    }

    /** JSON as `json.dumps(indent=2, ensure_ascii=False)` writes it: the schema's existing layout. */
    static String pretty(Object o, int indent) {
        String pad = "  ".repeat(indent + 1);
        String end = "  ".repeat(indent);
        if (o instanceof Map<?, ?> m) {
            if (m.isEmpty()) return "{}";
            var b = new StringBuilder("{\n");
            int i = 0;
            for (var e : m.entrySet()) {
                b.append(pad).append(Yaml.json(String.valueOf(e.getKey()))).append(": ").append(pretty(e.getValue(), indent + 1));
                b.append(++i < m.size() ? ",\n" : "\n");
            }
            return b.append(end).append('}').toString();
        }
        if (o instanceof List<?> l) {
            if (l.isEmpty()) return "[]";
            var b = new StringBuilder("[\n");
            for (int i = 0; i < l.size(); i++) {
                b.append(pad).append(pretty(l.get(i), indent + 1)).append(i + 1 < l.size() ? ",\n" : "\n");
            }
            return b.append(end).append(']').toString();
        }
        return Yaml.json(o);
    }
}
