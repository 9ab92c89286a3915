import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A release lock stays valid while the helm its run started lives: told by PID and start time, on this machine and boot only. */
class LockHolderTest {
    @Test
    void aRunningHelmKeepsTheLockAndItsEndReleasesIt() throws Exception {
        var helm = new ProcessBuilder("sleep", "60").start();
        try {
            var a = LockHolder.current("here").running(helm, "helm upgrade --install").annotations();
            var read = LockHolder.of(a);
            String why = read.stillRunning("here");
            assertNotNull(why, "a live helm was not seen");
            assertTrue(why.contains("pid " + helm.pid()) && why.contains("kill -TERM " + helm.pid()), why);
            assertNull(read.stillRunning("elsewhere"), "a process of another machine cannot be judged from here");
        } finally {
            helm.destroyForcibly();
            helm.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDeadHelmAndADeadHolderReleaseIt() throws Exception {
        var helm = new ProcessBuilder("true").start();
        helm.waitFor(10, TimeUnit.SECONDS);
        var a = new HashMap<>(LockHolder.current("here").running(helm, "helm upgrade --install").annotations());
        a.put("trevor.dev/lock-pid", String.valueOf(helm.pid())); // the holder is gone as well
        assertNull(LockHolder.of(a).stillRunning("here"));
    }

    @Test
    void aReusedPidIsNotTheHelmThatTookTheLock() throws Exception {
        var other = new ProcessBuilder("sleep", "60").start();
        try {
            var a = new HashMap<>(LockHolder.current("here").running(other, "helm upgrade --install").annotations());
            a.put("trevor.dev/lock-helm-start", "ticks:1");
            a.put("trevor.dev/lock-pid", "999999999");
            assertNull(LockHolder.of(a).stillRunning("here"), "a process that started at another time was taken for the holder's helm");
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aLockOfOlderScriptsNamesNoProcess() {
        assertNull(LockHolder.of(new HashMap<>()));
        assertEquals("here", LockHolder.current("here").host());
    }
}
