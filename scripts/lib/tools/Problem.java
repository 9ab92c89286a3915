/**
 * Why a script stops, with the exit code that says how: 2 when nothing was changed (bad
 * input, a missing tool, a cluster refused or out of reach), 1 when something went wrong
 * on the way (a release that did not become ready, a failed check), 130 when it was told to
 * stop. Every script prints the message as one line and exits with the code; no stack trace
 * reaches a user.
 *
 * <p>The kinds below are the only ones, and each carries its exit code: a class throws the
 * kind that says what happened, and needs nothing of the CLI to do so.
 */
sealed class Problem extends RuntimeException permits Problem.BadInput, Problem.Refused, Problem.Failed, Problem.ToolMissing, Problem.Interrupted {
    static final int FAILED = 1;
    static final int NOTHING_CHANGED = 2;
    /** 128 + SIGINT, as a shell reports a run stopped by Ctrl-C. */
    static final int INTERRUPTED = 130;

    final int exitCode;

    private Problem(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** An option, a file or a value the script cannot use: exit 2, nothing changed. */
    static final class BadInput extends Problem {
        BadInput(String message) { super(NOTHING_CHANGED, message, null); }
    }

    /** A cluster or release the script must not touch, or cannot reach, in the state it is in: exit 2, nothing changed. */
    static final class Refused extends Problem {
        Refused(String message) { super(NOTHING_CHANGED, message, null); }
    }

    /** Something went wrong on the way (a release that did not become ready, a step that failed): exit 1. */
    static non-sealed class Failed extends Problem {
        Failed(String message) { super(FAILED, message, null); }
        Failed(String message, Throwable cause) { super(FAILED, message, cause); }
    }

    /** A tool that could not be found, fetched or started; the message names the tool and the fix: exit 2, nothing changed. */
    static final class ToolMissing extends Problem {
        ToolMissing(String message) { super(NOTHING_CHANGED, message, null); }
        ToolMissing(String message, Throwable cause) { super(NOTHING_CHANGED, message, cause); }
    }

    /**
     * The thread was interrupted while it waited or ran a tool ("interrupted while running
     * mmdebstrap"): exit 130. The thread keeps its interrupt flag, so the waits above it end too.
     * A signal makes the JVM exit 128 + its number whatever main returns (Interrupts); this code
     * is for an interrupt without one.
     */
    static final class Interrupted extends Problem {
        Interrupted(String doing) { super(INTERRUPTED, "interrupted while " + doing, null); }
    }

    /** The message of the innermost cause: what a tool or the OS said, without the wrappers around it. */
    static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
