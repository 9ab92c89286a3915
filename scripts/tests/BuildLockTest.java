import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two first-time builds of the control plane at once, and the folder a killed one leaves. */
class BuildLockTest {
    @TempDir Path cache;

    @Test
    void twoBuildsAtOnceBuildOnceAndAKilledBuildsFolderIsRemoved() throws Exception {
        Path stale = Files.createDirectories(cache.resolve("build-control-plane-123/bin"));
        var builds = new AtomicInteger();
        var done = new AtomicBoolean();
        Runnable build = () -> {
            builds.incrementAndGet();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.set(true);
        };
        var a = CompletableFuture.runAsync(() -> BuildLock.once(cache, "cp", "build-control-plane-", done::get, build, m -> {}));
        var b = CompletableFuture.runAsync(() -> BuildLock.once(cache, "cp", "build-control-plane-", done::get, build, m -> {}));
        a.join();
        b.join();
        assertEquals(1, builds.get(), "built more than once");
        assertFalse(Files.exists(stale.getParent()), "the killed build's staging folder is still there");
        assertTrue(done.get());
    }
}
