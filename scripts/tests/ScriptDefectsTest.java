import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guards the defects stage takes out are still where it looks, and a moved one is named, not silently skipped. */
class ScriptDefectsTest {
    @Test
    void everySafetyGuardIsFoundExactlyOnceInTheScripts() throws Exception {
        Path repo = Repo.root();
        for (var run : ScriptDefects.safetyRuns()) foundOnceAndApplyInTurn(repo, run.stream().map(ScriptDefects.Guard::defect).toList());
    }

    @Test
    void everyE2eDefectIsFoundExactlyOnceInTheCheckout() throws Exception {
        foundOnceAndApplyInTurn(Repo.root(), ScriptDefects.e2eDefects());
    }

    /** Each fatal-stage defect runs alone (a run of its own), so each is found once in the untouched checkout. */
    @Test
    void everyE2eStopDefectIsFoundExactlyOnceInTheCheckout() throws Exception {
        for (var d : ScriptDefects.e2eStops()) foundOnceAndApplyInTurn(Repo.root(), List.of(d));
    }

    @Test
    void eachCaseOrCheckHasOneDefectOnly() {
        var cases = new java.util.ArrayList<String>();
        ScriptDefects.safetyRuns().forEach(run -> run.forEach(g -> g.fails().forEach(x -> cases.add(x.check()))));
        assertEquals(cases.size(), new java.util.HashSet<>(cases).size(), "a safety case has two guards: " + cases);
        var checks = java.util.stream.Stream.concat(ScriptDefects.e2eDefects().stream(), ScriptDefects.e2eStops().stream())
                .flatMap(d -> d.fails().stream()).map(ScriptDefects.Expect::check).toList();
        assertEquals(checks.size(), new java.util.HashSet<>(checks).size(), "an e2e check has two defects: " + checks);
    }

    /** Each defect's text is in its file exactly once, and still there after the run's earlier defects were put in. */
    private static void foundOnceAndApplyInTurn(Path repo, List<ScriptDefects.Defect> run) throws Exception {
        var edited = new java.util.HashMap<String, String>();
        for (var d : run) {
            String text = Files.readString(repo.resolve(d.file()));
            int at = text.indexOf(d.find());
            assertTrue(at >= 0, d.what() + ": its text is no longer in " + d.file());
            assertEquals(-1, text.indexOf(d.find(), at + 1), d.what() + ": its text is in " + d.file() + " more than once");
            String now = edited.getOrDefault(d.file(), text);
            assertTrue(now.contains(d.find()), d.what() + ": an earlier defect of its run changed its text in " + d.file());
            edited.put(d.file(), now.replace(d.find(), d.replace()));
        }
    }

    @Test
    void aGuardWhoseTextMovedFailsNamingTheFile(@TempDir Path tmp) throws Exception {
        Path checkout = tmp.resolve("checkout");
        Files.createDirectories(checkout.resolve("scripts/lib"));
        Files.writeString(checkout.resolve("scripts/lib/A.java"), "if (guarded) refuse();\n");
        var ok = new ScriptDefects.Guard("the guard", "lib/A.java", "if (guarded) refuse();", "", "case", "refused");
        Path copy = ScriptDefects.copyWithout(checkout, tmp.resolve("copy"), List.of(ok));
        assertFalse(Files.readString(copy.resolve("scripts/lib/A.java")).contains("refuse"));
        assertTrue(Files.readString(checkout.resolve("scripts/lib/A.java")).contains("refuse"), "the checkout itself is never edited");
        var moved = new ScriptDefects.Guard("a moved guard", "lib/A.java", "if (other) refuse();", "", "case", "refused");
        var e = assertThrows(Report.Failure.class, () -> ScriptDefects.copyWithout(checkout, tmp.resolve("copy2"), List.of(moved)));
        assertTrue(e.getMessage().contains("scripts/lib/A.java") && e.getMessage().contains("update this defect"), e.getMessage());
    }
}
