//SOURCES Report.java

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A random marker that every secret value of a run carries, and the env files that hold such
 * values, so that one search for the marker proves no secret was printed: not in the scripts'
 * output, not in a report line, not in a diagnostics file.
 */
final class SecretMarker {
    private final String value = "tvr-secret-" + HexFormat.of().formatHex(SecureRandom.getSeed(6));
    private final Path dir;

    /** Env files go to dir. */
    SecretMarker(Path dir) { this.dir = dir; }

    String value() { return value; }

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
