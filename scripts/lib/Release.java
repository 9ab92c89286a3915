import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One Helm release of the chart on one cluster context: install/upgrade, dry-run, history,
 * uninstall, with the flags Helm 3 and Helm 4 spell differently.
 */
final class Release {
    final Helm helm;
    final Kube kube;
    final String name;
    final String namespace;
    final Path chart;

    Release(Helm helm, Kube kube, String name, String namespace, Path chart) {
        this.helm = helm;
        this.kube = kube;
        this.name = name;
        this.namespace = namespace;
        this.chart = chart;
    }

    private List<String> helmCmd(String... args) {
        var cmd = new ArrayList<>(List.of(helm.binary.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--namespace", namespace, "--kube-context", kube.context));
        if (kube.kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kube.kubeconfig.toString()));
        return cmd;
    }

    /**
     * helm upgrade --install, waiting for every object and hook. With rollback, a failed
     * first install is removed and a failed upgrade returns to the last good revision
     * (Helm 3 --atomic, Helm 4 --rollback-on-failure).
     */
    Exec.Result upgradeInstall(Helm.Values values, Duration timeout, boolean rollback, Consumer<String> echo) {
        var cmd = helmCmd("upgrade", "--install", name, chart.toString(), helm.waitFlag(), "--wait-for-jobs",
                "--timeout", timeout.toSeconds() + "s");
        if (rollback) cmd.add(helm.rollbackOnFailureFlag());
        cmd.addAll(values.args());
        return Exec.run(cmd, null, Map.of(), timeout.plusMinutes(2), echo);
    }

    /** Server-side dry run: the API server validates and admits every object, nothing is stored. */
    Exec.Result dryRunServer(Helm.Values values) {
        var cmd = helmCmd("upgrade", "--install", name, chart.toString(), "--dry-run=server");
        cmd.addAll(values.args());
        return Exec.run(cmd, Duration.ofMinutes(3));
    }

    /** The chart rendered locally with these values, as Helm would send it (for diffs). */
    Exec.Result render(Helm.Values values) { return helm.template(name, chart, namespace, values); }

    Exec.Result uninstall(Duration timeout) {
        return Exec.run(helmCmd("uninstall", name, "--wait", "--timeout", timeout.toSeconds() + "s"), timeout.plusMinutes(1));
    }

    boolean exists() {
        var r = Exec.run(helmCmd("status", name, "-o", "json"), Duration.ofMinutes(1));
        return r.ok();
    }

    Exec.Result status() { return Exec.run(helmCmd("status", name), Duration.ofMinutes(1)); }

    Exec.Result manifest() { return Exec.run(helmCmd("get", "manifest", name), Duration.ofMinutes(1)); }

    /** The hooks of the deployed revision (helm get manifest leaves them out). */
    Exec.Result hooks() { return Exec.run(helmCmd("get", "hooks", name), Duration.ofMinutes(1)); }

    /** All computed values of the deployed revision (chart defaults merged with the user's). */
    Map<String, Object> deployedValues() {
        var r = Exec.run(helmCmd("get", "values", name, "--all", "-o", "json"), Duration.ofMinutes(1));
        if (!r.ok()) throw new IllegalStateException("helm get values " + name + ": " + r.said());
        return Yaml.loadMap(r.out());
    }

    /** The values the user gave at the last install/upgrade, in a temp file. */
    Path userValuesFile() {
        var r = Exec.run(helmCmd("get", "values", name, "-o", "yaml"), Duration.ofMinutes(1));
        if (!r.ok()) throw new Installer.Failed("helm get values " + name + ": " + r.said());
        try {
            Path f = Files.createTempFile("trevor-deployed-values", ".yaml");
            // "null" is what helm prints for a release installed with no values at all.
            Files.writeString(f, r.out().strip().equals("null") ? "{}\n" : r.out());
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Revisions, oldest first: revision, status, description. */
    List<Map<String, Object>> history() {
        var r = Exec.run(helmCmd("history", name, "-o", "json"), Duration.ofMinutes(1));
        if (!r.ok()) return List.of();
        Object o = Yaml.load(r.out());
        var out = new ArrayList<Map<String, Object>>();
        if (o instanceof List<?> l) for (Object e : l) if (e instanceof Map) out.add(Yaml.map(Map.of("e", e), "e"));
        return out;
    }

    String historyText() {
        var r = Exec.run(helmCmd("history", name), Duration.ofMinutes(1));
        return r.ok() ? r.out() : r.said();
    }

    /** Selector of one component's pods of this release. */
    String selector(String component) {
        return "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=" + component;
    }
}
