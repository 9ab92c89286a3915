import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The scripts as a user starts them (./jbang scripts/X.java …): what they print and how they exit. */
class ScriptsCliTest {
    static final Path repo = Repo.root();

    static Exec.Result script(String script, Map<String, String> env, String... args) {
        var cmd = new ArrayList<>(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts").resolve(script).toString()));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, repo, env, Duration.ofMinutes(5), null);
    }

    @Test
    void everyScriptSaysItsVersionAndTheChartItDrives() {
        var scripts = List.of("install.java", "upgrade.java", "migrate.java", "status.java", "cluster.java", "verify.java", "e2e.java",
                "safety.java", "defects.java", "bench.java", "test.java");
        var runs = scripts.stream().map(s -> CompletableFuture.supplyAsync(() -> script(s, Map.of(), "--version"))).toList();
        for (int i = 0; i < scripts.size(); i++) {
            var r = runs.get(i).join();
            String name = scripts.get(i).replace(".java", "");
            assertEquals(0, r.exit(), scripts.get(i) + " --version: " + r.said());
            assertTrue(r.out().startsWith("trevor chart ops " + name + "\n") && r.out().contains("chart trevor "),
                    scripts.get(i) + " --version printed: " + r.out());
        }
    }

    @Test
    void aBadOnlyPatternIsOneLineAndExitCode2() {
        var r = script("e2e.java", Map.of(), "--only", "[");
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("--only '[' is not a valid regular expression"), r.err());
        assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err());
    }

    /** TREVOR_HELMn names the binary to use; its version is asked, and the wrong major is refused by name. */
    @Test
    void helmOverridesAreUsedAndChecked() {
        String helm4 = Tools.fetchPinned("helm4", null).path().toString();
        String helm3 = Tools.fetchPinned("helm3", null).path().toString();
        var ok = script("verify.java", Map.of("TREVOR_HELM4", helm4), "--only", "plan 1:");
        assertEquals(0, ok.exit(), ok.said());
        assertTrue(ok.out().contains("1 passed, 0 failed") && ok.out().contains(helm4), ok.out());
        var wrong = script("verify.java", Map.of("TREVOR_HELM4", helm3), "--only", "plan 1:");
        assertEquals(2, wrong.exit(), wrong.said());
        assertTrue(wrong.err().contains("TREVOR_HELM4=" + helm3 + " is helm v3."), wrong.err());
        assertFalse(wrong.err().contains("\tat "), "a stack trace: " + wrong.err());
    }
}
