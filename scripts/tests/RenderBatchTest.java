import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many renders in one helm process must say exactly what each render says on its own: every
 * scenario and every schema refusal verify declares, under Helm 3 and Helm 4.
 */
@org.junit.jupiter.api.Tag("scripts") // renders the chart with real helm, many times: test.java's scripts stage
class RenderBatchTest {
    @TempDir Path tmp;

    static Helm.Values sets(String... sets) { return new Helm.Values(List.of(), List.of(sets)); }

    @Test
    void valuesAnAliasWouldChangeKeepARenderOfTheirOwn() {
        Path chart = Path.of("unused");
        assertTrue(RenderBatch.canHold(chart, sets("replicaCount=3", "--set-string a.b=0%", "--set-json env={\"A\":\"x\",\"B\":5}",
                "--set-json sidecars=[{\"name\":\"a\",\"securityContext\":{\"x\":1},\"image\":\"b\"}]", "--set-literal x=a,b")));
        assertFalse(RenderBatch.canHold(chart, sets("global.image=x")), "global values reach every member");
        assertFalse(RenderBatch.canHold(chart, sets("nameOverride=x")));
        assertFalse(RenderBatch.canHold(chart, sets("fullnameOverride=x")));
        assertFalse(RenderBatch.canHold(chart, sets("a=1,b=2")), "two assignments in one --set");
        assertFalse(RenderBatch.canHold(chart, sets("a={x,y}")), "a list in --set syntax");
        assertFalse(RenderBatch.canHold(chart, sets("--set-json a={\"x\":1},b=[2]")), "two assignments in one --set-json");
        assertFalse(RenderBatch.canHold(chart, new Helm.Values(List.of(), List.of(), "a: 1\n")));
    }

    @Test
    void aValuesFileIsNestedUnderTheAliasOrNotAtAll() throws IOException {
        Path f = tmp.resolve("v.yaml");
        Files.writeString(f, "# comment\nimage:\n  tag: \"1.0\"\nnote: |\n  two\n  lines\n\nlist:\n- a\n");
        assertEquals("m01:\n  # comment\n  image:\n    tag: \"1.0\"\n  note: |\n    two\n    lines\n\n  list:\n  - a\n\n", RenderBatch.nested("m01", f));
        assertEquals(Yaml.loadMap(Files.readString(f)), Yaml.map(Yaml.loadMap(RenderBatch.nested("m01", f)), "m01"));
        for (String text : List.of("---\na: 1\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "global:\n  a: 1\n", "# only a comment\n")) {
            Files.writeString(f, text);
            assertNull(RenderBatch.nested("m01", f), text);
        }
    }

    @Test
    void aRefusalIsReadMemberByMember() {
        String helm4 = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nm01:\n"
                + "- at '/worker': additional properties 'replicas' not allowed\nm02:\n- at '/ingress/hosts/0/paths/0': validation failed\n"
                + "  - at '/ingress/hosts/0/paths/0/pathType': value must be one of 'Prefix'\n\n";
        String helm3 = "coalesce.go:298: warning: cannot overwrite table\nError: values don't meet the specifications of the schema(s) in the following chart(s):\n"
                + "trevor:\n- (root): Additional property servce is not allowed\nm02:\n- replicaCount: Invalid type. Expected: integer, given: string\n";
        var four = RenderBatch.sections(helm4);
        assertEquals(List.of("- at '/worker': additional properties 'replicas' not allowed"), four.get("m01"));
        assertEquals(2, four.get("m02").size());
        var three = RenderBatch.sections(helm3);
        assertEquals(List.of("- (root): Additional property servce is not allowed"), three.get("trevor"));
        assertEquals(List.of("- replicaCount: Invalid type. Expected: integer, given: string"), three.get("m02"));
        assertNull(three.get("Error"));
    }

    @Test
    void aHoistedSchemasRefusalIsSaidAsTheMembersOwn() {
        var aliases = java.util.Set.of("m01", "m02", "f01");
        String helm4 = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nverify-batch:\n"
                + "- at '/m01': additional properties 'servce' not allowed\n- at '/m02/ingress/hosts/0/paths/0': validation failed\n"
                + "  - at '/m02/ingress/hosts/0/paths/0/pathType': value must be one of 'Prefix'\ntrevor:\n- at '/replicaCount': got string\n";
        var four = RenderBatch.refusals(helm4, aliases);
        assertEquals(List.of("- at '': additional properties 'servce' not allowed"), four.get("m01"));
        assertEquals(List.of("- at '/ingress/hosts/0/paths/0': validation failed", "  - at '/ingress/hosts/0/paths/0/pathType': value must be one of 'Prefix'"),
                four.get("m02"));
        assertEquals(List.of("- at '/replicaCount': got string"), four.get("trevor"));
        assertNull(four.get("f01"));
        String gathered = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nverify-batch:\n"
                + "- at '/m01': validation failed\n  - at '/m01/ingress/hosts/0': missing property 'host'\n"
                + "  - at '/m01/ingress/hosts/0/paths/0': validation failed\n    - at '/m01/ingress/hosts/0/paths/0/pathType': value must be one of 'Prefix'\n";
        assertEquals(List.of("- at '/ingress/hosts/0': missing property 'host'", "- at '/ingress/hosts/0/paths/0': validation failed",
                "  - at '/ingress/hosts/0/paths/0/pathType': value must be one of 'Prefix'"), RenderBatch.refusals(gathered, aliases).get("m01"));
        assertNull(four.get("verify-batch"));
        String helm3 = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nverify-batch:\n"
                + "- m01: Additional property servce is not allowed\n- m02.image.pullPolicy: m02.image.pullPolicy must be one of the following: \"Always\"\n";
        var three = RenderBatch.refusals(helm3, aliases);
        assertEquals(List.of("- (root): Additional property servce is not allowed"), three.get("m01"));
        assertEquals(List.of("- image.pullPolicy: image.pullPolicy must be one of the following: \"Always\""), three.get("m02"));
    }

    @Test
    void eachMemberGetsItsOwnDocumentsWithTheChartsOwnNames() {
        String out = "---\n# Source: verify-batch/charts/m02/templates/a.yaml\nkind: A\nmetadata:\n  labels:\n    helm.sh/chart: m02-1.0.0\n"
                + "---\n# Source: verify-batch/charts/m01/charts/trevor/templates/b.yaml\nkind: B\n";
        var docs = RenderBatch.split(out, new LinkedHashMap<>(Map.of("m01", "platform", "m02", "trevor")));
        assertEquals("---\n# Source: trevor/templates/a.yaml\nkind: A\nmetadata:\n  labels:\n    helm.sh/chart: trevor-1.0.0\n", docs.get("m02"));
        assertEquals("---\n# Source: platform/charts/trevor/templates/b.yaml\nkind: B\n", docs.get("m01"));
    }

    /** verify's own declarations, with the charts it builds for itself made. */
    private static CheckRunner declared(Helm helm) {
        Path repo = Repo.root();
        var report = new Report("batch", new PrintStream(new ByteArrayOutputStream()), null, false);
        var runner = new CheckRunner(helm, report, null);
        new ChartChecks(runner, repo.resolve("helm/trevor"), repo.resolve("values"));
        new DevDepsChecks(runner, repo.resolve("helm/trevor-dev-deps"));
        runner.plan();
        return runner;
    }

    @ParameterizedTest(name = "Helm {0}")
    @ValueSource(ints = {4, 3})
    void everyScenarioRendersTheSameInABatchAsOnItsOwn(int major) {
        var helm = Helm.at(Tools.helm(major, null));
        var runner = declared(helm);
        try {
            var groups = new LinkedHashMap<String, List<CheckRunner.Scenario>>();
            for (var s : runner.scenarios()) {
                // long-release-name is the one scenario alone with its release name
                assertTrue(RenderBatch.canHold(s.chart, s.values), s.name + " cannot be batched");
                groups.computeIfAbsent(s.release, k -> new ArrayList<>()).add(s);
            }
            int compared = 0;
            for (var group : groups.values()) {
                var members = new ArrayList<RenderBatch.Member>();
                for (int i = 0; i < group.size(); i++) members.add(new RenderBatch.Member("m" + i, group.get(i).chart, group.get(i).values));
                var s0 = group.get(0);
                var batch = RenderBatch.render(HelmRuns.direct(helm), runner.scratch().resolve("test-" + s0.release), s0.release, s0.namespace, members, true);
                assertTrue(batch.result().ok(), batch.result().said());
                for (int i = 0; i < group.size(); i++) {
                    var s = group.get(i);
                    var own = helm.template(s.release, s.chart, s.namespace, s.values);
                    assertTrue(own.ok(), own.said());
                    assertEquals(Manifests.parse(own.out()), Manifests.parse(batch.docs().get("m" + i)), s.name);
                    compared++;
                }
            }
            assertEquals(runner.scenarios().size(), compared);
        } finally {
            Dirs.deleteTree(runner.scratch());
        }
    }

    @ParameterizedTest(name = "Helm {0}")
    @ValueSource(ints = {4, 3})
    void everySchemaRefusalSaysTheSameInABatchAsOnItsOwn(int major) throws IOException {
        var helm = Helm.at(Tools.helm(major, null));
        var runner = declared(helm);
        try {
            var refusals = runner.refusals().stream().filter(r -> r.bySchema).toList();
            assertTrue(refusals.size() >= 16, "only " + refusals.size() + " schema refusals");
            var members = new ArrayList<RenderBatch.Member>();
            for (int i = 0; i < refusals.size(); i++) members.add(new RenderBatch.Member("m" + i, refusals.get(i).chart, refusals.get(i).values));
            // As verify batches them: the template refusals' values too, every schema held once by the umbrella.
            var fails = runner.refusals().stream().filter(r -> !r.bySchema).toList();
            for (int i = 0; i < fails.size(); i++) members.add(new RenderBatch.Member("f" + i, fails.get(i).chart, fails.get(i).values));
            var batch = RenderBatch.render(HelmRuns.direct(helm), runner.scratch().resolve("test-refusals"), "trevor", "trevor", members, true);
            assertFalse(batch.result().ok());
            assertTrue(RenderBatch.schemasChecked(batch.result()), batch.result().said());
            var sections = RenderBatch.refusals(batch.result().said(),
                    members.stream().map(RenderBatch.Member::alias).collect(java.util.stream.Collectors.toSet()));
            for (int i = 0; i < fails.size(); i++) assertNull(sections.get("f" + i), "the schema refuses " + fails.get(i).values.describe());
            for (int i = 0; i < refusals.size(); i++) {
                var r = refusals.get(i);
                var own = helm.template(r.release, r.chart, r.namespace, r.values);
                assertFalse(own.ok(), r.values.describe());
                String name = r.section != null ? r.section
                        : Yaml.str(Yaml.loadMap(Files.readString(r.chart.resolve("Chart.yaml"))), "name");
                var expected = RenderBatch.sections(own.said()).get(name);
                assertNotNull(expected, own.said());
                // Helm 4 lists a chart's violations in no fixed order.
                var got = sections.get(r.section != null ? r.section : "m" + i);
                assertNotNull(got, batch.result().said());
                assertEquals(expected.stream().sorted().toList(), got.stream().sorted().toList(), r.values.describe());
            }
        } finally {
            Dirs.deleteTree(runner.scratch());
        }
    }
}
