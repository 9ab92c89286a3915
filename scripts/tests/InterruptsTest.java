import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a stop (Ctrl-C, SIGTERM, a lost lock) does, in which order: on a fake helm process and recorded clean-ups, no signal sent. */
class InterruptsTest {
    /** A helm that records what it was told; it stops on SIGTERM unless told to hang. */
    static final class FakeHelm extends Process {
        final List<String> log;
        final boolean hangs;
        boolean alive = true;

        FakeHelm(List<String> log, boolean hangs) {
            this.log = log;
            this.hangs = hangs;
        }

        @Override public OutputStream getOutputStream() { return OutputStream.nullOutputStream(); }
        @Override public InputStream getInputStream() { return InputStream.nullInputStream(); }
        @Override public InputStream getErrorStream() { return InputStream.nullInputStream(); }
        @Override public int waitFor() { return 0; }
        @Override public boolean waitFor(long timeout, TimeUnit unit) {
            log.add("helm: wait " + unit.toSeconds(timeout) + " s");
            return !alive;
        }
        @Override public int exitValue() { return 0; }
        @Override public boolean isAlive() { return alive; }
        @Override public long pid() { return 4242; }
        @Override public void destroy() {
            log.add("helm: SIGTERM");
            if (!hangs) alive = false;
        }
        @Override public Process destroyForcibly() {
            log.add("helm: SIGKILL");
            alive = false;
            return this;
        }
    }

    /** Clean-ups registered as install registers them: the lock first, then the migration Job's. */
    private static List<Interrupts.Cleanup> registered(List<String> log, Runnable... extra) {
        var mine = new ArrayList<Interrupts.Cleanup>();
        mine.add(Interrupts.onStop("release the lock trevor-lifecycle-lock", () -> log.add("release the lock")));
        for (var r : extra) mine.add(Interrupts.onStop("run an extra clean-up", r));
        mine.add(Interrupts.onStop("stop the migration Job that Helm left running", () -> log.add("stop the migration Job")));
        // Other tests of this JVM may hold clean-ups of their own: only these count here.
        var pending = new ArrayList<>(Interrupts.pending());
        pending.retainAll(mine);
        mine.forEach(Interrupts.Cleanup::close);
        return pending;
    }

    @Test
    void helmIsAskedToStopAndWaitedForBeforeTheCleanUpsRunNewestFirst() {
        var log = new ArrayList<String>();
        var said = new ArrayList<String>();
        Interrupts.stop(new FakeHelm(log, false), "helm upgrade --install", null, registered(log), said::add);
        assertEquals(List.of("helm: SIGTERM", "helm: wait " + Interrupts.GRACE_SECONDS + " s", "stop the migration Job", "release the lock"), log);
        assertEquals(List.of("stopping: helm upgrade --install was asked to stop; waiting up to " + Interrupts.GRACE_SECONDS
                + " s for it to record the outcome"), said);
    }

    @Test
    void aHelmThatDoesNotStopInItsGraceIsKilledAndTheCleanUpsStillRun() {
        var log = new ArrayList<String>();
        var said = new ArrayList<String>();
        Interrupts.stop(new FakeHelm(log, true), "helm upgrade --install", null, registered(log), said::add);
        assertEquals(List.of("helm: SIGTERM", "helm: wait " + Interrupts.GRACE_SECONDS + " s", "helm: SIGKILL", "stop the migration Job",
                "release the lock"), log);
        assertTrue(said.get(1).equals("stopping: helm upgrade --install did not stop in " + Interrupts.GRACE_SECONDS + " s; killed"), said.toString());
    }

    @Test
    void afterALostLockHelmIsKilledAtOnceNotAskedToRollBack() {
        var log = new ArrayList<String>();
        var said = new ArrayList<String>();
        Interrupts.stop(new FakeHelm(log, false), "helm upgrade --install", "lost the release's lock", registered(log), said::add);
        assertEquals(List.of("helm: SIGKILL", "helm: wait 10 s", "stop the migration Job", "release the lock"), log);
        assertEquals(List.of("stopping: killed helm upgrade --install (pid 4242)"), said);
    }

    @Test
    void aCleanUpThatFailsIsReportedAndTheOlderOnesStillRun() {
        var log = new ArrayList<String>();
        var said = new ArrayList<String>();
        var cleanups = registered(log, () -> { throw new IllegalStateException("kubectl: connection refused"); });
        Interrupts.stop(null, null, null, cleanups, said::add);
        assertEquals(List.of("stop the migration Job", "release the lock"), log);
        assertEquals(List.of("stopping: could not run an extra clean-up: kubectl: connection refused"), said);
    }

    @Test
    void aCleanUpClosedWhenItsWorkEndedIsNotRun() {
        var log = new ArrayList<String>();
        var c = Interrupts.onStop("release the lock", () -> log.add("release the lock"));
        c.close();
        assertTrue(!Interrupts.pending().contains(c));
    }
}
