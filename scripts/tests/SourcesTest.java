import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each file names the library files it uses, once, in its own `//SOURCES` lines, and JBang
 * follows them: a script lists what it uses itself, never what those files need in turn. A
 * lib class used without its line would compile only by luck of another script's list; a line
 * for a class no longer used drags it into every build. The lines are paths from the file's own
 * folder into the wings of scripts/lib, and a wing names only wings below it (README's table).
 */
class SourcesTest {
    private static final Pattern SOURCES = Pattern.compile("(?m)^//SOURCES (\\S+)$");
    private static final Pattern WING_ROW = Pattern.compile("(?m)^\\| `([a-z0-9]+)` \\| (\\d+) \\|");
    private static final Pattern RUNS_UP = Pattern.compile("(?m)^- runs up: `([a-z0-9]+/[A-Za-z0-9]+\\.java) -> ([a-z0-9]+/[A-Za-z0-9]+\\.java)`");

    @Test
    void everyFileListsExactlyTheLibClassesItUses() throws IOException {
        Path root = Repo.root().resolve("scripts");
        var lib = libFiles(root.resolve("lib"));
        var files = new ArrayList<Path>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.toString().endsWith(".java") && !p.getFileName().toString().equals("test.java")).forEach(files::add);
        }
        files.addAll(lib.values());
        var problems = new ArrayList<String>();
        for (Path f : files) {
            String text = Files.readString(f);
            String own = lib.containsValue(f) ? f.getFileName().toString().replace(".java", "") : null;
            String code = withoutCommentsAndStrings(text);
            var used = new TreeSet<String>();
            for (String c : lib.keySet()) if (!c.equals(own) && Pattern.compile("\\b" + c + "\\b").matcher(code).find()) used.add(c);
            var listed = new TreeSet<String>();
            var m = SOURCES.matcher(text);
            while (m.find()) {
                // A path from the file's own folder, as JBang reads it: the line must lead to the class's file.
                Path target = f.getParent().resolve(m.group(1)).normalize();
                String name = target.getFileName().toString().replace(".java", "");
                if (!target.equals(lib.get(name))) problems.add(root.relativize(f) + ": //SOURCES " + m.group(1) + " leads to no file of scripts/lib"
                        + (lib.containsKey(name) ? "; " + name + " is at " + root.relativize(lib.get(name)) : ""));
                listed.add(name);
            }
            var missing = new TreeSet<>(used);
            missing.removeAll(listed);
            var extra = new TreeSet<>(listed);
            extra.removeAll(used);
            if (!missing.isEmpty()) problems.add(root.relativize(f) + ": add //SOURCES for " + missing);
            if (!extra.isEmpty()) problems.add(root.relativize(f) + ": drop //SOURCES for " + extra);
        }
        assertEquals(List.of(), problems);
    }

    /** README's table of wings is the order; every lib file stands in one of its wings. */
    @Test
    void aWingNamesOnlyLowerWings() throws IOException {
        Path repo = Repo.root();
        String readme = Files.readString(repo.resolve("README.md"));
        var levels = wingLevels(readme);
        var problems = new ArrayList<String>(wingsStandInTheTable(repo.resolve("scripts/lib"), levels));
        problems.addAll(upwardArrows(repo.resolve("scripts/lib"), levels, allowedUp(readme)));
        assertEquals(List.of(), problems);
    }

    /** The check itself can fail: a lower wing that names a higher one, or one of its level, is reported by name. */
    @Test
    void aWrongArrowIsReported(@TempDir Path lib) throws IOException {
        Files.createDirectories(lib.resolve("tools"));
        Files.createDirectories(lib.resolve("verify"));
        Files.createDirectories(lib.resolve("lifecycle"));
        Files.writeString(lib.resolve("tools/Exec.java"), "//SOURCES ../verify/ChartChecks.java\nclass Exec {}\n");
        Files.writeString(lib.resolve("verify/ChartChecks.java"), "//SOURCES ../tools/Exec.java\n//SOURCES ../lifecycle/Installer.java\nclass ChartChecks {}\n");
        Files.writeString(lib.resolve("lifecycle/Installer.java"), "//SOURCES ../tools/Exec.java\nclass Installer {}\n");
        var levels = Map.of("tools", 1, "verify", 8, "lifecycle", 8);
        assertEquals(List.of("tools/Exec.java -> verify/ChartChecks.java: tools (level 1) may not use verify (level 8)",
                "verify/ChartChecks.java -> lifecycle/Installer.java: verify (level 8) may not use lifecycle (level 8)"),
                upwardArrows(lib, levels, Set.of()));
        assertEquals(List.of("verify/ChartChecks.java -> lifecycle/Installer.java: verify (level 8) may not use lifecycle (level 8)"),
                upwardArrows(lib, levels, Set.of("tools/Exec.java -> verify/ChartChecks.java")));
        assertEquals(List.of("lifecycle/: a wing that README's table of wings does not name"), wingsStandInTheTable(lib, Map.of("tools", 1, "verify", 8)));
    }

    static Map<String, Integer> wingLevels(String readme) {
        var levels = new TreeMap<String, Integer>();
        int at = readme.indexOf("### Wings of `scripts/lib`");
        if (at < 0) return levels;
        int next = readme.indexOf("\n#", at + 1);
        var m = WING_ROW.matcher(readme.substring(at, next < 0 ? readme.length() : next));
        while (m.find()) levels.put(m.group(1), Integer.parseInt(m.group(2)));
        return levels;
    }

    static Set<String> allowedUp(String readme) {
        var allowed = new TreeSet<String>();
        var m = RUNS_UP.matcher(readme);
        while (m.find()) allowed.add(m.group(1) + " -> " + m.group(2));
        return allowed;
    }

    static List<String> wingsStandInTheTable(Path lib, Map<String, Integer> levels) throws IOException {
        var problems = new ArrayList<String>();
        try (Stream<Path> s = Files.list(lib)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!Files.isDirectory(p)) problems.add(n + ": a file outside every wing; put it in the wing of its responsibility");
                else if (!levels.containsKey(n)) problems.add(n + "/: a wing that README's table of wings does not name");
            }
        }
        return problems;
    }

    /** Every //SOURCES line of a lib file that leads into a wing of its own level or above, less the arrows README allows. */
    static List<String> upwardArrows(Path lib, Map<String, Integer> levels, Set<String> allowed) throws IOException {
        var problems = new ArrayList<String>();
        for (Path f : libFiles(lib).values()) {
            String from = lib.relativize(f).toString();
            String wing = from.substring(0, from.indexOf('/'));
            var m = SOURCES.matcher(Files.readString(f));
            while (m.find()) {
                String to = lib.relativize(f.getParent().resolve(m.group(1)).normalize()).toString();
                int slash = to.indexOf('/');
                String other = slash < 0 ? "" : to.substring(0, slash);
                if (other.equals(wing) || allowed.contains(from + " -> " + to)) continue;
                Integer a = levels.get(wing), b = levels.get(other);
                if (a == null || b == null || b >= a) problems.add(from + " -> " + to + ": " + wing + " (level " + a + ") may not use " + other + " (level " + b + ")");
            }
        }
        problems.sort(null);
        return problems;
    }

    /** Every .java file under lib, by class name. */
    static Map<String, Path> libFiles(Path lib) throws IOException {
        var files = new TreeMap<String, Path>();
        try (Stream<Path> s = Files.walk(lib)) {
            s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(p -> files.put(p.getFileName().toString().replace(".java", ""), p));
        }
        return files;
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
