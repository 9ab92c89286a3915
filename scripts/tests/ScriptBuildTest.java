import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ScriptsCliTest's wait: a slow build that keeps working does not count against the script's
 * run limit; a build that stalls, and a run that hangs, still fail naming the script. A fake
 * launcher stands in for ./jbang: `build` burns CPU (a busy build) or sleeps (a stuck one).
 */
class ScriptBuildTest {
    @TempDir Path tmp;

    static final Duration RUN_LIMIT = Duration.ofSeconds(4);
    static final Duration STALL = Duration.ofSeconds(3);

    Path launcher() throws Exception {
        Path l = tmp.resolve("fake-jbang");
        Files.writeString(l, """
                #!/usr/bin/env bash
                if [ "$1" = build ]; then
                  case "$2" in
                    *queued*) holder=$(cat holder.pid) # another run's build, started by the test: not a child of this one
                      echo "[jbang-wrapper] waiting for the JBang build of pid $holder in $PWD" >&2
                      tail --pid="$holder" -f /dev/null; echo built ;;
                    *busy*) end=$((SECONDS + 7)); while [ $SECONDS -lt $end ]; do :; done; echo built ;;
                    *stuck*) sleep 600 ;;
                    *broken*) echo "error: cannot find symbol" >&2; exit 1 ;;
                  esac
                  exit 0
                fi
                case "$1" in
                  *hang*) exec sleep 600 ;;
                  *) echo "ran $(basename "$1") $2" ;;
                esac
                """);
        Files.setPosixFilePermissions(l, PosixFilePermissions.fromString("rwxr-xr-x"));
        return l;
    }

    Exec.Result run(String script) throws Exception {
        return ScriptBuild.buildThenRun(launcher(), tmp.resolve(script), tmp, Map.of(), RUN_LIMIT, STALL, Duration.ofMinutes(2), List.of("--version"));
    }

    /** The build takes longer than the run limit (7 s of CPU against 4 s) but works all along: the script runs. */
    @Test
    void aBusyBuildLongerThanTheRunLimitDoesNotFailTheScript() throws Exception {
        long t0 = System.nanoTime();
        var r = run("busy.java");
        assertEquals(0, r.exit(), "a build that kept working failed the script: " + r.said());
        assertEquals("ran busy.java --version\n", r.out());
        assertTrue(System.nanoTime() - t0 > RUN_LIMIT.toNanos(), "the fake build was not longer than the run limit");
    }

    /**
     * Queued behind another build (the wrapper's lock; cold CI's unit stage, 2026-12-07: "nothing
     * moved for 180 s; last seen: CPU 0.0 s"): the waiter uses no CPU, the build it waits for does.
     */
    Process holder;

    /** Another run's build holding the wrapper's lock: busy (burns CPU for 7 s) or stuck (sleeps). */
    void holder(boolean busy) throws Exception {
        holder = new ProcessBuilder("bash", "-c", busy ? "end=$((SECONDS + 7)); while [ $SECONDS -lt $end ]; do :; done" : "exec sleep 600").start();
        Files.writeString(tmp.resolve("holder.pid"), Long.toString(holder.pid()));
    }

    @Test
    void aBuildQueuedBehindABusyOneFollowsThatOne() throws Exception {
        holder(true);
        var r = run("queued-busy.java");
        assertEquals(0, r.exit(), "a build queued behind a working one failed the script: " + r.said());
        assertEquals("ran queued-busy.java --version\n", r.out());
    }

    @Test
    void aBuildQueuedBehindAStuckOneStillFailsByName() throws Exception {
        holder(false);
        var r = run("queued-stuck.java");
        assertEquals(124, r.exit(), r.said());
        assertTrue(r.err().contains("gave up waiting for the build of queued-stuck.java: nothing moved for 3 s"), r.err());
        assertTrue(r.err().contains("waiting for the build of pid"), r.err());
    }

    @org.junit.jupiter.api.AfterEach
    void stopHolder() {
        if (holder != null) holder.destroyForcibly();
    }

    @Test
    void aStuckBuildFailsNamingTheScriptOnceNothingMoves() throws Exception {
        long t0 = System.nanoTime();
        var r = run("stuck.java");
        long s = (System.nanoTime() - t0) / 1_000_000_000;
        assertEquals(124, r.exit(), r.said());
        assertTrue(r.err().contains("build of stuck.java: gave up waiting for the build of stuck.java: nothing moved for 3 s"), r.err());
        assertTrue(s < 60, "the stuck build was waited for " + s + " s");
    }

    @Test
    void aHungRunFailsNamingTheScriptAtTheRunLimit() throws Exception {
        long t0 = System.nanoTime();
        var r = run("hang.java");
        long s = (System.nanoTime() - t0) / 1_000_000_000;
        assertEquals(124, r.exit(), r.said());
        assertTrue(r.err().contains("hang.java (built already) did not end within 4 s"), r.err());
        assertTrue(s < 60, "the hung run was waited for " + s + " s");
    }

    @Test
    void aBrokenBuildIsTheResultWithWhatItSaid() throws Exception {
        var r = run("broken.java");
        assertEquals(1, r.exit());
        assertTrue(r.said().startsWith("build of broken.java failed (exit 1):") && r.said().contains("cannot find symbol"), r.said());
    }
}
