import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running external tools: exit codes, separate streams, timeouts, stdin, echo. */
class ExecTest {
    private static final Duration FIVE_S = Duration.ofSeconds(5);

    private static Exec.Result sh(String script) { return Exec.run(List.of("sh", "-c", script), FIVE_S); }

    @Test
    void exitCode() {
        var r = sh("exit 3");
        assertEquals(3, r.exit());
        assertFalse(r.ok());
        assertTrue(sh("true").ok());
        assertEquals(List.of("sh", "-c", "exit 3"), r.command());
    }

    @Test
    void stdoutAndStderrAreCapturedSeparately() {
        var r = sh("echo out1; echo err1 >&2; echo out2; echo err2 >&2");
        assertEquals("out1\nout2\n", r.out());
        assertEquals("err1\nerr2\n", r.err());
        assertEquals("err1\nerr2", r.said(), "said() prefers stderr");
        assertEquals("only out", sh("echo '  only out  '").said(), "said() falls back to stdout, trimmed");
    }

    @Test
    void aTimeoutGivesExit124AndAMessage() {
        long t0 = System.nanoTime();
        var r = Exec.run(List.of("sleep", "10"), Duration.ofMillis(100));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(124, r.exit());
        assertTrue(r.err().contains("sleep timed out after"), r.err());
        assertTrue(ms < 5000, "returned after " + ms + " ms, the process was not stopped");
    }

    @Test
    void aMissingBinaryIsToolMissing() {
        var e = assertThrows(Problem.ToolMissing.class, () -> Exec.run(List.of("/nonexistent/trevor-tool", "x"), java.time.Duration.ofSeconds(10)));
        assertTrue(e.getMessage().startsWith("cannot run /nonexistent/trevor-tool"), e.getMessage());
    }

    @Test
    void stdinIsEmpty() {
        var r = Exec.run(List.of("cat"), FIVE_S);
        assertEquals(0, r.exit(), "cat waited for input until the timeout: " + r.err());
        assertEquals("", r.out());
        assertTrue(r.millis() < 4000, r.millis() + " ms");
    }

    @Test
    void echoReceivesEveryLineOfBothStreamsAndOutputIsStillCaptured() {
        var seen = new CopyOnWriteArrayList<String>();
        var r = Exec.run(List.of("sh", "-c", "echo one; echo two >&2; printf three"), null, Map.of(), FIVE_S, seen::add);
        assertEquals(0, r.exit());
        assertTrue(seen.containsAll(List.of("one", "two", "three")), seen::toString);
        assertEquals(3, seen.size(), seen::toString);
        assertEquals("one\nthree\n", r.out());
        assertEquals("two\n", r.err());
    }

    @Test
    void workingDirectoryAndExtraEnvironment(@TempDir Path tmp) throws IOException {
        var r = Exec.run(List.of("sh", "-c", "echo \"$TREVOR_TEST_VAR\"; pwd -P; test -n \"$PATH\" && echo path-kept"),
                tmp, Map.of("TREVOR_TEST_VAR", "hello"), FIVE_S, null);
        assertEquals(List.of("hello", tmp.toRealPath().toString(), "path-kept"), r.out().lines().toList());
    }

    @Test
    void rootMessageFollowsTheCauseChain() {
        assertEquals("disk full", Problem.rootMessage(new RuntimeException("outer", new IllegalStateException("mid", new IOException("disk full")))));
        assertEquals("NullPointerException", Problem.rootMessage(new RuntimeException("outer", new NullPointerException())));
    }
}
