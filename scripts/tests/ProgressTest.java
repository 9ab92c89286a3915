import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a step says when it ends, and what install says of helm when it stops it early. */
class ProgressTest {
    static Exec.Result helm(int exit, String out, String err) { return new Exec.Result(List.of("helm", "upgrade"), exit, out, err, 5000); }

    static String said(java.util.function.Consumer<Progress> steps) {
        var buf = new ByteArrayOutputStream();
        var p = new Progress("install", new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            steps.accept(p);
        } catch (RuntimeException ignored) {
            // a step that threw: what it printed is the point
        }
        p.printTimings();
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** helm upgrade returns its result rather than throwing: exit 1 is a failed step, never "done". */
    @Test
    void aStepWhoseToolFailedSaysFailedWithItsTime() {
        String out = said(p -> p.step("helm upgrade trevor", () -> helm(1, "", "Error: UPGRADE FAILED: boom\n")));
        assertTrue(out.lines().anyMatch(l -> l.matches("install: helm upgrade trevor: failed \\(exit 1\\) in \\d+\\.\\d s")), out);
        assertFalse(out.contains("helm upgrade trevor: done"), "a failed helm said done: " + out);
        assertTrue(out.lines().anyMatch(l -> l.contains("helm upgrade trevor") && l.endsWith("s  (failed (exit 1))")), out);
    }

    @Test
    void aStepThatThrowsSaysFailedAndOneThatSucceedsSaysDone() {
        String out = said(p -> {
            p.step("render", () -> helm(0, "kind: Job\n", ""));
            p.step("wait for Job", () -> { throw new IllegalStateException("Job failed"); });
        });
        assertTrue(out.lines().anyMatch(l -> l.matches("install: render: done in \\d+\\.\\d s")), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("install: wait for Job: failed in \\d+\\.\\d s")), out);
    }

    /** Helm 4: the cause is a level=WARN line on one stream, the final Error on the other; both must be in the message. */
    @Test
    void theFailFastMessageCarriesHelmsErrorLinesFromBothStreams() {
        var r = helm(1, "Release \"trevor\" does not exist. Installing it now.\n"
                        + "level=WARN msg=\"install failed\" name=trevor error=\"resource Deployment/trevor/trevor not ready: Unschedulable\"\n",
                "Error: release trevor failed, and has been uninstalled due to rollback-on-failure being set: context canceled\n");
        String why = Installer.stoppedWhy(12, 150, "pod trevor-api-x: Unschedulable", "no node can take the pod", r);
        assertTrue(why.contains("level=WARN msg=\"install failed\"") && why.contains("not ready: Unschedulable"),
                "the fail-fast message lost helm's cause (the level=WARN line): " + why);
        assertTrue(why.contains("Error: release trevor failed, and has been uninstalled"), why);
        assertFalse(why.contains("Installing it now"), "chatter is not an error line: " + why);
    }

    /** Helm 3: "Error: … 1 error occurred:" then the causes as "* job X failed: Y" lines. */
    @Test
    void helm3sListedCausesAreKept() {
        var r = helm(1, "", "Error: UPGRADE FAILED: release trevor failed, and has been rolled back due to atomic being set: pre-upgrade hooks failed: "
                + "1 error occurred:\n\t* job trevor-migrate failed: BackoffLimitExceeded\n\n\n");
        String lines = Helm.errorLines(r);
        assertEquals(List.of("Error: UPGRADE FAILED: release trevor failed, and has been rolled back due to atomic being set: pre-upgrade hooks "
                + "failed: 1 error occurred:", "\t* job trevor-migrate failed: BackoffLimitExceeded"), lines.lines().toList());
    }

    /** Hundreds of lines, and very long ones, are bounded: the first and last error lines stay, the rest is counted. */
    @Test
    void helmsErrorLinesAreBounded() {
        var err = new StringBuilder();
        for (int i = 0; i < 300; i++) err.append("level=WARN msg=\"retry\" attempt=").append(i).append(" error=\"x\"\n");
        err.append("Error: ").append("y".repeat(5000)).append('\n');
        String lines = Helm.errorLines(helm(1, "", err.toString()));
        var l = lines.lines().toList();
        assertEquals(Helm.ERROR_LINES + 1, l.size(), lines);
        assertTrue(l.get(0).contains("attempt=0 "), lines);
        assertTrue(l.contains("… " + (301 - Helm.ERROR_LINES) + " more such lines …"), lines);
        assertTrue(l.get(l.size() - 1).startsWith("Error: yyy") && l.get(l.size() - 1).length() <= Helm.ERROR_LINE_CHARS + 2, lines);
    }

    /** Where nothing looks like an error, helm's last lines are still shown. */
    @Test
    void withoutErrorLinesTheLastLinesAreShown() {
        assertEquals("b\nc\nd", Helm.errorLines(helm(1, "a\nb\n", "c\nd\n")));
    }
}
