import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration Job's hold for the matrix (NetpolProbe.holdingCommand), run here with the
 * host's sh in place of the image's busybox: a failed migration fails at once, a successful
 * one holds until released, and a hold nobody releases ends by itself.
 */
class NetpolHoldTest {
    /** The wrapper as the Job runs it, with the host's sh and sleep instead of /bin/busybox's. */
    static List<String> onHost(List<String> migration, int max, Path done) {
        var cmd = new ArrayList<String>();
        for (String w : NetpolProbe.holdingCommand(migration, max, done.toString())) cmd.add(w.replace("/bin/busybox ", ""));
        if (cmd.get(0).equals("/bin/busybox")) cmd.remove(0);
        return cmd;
    }

    @Test
    void aFailedMigrationFailsAtOnceWithItsCode(@TempDir Path tmp) {
        long t0 = System.nanoTime();
        var r = Exec.run(onHost(List.of("sh", "-c", "echo 'could not translate host name'; exit 3"), 30, tmp.resolve("done")), Duration.ofSeconds(20));
        assertEquals(3, r.exit(), r.said());
        assertTrue(r.out().contains("could not translate host name"), r.out());
        assertFalse(r.out().contains(NetpolProbe.HOLDING), r.out());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "it waited");
    }

    @Test
    void aSuccessfulMigrationHoldsUntilReleased(@TempDir Path tmp) throws Exception {
        Path done = tmp.resolve("done");
        var run = CompletableFuture.supplyAsync(() -> Exec.run(onHost(List.of("sh", "-c", "echo 'Running upgrade  -> 0001'"), 60, done),
                Duration.ofSeconds(90)));
        Thread.sleep(3000);
        assertFalse(run.isDone(), "the pod ended before the matrix released it: " + (run.isDone() ? run.join().said() : ""));
        Files.writeString(done, "");
        var r = run.get();
        assertEquals(0, r.exit(), r.said());
        assertTrue(r.out().contains("Running upgrade  -> 0001") && r.out().contains(NetpolProbe.HOLDING), r.out());
        assertTrue(r.out().contains("netpol-hold: released by the matrix after"), r.out());
    }

    @Test
    void aHoldNobodyReleasesEndsByItself(@TempDir Path tmp) {
        var r = Exec.run(onHost(List.of("true"), 2, tmp.resolve("never")), Duration.ofSeconds(30));
        assertEquals(0, r.exit(), r.said());
        assertTrue(r.out().contains("netpol-hold: not released in 2 s; ending anyway"), r.out());
    }
}
