//DEPS org.apache.commons:commons-compress:1.28.0

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Enumeration;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Unpacking with Apache Commons Compress (tar, zip): walks over the files of a .tgz or a zip stream, and
 * the Go toolchain zip extractor that keeps Unix modes. {@link ToolInstaller} installs the pinned downloads with these.
 */
final class Archives {
    private Archives() {}

    /** Gets the archive's regular files in order; {@code data} is only readable during the call, and not to be closed. */
    interface FileHandler {
        void file(String name, InputStream data) throws IOException;
    }

    /** Gunzips and untars {@code in}, handing every regular file to {@code handler}. Does not close {@code in}. */
    static void eachTgzFile(InputStream in, FileHandler handler) throws IOException {
        // The JDK's gunzip, not commons': that one marks and re-reads its input, which a digest over it would count twice.
        var gz = new GZIPInputStream(in, 1 << 16);
        var tar = new TarArchiveInputStream(gz);
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
            if (isRegularFile(e)) handler.file(e.getName(), tar);
        }
        // Read on to the gzip trailer: its CRC is checked there, and a caller hashing in sees every byte.
        gz.transferTo(OutputStream.nullOutputStream());
    }

    /** Commons' isFile() is anything not a directory: links, devices and FIFOs are left out here. */
    private static boolean isRegularFile(TarArchiveEntry e) {
        return e.isFile() && !e.isLink() && !e.isSymbolicLink() && !e.isCharacterDevice() && !e.isBlockDevice() && !e.isFIFO();
    }

    /** Hands every file (not directory) of the zip stream {@code in} to {@code handler}. Does not close {@code in}. */
    static void eachZipFile(InputStream in, FileHandler handler) throws IOException {
        // allowStoredEntriesWithDataDescriptor: a STORED entry whose size follows its data is read all the same
        var zip = new ZipArchiveInputStream(in, "UTF-8", true, true);
        for (ZipArchiveEntry e; (e = zip.getNextEntry()) != null; ) {
            if (!e.isDirectory()) handler.file(e.getName(), zip);
        }
    }

    /** Unpacks a toolchain zip from the Go module proxy into a GOROOT. */
    static final class GoZip {
        private GoZip() {}

        /**
         * Extracts every entry, all of which must be under {@code prefix}, into {@code dest} with the prefix
         * stripped. Executable: whatever the zip's Unix modes mark so, and always everything under bin/ and
         * pkg/tool/ (in case a mirror drops the modes). Returns the number of files.
         */
        static int extract(Path zip, String prefix, Path dest) throws IOException {
            Path root = dest.toAbsolutePath().normalize();
            Files.createDirectories(root);
            int files = 0;
            try (ZipFile zf = ZipFile.builder().setPath(zip).get()) {
                for (Enumeration<ZipArchiveEntry> en = zf.getEntries(); en.hasMoreElements(); ) {
                    ZipArchiveEntry ze = en.nextElement();
                    String name = ze.getName();
                    if (!name.startsWith(prefix)) {
                        throw new IOException("zip entry " + name + " is not under " + prefix);
                    }
                    String rel = name.substring(prefix.length());
                    if (rel.isEmpty()) continue;
                    Path target = root.resolve(rel).normalize();
                    if (!target.startsWith(root) || target.equals(root)) {
                        throw new IOException("zip entry " + name + " points outside the folder it is unpacked into");
                    }
                    if (ze.isDirectory()) {
                        Files.createDirectories(target);
                        continue;
                    }
                    Files.createDirectories(target.getParent());
                    try (InputStream in = zf.getInputStream(ze)) {
                        Files.copy(in, target); // no REPLACE_EXISTING: a duplicate entry is an error
                    }
                    // getUnixMode() is 0 unless the entry was made on Unix
                    if (rel.startsWith("bin/") || rel.startsWith("pkg/tool/") || (ze.getUnixMode() & 0111) != 0) {
                        makeExecutable(target);
                    }
                    files++;
                }
            }
            return files;
        }
    }

    static void makeExecutable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            if (!p.toFile().setExecutable(true, false)) throw new IOException("cannot make " + p + " executable");
        }
    }
}
