import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** values.yaml against the schema (both ways) and against the templates (every value used), on the real chart and on broken copies. */
class ValuesLintTest {
    static final Path CHART = Repo.root().resolve("helm/trevor");

    static String read(String file) throws IOException { return Files.readString(CHART.resolve(file)); }

    static Map<String, String> templates() throws IOException {
        var out = new TreeMap<String, String>();
        try (var files = Files.walk(CHART.resolve("templates"))) {
            for (var f : files.filter(Files::isRegularFile).toList()) out.put(f.toString(), Files.readString(f));
        }
        return out;
    }

    @Test
    void theChartsValuesAndSchemaAgreeLeafByLeaf() throws IOException {
        assertEquals(List.of(), ValuesLint.schemaMismatches(Yaml.loadMap(read("values.yaml")), Yaml.loadMap(read("values.schema.json"))));
    }

    @Test
    void aLeafWithoutSchemaEntryOrWithTheWrongTypeIsNamed() throws IOException {
        String values = read("values.yaml")
                .replace("  automountToken: false\n", "  automountToken: \"no\"\n")
                .replace("# -- Reserved for parent charts' global values.\n", "frontend:\n  # -- x\n  extraArgs: []\n# -- Reserved for parent charts' global values.\n");
        var m = ValuesLint.schemaMismatches(Yaml.loadMap(values), Yaml.loadMap(read("values.schema.json")));
        assertEquals(List.of("serviceAccount.automountToken: values.yaml gives string \"no\", values.schema.json takes boolean",
                "frontend.extraArgs: in values.yaml, not in values.schema.json"), m);
    }

    @Test
    void aSchemaPropertyWithoutDefaultMustSaySo() throws IOException {
        String schema = read("values.schema.json").replace("\"Optional, no default: seconds before the first probe", "\"Seconds before the first probe");
        var m = ValuesLint.schemaMismatches(Yaml.loadMap(read("values.yaml")), Yaml.loadMap(schema));
        assertEquals(3, m.size(), String.join("\n", m));
        assertTrue(m.get(0).startsWith("probes.startup.initialDelaySeconds: in values.schema.json, not in values.yaml"), m.get(0));
    }

    @Test
    void everyValueOfTheChartIsUsed() throws IOException {
        assertEquals(List.of(), ValuesLint.unused(Yaml.loadMap(read("values.yaml")), templates()));
    }

    @Test
    void aValueNoTemplateUsesIsNamed() throws IOException {
        String values = read("values.yaml")
                .replace("  # -- Worker command.\n", "  # -- Nothing reads this.\n  unusedKnob: 3\n  # -- Worker command.\n")
                .replace("# -- Reserved for parent charts' global values.\n", "frontend:\n  # -- x\n  extraArgs: []\n# -- Reserved for parent charts' global values.\n");
        assertEquals(List.of("worker.unusedKnob", "frontend.extraArgs"), ValuesLint.unused(Yaml.loadMap(values), templates()));
        // A template that stops reading a value makes it unused.
        var t = templates();
        t.replaceAll((k, v) -> v.replace("{{- with .Values.deploymentAnnotations }}", "{{- with dict }}"));
        assertEquals(List.of("deploymentAnnotations"), ValuesLint.unused(Yaml.loadMap(read("values.yaml")), t));
        // api.extraArgs in values.yaml and the schema, but no template line: named.
        var noArgs = templates();
        noArgs.replaceAll((k, v) -> v.replace("{{- with .Values.api.extraArgs }}", "{{- with list }}"));
        assertEquals(List.of("api.extraArgs"), ValuesLint.unused(Yaml.loadMap(read("values.yaml")), noArgs));
    }

    @Test
    void readsThroughWithRangeVariablesAndHelpers() {
        var values = Yaml.loadMap("a:\n  b:\n    c: 1\n    d: 2\n  e: {x: 1}\nf: []\ng:\n  h: 1\n  i: 2\nj: 1\n");
        String t = "{{- $v := .Values }}{{ $v.j }}\n"
                + "{{- with .Values.a.b }}{{ .c }}{{ end }}\n"
                + "{{- toYaml .Values.a.e }}\n"
                + "{{- range $x := .Values.f }}{{ $x }}{{ end }}\n"
                + "{{- include \"h\" (dict \"values\" .Values.g) }}\n"
                + "{{- define \"h\" }}{{ .values.h }}{{ end }}\n";
        assertEquals(List.of("a.b.d", "g.i"), ValuesLint.unused(values, Map.of("t", t)));
    }
}
