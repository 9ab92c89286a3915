//SOURCES ChartFixtures.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Tools.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * helm-unittest, built from its Go module into the tool cache, and the suite in
 * scripts/bench/helm-unittest/ that does what verify does, for the bench to compare the two.
 * The module's go.mod has a replace directive, so `go install module@version` refuses it:
 * the module is downloaded as Go itself would (`go mod download`, from the user's GOPROXY) and
 * built in a writable copy.
 */
final class HelmUnittest {
    private HelmUnittest() {}

    static final String VERSION = "1.1.2";
    static final String MODULE = "github.com/helm-unittest/helm-unittest";

    /** The binary, or why there is none. */
    record Built(Path binary, String why) {}

    /** Copies of the charts with the suite in their tests/ folders, under dir. */
    record Suite(Path dir, List<Path> charts, int jobs, int assertions, int files) {
        List<String> command(Path binary) {
            var cmd = new ArrayList<>(List.of(binary.toString(), "--color=false"));
            charts.forEach(c -> cmd.add(c.toString()));
            return cmd;
        }

        String summary() { return jobs + " test jobs (one render each), " + assertions + " assertions, " + files + " suite files, " + charts.size() + " charts"; }
    }

    static Path binary() { return Tools.cacheDir().resolve("tools").resolve("helm-unittest-" + VERSION).resolve("helm-unittest"); }

    /** The cached binary, built first if go is there. */
    static Built build(Consumer<String> progress) throws IOException {
        Path bin = binary();
        if (Files.isExecutable(bin)) return new Built(bin, null);
        Path go = go();
        if (go == null) {
            return new Built(null, "no `go` on PATH (or in TREVOR_GO): helm-unittest " + VERSION + " is built from its Go module, which needs go");
        }
        progress.accept("building helm-unittest " + VERSION + " from its Go module into " + bin.getParent() + " (once, about a minute)...");
        var env = Map.of("GOFLAGS", "-mod=mod -buildvcs=false", "CGO_ENABLED", "0");
        var dl = Exec.run(List.of(go.toString(), "mod", "download", "-json", MODULE + "@v" + VERSION), null, env, Duration.ofMinutes(10), null);
        var dir = Pattern.compile("\"Dir\":\\s*\"([^\"]+)\"").matcher(dl.out());
        if (!dl.ok() || !dir.find()) return new Built(null, "go mod download " + MODULE + "@v" + VERSION + " failed: " + dl.said());
        Files.createDirectories(bin.getParent());
        Path work = Files.createTempDirectory(bin.getParent(), "build-");
        try {
            Path src = work.resolve("src");
            Dirs.copyTree(Path.of(dir.group(1)), src);
            try (Stream<Path> files = Files.walk(src)) {
                files.forEach(p -> p.toFile().setWritable(true, true)); // the module cache is read-only
            }
            Path out = work.resolve("helm-unittest");
            var b = Exec.run(List.of(go.toString(), "build", "-trimpath", "-ldflags",
                    "-s -w -X " + MODULE + "/internal/build.version=" + VERSION, "-o", out.toString(), "./cmd/helm-unittest"),
                    src, env, Duration.ofMinutes(20), null);
            if (!b.ok()) return new Built(null, "go build of helm-unittest " + VERSION + " failed: " + b.said());
            Files.move(out, bin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Built(bin, null);
        } finally {
            Dirs.deleteTree(work);
        }
    }

    private static Path go() {
        String override = System.getenv("TREVOR_GO");
        if (override != null && !override.isBlank()) return Files.isExecutable(Path.of(override)) ? Path.of(override) : null;
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, "go");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * The charts as helm-unittest wants them: each with its suite in tests/ (and this
     * repository's values/ in tests/values/), plus the parent chart verify builds.
     */
    static Suite prepare(Path repo) throws IOException {
        Path dir = Files.createTempDirectory("trevor-bench-");
        Path suites = repo.resolve("scripts/bench/helm-unittest");
        Path trevor = dir.resolve("trevor"), deps = dir.resolve("trevor-dev-deps"), platform = dir.resolve("platform");
        Dirs.copyTree(repo.resolve("helm/trevor"), trevor);
        Dirs.copyTree(repo.resolve("values"), trevor.resolve("tests/values"));
        Dirs.copyTree(repo.resolve("helm/trevor-dev-deps"), deps);
        ChartFixtures.platform(repo.resolve("helm/trevor")).write(repo.resolve("helm/trevor"), platform);
        int jobs = 0, assertions = 0, files = 0;
        for (var e : Map.of(trevor, "trevor", deps, "trevor-dev-deps", platform, "platform").entrySet()) {
            try (Stream<Path> list = Files.list(suites.resolve(e.getValue()))) {
                for (Path f : list.filter(p -> p.toString().endsWith("_test.yaml")).sorted().toList()) {
                    Files.createDirectories(e.getKey().resolve("tests"));
                    Files.copy(f, e.getKey().resolve("tests").resolve(f.getFileName()));
                    files++;
                    // Counted by their lines: the suites reuse assertions through YAML aliases.
                    String text = Files.readString(f);
                    String tests = text.substring(Math.max(0, text.indexOf("\ntests:")));
                    jobs += (int) tests.lines().filter(l -> l.startsWith("  - it:")).count();
                    assertions += (int) tests.lines().filter(l -> l.startsWith("      - ")).count();
                }
            } catch (UncheckedIOException x) {
                throw x.getCause();
            }
        }
        return new Suite(dir, List.of(trevor, deps, platform), jobs, assertions, files);
    }
}
