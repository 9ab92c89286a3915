//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES Helm.java
//SOURCES Kube.java
//SOURCES ../tools/Yaml.java

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
        cmd.addAll(List.of("--namespace=" + namespace, "--kube-context=" + kube.context));
        if (kube.kubeconfig != null) cmd.add("--kubeconfig=" + kube.kubeconfig);
        return cmd;
    }

    /**
     * helm upgrade --install, waiting for every object and hook. With rollback, a failed
     * first install is removed and a failed upgrade returns to the last good revision
     * (Helm 3 --atomic, Helm 4 --rollback-on-failure). Helm runs in a session of its own, so
     * a Ctrl-C or hang-up reaches this JVM alone, which asks helm to stop and waits for it
     * to record the outcome instead of leaving the release pending.
     */
    Exec.Result upgradeInstall(Helm.Values values, Duration timeout, boolean rollback, Consumer<String> echo) {
        var cmd = helmCmd("upgrade", "--install", name, chart.toString(), helm.waitFlag(), "--wait-for-jobs",
                "--timeout", timeout.toSeconds() + "s");
        if (rollback) cmd.add(helm.rollbackOnFailureFlag());
        cmd.addAll(values.args());
        return helm.exec.runDetached(cmd, timeout.plusMinutes(2), echo, values.stdin());
    }

    /** helm rollback to a revision, waiting for it (recovering a release left pending). */
    Exec.Result rollback(int revision, Duration timeout, Consumer<String> echo) {
        var cmd = helmCmd("rollback", name, String.valueOf(revision), helm.waitFlag(), "--timeout", timeout.toSeconds() + "s");
        return helm.exec.runDetached(cmd, timeout.plusMinutes(2), echo, null);
    }

    /** Server-side dry run: the API server validates and admits every object, nothing is stored. */
    Exec.Result dryRunServer(Helm.Values values) {
        var cmd = helmCmd("upgrade", "--install", name, chart.toString(), "--dry-run=server");
        cmd.addAll(values.args());
        return helm.exec.run(cmd, null, Map.of(), Duration.ofMinutes(3), null, values.stdin());
    }

    /** The chart rendered locally with these values, as Helm would send it (for diffs). */
    Exec.Result render(Helm.Values values) { return helm.template(name, chart, namespace, values); }

    Exec.Result uninstall(Duration timeout) {
        return helm.exec.run(helmCmd("uninstall", name, "--wait", "--timeout", timeout.toSeconds() + "s"), timeout.plusMinutes(1));
    }

    /** `helm test`: the chart's test hook Pods, run now. */
    Exec.Result test(Duration timeout) {
        return helm.exec.run(helmCmd("test", name, "--timeout", timeout.toSeconds() + "s", "--logs"), timeout.plusMinutes(1));
    }

    boolean exists() { return state().exists(); }

    Exec.Result status() { return helm.exec.run(helmCmd("status", name), Duration.ofMinutes(1)); }

    /** The release as Helm stores it (info, hooks with their last run, values), or null when there is none. */
    Map<String, Object> statusJson() { return statusJson(null); }

    Map<String, Object> statusJson(Integer revision) {
        var cmd = helmCmd("status", name, "-o", "json");
        if (revision != null) cmd.addAll(List.of("--revision", String.valueOf(revision)));
        var r = helm.exec.run(cmd, Duration.ofMinutes(1));
        if (!r.ok()) {
            if (r.said().contains("not found")) return null;
            throw new IllegalStateException("helm status " + name + ": " + Kube.firstLine(r.said()));
        }
        return Yaml.loadMap(r.out());
    }

    /** One hook of the latest revision and how its last run went, as Helm recorded it. */
    record HookRun(String name, String kind, String phase, java.time.Instant started, java.time.Instant completed) {}

    /**
     * The latest revision's hooks with their last runs. Helm keeps this record whether or not
     * the hook's objects are deleted afterwards (hook-delete-policy hook-succeeded).
     */
    List<HookRun> hookRuns() { return hookRuns(null); }

    /** The hooks of one revision (null: the latest) with their last runs. */
    List<HookRun> hookRuns(Integer revision) {
        var st = statusJson(revision);
        var out = new ArrayList<HookRun>();
        if (st == null) return out;
        for (var h : Yaml.maps(st, "hooks")) {
            out.add(new HookRun(Yaml.str(h, "name"), Yaml.str(h, "kind"), String.valueOf(Yaml.str(h, "last_run.phase")),
                    instant(Yaml.str(h, "last_run.started_at")), instant(Yaml.str(h, "last_run.completed_at"))));
        }
        return out;
    }

    private static java.time.Instant instant(String s) {
        if (s == null || s.isEmpty() || s.startsWith("0001-")) return null;
        return java.time.Instant.parse(s);
    }

    Exec.Result manifest() { return helm.exec.run(helmCmd("get", "manifest", name), Duration.ofMinutes(1)); }

    Exec.Result manifest(int revision) { return helm.exec.run(helmCmd("get", "manifest", name, "--revision", String.valueOf(revision)), Duration.ofMinutes(1)); }

    /** The hooks of the deployed revision (helm get manifest leaves them out). */
    Exec.Result hooks() { return helm.exec.run(helmCmd("get", "hooks", name), Duration.ofMinutes(1)); }

    /** All computed values of the latest revision (chart defaults merged with the user's). */
    Map<String, Object> deployedValues() { return computedValues(null); }

    /** All computed values of a revision (null: the latest). */
    Map<String, Object> computedValues(Integer revision) {
        var cmd = helmCmd("get", "values", name, "--all", "-o", "json");
        if (revision != null) cmd.addAll(List.of("--revision", String.valueOf(revision)));
        var r = helm.exec.run(cmd, Duration.ofMinutes(1));
        if (!r.ok()) throw new IllegalStateException("helm get values " + name + ": " + r.said());
        return Yaml.loadMap(r.out());
    }

    /**
     * The values the user gave for a revision (null: the latest), as YAML for helm's stdin:
     * release values can hold credentials, so they are never written to a file.
     */
    String userValues(Integer revision) {
        var cmd = helmCmd("get", "values", name, "-o", "yaml");
        if (revision != null) cmd.addAll(List.of("--revision", String.valueOf(revision)));
        var r = helm.exec.run(cmd, Duration.ofMinutes(1));
        if (!r.ok()) throw new IllegalStateException("helm get values " + name + ": " + Kube.firstLine(r.said()));
        // "null" is what helm prints for a release installed with no values at all.
        return r.out().strip().equals("null") ? "{}\n" : r.out();
    }

    /** One revision of the release, as helm history reports it. */
    record Revision(int number, String status, String description, String updated) {
        boolean pending() { return status.startsWith("pending-"); }
    }

    /** What the release is now: its revisions, oldest first (none: no release). */
    record State(List<Revision> revisions) {
        boolean exists() { return !revisions.isEmpty(); }
        Revision last() { return revisions.isEmpty() ? null : revisions.get(revisions.size() - 1); }
        /** The newest revision whose status is deployed, or null (a first install that never finished). */
        Revision lastDeployed() {
            for (int i = revisions.size() - 1; i >= 0; i--) if (revisions.get(i).status().equals("deployed")) return revisions.get(i);
            return null;
        }
        String describe() {
            var l = last();
            return l == null ? "no release" : "revision " + l.number() + " " + l.status() + " (" + l.updated() + "): " + l.description();
        }
    }

    State state() {
        var r = helm.exec.run(helmCmd("history", name, "-o", "json", "--max", "1000"), Duration.ofMinutes(1));
        if (!r.ok()) {
            if (r.said().contains("not found")) return new State(List.of());
            throw new Problem.Refused("helm history " + name + " failed: " + Kube.firstLine(r.said()));
        }
        var out = new ArrayList<Revision>();
        if (Yaml.load(r.out()) instanceof List<?> l) {
            for (Object e : l) {
                out.add(new Revision(Integer.parseInt(String.valueOf(Yaml.at(e, "revision"))), String.valueOf(Yaml.at(e, "status")),
                        String.valueOf(Yaml.at(e, "description")), String.valueOf(Yaml.at(e, "updated"))));
            }
        }
        out.sort(java.util.Comparator.comparingInt(Revision::number));
        return new State(out);
    }

    String historyText() {
        var r = helm.exec.run(helmCmd("history", name), Duration.ofMinutes(1));
        return r.ok() ? r.out() : r.said();
    }

    /** The release's hook migration Jobs, not the ones migrate.java ran by hand. */
    String hookJobSelector() { return selector("migrate") + ",!trevor.dev/migration-run"; }

    /** Selector of one component's pods of this release. */
    String selector(String component) {
        return "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=" + component;
    }
}
