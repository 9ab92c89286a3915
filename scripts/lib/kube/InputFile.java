//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A file a user names on the command line, read only when it is a regular file of a stated
 * size at most: a FIFO would block forever, /dev/zero never ends, a directory has no content,
 * and a file of 50 MB makes helm render for minutes. A regular file of bounded size is read in
 * bounded time. Every refusal is one line, exit code 2, naming the option, the file and the limit.
 */
final class InputFile {
    private InputFile() {}

    static final long MIB = 1024 * 1024;

    /** Refused unless file is a regular file (symlinks followed) of at most max bytes; why says where the limit comes from. */
    static void check(String option, Path file, long max, String why) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Problem.BadInput(option + ": " + file + " does not exist");
        } catch (IOException e) {
            throw new Problem.BadInput(option + ": cannot read " + file + " (" + e.getMessage() + ")");
        }
        if (a.isDirectory()) throw new Problem.BadInput(option + ": " + file + " is a directory; give a file");
        if (!a.isRegularFile()) {
            throw new Problem.BadInput(option + ": " + file + " is not a regular file (a FIFO, device or socket "
                    + "could block or never end); give a regular file");
        }
        if (a.size() > max) throw tooBig(option, file, a.size(), max, why);
        if (!Files.isReadable(file)) throw new Problem.BadInput(option + ": " + file + " is not readable");
    }

    /** The file's bytes, after {@link #check}; a file that grows past max while read is refused too. */
    static byte[] read(String option, Path file, long max, String why) {
        check(option, file, max, why);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = in.readNBytes((int) max + 1);
            if (buf.length > max) throw tooBig(option, file, buf.length, max, why);
            return buf;
        } catch (IOException e) {
            throw new Problem.BadInput(option + ": cannot read " + file + " (" + e.getMessage() + ")");
        }
    }

    /** The file as UTF-8 text, after {@link #check}; invalid UTF-8 is refused, not replaced. */
    static String readString(String option, Path file, long max, String why) {
        byte[] b = read(option, file, max, why);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new Problem.BadInput(option + ": " + file + " is not UTF-8 text");
        }
    }

    private static Problem tooBig(String option, Path file, long size, long max, String why) {
        String is = size > max + 1 ? human(size) : "over " + human(max);
        return new Problem.BadInput(option + ": " + file + " is " + is + "; at most " + human(max) + " is accepted (" + why + ")");
    }

    static String human(long bytes) {
        if (bytes >= MIB && bytes % MIB == 0) return (bytes / MIB) + " MiB";
        if (bytes >= MIB) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
        if (bytes >= 1024 && bytes % 1024 == 0) return (bytes / 1024) + " KiB";
        return bytes + " bytes";
    }
}
