import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * status --list prints LiveChecks.ALL without a cluster, and --only is held to it before one is
 * asked: so ALL must be the checks run() makes, in its order. Read from run()'s own source, a
 * check added there without its name in ALL fails here by name.
 */
class LiveChecksTest {
    @Test
    void allIsEveryCheckRunMakesInItsOrder() throws IOException, ReflectiveOperationException {
        String src = Files.readString(Repo.root().resolve("scripts/lib/lifecycle/LiveChecks.java"));
        String run = src.substring(src.indexOf("    void run() {"));
        var made = new ArrayList<String>();
        var m = Pattern.compile("report\\.check\\(name\\(([A-Z_]+)\\)").matcher(run);
        while (m.find()) {
            Field f = LiveChecks.class.getDeclaredField(m.group(1));
            f.setAccessible(true);
            made.add((String) f.get(null));
        }
        assertEquals(15, made.size(), made.toString());
        assertEquals(made, LiveChecks.ALL);
        assertEquals(List.copyOf(new java.util.LinkedHashSet<>(LiveChecks.ALL)), LiveChecks.ALL, "a name twice");
    }

    private static Map<String, Object> pod(String name, String component, String phase, boolean ready) {
        return Yaml.loadMap("""
                kind: Pod
                metadata: {name: %s, namespace: trevor, labels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: %s}}
                status: {phase: %s, conditions: [{type: Ready, status: "%s"}]}
                """.formatted(name, component, phase, ready ? "True" : "False"));
    }

    private static LiveChecks checks(FakeCluster fake) {
        return new LiveChecks(fake.release(), new Report("t", new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), null, false), null);
    }

    /** A pod of the migration Job that Failed stays Failed: status says so at once instead of waiting its minute out. */
    @Test
    void aFailedMigrationPodFailsThePodsCheckAtOnce() {
        var fake = new FakeCluster();
        fake.put(pod("trevor-api-1", "api", "Running", true));
        fake.put(pod("trevor-migrate-x", "migrate", "Failed", false));
        long t0 = System.nanoTime();
        var e = assertThrows(Report.Failure.class, () -> checks(fake).podsReady());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "it waited");
        assertTrue(e.getMessage().contains("migration pod trevor-migrate-x failed (waiting would not change it"), e.getMessage());
    }

    /** status --timeout: a pod that is only not ready yet is waited for no longer than the bound, and the failure says the bound. */
    @Test
    void theTimeoutBoundsThePodsWait() {
        var fake = new FakeCluster();
        fake.put(pod("trevor-api-1", "api", "Running", false));
        var said = new ArrayList<String>();
        long t0 = System.nanoTime();
        var e = assertThrows(Report.Failure.class, () -> checks(fake).saying(said::add).waitingAtMost(Duration.ofSeconds(2)).podsReady());
        long s = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(s >= 2 && s < 10, "waited " + s + " s");
        assertTrue(said.get(0).startsWith("waiting up to 2 s for every pod"), said.toString());
        assertTrue(e.getMessage().contains("after 2 s"), e.getMessage());
    }
}
