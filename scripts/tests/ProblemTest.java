import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** Each kind of Problem carries its exit code, and Cli.execute prints one line and exits with it. */
class ProblemTest {

    @Command(name = "demo")
    static final class Demo implements Callable<Integer> {
        final RuntimeException toThrow;
        Demo(RuntimeException toThrow) { this.toThrow = toThrow; }
        @Override public Integer call() { throw toThrow; }
    }

    /** What a script would print on stderr and the code it would exit with. */
    private static String run(RuntimeException e) {
        var err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Cli.execute(new Demo(e), new String[0]);
        } finally {
            System.setErr(old);
        }
        return code + " " + err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void eachKindCarriesItsExitCode() {
        assertEquals(2, new Problem.BadInput("x").exitCode, "bad input");
        assertEquals(2, new Problem.Refused("x").exitCode, "refused");
        assertEquals(1, new Problem.Failed("x").exitCode, "failed");
        assertEquals(2, new Problem.ToolMissing("x").exitCode, "tool missing");
        assertEquals(2, new Problem.ToolMissing("x", new RuntimeException("cause")).exitCode, "tool missing, with a cause");
        assertEquals(1, new Problem.Failed("x", new RuntimeException("cause")).exitCode, "failed, with a cause");
        assertEquals(130, new Problem.Interrupted("running helm").exitCode, "interrupted, as after Ctrl-C");
    }

    @Test
    void cliPrintsTheMessageAsOneLineAndExitsWithTheKindsCode() {
        assertEquals("2 demo: --namespace 'X' is not a valid namespace name\n", run(new Problem.BadInput("--namespace 'X' is not a valid namespace name")));
        assertEquals("2 demo: the cluster of context 'k' does not answer\n", run(new Problem.Refused("the cluster of context 'k' does not answer")));
        assertEquals("1 demo: install of trevor failed: timed out\n", run(new Problem.Failed("install of trevor failed: timed out")));
        assertEquals("2 demo: cannot run helm: No such file or directory\n", run(new Problem.ToolMissing("cannot run helm: No such file or directory")));
    }

    /** An interrupt that reaches a wait or a tool is one line saying what it stopped, and 130, as after Ctrl-C; never "IllegalStateException: interrupted". */
    @Test
    void anInterruptedWaitIsOneLineAndExitCode130() {
        Thread.currentThread().interrupt();
        Problem.Interrupted stopped;
        try {
            stopped = org.junit.jupiter.api.Assertions.assertThrows(Problem.Interrupted.class,
                    () -> Wait.whileMoving("the node to be Ready", java.time.Duration.ofMinutes(1), java.time.Duration.ofMinutes(5), null, () -> "NotReady"));
            assertEquals(true, Thread.currentThread().isInterrupted(), "the flag stays set, so the waits above end too");
        } finally {
            Thread.interrupted(); // the next test runs on this thread
        }
        assertEquals("130 demo: interrupted while waiting for the node to be Ready\n", run(stopped));
        Thread.currentThread().interrupt();
        try {
            var e = org.junit.jupiter.api.Assertions.assertThrows(Problem.Interrupted.class, () -> Wait.sleep(10_000));
            assertEquals(130, e.exitCode);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void anythingElseIsAFailureNamedByItsClass() {
        assertEquals("1 demo: IllegalStateException: half-way\n", run(new IllegalStateException("half-way")));
    }
}
