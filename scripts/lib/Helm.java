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

    private Helm(Path binary, String version) {
        this.binary = binary;
        this.version = version;
        var m = Pattern.compile("^v?(\\d+)\\.(\\d+)").matcher(version);
        if (!m.find()) throw new Exec.ToolMissing(binary + " printed an unexpected version: " + version);
        this.major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major < 3 || (major == 3 && minor < 14)) {
            throw new Exec.ToolMissing(binary + " is helm " + version + "; Helm 3.14 or newer (or Helm 4) is needed");
        }
    }

    /** Asks the binary for its version; a missing or broken binary is a ToolMissing. */
    static Helm at(Path binary) {
        var r = Exec.run(List.of(binary.toString(), "version", "--template", "{{.Version}}"), Duration.ofSeconds(30));
        if (!r.ok()) throw new Exec.ToolMissing(binary + " version failed: " + r.said());
        return new Helm(binary, r.out().strip());
    }

    /** The helm a script was told to use (--helm PATH), else the pinned one of that major. */
    static Helm resolve(Path explicit, int major, java.util.function.Consumer<String> progress) {
        if (explicit != null) return at(explicit);
        var t = Tools.locate("helm" + major, progress);
        return of(t.path(), t.version());
    }

    /** A helm whose version is already known (the pinned tools record theirs): no process to start. */
    static Helm of(Path binary, String version) { return new Helm(binary, version); }

    /** Values for one render: -f files then --set/--set-string/--set-json, in order. */
    record Values(List<Path> files, List<String> sets) {
        static Values none() { return new Values(List.of(), List.of()); }

        List<String> args() {
            var a = new ArrayList<String>();
            for (Path f : files) { a.add("-f"); a.add(f.toString()); }
            for (String s : sets) {
                // "--set-json k=v" style entries carry their own flag; plain ones are --set.
                if (s.startsWith("--")) {
                    // "--set-json k=v" or "--set-json=k=v": the flag ends at the first space or '='.
                    int cut = s.indexOf(' ');
                    if (cut < 0) cut = s.indexOf('=');
                    if (cut < 0) throw new IllegalArgumentException("value flag without a value: " + s);
                    a.add(s.substring(0, cut));
                    a.add(s.substring(cut + 1));
                }
                else { a.add("--set"); a.add(s); }
            }
            return a;
        }

        /** How a failure line names these values. */
        String describe() {
            var parts = new ArrayList<String>();
            for (Path f : files) parts.add("-f " + f);
            for (String s : sets) parts.add(s.startsWith("--") ? s : "--set " + s);
            return parts.isEmpty() ? "default values" : String.join(" ", parts);
        }
    }

    /**
     * Short offline helm runs, many side by side: one OS thread each and no garbage
     * collection (a render allocates a few MB and exits) make them about a third cheaper.
     */
    private static final java.util.Map<String, String> SHORT_RUN = java.util.Map.of("GOGC", "off", "GOMAXPROCS", "1");

    Exec.Result template(String release, Path chart, String namespace, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "template", release, chart.toString(), "--namespace", namespace));
        cmd.addAll(values.args());
        return Exec.run(cmd, null, SHORT_RUN, Duration.ofMinutes(2), null);
    }

    Exec.Result lint(Path chart, Values values) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "lint", "--strict", chart.toString()));
        cmd.addAll(values.args());
        return Exec.run(cmd, null, SHORT_RUN, Duration.ofMinutes(2), null);
    }

    /** Helm 4 renamed --atomic to --rollback-on-failure. */
    String rollbackOnFailureFlag() { return major >= 4 ? "--rollback-on-failure" : "--atomic"; }

    /** Helm 4's --wait takes a strategy; Helm 3's is a plain flag. */
    String waitFlag() { return major >= 4 ? "--wait=watcher" : "--wait"; }

    @Override public String toString() { return "helm " + version + " (" + binary + ")"; }
}
