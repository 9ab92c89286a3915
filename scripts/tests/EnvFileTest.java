import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The env-file reader against the pinned kubectl itself: every file is read by both
 * `kubectl create secret generic --from-env-file` and EnvFile, and the Secret data must be
 * the same, or both must refuse. Where EnvFile is stricter on purpose, the test says so.
 */
class EnvFileTest {
    static Path kubectl;
    @TempDir Path tmp;

    @BeforeAll
    static void pinnedKubectl() {
        // The pinned one: kubectl 1.36 reads values quoted over several lines, 1.35 refuses them.
        kubectl = Tools.fetchPinned("kubectl", null).path();
    }

    record Case(String name, byte[] bytes) {
        @Override public String toString() { return name; }
    }

    static Case text(String name, String s) { return new Case(name, s.getBytes(StandardCharsets.UTF_8)); }

    static List<Case> sameAsKubectl() {
        return List.of(
                text("plain pairs", "A=1\nB=two\n"),
                text("quotes stay part of a one-line value", "A=\"quoted\"\nB='single'\n"),
                text("whitespace: leading dropped, trailing kept", "   A= spaced value  \n\tB=x\t\n"),
                text("comments and blank lines", "# comment\n\n  # indented comment\nA=1 # not a comment\n"),
                text("values that YAML would retype", "Y=y\nN=n\nUY=Y\nUN=N\nOCT=0o17\nBOOL=true\nNUL=null\nNUM=007\n"),
                text("= inside a value", "URL=postgresql://u:p@h/db?a=b\n"),
                text("an empty value", "EMPTY=\n"),
                text("CRLF line ends", "A=1\r\nB=2\r\n"),
                text("no newline at the end", "A=1"),
                new Case("a UTF-8 BOM on the first line", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "A=1\n".getBytes(StandardCharsets.UTF_8))),
                text("dots and dashes in keys", "my.key=1\nmy-key=2\n_k=3\n"),
                text("unicode in values", "GREETING=grüße ✓\n"));
    }

    static List<Case> bothRefuse() {
        return List.of(
                text("export prefix", "export A=1\n"),
                text("a key of '.'", ".=x\n"),
                text("a key of '..'", "..=x\n"),
                text("a key starting with '..'", "..x=1\n"),
                text("a key starting with a digit", "1A=x\n"),
                text("a key with a space", "MY KEY=x\n"),
                text("a repeated key", "A=1\nA=2\n"),
                text("a value quoted over two lines (kubectl 1.36 reads it, 1.35 does not)", "CERT=\"line one\nline two\"\nNEXT=1\n"),
                text("a BOM on a later line", "A=1\n\uFEFFB=2\n"),
                new Case("Latin-1 bytes", "A=caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1)));
    }

    @ParameterizedTest(name = "reads like kubectl: {0}")
    @MethodSource("sameAsKubectl")
    void readsLikeKubectl(Case c) throws IOException {
        Path f = write(c);
        var k = kubectl(f);
        assertTrue(k.ok(), "kubectl refused " + c + ": " + k.said());
        assertEquals(kubectlData(k.out()), EnvFile.parse(f.toString(), c.bytes(), key -> null));
    }

    @ParameterizedTest(name = "refuses like kubectl: {0}")
    @MethodSource("bothRefuse")
    void refusesLikeKubectl(Case c) throws IOException {
        Path f = write(c);
        var k = kubectl(f);
        assertFalse(k.ok(), "kubectl accepted " + c + ": " + k.out());
        var e = assertThrows(Problem.BadInput.class, () -> EnvFile.parse(f.toString(), c.bytes(), key -> null));
        assertTrue(e.getMessage().startsWith(f + ":"), "the message names the file and line: " + e.getMessage());
    }

    @Test
    void aKeyWithoutValueComesFromTheEnvironment() {
        var m = EnvFile.parse("f", "FROM_ENV\nA=1\n".getBytes(StandardCharsets.UTF_8), k -> k.equals("FROM_ENV") ? "from-env" : null);
        assertEquals(Map.of("FROM_ENV", "from-env", "A", "1"), m);
        assertEquals("", EnvFile.parse("f", "UNSET\n".getBytes(StandardCharsets.UTF_8), k -> null).get("UNSET"));
    }

    /** kubectl silently stops at a line over 64 KiB and creates a Secret from what it read. */
    @Test
    void refusesALineKubectlWouldTruncateSilently() throws IOException {
        var c = text("a 70 KiB line", "A=1\nBIG=" + "x".repeat(70 * 1024) + "\nC=3\n");
        var k = kubectl(write(c));
        assertTrue(k.ok() && !kubectlData(k.out()).containsKey("C"), "kubectl no longer truncates: " + k.said());
        var e = assertThrows(Problem.BadInput.class, () -> EnvFile.parse("big.env", c.bytes(), key -> null));
        assertTrue(e.getMessage().startsWith("big.env:2:"), e.getMessage());
    }

    @Test
    void refusesDataOverOneMebibyte() {
        var sb = new StringBuilder();
        for (int i = 0; i < 20; i++) sb.append("K").append(i).append('=').append("v".repeat(60 * 1024)).append('\n');
        var e = assertThrows(Problem.BadInput.class, () -> EnvFile.parse("huge.env", sb.toString().getBytes(StandardCharsets.UTF_8), k -> null));
        assertTrue(e.getMessage().contains("1 MiB"), e.getMessage());
    }

    @Test
    void messagesNeverHoldValues() {
        String secret = "S3CR3T-value-do-not-print";
        for (String bad : List.of("A=" + secret + "\nA=" + secret + "\n", "A=\"" + secret + "\n" + secret + "\"\n", "1BAD=" + secret + "\n")) {
            var e = assertThrows(Problem.BadInput.class, () -> EnvFile.parse("f", bad.getBytes(StandardCharsets.UTF_8), k -> null));
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    private Path write(Case c) throws IOException {
        Path f = tmp.resolve(c.name().replaceAll("[^A-Za-z0-9]+", "-") + ".env");
        Files.write(f, c.bytes());
        return f;
    }

    private Exec.Result kubectl(Path f) {
        return Exec.run(List.of(kubectl.toString(), "create", "secret", "generic", "t", "--from-env-file=" + f,
                "--dry-run=client", "-o", "json"), Duration.ofSeconds(30));
    }

    private static Map<String, String> kubectlData(String json) {
        var out = new LinkedHashMap<String, String>();
        for (var e : Yaml.map(Yaml.loadMap(json), "data").entrySet()) {
            out.put(e.getKey(), new String(Base64.getDecoder().decode(String.valueOf(e.getValue())), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        var out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
