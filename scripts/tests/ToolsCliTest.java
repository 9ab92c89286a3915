import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/tools.java as a user starts it: its commands, what they print and how they exit. */
@org.junit.jupiter.api.Tag("scripts") // starts whole scripts: test.java's scripts stage
class ToolsCliTest {

    static Exec.Result tools(Map<String, String> env, String... args) {
        return ScriptsCliTest.script("tools.java", env, args);
    }

    /** stderr less the launchers' own lines ("[jbang] Building jar…" on a first run, "[jbang-wrapper] waiting for the JBang build of pid N" while another build holds the cache). */
    static List<String> said(String err) {
        return err.lines().filter(l -> !l.startsWith("[jbang]") && !l.startsWith("[jbang-wrapper]")).toList();
    }

    @Test
    void listAndCacheDirAndVersion() {
        // (no TREVOR_CACHE of its own: the ./jbang launcher keeps JBang there and would fetch it anew)
        var list = tools(Map.of(), "list");
        assertEquals(0, list.exit(), list.said());
        var lines = list.out().lines().toList();
        assertEquals(6, lines.size(), list.out());
        assertEquals("kubectl  " + ToolPins.pinnedVersion("kubectl") + "   override: TREVOR_KUBECTL  pinned from: "
                + ToolPins.pinnedSource("kubectl"), lines.get(2));
        assertEquals("cache: " + Tools.toolsDir(), lines.get(5));

        var dir = tools(Map.of(), "cache-dir");
        assertEquals(0, dir.exit(), dir.said());
        assertEquals(Tools.cacheDir().toString(), dir.out().strip());

        var version = tools(Map.of(), "--version");
        assertEquals(0, version.exit(), version.said());
        assertTrue(version.out().startsWith("trevor chart ops tools\n") && version.out().contains("chart trevor "), version.out());
    }

    @Test
    void pathAndRunTakeTheOverrideAndRunPassesEveryArgumentOn(@TempDir Path tmp) throws IOException {
        Path fake = tmp.resolve("fake-helm");
        Files.writeString(fake, "#!/bin/sh\necho \"args: $*\"\nexit 7\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        var env = Map.of("TREVOR_HELM4", fake.toString());

        var path = tools(env, "path", "helm4");
        assertEquals(0, path.exit(), path.said());
        assertEquals(fake.toString(), path.out().strip());

        var run = tools(env, "run", "helm4", "--help", "-x", "--", "y");
        assertEquals(7, run.exit(), "the tool's exit code: " + run.said());
        assertEquals("args: --help -x -- y", run.out().strip(), "after the tool's name every argument is the tool's");
        var dashes = tools(env, "run", "helm4", "--", "version", "--short");
        assertEquals("args: version --short", dashes.out().strip(), "a leading -- is dropped");
    }

    @Test
    void badUsageIsOneLineAndExitCode2() {
        var unknown = tools(Map.of(), "path", "helm5");
        assertEquals(2, unknown.exit(), unknown.said());
        assertEquals(List.of("tools: unknown tool 'helm5'; known: helm3, helm4, kubectl, just, go"), said(unknown.err()));

        var none = tools(Map.of());
        assertEquals(2, none.exit(), none.said());
        assertTrue(said(none.err()).get(0).startsWith("tools: missing command"), none.err());

        var bogus = tools(Map.of(), "fetch-all", "--bogus");
        assertEquals(2, bogus.exit(), bogus.said());
        assertTrue(bogus.err().contains("--bogus"), bogus.err());
        assertFalse(bogus.err().contains("\tat "), "a stack trace: " + bogus.err());
    }
}
