/**
 * Why a script stops, with the exit code that says how: 2 when nothing was changed (bad
 * input, a missing tool, a cluster refused or out of reach), 1 when something went wrong
 * on the way (a release that did not become ready, a failed check). Every script prints the
 * message as one line and exits with the code; no stack trace reaches a user.
 */
class Problem extends RuntimeException {
    static final int FAILED = 1;
    static final int NOTHING_CHANGED = 2;

    final int exitCode;

    Problem(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    Problem(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }
}
