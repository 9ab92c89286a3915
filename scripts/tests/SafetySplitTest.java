import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The safety stage's two runs side by side take every case of safety.java once, in its order; each checks its secrets and its down. */
class SafetySplitTest {
    static final List<String> CASES = List.of(
            "row 1: cluster up from a shell without the cluster's context reuses it and deletes nothing",
            "row 6: status reports a failed last revision and exits 1",
            "round 2 row 18: hostile files (FIFO, /dev/zero, a directory, 50 MB, /proc/nope) are refused at once: exit 2, one line, the limit named",
            "issue 14 row 3: up --recreate refuses a running, whole cluster (exit 2, naming what it holds) unless --yes-delete-healthy-cluster names it",
            "issue 14 row 19: Ctrl-C of cluster up in its phase 'control plane' leaves no process, port or folder",
            "issue 14 rows 1, 9: kill -9 of install while its helm runs on: no false 'stuck', and --recover does not take over",
            "issue 15 row 6, issue 17 item 5: status says what it waits for and why, and fails by name while the API is short of the HPA's minReplicas",
            ClusterChecks.DOWN,
            ScriptDefects.NO_SECRET);

    @Test
    void everyCaseRunsOnceInItsOrderAndEachRunChecksSecretsAndDown() {
        var runs = test.safetyRuns(CASES);
        assertEquals(2, runs.size(), "runs: " + runs);
        assertTrue(runs.get(1).get(0).startsWith(test.SAFETY_SECOND_RUN_FROM), "the second run starts at " + runs.get(1).get(0));
        var all = new ArrayList<String>();
        for (var run : runs) {
            assertTrue(run.contains(ScriptDefects.NO_SECRET) && run.contains(ClusterChecks.DOWN), "a run without the secrets or down check: " + run);
            run.stream().filter(c -> !c.equals(ScriptDefects.NO_SECRET) && !c.equals(ClusterChecks.DOWN)).forEach(all::add);
        }
        assertEquals(CASES.subList(0, CASES.size() - 2), all, "each case once, in safety.java's order");
    }

    @Test
    void eachRunsOnlyPatternSelectsItsCasesAndNoOther() {
        for (var run : test.safetyRuns(CASES)) {
            // As Report.selected matches --only: find, case-insensitive.
            var only = Pattern.compile(test.onlyExactly(run), Pattern.CASE_INSENSITIVE);
            for (String c : CASES) assertEquals(run.contains(c), only.matcher(c).find(), c);
            assertFalse(only.matcher("row 1").find(), "a part of a name is not selected");
        }
        // A name that holds another one whole selects only itself.
        var one = Pattern.compile(test.onlyExactly(List.of("row 8: a (case)")), Pattern.CASE_INSENSITIVE);
        assertTrue(one.matcher("row 8: a (case)").find());
        assertFalse(one.matcher("row 8: a (case) and more").find() || one.matcher("round 2 row 8: a (case)").find(), "a longer name is selected too");
    }

    @Test
    void withoutTheSplitCaseItIsOneRun() {
        var cases = CASES.stream().filter(c -> !c.startsWith(test.SAFETY_SECOND_RUN_FROM) && !c.startsWith("issue ")).toList();
        assertEquals(List.of(cases), test.safetyRuns(cases));
    }
}
