//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Debian mirrors this machine's apt already uses, read from its own sources
 * ({@code /etc/apt/sources.list}, {@code /etc/apt/sources.list.d/*.list} and {@code *.sources}),
 * so that no mirror is ever named in this repository. {@code TREVOR_APT_SOURCES=FILE} replaces
 * them with the entries of FILE (one-line format, or deb822 when it ends in {@code .sources}).
 */
final class AptSources {
    private AptSources() {}

    /** One binary-package source: {@code deb [signed-by=KEYRING] URI SUITE COMPONENT...}. */
    record Source(String uri, String suite, List<String> components, String signedBy) {
        /** The one-line form mmdebstrap takes as a MIRROR argument. */
        String line() {
            String opts = signedBy == null ? "" : "[signed-by=" + signedBy + "] ";
            return "deb " + opts + uri + " " + suite + " " + String.join(" ", components);
        }
    }

    /** Entries of a sources.list file; deb-src lines and comments are skipped. */
    static List<Source> parseOneLine(String text) {
        var out = new ArrayList<Source>();
        for (String raw : text.lines().toList()) {
            String line = raw.replaceFirst("#.*$", "").strip();
            if (!line.startsWith("deb ") && !line.startsWith("deb\t")) continue;
            String rest = line.substring(3).strip();
            String signedBy = null;
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close < 0) continue;
                for (String opt : rest.substring(1, close).strip().split("\\s+")) {
                    int eq = opt.indexOf('=');
                    if (eq > 0 && opt.substring(0, eq).equalsIgnoreCase("signed-by")) signedBy = opt.substring(eq + 1);
                }
                rest = rest.substring(close + 1).strip();
            }
            String[] f = rest.split("\\s+");
            if (f.length < 2) continue;
            out.add(new Source(f[0], f[1], List.of(f).subList(2, f.length), signedBy));
        }
        return out;
    }

    /**
     * Entries of a deb822 .sources file. Stanzas with {@code Enabled: no} or without the
     * {@code deb} type are skipped; a Signed-By that holds an inline key (not a file) is dropped,
     * leaving the key choice to apt's own keyrings.
     */
    static List<Source> parseDeb822(String text) {
        var out = new ArrayList<Source>();
        for (Map<String, String> st : stanzas(text)) {
            if ("no".equalsIgnoreCase(st.getOrDefault("enabled", "yes").strip())) continue;
            if (!List.of(st.getOrDefault("types", "").strip().split("\\s+")).contains("deb")) continue;
            String signedBy = st.get("signed-by");
            if (signedBy != null && (signedBy.contains("\n") || signedBy.isBlank())) signedBy = null;
            var components = List.of(st.getOrDefault("components", "").strip().split("\\s+")).stream()
                    .filter(s -> !s.isEmpty()).toList();
            for (String uri : st.getOrDefault("uris", "").strip().split("\\s+")) {
                if (uri.isEmpty()) continue;
                for (String suite : st.getOrDefault("suites", "").strip().split("\\s+")) {
                    if (!suite.isEmpty()) out.add(new Source(uri, suite, components, signedBy == null ? null : signedBy.strip()));
                }
            }
        }
        return out;
    }

    private static List<Map<String, String>> stanzas(String text) {
        var out = new ArrayList<Map<String, String>>();
        var cur = new LinkedHashMap<String, String>();
        String last = null;
        for (String line : text.lines().toList()) {
            if (line.startsWith("#")) continue;
            if (line.isBlank()) {
                if (!cur.isEmpty()) out.add(cur);
                cur = new LinkedHashMap<>();
                last = null;
            } else if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
                cur.put(last, cur.get(last) + "\n" + line.strip());
            } else {
                int colon = line.indexOf(':');
                if (colon <= 0) continue;
                last = line.substring(0, colon).strip().toLowerCase();
                cur.put(last, line.substring(colon + 1).strip());
            }
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    /** Only the given release's suites (bookworm, bookworm-updates, bookworm-security…), deduplicated. */
    static List<Source> forSuite(List<Source> all, String codename) {
        var out = new ArrayList<Source>();
        for (Source s : all) {
            boolean ours = s.suite().equals(codename) || s.suite().startsWith(codename + "-") || s.suite().startsWith(codename + "/");
            if (ours && !out.contains(s)) out.add(s);
        }
        return out;
    }

    /** Every entry of the files apt reads under {@code etcApt} (normally /etc/apt). */
    static List<Source> read(Path etcApt) {
        var out = new ArrayList<Source>();
        Path list = etcApt.resolve("sources.list");
        if (Files.isRegularFile(list)) out.addAll(parseOneLine(readString(list)));
        Path dir = etcApt.resolve("sources.list.d");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".list")) out.addAll(parseOneLine(readString(f)));
                    else if (n.endsWith(".sources")) out.addAll(parseDeb822(readString(f)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /**
     * The sources for {@code codename}: from {@code TREVOR_APT_SOURCES} when set, else the host's.
     * Fails with a message naming where it looked when there are none.
     */
    static List<Source> forRelease(String codename) {
        String override = System.getenv("TREVOR_APT_SOURCES");
        List<Source> all;
        String where;
        if (override != null && !override.isBlank()) {
            Path f = Path.of(override);
            if (!Files.isRegularFile(f)) throw new Problem.ToolMissing("TREVOR_APT_SOURCES=" + override + " is not a file");
            all = f.toString().endsWith(".sources") ? parseDeb822(readString(f)) : parseOneLine(readString(f));
            where = "TREVOR_APT_SOURCES=" + override;
        } else {
            all = read(Path.of("/etc/apt"));
            where = "/etc/apt/sources.list and /etc/apt/sources.list.d/";
        }
        var ours = forSuite(all, codename);
        if (ours.isEmpty()) {
            throw new Problem.ToolMissing("no apt source for Debian " + codename + " in " + where
                    + ". The image root filesystems are pinned to Debian " + codename + " packages; set TREVOR_APT_SOURCES to a file"
                    + " with lines like 'deb MIRROR-URL " + codename + " main' (and " + codename + "-updates, " + codename
                    + "-security) for a mirror you may use.");
        }
        return ours;
    }

    private static String readString(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
