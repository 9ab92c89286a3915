import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Unpacking in pure Java: a streaming tar reader, walks over the files of a .tgz or a zip stream, and the
 * Go toolchain zip extractor that keeps Unix modes. Only JDK classes are used; {@link Tools} installs its
 * pinned downloads with these.
 */
final class Archives {
    private Archives() {}

    /** Gets the archive's regular files in order; {@code data} is only readable during the call. */
    interface FileHandler {
        void file(String name, InputStream data) throws IOException;
    }

    // ---------------------------------------------------------------- .tgz and zip streams

    /** Gunzips and untars {@code in}, handing every regular file to {@code handler}. Does not close {@code in}. */
    static void eachTgzFile(InputStream in, FileHandler handler) throws IOException {
        GZIPInputStream gz = new GZIPInputStream(in, 1 << 16);
        TarReader tar = new TarReader(gz);
        for (TarReader.Entry te; (te = tar.next()) != null; ) {
            if (!te.isFile()) continue;
            handler.file(te.name(), te.data());
        }
        // Read on to the gzip trailer: a caller hashing in must see every byte, including what follows
        // the tar end blocks.
        gz.transferTo(OutputStream.nullOutputStream());
    }

    /** Hands every file (not directory) of the zip stream {@code in} to {@code handler}. Does not close {@code in}. */
    static void eachZipFile(InputStream in, FileHandler handler) throws IOException {
        ZipInputStream zip = new ZipInputStream(new NonClosing(in));
        for (ZipEntry ze; (ze = zip.getNextEntry()) != null; ) {
            if (!ze.isDirectory()) handler.file(ze.getName(), zip);
        }
    }

    // ---------------------------------------------------------------- Go toolchain zip

    /** Unpacks a toolchain zip from the Go module proxy into a GOROOT. */
    static final class GoZip {
        private GoZip() {}

        /**
         * Extracts every entry, all of which must be under {@code prefix}, into {@code dest} with the prefix
         * stripped. Executable: whatever the zip's Unix modes mark so, and always everything under bin/ and
         * pkg/tool/ (in case a mirror drops the modes). Returns the number of files.
         */
        static int extract(Path zip, String prefix, Path dest) throws IOException {
            Map<String, Integer> modes = unixModes(zip);
            Path root = dest.toAbsolutePath().normalize();
            Files.createDirectories(root);
            int files = 0;
            try (ZipFile zf = new ZipFile(zip.toFile())) {
                for (Enumeration<? extends ZipEntry> en = zf.entries(); en.hasMoreElements(); ) {
                    ZipEntry ze = en.nextElement();
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
                    Integer mode = modes.get(name);
                    if (rel.startsWith("bin/") || rel.startsWith("pkg/tool/") || (mode != null && (mode & 0111) != 0)) {
                        makeExecutable(target);
                    }
                    files++;
                }
            }
            return files;
        }

        /**
         * The Unix modes in a zip's central directory (external attributes of entries "made by" Unix), by
         * entry name. Empty for a ZIP64 archive or anything unexpected: the modes are a nicety.
         */
        static Map<String, Integer> unixModes(Path zip) throws IOException {
            Map<String, Integer> modes = new HashMap<>();
            try (FileChannel ch = FileChannel.open(zip, StandardOpenOption.READ)) {
                long size = ch.size();
                int tailLen = (int) Math.min(size, 22 + 65_535); // end record + longest comment
                ByteBuffer tail = ByteBuffer.allocate(tailLen).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, tail, size - tailLen);
                int eocd = -1;
                for (int i = tailLen - 22; i >= 0; i--) {
                    if (tail.getInt(i) == 0x06054b50) { eocd = i; break; }
                }
                if (eocd < 0) return modes;
                long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
                long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
                if (cdOffset == 0xffffffffL || cdSize > Integer.MAX_VALUE || cdOffset + cdSize > size) return modes;
                ByteBuffer cd = ByteBuffer.allocate((int) cdSize).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, cd, cdOffset);
                int p = 0;
                while (p + 46 <= cd.limit() && cd.getInt(p) == 0x02014b50) {
                    int madeBy = (cd.getShort(p + 4) & 0xffff) >>> 8;
                    int nameLen = cd.getShort(p + 28) & 0xffff;
                    int extraLen = cd.getShort(p + 30) & 0xffff;
                    int commentLen = cd.getShort(p + 32) & 0xffff;
                    long external = cd.getInt(p + 38) & 0xffffffffL;
                    if (p + 46 + nameLen > cd.limit()) break;
                    if (madeBy == 3) { // Unix: st_mode in the high 16 bits
                        modes.put(new String(cd.array(), p + 46, nameLen, StandardCharsets.UTF_8), (int) (external >>> 16));
                    }
                    p += 46 + nameLen + extraLen + commentLen;
                }
            }
            return modes;
        }

        private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
            while (buf.hasRemaining()) {
                if (ch.read(buf, position + buf.position()) < 0) throw new EOFException("zip: truncated");
            }
            buf.flip();
        }
    }

    // ---------------------------------------------------------------- tar

    /** Minimal ustar/pax/GNU tar reader: regular files, ustar prefix, pax "path"/"size", GNU long names. */
    static final class TarReader {
        record Entry(String name, char type, long size, InputStream data) {
            boolean isFile() { return type == '0' || type == '\0' || type == '7'; }
        }

        private final InputStream in;
        private final byte[] header = new byte[512];
        private Bounded current;
        private boolean done;

        TarReader(InputStream in) { this.in = in; }

        Entry next() throws IOException {
            if (done) return null;
            skipCurrent();
            String longName = null;
            Long paxSize = null;
            while (true) {
                if (!readBlock(header)) { done = true; return null; }
                if (isZeroBlock(header)) { done = true; return null; }
                verifyChecksum(header);
                char type = (char) (header[156] & 0xff);
                long size = parseNumber(header, 124, 12);
                if (type == 'x' || type == 'g' || type == 'L') {
                    if (size > (1 << 24)) throw new IOException("tar: oversized " + type + " header (" + size + " bytes)");
                    byte[] data = new byte[(int) size];
                    readFully(data);
                    skipFully(pad(size));
                    if (type == 'L') {
                        longName = cString(data, 0, data.length);
                    } else if (type == 'x') {
                        Map<String, String> pax = parsePax(data);
                        if (pax.containsKey("path")) longName = pax.get("path");
                        if (pax.containsKey("size")) paxSize = Long.parseLong(pax.get("size").trim());
                    }
                    continue;
                }
                if (type == 'K') { // GNU long link name: not needed
                    skipFully(size + pad(size));
                    continue;
                }
                String name = longName;
                if (name == null) {
                    name = cString(header, 0, 100);
                    boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
                    String prefix = ustar ? cString(header, 345, 155) : "";
                    if (!prefix.isEmpty()) name = prefix + "/" + name;
                }
                if (paxSize != null) size = paxSize;
                if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6') size = 0;
                current = new Bounded(in, size);
                return new Entry(name, type, size, current);
            }
        }

        private void skipCurrent() throws IOException {
            if (current != null) {
                long size = current.limit;
                current.drain();
                skipFully(pad(size));
                current = null;
            }
        }

        private static long pad(long size) { return (512 - (size % 512)) % 512; }

        private boolean readBlock(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) {
                    if (off == 0) return false;
                    throw new EOFException("tar: truncated header");
                }
                off += n;
            }
            return true;
        }

        private void readFully(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) throw new EOFException("tar: truncated entry");
                off += n;
            }
        }

        private void skipFully(long n) throws IOException {
            byte[] buf = new byte[8192];
            while (n > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, n));
                if (r < 0) throw new EOFException("tar: truncated entry");
                n -= r;
            }
        }

        private static boolean isZeroBlock(byte[] b) {
            for (byte x : b) if (x != 0) return false;
            return true;
        }

        private static void verifyChecksum(byte[] h) throws IOException {
            long stored = parseNumber(h, 148, 8);
            long sum = 0;
            for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
            if (sum != stored) throw new IOException("tar: bad header checksum");
        }

        /** Octal (NUL/space terminated) or GNU base-256 for big sizes. */
        private static long parseNumber(byte[] b, int off, int len) throws IOException {
            if ((b[off] & 0x80) != 0) {
                long v = b[off] & 0x7f;
                for (int i = 1; i < len; i++) v = (v << 8) | (b[off + i] & 0xff);
                return v;
            }
            long v = 0;
            int i = off, end = off + len;
            while (i < end && (b[i] == ' ' || b[i] == 0)) i++;
            for (; i < end && b[i] != 0 && b[i] != ' '; i++) {
                if (b[i] < '0' || b[i] > '7') throw new IOException("tar: bad number in header");
                v = (v << 3) | (b[i] - '0');
            }
            return v;
        }

        private static String cString(byte[] b, int off, int len) {
            int end = off;
            while (end < off + len && b[end] != 0) end++;
            return new String(b, off, end - off, StandardCharsets.UTF_8);
        }

        /** pax records: "%d %s=%s\n" where the number is the record's total length in bytes. */
        private static Map<String, String> parsePax(byte[] data) throws IOException {
            Map<String, String> m = new LinkedHashMap<>();
            int i = 0;
            while (i < data.length) {
                int sp = i;
                while (sp < data.length && data[sp] != ' ') sp++;
                if (sp >= data.length) break;
                int len;
                try {
                    len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    throw new IOException("tar: bad pax record");
                }
                if (len <= 0 || i + len > data.length) throw new IOException("tar: bad pax record length");
                String rec = new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8); // drop '\n'
                int eq = rec.indexOf('=');
                if (eq > 0) m.put(rec.substring(0, eq), rec.substring(eq + 1));
                i += len;
            }
            return m;
        }
    }

    /** Reads at most {@code limit} bytes of the underlying stream; close() is a no-op. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        final long limit;
        private long left;

        Bounded(InputStream in, long limit) {
            this.in = in;
            this.limit = limit;
            this.left = limit;
        }

        @Override public int read() throws IOException {
            if (left <= 0) return -1;
            int b = in.read();
            if (b < 0) throw new EOFException("tar: truncated entry");
            left--;
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("tar: truncated entry");
            left -= n;
            return n;
        }

        void drain() throws IOException {
            byte[] buf = new byte[8192];
            while (left > 0) {
                if (read(buf, 0, buf.length) < 0) break;
            }
        }

        @Override public void close() {}
    }

    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) { super(in); }
        @Override public void close() {}
    }

    // ---------------------------------------------------------------- file modes

    static void makeExecutable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            if (!p.toFile().setExecutable(true, false)) throw new IOException("cannot make " + p + " executable");
        }
    }
}
