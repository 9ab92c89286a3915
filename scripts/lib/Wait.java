//SOURCES Problem.java

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Waits that follow progress instead of a fixed clock: on a loaded 2-core machine a cluster
 * may need minutes where a quiet one needs seconds, and a fixed timeout then fails a run
 * that was getting there. A wait goes on while what it watches moves (a node appears, a
 * status changes) and gives up only when nothing moved for a while, or at an overall
 * ceiling; it says what it waits for, and what it saw last.
 */
final class Wait {
    private Wait() {}

    /** How often the condition is asked, and how often a long wait says it still waits. */
    static final Duration POLL = Duration.ofMillis(500);
    static final Duration REPORT_EVERY = Duration.ofSeconds(20);

    /**
     * Asks state until it returns null (done). Any other value is the current state, in words:
     * when it differs from the one before, the stall clock starts again. Throws a Problem
     * (exit 1) naming what, the last state, and which limit ran out.
     */
    static void whileMoving(String what, Duration stall, Duration ceiling, Consumer<String> progress, Supplier<String> state) {
        long t0 = System.nanoTime();
        long lastMove = t0;
        long lastReport = t0;
        String last = null;
        while (true) {
            String now = state.get();
            if (now == null) return;
            long t = System.nanoTime();
            if (!now.equals(last)) {
                last = now;
                lastMove = t;
            }
            if (t - t0 > ceiling.toNanos()) {
                throw new Problem.Failed(String.format(Locale.ROOT, "gave up waiting for %s after %d s in all (the ceiling); last seen: %s",
                        what, ceiling.toSeconds(), last));
            }
            if (t - lastMove > stall.toNanos()) {
                throw new Problem.Failed(String.format(Locale.ROOT, "gave up waiting for %s: nothing moved for %d s; last seen: %s",
                        what, stall.toSeconds(), last));
            }
            if (progress != null && t - lastReport > REPORT_EVERY.toNanos()) {
                lastReport = t;
                progress.accept(String.format(Locale.ROOT, "still waiting for %s (%.0f s): %s", what, (t - t0) / 1e9, last));
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what);
            }
        }
    }
}
