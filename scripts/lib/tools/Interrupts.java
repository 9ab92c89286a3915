//SOURCES Problem.java

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * What a script does when it is told to stop (Ctrl-C, SIGTERM, a closed terminal): the JVM
 * runs one shutdown hook, which gives the long-running tool (helm) SIGTERM and time to
 * record its outcome, then runs the registered clean-ups, newest first. A tool killed
 * outright would leave its release pending; a clean-up skipped would leave a lock held or a
 * migration Job running against the database.
 */
final class Interrupts {
    private Interrupts() {}

    /** How long helm gets to roll back or mark the release failed after SIGTERM. */
    static final long GRACE_SECONDS = 120;

    private static final Deque<Cleanup> CLEANUPS = new ArrayDeque<>();
    private static volatile Process running;
    private static volatile String runningWhat;
    private static volatile boolean stopping;
    private static volatile String abortReason;
    private static boolean installed;
    private static final java.util.List<java.util.function.BiConsumer<Process, String>> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One clean-up, removed again when the work it guards ends normally. */
    static final class Cleanup implements AutoCloseable {
        final String what;
        final Runnable action;

        private Cleanup(String what, Runnable action) {
            this.what = what;
            this.action = action;
        }

        @Override public void close() {
            synchronized (CLEANUPS) { CLEANUPS.remove(this); }
        }
    }

    /** Runs action if the JVM is stopped before the returned handle is closed. */
    static Cleanup onStop(String what, Runnable action) {
        install();
        var c = new Cleanup(what, action);
        synchronized (CLEANUPS) { CLEANUPS.push(c); }
        return c;
    }

    /** True once the JVM is shutting down: no new shutdown hooks may be added then. */
    static boolean stopping() { return stopping; }

    static void running(Process p, String what) {
        install();
        running = p;
        runningWhat = what;
        for (var l : STARTED) l.accept(p, what);
    }

    /** Tells listener of every tool process started from now on (the release lock records helm's PID). */
    static AutoCloseable onStart(java.util.function.BiConsumer<Process, String> listener) {
        STARTED.add(listener);
        return () -> STARTED.remove(listener);
    }

    /**
     * Stops the run now because it may no longer change anything (it lost the release's
     * lock): the running tool is killed, not asked to stop, because helm would answer SIGTERM
     * by rolling back, one more change under someone else's lock. The clean-ups then run as
     * on Ctrl-C, and the JVM exits 1.
     */
    static void abort(String why) {
        if (stopping) return;
        abortReason = why;
        System.err.println("stopping: " + why);
        new Thread(() -> System.exit(1), "abort").start();
    }

    /** Why the run was aborted, or null when it was not (an ordinary interrupt or end). */
    static String abortReason() { return abortReason; }

    static void finished(Process p) {
        if (running == p) running = null;
    }

    private static synchronized void install() {
        if (installed) return;
        installed = true;
        Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::stop, "interrupts"));
    }

    private static void stop() {
        stopping = true;
        stop(running, runningWhat, abortReason, pending(), System.err::println);
    }

    /** The clean-ups registered and not closed yet, newest first: the order a stop runs them in. */
    static java.util.List<Cleanup> pending() {
        synchronized (CLEANUPS) { return java.util.List.copyOf(CLEANUPS); }
    }

    /**
     * What a stop does, in this order: the running tool first (killed outright after an abort,
     * else asked with SIGTERM and given {@link #GRACE_SECONDS}, then killed), then each
     * clean-up in the order given; one that fails is reported, and the next still runs.
     */
    static void stop(Process p, String what, String abortReason, java.util.List<Cleanup> cleanups, java.util.function.Consumer<String> say) {
        if (p != null && p.isAlive() && abortReason != null) {
            say.accept("stopping: killed " + what + " (pid " + p.pid() + ")");
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (p != null && p.isAlive()) {
            say.accept("stopping: " + what + " was asked to stop; waiting up to " + GRACE_SECONDS
                    + " s for it to record the outcome");
            p.destroy(); // SIGTERM: helm cancels, rolls back with --atomic/--rollback-on-failure, and exits
            try {
                if (!p.waitFor(GRACE_SECONDS, TimeUnit.SECONDS)) {
                    say.accept("stopping: " + what + " did not stop in " + GRACE_SECONDS + " s; killed");
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (var c : cleanups) {
            try {
                c.action.run();
            } catch (RuntimeException e) {
                say.accept("stopping: could not " + c.what + ": " + Problem.rootMessage(e));
            }
        }
    }

    /** Parks the calling thread for good once the JVM is stopping: the shutdown hook has the floor. */
    static void parkIfStopping() {
        while (stopping) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
