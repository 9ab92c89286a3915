//SOURCES Report.java

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A random marker that every secret value of a run carries, and the env files that hold such
 * values, so that one search for the marker proves no secret was printed: not in the scripts'
 * output, not in a report line, not in a diagnostics file, not in a file a script left behind.
 * A second marker goes into release values, which can hold credentials too.
 */
final class SecretMarker {
    private final String value = "tvr-secret-" + HexFormat.of().formatHex(SecureRandom.getSeed(6));
    private final String valuesValue = "tvr-values-" + HexFormat.of().formatHex(SecureRandom.getSeed(6));
    private final Path dir;

    /** Env files go to dir. */
    SecretMarker(Path dir) { this.dir = dir; }

    String value() { return value; }

    /** The marker to put into release values (not a secret: it may be printed, as in an upgrade's diff). */
    String valuesValue() { return valuesValue; }

    /**
     * How a marker can read in a file: as it is, or inside base64 (a Secret's data) at any of
     * the three byte alignments, the characters the neighbouring bytes change left out.
     */
    static List<String> forms(String marker) {
        var out = new ArrayList<String>(List.of(marker));
        for (int pad = 0; pad < 3; pad++) {
            byte[] bytes = ("\0".repeat(pad) + marker).getBytes(StandardCharsets.UTF_8);
            String enc = Base64.getEncoder().withoutPadding().encodeToString(bytes);
            int from = pad == 0 ? 0 : 4; // the first group holds padding bytes
            int rest = bytes.length % 3;
            int to = enc.length() - (rest == 0 ? 0 : rest + 1); // a last, partial group changes with what follows the marker
            out.add(enc.substring(from, to));
        }
        return out;
    }

    /**
     * Files under roots changed since `since` that hold either marker in any form: what a
     * script left where scripts write (temp folders, caches, the checkout). skip: folders where
     * a marker belongs (the env files, the cluster's own database).
     */
    List<String> writtenUnder(List<Path> roots, Instant since, Collection<Path> skip) throws IOException {
        var forms = new ArrayList<>(forms(value));
        forms.addAll(forms(valuesValue));
        var found = new ArrayList<String>();
        var skipped = skip.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    return skipped.contains(d.toAbsolutePath().normalize()) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (!a.isRegularFile() || a.size() > 64L << 20 || a.lastModifiedTime().toInstant().isBefore(since)) return FileVisitResult.CONTINUE;
                    try {
                        String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                        if (forms.stream().anyMatch(text::contains)) found.add(f.toString());
                    } catch (IOException e) {
                        // gone or unreadable meanwhile: another process's temp file
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult visitFileFailed(Path f, IOException e) { return FileVisitResult.CONTINUE; }
            });
        }
        return found;
    }

    /** Values YAML would retype (y, n, 0o17), spaces around a value, and a key that b.env drops. */
    Map<String, String> envA() {
        var m = new LinkedHashMap<String, String>();
        m.put("DATABASE_URL", "postgresql://trevor:" + value + "-a@db:5432/trevor");
        m.put("OLD_TOKEN", value + "-old");
        m.put("YES", "y");
        m.put("NO", "n");
        m.put("UPPER_YES", "Y");
        m.put("UPPER_NO", "N");
        m.put("OCTAL", "0o17");
        m.put("SPACED", " " + value + " with spaces ");
        return m;
    }

    /** a.env with one value changed, one key removed and one added. */
    Map<String, String> envB() {
        var m = new LinkedHashMap<>(envA());
        m.put("DATABASE_URL", "postgresql://trevor:" + value + "-b@db:5432/trevor");
        m.remove("OLD_TOKEN");
        m.put("EXTRA", value + "-extra");
        return m;
    }

    /** Values no YAML parser retypes: installs that are not about the Secret's contents use these. */
    Map<String, String> plain(int n) {
        var m = new LinkedHashMap<String, String>();
        m.put("DATABASE_URL", "postgresql://trevor:" + value + "-plain" + n + "@db:5432/trevor");
        m.put("REDIS_URL", "redis://:" + value + "@redis:6379/0");
        return m;
    }

    /** a.env, b.env, plain1.env and plain2.env. */
    void writeEnvFiles() throws IOException {
        for (var e : Map.of("a.env", envA(), "b.env", envB(), "plain1.env", plain(1), "plain2.env", plain(2)).entrySet()) {
            var sb = new StringBuilder("# written by safety.java\n");
            e.getValue().forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            Files.writeString(env(e.getKey()), sb);
        }
    }

    Path env(String file) { return dir.resolve(file); }

    /** Where the marker was printed: the scripts' transcript, report lines, files under diagnostics; empty when nowhere. */
    List<String> printedIn(String transcript, List<Report.Result> results, Path diagnostics) throws IOException {
        var where = new ArrayList<String>();
        if (transcript.contains(value)) {
            int i = transcript.indexOf(value);
            where.add("script output: …" + transcript.substring(Math.max(0, i - 120), i).replace('\n', ' ') + "[value]");
        }
        for (var r : results) {
            if ((r.detail() + r.context() + r.name()).contains(value)) where.add("report line of '" + r.name() + "'");
        }
        if (Files.isDirectory(diagnostics)) {
            try (Stream<Path> files = Files.walk(diagnostics)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    if (Files.readString(f, StandardCharsets.ISO_8859_1).contains(value)) where.add("diagnostics file " + f);
                }
            }
        }
        return where;
    }
}
