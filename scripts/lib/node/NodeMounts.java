//SOURCES ../tools/Exec.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Mounts, as /proc/self/mountinfo lists them: which are under the node's folder, and unmounting them. */
final class NodeMounts {
    private NodeMounts() {}

    record Mount(Path point, String fstype) {}

    static List<Mount> mounts() {
        var out = new ArrayList<Mount>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                var m = parseMountinfo(line);
                if (m != null) out.add(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** One /proc/self/mountinfo line: field 5 is the mount point, the first after " - " the type. */
    static Mount parseMountinfo(String line) {
        String[] f = line.split(" ");
        int dash = List.of(f).indexOf("-");
        if (f.length < 5 || dash < 0 || dash + 1 >= f.length) return null;
        return new Mount(Path.of(unescape(f[4])), f[dash + 1]);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Mount points at or under dir, deepest first (the order to unmount them in). */
    static List<Path> mountsUnder(Path dir) {
        var out = new ArrayList<Path>();
        for (var m : mounts()) if (m.point().startsWith(dir) && !out.contains(m.point())) out.add(m.point());
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Unmounts everything under dir (a mount may have been mounted twice: repeat). */
    static List<String> unmountUnder(Path dir) {
        for (int round = 0; round < 5; round++) {
            var points = mountsUnder(dir);
            if (points.isEmpty()) return List.of();
            for (Path p : points) {
                var r = Exec.run(List.of("umount", p.toString()), Duration.ofSeconds(30));
                if (!r.ok()) Exec.run(List.of("umount", "-l", p.toString()), Duration.ofSeconds(30));
            }
        }
        return mountsUnder(dir).stream().map(p -> "mount " + p).toList();
    }
}
