import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One `helm lint` must say, member by member, what `helm template` refuses each set of values
 * with: every template refusal verify declares, under Helm 3 and Helm 4.
 */
@org.junit.jupiter.api.Tag("scripts") // renders the chart with real helm, many times: test.java's scripts stage
class FailBatchTest {
    @Test
    void lintModeMessagesAreReadFromHelm3AndHelm4Logs() {
        String helm4 = "level=WARN msg=\"missing required value\" message=\"need x\"\n"
                + "level=INFO msg=\"funcMap fail\" message=\"a \\\"quoted\\\" msg\\nsecond line\"\n"
                + "level=INFO msg=\"found symbolic link in path\" path=/x\n"
                + "level=INFO msg=\"funcMap fail\" message=\"verify-batch-end wf01\"\n";
        assertEquals(List.of("need x", "a \"quoted\" msg\nsecond line", "verify-batch-end wf01"), FailBatch.messages(helm4));
        String helm3 = "engine.go:206: [INFO] Missing required value: need x\n"
                + "engine.go:227: [INFO] Fail: a \"quoted\" msg\nsecond line\n"
                + "coalesce.go:298: warning: cannot overwrite table with non table\n"
                + "engine.go:227: [INFO] Fail: verify-batch-end wf01\n";
        assertEquals(List.of("need x", "a \"quoted\" msg\nsecond line", "verify-batch-end wf01"), FailBatch.messages(helm3));
    }

    @ParameterizedTest(name = "Helm {0}")
    @ValueSource(ints = {4, 3})
    void everyTemplateRefusalSaysTheSameInALintAsInItsOwnTemplate(int major) {
        var helm = Helm.at(Tools.helm(major, null));
        Path repo = Repo.root();
        var runner = new CheckRunner(helm, new Report("fails", new PrintStream(new ByteArrayOutputStream()), null, false), null);
        new ChartChecks(runner, repo.resolve("helm/trevor"), repo.resolve("values"));
        new DevDepsChecks(runner, repo.resolve("helm/trevor-dev-deps"));
        runner.plan();
        try {
            var refusals = runner.refusals().stream().filter(r -> !r.bySchema).toList();
            assertTrue(refusals.size() >= 17, "only " + refusals.size() + " template refusals");
            var members = new ArrayList<RenderBatch.Member>();
            for (int i = 0; i < refusals.size(); i++) members.add(new RenderBatch.Member(String.format("f%02d", i + 1), refusals.get(i).chart, refusals.get(i).values));
            // As verify lints them: the schemas left out (the schema-refusal batch checks these values, see RenderBatchTest).
            var said = FailBatch.lint(HelmRuns.direct(helm), runner.scratch().resolve("test-fails"), "trevor", members, true);
            for (int i = 0; i < refusals.size(); i++) {
                var r = refusals.get(i);
                var own = r.own();
                assertTrue(own.refused(), r.values.describe());
                var s = said.get(members.get(i).alias());
                assertNotNull(s.messages(), "messages not told apart for " + r.values.describe());
                assertFalse(s.messages().isEmpty(), "lint logged nothing for " + r.values.describe());
                assertTrue(own.said().contains(s.messages().get(0)), r.values.describe() + ": lint said " + s.messages() + ", template said " + own.said());
                assertFalse(s.section().contains("[ERROR]"), s.section());
            }
        } finally {
            Dirs.deleteTree(runner.scratch());
        }
    }
}
