//SOURCES Dirs.java
//SOURCES Report.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A copy of a checkout whose scripts have guards taken out, one text edit each, as
 * ChartDefectsTest does for the chart: run through a suite's --scripts-from, each case that
 * claims to guard the behaviour must then fail by name. A guard whose text moved makes the
 * copy fail loudly, so the defect is updated instead of silently proving nothing.
 */
final class ScriptDefects {
    /**
     * One guard taken out: in file (under scripts/), find becomes replace; the case that must
     * then fail, and what its failure must say (so that it fails for this reason, not another).
     */
    record Guard(String what, String file, String find, String replace, String mustFail, String says) {}

    private ScriptDefects() {}

    // safety.java's case names, as it prints them
    static final String ROW_4 = "row 4: two installs at once: one holds the lock, the other exits 2 naming it; the Secret holds the winner's file";
    static final String ROW_5 = "row 5: system namespaces are refused and left as they were";
    static final String ROW_6 = "row 6: status reports a failed last revision and exits 1";
    static final String ROW_12 = "row 12: bad input is refused with exit 2 before anything is created";
    static final String ROWS_8_13 = "rows 8, 13: Ctrl-C during an upgrade's hook rolls back, stops the hook Job and leaves no values file";
    static final String ROWS_5_16 = "rows 5, 16: an existing namespace's Pod Security labels change only when a flag says so; refused with exit 2";
    static final String ROW_7_IMAGE = "row 7: migrate runs the last deployed revision's image, not the failed one's";
    static final String NO_SECRET = "no secret value appears in any output, report or diagnostics file";

    /** The safety cases' guards, taken out together: they do not interact, so one safety run shows each case failing. */
    static List<Guard> safetyGuards() {
        return List.of(
                new Guard("the lock of a live holder is taken over", "lib/ReleaseLock.java",
                        "if (renewed != null && renewed.plus(DURATION).isAfter(now)) {", "if (false) {", ROW_4, "expected exit 2 naming the holder"),
                new Guard("the cluster's own namespaces are not refused", "lib/Installer.java",
                        "if (Namespaces.SYSTEM.contains(rel.namespace)) {", "if (false) {", ROW_5, "-n kube-system: expected exit 2"),
                new Guard("status does not judge the release's last revision", "lib/LiveChecks.java",
                        "Report.expect(last.status().equals(\"deployed\"),", "Report.expect(true,", ROW_6, "status does not report the failed revision"),
                new Guard("an env file key '.' is accepted", "lib/EnvFile.java",
                        "if (key.equals(\".\")) return \"must not be '.'\";", "", ROW_12, "must not be '.'"),
                new Guard("the updated Secret's manifest is written to a temp file", "lib/Secrets.java",
                        "var r = kube.runWithInput(Yaml.json(secret), \"replace\", \"-f\", \"-\");",
                        "try { java.nio.file.Files.writeString(java.nio.file.Files.createTempFile(\"trevor-defect-secret-\", \".json\"), Yaml.json(secret)); }"
                                + " catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }\n"
                                + "        var r = kube.runWithInput(Yaml.json(secret), \"replace\", \"-f\", \"-\");", ROWS_8_13, "files left holding a secret or values marker"),
                new Guard("an existing namespace's Pod Security labels are not compared", "lib/Installer.java",
                        "Namespaces.POD_SECURITY.forEach((k, v) -> { if (!v.equals(labels.get(k))) differs.put(k, v); });", "", ROWS_5_16, "expected exit 2 naming the flag"),
                new Guard("migrate takes the latest revision, failed or not", "lib/Migrator.java",
                        "var deployed = state.lastDeployed();", "var deployed = state.last();", ROW_7_IMAGE, "migrate"),
                new Guard("a changed Secret key is printed with its value", "lib/Secrets.java",
                        "else if (!current.get(k).equals(v)) changed.add(k);", "else if (!current.get(k).equals(v)) changed.add(k + \"=\" + v);", NO_SECRET, "a secret value was printed"));
    }

    /** checkout's scripts, charts and values copied to dest, with every guard taken out. */
    static Path copyWithout(Path checkout, Path dest, List<Guard> guards) throws IOException {
        for (String part : List.of("scripts", "helm", "values", "images")) {
            if (Files.isDirectory(checkout.resolve(part))) Dirs.copyTree(checkout.resolve(part), dest.resolve(part));
        }
        for (var g : guards) {
            Path f = dest.resolve("scripts").resolve(g.file());
            String text = Files.readString(f);
            Report.expect(text.contains(g.find()), "%s: scripts/%s no longer holds the guard's text; update this defect", g.what(), g.file());
            Files.writeString(f, text.replace(g.find(), g.replace()));
        }
        return dest;
    }
}
