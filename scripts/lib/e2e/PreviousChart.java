//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The chart as an earlier commit had it, read from git history: what users run today, for
 * an upgrade test in the manner of chart-testing's. By default the previous release is the
 * newest commit on main's first-parent line whose Chart.yaml carries another version than
 * the working tree's: the last state of the previous version.
 */
final class PreviousChart {
    private PreviousChart() {}

    static final String CHART = "helm/trevor";

    record Found(String commit, String version, Path chart) {
        String describe() { return "chart " + version + " at " + commit.substring(0, Math.min(10, commit.length())); }
    }

    static Found extract(Path repo, String ref, Path into) {
        if (!Files.exists(repo.resolve(".git"))) throw new Report.Skipped("not a git checkout: no history to take the previous chart from");
        String current;
        try {
            current = version(Files.readString(repo.resolve(CHART).resolve("Chart.yaml")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String commit = ref != null ? git(repo, "rev-parse", "--verify", ref + "^{commit}").strip() : null;
        if (commit == null) {
            // Main's own history (first parents): the newest commit whose chart carried another version is the
            // previous release as it was last, not the commit that first set that version.
            for (String c : git(repo, "rev-list", "--first-parent", "HEAD").lines().toList()) {
                var r = Exec.run(List.of("git", "-C", repo.toString(), "show", c + ":" + CHART + "/Chart.yaml"), Duration.ofSeconds(30));
                if (r.ok() && !version(r.out()).equals(current)) {
                    commit = c;
                    break;
                }
            }
            if (commit == null) throw new Report.Skipped("no commit in history has a chart version other than " + current);
        }
        for (String file : git(repo, "ls-tree", "-r", "--name-only", commit, "--", CHART).lines().toList()) {
            var r = Exec.run(List.of("git", "-C", repo.toString(), "show", commit + ":" + file), Duration.ofSeconds(30));
            if (!r.ok()) throw new Problem.BadInput("git show " + commit + ":" + file + ": " + r.said());
            Path target = into.resolve(file.substring(CHART.length() + 1));
            try {
                Files.createDirectories(target.getParent());
                Files.writeString(target, r.out());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String version;
        try {
            version = version(Files.readString(into.resolve("Chart.yaml")));
        } catch (IOException e) {
            throw new Problem.BadInput("commit " + commit + " has no " + CHART + "/Chart.yaml");
        }
        return new Found(commit, version, into);
    }

    /**
     * A file of the repository as the release's commit had it, written under into, or null
     * when that commit has none: its values/prod.yaml is what its users deployed, and may set
     * keys this chart added later (its schema refuses them).
     */
    static Path file(Path repo, String commit, String file, Path into) {
        var r = Exec.run(List.of("git", "-C", repo.toString(), "show", commit + ":" + file), Duration.ofSeconds(30));
        if (!r.ok()) return null;
        Path target = into.resolve(file);
        try {
            Files.createDirectories(target.getParent());
            Files.writeString(target, r.out());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    private static String git(Path repo, String... args) {
        var cmd = new java.util.ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        var r = Exec.run(cmd, Duration.ofSeconds(60));
        if (!r.ok()) throw new Problem.BadInput("git " + String.join(" ", args) + ": " + Kube.firstLine(r.said()));
        return r.out();
    }

    private static String version(String chartYaml) { return String.valueOf(Yaml.loadMap(chartYaml).get("version")); }
}
