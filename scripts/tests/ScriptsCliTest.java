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
@org.junit.jupiter.api.Tag("scripts") // starts whole scripts: test.java's scripts stage
class ScriptsCliTest {
    static final Path repo = Repo.root();

    /**
     * How long a built script may run: the build is not part of it (ScriptBuild waits for it
     * while it makes progress, as on a loaded 2-core machine it may take minutes).
     */
    static final Duration RUN_LIMIT = Duration.ofMinutes(5);

    static Exec.Result script(String script, Map<String, String> env, String... args) {
        return ScriptBuild.buildThenRun(repo.resolve("jbang"), repo.resolve("scripts").resolve(script), repo, env, RUN_LIMIT,
                ScriptBuild.STALL, ScriptBuild.CEILING, List.of(args));
    }

    @Test
    void everyScriptSaysItsVersionAndTheChartItDrives() {
        // Every script in the folder, so a new one cannot be left out of this test.
        List<String> scripts;
        try (var files = java.nio.file.Files.list(repo.resolve("scripts"))) {
            scripts = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".java")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(scripts.size() >= 14, "expected every script of scripts/, found " + scripts);
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

    /** --real-nodes takes 1 or 2 (real-0, real-1): anything else is one line naming the option, exit 2, before a cluster is touched. */
    @Test
    void realNodesOutOfRangeIsOneLineAndExitCode2() {
        for (var r : List.of(script("e2e.java", Map.of(), "--real-nodes", "3"), script("e2e.java", Map.of(), "--real", "--real-nodes", "0"),
                script("cluster.java", Map.of(), "up", "--provider", "kwok", "--real-nodes", "3", "--name", "trevor-cli-test"))) {
            assertEquals(2, r.exit(), r.said());
            assertTrue(r.err().contains("is out of range: give 1 (real-0) or 2 (real-0 and real-1)") && r.err().contains("--real-nodes"), r.err());
            assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err());
        }
    }

    /** A selection that matches nothing proves nothing: exit 2 naming it, never "0 passed, 0 failed" and exit 0. */
    @Test
    void anOnlyThatMatchesNoCheckIsExitCode2() {
        var r = script("verify.java", Map.of(), "--only", "no check is named like this");
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("--only 'no check is named like this' matches none of the"), r.err());
        assertFalse(r.out().contains("0 passed, 0 failed"), r.out());
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

    /**
     * Files a user names are checked for their kind and size before anything else runs: no hang
     * on a FIFO, no OutOfMemoryError on /dev/zero, one line naming the option and the limit.
     */
    @Test
    void hostileFilesAreOneLineAndExitCode2AtOnce(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path fifo = tmp.resolve("env.fifo");
        assertEquals(0, new ProcessBuilder(List.of("mkfifo", fifo.toString())).start().waitFor());
        Path big = tmp.resolve("big.yaml");
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) { f.setLength(50L * 1024 * 1024); }
        Path kc = tmp.resolve("kubeconfig");
        java.nio.file.Files.writeString(kc, "");
        var tries = List.of(
                List.of("install.java", "--env-file", fifo.toString(), "--env-file: " + fifo + " is not a regular file"),
                List.of("install.java", "--env-file", "/dev/zero", "--env-file: /dev/zero is not a regular file"),
                List.of("install.java", "--env-file", tmp.toString(), "--env-file: " + tmp + " is a directory"),
                List.of("install.java", "-f", "/dev/zero", "-f: /dev/zero is not a regular file"),
                List.of("install.java", "-f", big.toString(), "-f: " + big + " is 50 MiB; at most 1 MiB is accepted"),
                List.of("upgrade.java", "-f", "/dev/zero", "-f: /dev/zero is not a regular file"),
                List.of("upgrade.java", "--env-file", fifo.toString(), "--env-file: " + fifo + " is not a regular file"),
                List.of("status.java", "--junit", "/proc/nope/x.xml", "--junit /proc/nope/x.xml: cannot create its folder /proc/nope"),
                List.of("status.java", "--kubeconfig", "/dev/zero", "--kubeconfig: /dev/zero is not a regular file"),
                List.of("install.java", "--set", "--set-file=podAnnotations.x=/etc/hostname", "--set '--set-file=podAnnotations.x=/etc/hostname' starts with '-'"),
                List.of("migrate.java", "--set-string", "--set-json=a={}", "--set-string '--set-json=a={}' starts with '-'"));
        for (var t : tries) {
            var args = new ArrayList<>(List.of(t.get(1), t.get(2)));
            if (!t.get(1).equals("--kubeconfig")) args.addAll(List.of("--kubeconfig", kc.toString()));
            var r = script(t.get(0), Map.of(), args.toArray(String[]::new));
            var lines = r.err().strip().lines().filter(l -> !l.startsWith("[jbang]") && !l.startsWith("[jbang-wrapper]")).toList();
            assertEquals(2, r.exit(), t + ": " + r.said());
            assertEquals(1, lines.size(), t + ": " + r.err());
            assertTrue(lines.get(0).contains(t.get(3)), t + ": " + lines.get(0));
        }
    }
}
