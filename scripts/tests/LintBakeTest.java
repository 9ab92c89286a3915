import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A values file baked into a copy of the chart must lint exactly as the chart with -f FILE:
 * the same exit and the same lines, under Helm 3 and Helm 4, for every values file of this
 * repository and for files that fail the schema or a template; and whatever the baker cannot be
 * sure of stays a lint with -f.
 */
class LintBakeTest {
    @TempDir Path tmp;

    private static Helm.Values file(Path f) { return new Helm.Values(List.of(f), List.of()); }

    // ------------------------------------------------------------ the same lint, both ways

    @ParameterizedTest(name = "Helm {0}")
    @ValueSource(ints = {4, 3})
    @Tag("scripts") // lints the charts with real helm: test.java's scripts stage
    void aBakedCopyLintsAsTheChartWithTheFile(int major) throws IOException {
        var helm = Helm.at(Tools.helm(major, null));
        Path repo = Repo.root();
        Path trevor = repo.resolve("helm/trevor"), deps = repo.resolve("helm/trevor-dev-deps");
        var cases = new ArrayList<Map.Entry<Path, Path>>();
        try (var files = Files.list(repo.resolve("values"))) {
            files.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(f -> cases.add(Map.entry(trevor, f)));
        }
        cases.add(Map.entry(deps, deps.resolve("values-real-node.yaml")));
        // Two schema refusals, a template's own refusal (lint mode logs it and passes), and values that reach nested
        // tables, a null default, lists and odd strings.
        cases.add(Map.entry(trevor, write("schema.yaml", "replicaCount: \"abc\"\n")));
        cases.add(Map.entry(trevor, write("unknown.yaml", "unknownKey: 1\nimage:\n  tag: \"2.0.0\"\n")));
        cases.add(Map.entry(trevor, write("refused.yaml", "migrations:\n  enabled: true\n  hookEnabled: true\n")));
        cases.add(Map.entry(trevor, write("odd.yaml", """
                podDisruptionBudget:
                  maxUnavailable: 1
                envFromSecrets: [{secretName: other}]
                podAnnotations:
                  quoted: "é – ü, \\u2028 and \\" and \\\\"
                  block: |
                    two
                    lines
                  folded: >-
                    one
                    line
                  version: 1.0.0
                  size: 50m
                """)));
        // As verify makes them: links to the chart's files beside the baked values.yaml, in a store.
        var runs = new HelmRuns(helm, tmp.resolve("store-" + major), false, tmp.resolve("scratch"));
        int failing = 0;
        for (int i = 0; i < cases.size(); i++) {
            Path chart = cases.get(i).getKey(), values = cases.get(i).getValue();
            String baked = LintBake.bake(chart, file(values));
            assertNotNull(baked, values + " is not baked");
            Path copy = runs.fixture(new ChartFixtures.Fixture("", Map.of("values.yaml", baked)), chart, tmp.resolve("stand-" + i));
            assertTrue(Files.isSymbolicLink(copy.resolve("templates")), "the copy links to the chart's templates");
            var alone = helm.lint(chart, file(values));
            var inCopy = helm.lint(copy, Helm.Values.none());
            assertEquals(alone.ok(), inCopy.ok(), values + ": exit differs\nwith -f: " + alone.said() + "\nbaked: " + inCopy.said());
            assertEquals(alone.out().strip(), inCopy.out().replace(copy.toString(), chart.toString()).strip(), values.toString());
            assertEquals(logged(alone.err()), logged(inCopy.err()), values + ": helm's log lines");
            if (!alone.ok()) failing++;
        }
        assertEquals(2, failing, "the two schema cases must fail the lint, or they compare nothing");
    }

    /** stderr without the time stamps of Helm 4's log lines, and without Helm 3's notes of the copy's links. */
    private static String logged(String err) {
        return err.lines().filter(l -> !l.contains("found symbolic link in path")).map(l -> l.replaceAll("time=\\S+ ", ""))
                .collect(java.util.stream.Collectors.joining("\n")).strip();
    }

    private Path write(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    // ------------------------------------------------------------ what is baked and what is not

    @Test
    void valuesGoOnTopOfTheChartsTablesAndListsAreReplacedWhole() throws Exception {
        String chart = "a:\n  b: 1\n  c: [1, 2]\n  d: null\nkeep: x\n";
        var baked = Yaml.loadMap(LintBake.bake(chart, "a:\n  c: [3]\n  e: \"y\"\nnew: true\n"));
        assertEquals(Map.of("b", 1, "c", List.of(3), "e", "y"), withoutNulls(Yaml.map(baked, "a")));
        assertTrue(Yaml.map(baked, "a").containsKey("d"), "the chart's null default stays, as helm keeps it");
        assertEquals("x", baked.get("keep"));
        assertEquals(Boolean.TRUE, baked.get("new"));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> m) {
        var out = new java.util.LinkedHashMap<>(m);
        out.values().removeIf(java.util.Objects::isNull);
        return out;
    }

    @Test
    void plainScalarsAreTakenOnlyWhereGoYamlAgrees() throws Exception {
        assertEquals(Boolean.TRUE, LintBake.plain("true"));
        assertEquals(42L, LintBake.plain("42"));
        assertEquals(-7L, LintBake.plain("-7"));
        assertNull(LintBake.plain("null"));
        for (String s : List.of("50m", "128Mi", "1.0.0", "10.244.0.1/32", "trevor", "uv run python", "a: b")) assertEquals(s, LintBake.plain(s));
        for (String s : List.of("y", "yes", "On", "OFF", "True", "0x1F", "0755", "0o17", "0b101", "+5", "12_000", "1e3", ".5", "1.5", "2024-01-01",
                "2024-1-1T10:00:00Z", "1:20", "190:20:30", ".inf", "-.Inf", ".nan", "<<", "9007199254740993", "08")) {
            assertThrows(LintBake.Refused.class, () -> LintBake.plain(s), s);
        }
    }

    @Test
    void whatHelmReadsAnotherWayIsNotBaked() {
        String chart = "a:\n  b: 1\nlist: [1]\n";
        for (String file : List.of("a: null\n", "a:\n  b: ~\n", "x: &anchor 1\ny: *anchor\n", "x: !!str 1\n", "a: 1\na: 2\n", "a: scalar\n",
                "list:\n  k: v\n", "---\nx: 1\n---\ny: 2\n", "- 1\n", "on: 1\n", "1: x\n", "x: yes\n", "x: 1e3\n", "x: [\n")) {
            assertThrows(LintBake.Refused.class, () -> LintBake.bake(chart, file), file);
        }
    }

    @Test
    void onlyOneFileWithoutSetsIsBaked() throws IOException {
        Path chart = Files.createDirectories(tmp.resolve("c"));
        Files.writeString(chart.resolve("values.yaml"), "a: 1\n");
        Path f = write("f.yaml", "a: 2\n");
        assertNotNull(LintBake.bake(chart, file(f)));
        assertNull(LintBake.bake(chart, new Helm.Values(List.of(f), List.of("a=3"))));
        assertNull(LintBake.bake(chart, new Helm.Values(List.of(f, f), List.of())));
        assertNull(LintBake.bake(chart, Helm.Values.none()));
        assertNull(LintBake.bake(chart, file(tmp.resolve("missing.yaml"))), "a file that is not there is linted with -f, to be refused by name");
        assertNull(LintBake.bake(chart, file(Files.createDirectories(tmp.resolve("dir.yaml")))), "a folder is helm's to refuse");
    }

    @Test
    void anEmptyFileBakesTheChartsOwnValues() throws Exception {
        assertEquals(Map.of("a", 1), Yaml.loadMap(LintBake.bake("a: 1\n", "# nothing\n")));
    }

    @Test
    void everyLineBreakYamlFoldsIsEscaped() throws Exception {
        String baked = LintBake.bake("a: x\n", "a: \"one\\u2028two\\u0085three\\ufefffour\"\n");
        assertFalse(baked.contains("\u2028") || baked.contains("\u0085") || baked.contains("\ufeff"), baked);
        assertEquals("one\u2028two\u0085three\ufefffour", Yaml.loadMap(baked).get("a"));
    }
}
