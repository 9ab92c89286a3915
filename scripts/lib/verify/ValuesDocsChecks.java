//SOURCES ChartChecks.java
//SOURCES ChartGroup.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** values.yaml and values.schema.json as documents: every value described, the schema closed. */
final class ValuesDocsChecks extends ChartGroup {
    ValuesDocsChecks(ChartChecks suite) { super(suite); }

    void define() {
        check("values.yaml documents every value (helm-docs `# --` comments)", "helm/trevor/values.yaml", this::valuesDocumented);
        check("values.schema.json is draft-07 and closed (additionalProperties: false)", "helm/trevor/values.schema.json", this::schemaClosed);
    }

    private static final Pattern KEY_LINE = Pattern.compile("^(\\s*)([A-Za-z0-9_.-]+):(.*)$");

    /**
     * Every leaf value needs a `# --` comment on itself or on a parent key, so the file reads
     * as the chart's manual and a values table can be generated from it.
     */
    private void valuesDocumented() throws IOException {
        var lines = Files.readAllLines(chart.resolve("values.yaml"));
        var documentedIndents = new ArrayList<Integer>(); // indents of documented ancestors still open
        var missing = new ArrayList<String>();
        boolean pendingDoc = false;
        boolean inList = false;
        int listIndent = -1;
        var path = new ArrayList<String>();
        var pathIndent = new ArrayList<Integer>();
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("# --")) { pendingDoc = true; continue; }
            if (t.startsWith("#") || t.isEmpty()) continue;
            int indent = line.length() - line.stripLeading().length();
            if (inList && indent > listIndent) continue; // inside a documented default list/map body
            inList = false;
            if (t.startsWith("- ")) continue;
            var m = KEY_LINE.matcher(line);
            if (!m.matches()) { pendingDoc = false; continue; }
            while (!pathIndent.isEmpty() && pathIndent.get(pathIndent.size() - 1) >= indent) {
                pathIndent.remove(pathIndent.size() - 1);
                path.remove(path.size() - 1);
            }
            while (!documentedIndents.isEmpty() && documentedIndents.get(documentedIndents.size() - 1) >= indent) {
                documentedIndents.remove(documentedIndents.size() - 1);
            }
            path.add(m.group(2));
            pathIndent.add(indent);
            String rest = m.group(3).strip();
            boolean parent = rest.isEmpty();
            boolean covered = pendingDoc || !documentedIndents.isEmpty();
            if (parent) {
                if (pendingDoc) documentedIndents.add(indent);
            } else if (!covered) {
                missing.add(String.join(".", path));
            }
            if (parent && pendingDoc) { inList = true; listIndent = indent; }
            pendingDoc = false;
        }
        Report.expect(missing.isEmpty(), "values without a `# --` description: %s", String.join(", ", missing));
    }

    @SuppressWarnings("unchecked")
    private void schemaClosed() throws IOException {
        var schema = Yaml.loadMap(Files.readString(chart.resolve("values.schema.json")));
        Report.expect("http://json-schema.org/draft-07/schema#".equals(schema.get("$schema")),
                "expected $schema draft-07 (Helm 3 and Helm 4 read it alike), found %s", schema.get("$schema"));
        var open = new ArrayList<String>();
        walkSchema("", schema, open);
        Report.expect(open.isEmpty(), "objects that accept unknown keys: %s", open);
        // Every key of values.yaml must be declared, or the schema would refuse the defaults.
        var values = Yaml.loadMap(Files.readString(chart.resolve("values.yaml")));
        for (String key : values.keySet()) {
            Report.expect(((Map<String, Object>) schema.getOrDefault("properties", Map.of())).containsKey(key),
                    "values.yaml key %s is not in the schema", key);
        }
    }

    @SuppressWarnings("unchecked")
    private static void walkSchema(String path, Map<String, Object> node, List<String> open) {
        if (node.get("properties") instanceof Map<?, ?> props) {
            if (!Boolean.FALSE.equals(node.get("additionalProperties"))) open.add(path.isEmpty() ? "(root)" : path);
            for (var e : ((Map<String, Object>) props).entrySet()) {
                if (e.getValue() instanceof Map) walkSchema(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), (Map<String, Object>) e.getValue(), open);
            }
        }
        if (node.get("items") instanceof Map) walkSchema(path + "[]", (Map<String, Object>) node.get("items"), open);
    }
}