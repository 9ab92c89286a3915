import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A folder described before it exists: files (relative path to text) and links (relative path
 * to a folder or file elsewhere). A batch's charts are described first and written only when
 * helm has to run: a remembered run needs the description, not the files.
 */
final class Layout {
    final Map<String, String> files = new TreeMap<>();
    final Map<String, Path> links = new TreeMap<>();

    Layout file(String path, String text) {
        files.put(path, text);
        return this;
    }

    Layout link(String path, Path target) {
        links.put(path, target.toAbsolutePath().normalize());
        return this;
    }

    /** Everything that makes it what it is: the texts, and each link's target by its bytes. */
    String describe(Function<Path, String> digest) {
        var b = new StringBuilder();
        files.forEach((p, t) -> b.append("file ").append(p).append(' ').append(t.length()).append('\n').append(t).append('\n'));
        links.forEach((p, t) -> b.append("link ").append(p).append(' ').append(t).append(' ').append(digest.apply(t)).append('\n'));
        return b.toString();
    }

    /** Writes it under dir. */
    void write(Path dir) {
        try {
            for (var e : files.entrySet()) {
                Path f = dir.resolve(e.getKey());
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue());
            }
            for (var e : links.entrySet()) {
                Path l = dir.resolve(e.getKey());
                Files.createDirectories(l.getParent());
                Files.createSymbolicLink(l, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
