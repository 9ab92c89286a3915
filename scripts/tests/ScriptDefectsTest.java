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
        for (var g : ScriptDefects.safetyGuards()) {
            String text = Files.readString(repo.resolve("scripts").resolve(g.file()));
            int at = text.indexOf(g.find());
            assertTrue(at >= 0, g.what() + ": its text is no longer in scripts/" + g.file());
            assertEquals(-1, text.indexOf(g.find(), at + 1), g.what() + ": its text is in scripts/" + g.file() + " more than once");
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
