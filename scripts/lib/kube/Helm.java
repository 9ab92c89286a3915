//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES HeadStart.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Tools.java

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One helm binary, its major version, and the flags that differ between Helm 3 and 4. */
final class Helm {
    final Path binary;
    final String version;
    final int major;
    final Exec.Runner exec; // how helm runs: real processes, or a unit test's fake

    private Helm(Path binary, String version, Exec.Runner exec) {
        this.binary = binary;
        this.version = version;
        this.exec = exec;
        var m = Pattern.compile("^v?(\\d+)\\.(\\d+)").matcher(version);
        if (!m.find()) throw new Problem.ToolMissing(binary + " printed an unexpected version: " + version);
        this.major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major < 3 || (major == 3 && minor < 14)) {
            throw new Problem.ToolMissing(binary + " is helm " + version + "; Helm 3.14 or newer (or Helm 4) is needed");
        }
    }

    /** Asks the binary for its version; a missing or broken binary is a ToolMissing. */
    static Helm at(Path binary) {
        var r = Exec.run(List.of(binary.toString(), "version", "--template", "{{.Version}}"), Duration.ofSeconds(30));
        if (!r.ok()) throw new Problem.ToolMissing(binary + " version failed: " + r.said());
        return new Helm(binary, r.out().strip(), Exec.PROCESSES);
    }

    /** The helm a script was told to use (--helm PATH), else the pinned one of that major. */
    static Helm resolve(Path explicit, int major, java.util.function.Consumer<String> progress) {
        if (explicit != null) return at(explicit);
        var t = Tools.locate("helm" + major, progress);
        // A TREVOR_HELMn override is taken as given, so its version is not known yet.
        Helm h = t.version() == null ? at(t.path()) : of(t.path(), t.version());
        if (h.major != major) {
            throw new Problem.ToolMissing(Tools.envVar("helm" + major) + "=" + t.path() + " is helm " + h.version + ", not Helm " + major
                    + "; point it at a Helm " + major + " binary, or unset it");
        }
        return h;
    }

    /** A helm whose version is already known (the pinned tools record theirs): no process to start. */
    static Helm of(Path binary, String version) { return of(binary, version, Exec.PROCESSES); }

    /** The same, run through exec (a unit test's fake helm). */
    static Helm of(Path binary, String version, Exec.Runner exec) { return new Helm(binary, version, exec); }

    /**
     * Values for one render: the deployed values (YAML, given on stdin, so they never sit in
     * a temp file), then -f files, then --set/--set-string/--set-json, in order.
     */
    record Values(List<Path> files, List<String> sets, String stdin) {
        Values(List<Path> files, List<String> sets) { this(files, sets, null); }

        static Values none() { return new Values(List.of(), List.of()); }

        /** "--set-json k=v", "--set-string=k=v": an entry that names its own flag; plain entries are --set. */
        private static final Pattern FLAGGED = Pattern.compile("^(--set(?:-string|-json|-file|-literal)?)[ =](.*)$", Pattern.DOTALL);

        List<String> args() {
            var a = new ArrayList<String>();
            if (stdin != null) { a.add("-f"); a.add("-"); }
            for (Path f : files) { a.add("-f"); a.add(f.toString()); }
            for (String s : sets) {
                var m = FLAGGED.matcher(s);
                if (m.matches()) { a.add(m.group(1)); a.add(m.group(2)); }
                else if (s.startsWith("--")) throw new IllegalArgumentException("not a value flag: " + s);
                else { a.add("--set"); a.add(s); }
            }
            return a;
        }

        /** How a failure line names these values. */
        String describe() {
            var parts = new ArrayList<String>();
            if (stdin != null) parts.add("the release's deployed values");
            for (Path f : files) parts.add("-f " + f);
            for (String s : sets) parts.add(s.startsWith("--") ? s : "--set " + s);
            return parts.isEmpty() ? "default values" : String.join(" ", parts);
        }

    }

    /**
     * Short offline helm runs, many side by side: one OS thread each and no garbage
     * collection (a render allocates a few MB and exits) make them about a third cheaper.
     */
    static final java.util.Map<String, String> SHORT_RUN = java.util.Map.of("GOGC", "off", "GOMAXPROCS", "1");
    /** Many renders in one run allocate a few hundred MB: there, collecting now and then is cheaper than fresh pages. */
    static final java.util.Map<String, String> BATCH_RUN = java.util.Map.of("GOGC", "400", "GOMAXPROCS", "1");

    Exec.Result template(String release, Path chart, String namespace, Values values) {
        return shortRun(templateCommand(release, chart, namespace, values), values);
    }

    List<String> templateCommand(String release, Path chart, String namespace, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "template", release, chart.toString(), "--namespace", namespace));
        cmd.addAll(values.args());
        return cmd;
    }

    /** A short run, or its result when verify started it ahead ({@link HeadStart}). */
    private Exec.Result shortRun(List<String> cmd, Values values) {
        if (values.stdin() == null) {
            var ahead = HeadStart.take(cmd, SHORT_RUN, Duration.ofMinutes(2));
            if (ahead != null) return ahead;
        }
        return exec.run(cmd, null, SHORT_RUN, Duration.ofMinutes(2), null, values.stdin());
    }

    /** A template of a chart holding many others (verify's batches). */
    Exec.Result templateBatch(String release, Path umbrella, String namespace, Values values) {
        return batchRun(templateBatchCommand(release, umbrella, namespace, values), values);
    }

    List<String> templateBatchCommand(String release, Path umbrella, String namespace, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "template", release, umbrella.toString(), "--namespace", namespace));
        cmd.addAll(values.args());
        return cmd;
    }

    /** `helm lint` (not --strict) of many charts: what `fail` and `required` log in lint mode goes to stderr. */
    Exec.Result lintBatch(List<Path> charts, String namespace, Values values) {
        return batchRun(lintBatchCommand(charts, namespace, values), values);
    }

    List<String> lintBatchCommand(List<Path> charts, String namespace, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "lint", "--namespace", namespace));
        charts.forEach(c -> cmd.add(c.toString()));
        cmd.addAll(values.args());
        return cmd;
    }

    private Exec.Result batchRun(List<String> cmd, Values values) {
        if (values.stdin() == null) {
            var ahead = HeadStart.take(cmd, BATCH_RUN, Duration.ofMinutes(2));
            if (ahead != null) return ahead;
        }
        return exec.run(cmd, null, BATCH_RUN, Duration.ofMinutes(2), null, values.stdin());
    }

    Exec.Result lint(Path chart, Values values) { return lint(List.of(chart), values); }

    /** One `helm lint --strict` of several charts with the same values: a "==> Linting CHART" section each. */
    Exec.Result lint(List<Path> charts, Values values) { return shortRun(lintCommand(charts, values), values); }

    List<String> lintCommand(List<Path> charts, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "lint", "--strict"));
        charts.forEach(c -> cmd.add(c.toString()));
        cmd.addAll(values.args());
        return cmd;
    }

    /** At most this many of helm's lines in a failure message, each cut to ERROR_LINE_CHARS. */
    static final int ERROR_LINES = 12;
    static final int ERROR_LINE_CHARS = 400;
    private static final Pattern MEANINGFUL = Pattern.compile(
            "(?i)^error:|\\berror\\b|level=(warn|error)|^\\s*\\*\\s|fail|forbidden|denied|invalid|refused|timed out|deadline exceeded|canceled|not ready|not found");

    /**
     * What helm said that explains a failure, from both its streams (Helm 4 logs a failure's
     * cause as level=WARN … error="…" before its "Error:" line; Helm 3 lists a hook's causes as
     * "* job X failed: Y" below "Error: … 1 error occurred:"): each such line in order, once,
     * at most ERROR_LINES of them (the first and the last, the rest counted), each cut to
     * ERROR_LINE_CHARS. Where no line looks like an error, helm's last lines.
     */
    static String errorLines(Exec.Result r) {
        var all = new ArrayList<String>();
        for (String text : List.of(r.out(), r.err())) {
            text.lines().map(String::stripTrailing).filter(l -> !l.isBlank()).forEach(all::add);
        }
        var picked = new ArrayList<String>();
        for (String l : all) if (MEANINGFUL.matcher(l).find() && !picked.contains(l)) picked.add(l);
        if (picked.isEmpty()) picked.addAll(Text.last(all, 3));
        var cut = picked.stream().map(l -> l.length() > ERROR_LINE_CHARS ? l.substring(0, ERROR_LINE_CHARS) + " …" : l).toList();
        if (cut.size() <= ERROR_LINES) return String.join("\n", cut);
        int head = ERROR_LINES / 2;
        int tail = ERROR_LINES - head;
        var out = new ArrayList<>(cut.subList(0, head));
        out.add("… " + (cut.size() - ERROR_LINES) + " more such lines …");
        out.addAll(cut.subList(cut.size() - tail, cut.size()));
        return String.join("\n", out);
    }

    /** Helm 4 renamed --atomic to --rollback-on-failure. */
    String rollbackOnFailureFlag() { return major >= 4 ? "--rollback-on-failure" : "--atomic"; }

    /** Helm 4's --wait takes a strategy; Helm 3's is a plain flag. */
    String waitFlag() { return major >= 4 ? "--wait=watcher" : "--wait"; }

    @Override public String toString() { return "helm " + version + " (" + binary + ")"; }
}
