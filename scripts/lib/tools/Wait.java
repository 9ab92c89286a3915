//SOURCES Problem.java

import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Waits that follow progress instead of a fixed clock: on a loaded 2-core machine a cluster
 * may need minutes where a quiet one needs seconds, and a fixed timeout then fails a run
 * that was getting there. A wait goes on while what it watches moves (a node appears, a
 * status changes) and gives up only when nothing moved for a while, or at an overall
 * ceiling; it says what it waits for, and what it saw last.
 *
 * <p>The one home of polling: {@link #whileMoving} for waits that follow progress, {@link #until}
 * and {@link #poll} for a fixed bound, {@link #sleep} between tries.
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
                throw new Problem.Interrupted("waiting for " + what);
            }
        }
    }

    /** Asks notYet every 500 ms until it returns null; after timeout, fails with what it said last. */
    static void until(String what, Duration timeout, Supplier<String> notYet) {
        long end = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (System.nanoTime() < end) {
            last = notYet.get();
            if (last == null) return;
            sleep(500);
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what + ": " + last);
    }

    /** Asks ok every `every` until it holds (true) or timeout has passed (false): the caller says what failed. */
    static boolean poll(Duration timeout, Duration every, BooleanSupplier ok) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) return false;
            sleep(every.toMillis());
        }
        return true;
    }

    /** Sleeps; an interrupt keeps the thread's flag and ends the wait at once (Problem.Interrupted, exit 130). */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem.Interrupted("waiting between tries");
        }
    }
}
