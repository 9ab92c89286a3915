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
        problems.addAll(upwardArrows(repo.resolve("scripts/lib"), levels));
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
                upwardArrows(lib, levels));
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

    static final String DRAWING_START = "```mermaid\nflowchart TD\n", DRAWING_END = "```\n";

    /** README draws the wings and the //SOURCES lines between them, and the drawing is what the code has today. */
    @Test
    void readmeDrawsTheWingsAsTheCodeHasThem() throws IOException {
        Path repo = Repo.root();
        String readme = Files.readString(repo.resolve("README.md"));
        String want = wingDrawing(repo.resolve("scripts/lib"), wingLevels(readme));
        int at = readme.indexOf(DRAWING_START, Math.max(0, readme.indexOf("### Wings of `scripts/lib`")));
        int end = at < 0 ? -1 : readme.indexOf(DRAWING_END, at + DRAWING_START.length());
        String have = end < 0 ? "(no mermaid flowchart under \"### Wings of `scripts/lib`\")" : readme.substring(at, end + DRAWING_END.length());
        assertEquals(want, have, "README's drawing of the wings is not what the //SOURCES lines say; put this in its place:\n" + want);
    }

    /** The check itself can fail: an arrow the drawing does not show changes the drawing. */
    @Test
    void aNewArrowChangesTheDrawing(@TempDir Path lib) throws IOException {
        Files.createDirectories(lib.resolve("tools"));
        Files.createDirectories(lib.resolve("verify"));
        Files.writeString(lib.resolve("tools/Exec.java"), "class Exec {}\n");
        Files.writeString(lib.resolve("verify/ChartChecks.java"), "class ChartChecks {}\n");
        var levels = Map.of("tools", 1, "verify", 8);
        String before = wingDrawing(lib, levels);
        Files.writeString(lib.resolve("verify/ChartChecks.java"), "//SOURCES ../tools/Exec.java\nclass ChartChecks {}\n");
        String after = wingDrawing(lib, levels);
        assertEquals(false, before.contains("verify -->"), before);
        assertEquals(true, after.contains("    verify --> tools\n"), after);
    }

    /**
     * A mermaid flowchart: each wing a box (its level and files), highest level on top, and an
     * arrow from a wing to each wing its files name. Counts of lines would make every edit redraw it.
     */
    static String wingDrawing(Path lib, Map<String, Integer> levels) throws IOException {
        var files = new TreeMap<String, Integer>();
        var arrows = new TreeSet<String>();
        for (Path f : libFiles(lib).values()) {
            String from = lib.relativize(f).toString();
            String wing = from.substring(0, from.indexOf('/'));
            String text = Files.readString(f);
            files.merge(wing, 1, Integer::sum);
            var m = SOURCES.matcher(text);
            while (m.find()) {
                String to = lib.relativize(f.getParent().resolve(m.group(1)).normalize()).toString();
                int slash = to.indexOf('/');
                String other = slash < 0 ? "" : to.substring(0, slash);
                if (!other.equals(wing)) arrows.add(wing + " --> " + other);
            }
        }
        var wings = new ArrayList<>(files.keySet());
        wings.sort(java.util.Comparator.comparing((String w) -> -levels.getOrDefault(w, 0)).thenComparing(w -> w));
        var out = new StringBuilder(DRAWING_START);
        for (String w : wings) {
            out.append(String.format(java.util.Locale.ROOT, "    %s[\"%s · level %s · %d files\"]%n", w, w, levels.get(w), files.get(w)));
        }
        var ordered = new ArrayList<>(arrows);
        ordered.sort(java.util.Comparator.comparing((String a) -> wings.indexOf(a.substring(0, a.indexOf(' ')))).thenComparing(a -> a));
        for (String a : ordered) out.append("    ").append(a).append('\n');
        return out.append(DRAWING_END).toString();
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

    /** Every //SOURCES line of a lib file that leads into a wing of its own level or above (none may: JBang loops on a //SOURCES loop across folders). */
    static List<String> upwardArrows(Path lib, Map<String, Integer> levels) throws IOException {
        var problems = new ArrayList<String>();
        for (Path f : libFiles(lib).values()) {
            String from = lib.relativize(f).toString();
            String wing = from.substring(0, from.indexOf('/'));
            var m = SOURCES.matcher(Files.readString(f));
            while (m.find()) {
                String to = lib.relativize(f.getParent().resolve(m.group(1)).normalize()).toString();
                int slash = to.indexOf('/');
                String other = slash < 0 ? "" : to.substring(0, slash);
                if (other.equals(wing)) continue;
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
