import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Each file names the library files it uses, once, in its own `//SOURCES` lines, and JBang
 * follows them: a script lists what it uses itself, never what those files need in turn. A
 * lib class used without its line would compile only by luck of another script's list; a line
 * for a class no longer used drags it into every build.
 */
class SourcesTest {
    private static final Pattern SOURCES = Pattern.compile("(?m)^//SOURCES (?:lib/)?([A-Za-z0-9]+)\\.java$");

    @Test
    void everyFileListsExactlyTheLibClassesItUses() throws IOException {
        Path root = Repo.root().resolve("scripts");
        var lib = new TreeSet<String>();
        try (Stream<Path> s = Files.list(root.resolve("lib"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java")).forEach(n -> lib.add(n.substring(0, n.length() - 5)));
        }
        var files = new ArrayList<Path>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.toString().endsWith(".java") && !p.getFileName().toString().equals("test.java")).forEach(files::add);
        }
        try (Stream<Path> s = Files.list(root.resolve("lib"))) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
        }
        var problems = new ArrayList<String>();
        for (Path f : files) {
            String text = Files.readString(f);
            String own = f.getParent().getFileName().toString().equals("lib") ? f.getFileName().toString().replace(".java", "") : null;
            String code = withoutCommentsAndStrings(text);
            var used = new TreeSet<String>();
            for (String c : lib) if (!c.equals(own) && Pattern.compile("\\b" + c + "\\b").matcher(code).find()) used.add(c);
            var listed = new TreeSet<String>();
            var m = SOURCES.matcher(text);
            while (m.find()) listed.add(m.group(1));
            var missing = new TreeSet<>(used);
            missing.removeAll(listed);
            var extra = new TreeSet<>(listed);
            extra.removeAll(used);
            if (!missing.isEmpty()) problems.add(root.relativize(f) + ": add //SOURCES for " + missing);
            if (!extra.isEmpty()) problems.add(root.relativize(f) + ": drop //SOURCES for " + extra);
        }
        assertEquals(List.of(), problems);
    }

    /** Code only: a class named in a comment or a message is not a use of it. */
    static String withoutCommentsAndStrings(String code) {
        var out = new StringBuilder();
        int n = code.length();
        for (int i = 0; i < n; ) {
            if (code.startsWith("\"\"\"", i)) {
                int j = code.indexOf("\"\"\"", i + 3);
                i = j < 0 ? n : j + 3;
            } else if (code.startsWith("//", i)) {
                int j = code.indexOf('\n', i);
                i = j < 0 ? n : j;
            } else if (code.startsWith("/*", i)) {
                int j = code.indexOf("*/", i + 2);
                i = j < 0 ? n : j + 2;
            } else if (code.charAt(i) == '"' || code.charAt(i) == '\'') {
                char q = code.charAt(i++);
                while (i < n && code.charAt(i) != q) i += code.charAt(i) == '\\' ? 2 : 1;
                i++;
                out.append(' ');
            } else {
                out.append(code.charAt(i++));
            }
        }
        return out.toString();
    }
}
