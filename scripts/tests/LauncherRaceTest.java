import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./jbang launcher when two clones, and two terminals in one clone, run a script for the
 * first time at the same moment: JBang writes the jar of a script in place, at a path keyed by
 * its content, so without one build at a time a run starts on a jar another is still writing.
 */
@org.junit.jupiter.api.Tag("scripts") // starts whole scripts: test.java's scripts stage
class LauncherRaceTest {
    @TempDir Path tmp;

    @Test
    void twoClonesAndTwoTerminalsBuildingOneScriptAtOnceAllRunIt() throws IOException {
        Path launcher = Repo.root().resolve("jbang");
        var clones = new ArrayList<Path>();
        for (String c : List.of("a", "b")) {
            Path dir = Files.createDirectories(tmp.resolve(c));
            Files.copy(launcher, dir.resolve("jbang"));
            Files.createDirectories(dir.resolve("lib"));
            clones.add(dir);
        }
        // A private JBang cache shared by both clones, as ~/.jbang/cache is on a user's machine.
        var env = Map.of("JBANG_CACHE_DIR", tmp.resolve("jbang-cache").toString(), "TREVOR_JBANG_SKIP_PATH", "1");
        for (int round = 1; round <= 3; round++) {
            for (Path dir : clones) write(dir, round);
            var runs = new ArrayList<CompletableFuture<Exec.Result>>();
            for (Path dir : List.of(clones.get(0), clones.get(1), clones.get(0))) {
                runs.add(CompletableFuture.supplyAsync(() -> Exec.run(List.of(dir.resolve("jbang").toString(), "hello.java"), dir, env,
                        Duration.ofMinutes(4), null)));
            }
            for (var run : runs) {
                var r = run.join();
                assertEquals(0, r.exit(), "round " + round + ": " + r.said());
                assertTrue(r.out().contains("hello from round " + round), "round " + round + " printed: " + r.out());
            }
        }
    }

    /** The same one-line change in both clones, so both ask for the same content-keyed jar. */
    private static void write(Path dir, int round) throws IOException {
        Files.writeString(dir.resolve("hello.java"), "//SOURCES lib/Greeting.java\n"
                + "public class hello { public static void main(String[] a) { System.out.println(Greeting.text()); } }\n");
        Files.writeString(dir.resolve("lib/Greeting.java"), "final class Greeting { static String text() { return \"hello from round "
                + round + "\"; } }\n");
    }
}
