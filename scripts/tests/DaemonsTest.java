import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Daemons.await follows progress: a daemon that works (its CPU time grows) may take longer than
 * one stall; an idle one that never gets ready fails after the stall, and one that exits fails
 * at once; each failure names the daemon's log.
 */
class DaemonsTest {
    @Test
    void anIdleDaemonThatNeverGetsReadyFailsAfterTheStallNamingItsLog(@TempDir Path dir) {
        Daemons.start("idle", List.of("sleep", "30"), dir, Map.of(), dir, dir);
        try {
            var e = assertThrows(Problem.Failed.class, () -> Daemons.await("idle to be ready", Duration.ofSeconds(1), dir.resolve("idle.pid"),
                    dir.resolve("idle.log"), "idle", null, () -> "not ready"));
            assertTrue(e.getMessage().contains("nothing moved for 1 s") && e.getMessage().contains("idle.log"), e.getMessage());
        } finally {
            Daemons.stop(dir.resolve("idle.pid"), Duration.ofSeconds(2));
        }
    }

    @Test
    void aBusyDaemonOutlastsOneStall(@TempDir Path dir) {
        // Burns CPU for about 4 s, then says it is ready: two stalls of 2 s, no failure.
        Daemons.start("busy", List.of("sh", "-c", "end=$(($(date +%s)+4)); while [ $(date +%s) -lt $end ]; do :; done; touch ready; sleep 30"),
                dir, Map.of(), dir, dir);
        try {
            Daemons.await("busy to be ready", Duration.ofSeconds(2), dir.resolve("busy.pid"), dir.resolve("busy.log"), "busy", null,
                    () -> java.nio.file.Files.exists(dir.resolve("ready")) ? null : "working");
        } finally {
            Daemons.stop(dir.resolve("busy.pid"), Duration.ofSeconds(2));
        }
    }

    @Test
    void aDaemonThatExitsFailsAtOnceWithItsLogsEnd(@TempDir Path dir) {
        Daemons.start("quits", List.of("sh", "-c", "echo cannot bind port 6443; exit 3"), dir, Map.of(), dir, dir);
        long t0 = System.nanoTime();
        var e = assertThrows(Problem.Failed.class, () -> Daemons.await("quits to be ready", Duration.ofSeconds(20), dir.resolve("quits.pid"),
                dir.resolve("quits.log"), "quits", "Take it down with: cluster.java down", () -> "not ready"));
        assertTrue((System.nanoTime() - t0) < 10_000_000_000L, "took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertTrue(e.getMessage().startsWith("quits exited while waiting for quits to be ready") && e.getMessage().contains("cannot bind port 6443")
                && e.getMessage().endsWith("Take it down with: cluster.java down"), e.getMessage());
    }
}
