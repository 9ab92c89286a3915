import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Upgrades a deployed release: the user's earlier values stay, the new ones go on top;
 * shows the rendered diff first, and proves afterwards, from the cluster, that the
 * migration Job finished before the new API ReplicaSet made pods.
 */
final class Upgrader {
    private Upgrader() {}

    record Outcome(String diff, String ordering, int revisionBefore, int revisionAfter) {}

    static Outcome upgrade(Release rel, Installer.Options o, boolean deliberateContext, Progress p) {
        if (!rel.exists()) {
            throw new Target.Invalid("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                    + " to upgrade; install it first (jbang scripts/install.java)");
        }
        Path previous = p.step("read the deployed values", rel::userValuesFile);
        try {
            var files = new ArrayList<Path>(List.of(previous));
            files.addAll(o.valuesFiles());
            var merged = new Installer.Options(files, o.sets(), o.tag(), o.envFile(), o.devSecrets(), o.timeout(), o.rollback());
            String diff = p.step("diff deployed manifests against the new render", () -> {
                var now = rel.manifest();
                var hooks = rel.hooks();
                var next = rel.render(merged.values());
                if (!next.ok()) throw new Target.Invalid("the chart refuses these values (" + merged.values().describe() + "):\n" + next.said());
                return ManifestDiff.diff((now.ok() ? now.out() : "") + "\n---\n" + (hooks.ok() ? hooks.out() : ""), next.out());
            });
            p.info(diff.isEmpty() ? "no rendered object changes" : "changes:\n" + diff.strip());
            int before = lastRevision(rel);
            Installer.install(rel, merged, deliberateContext, p);
            int after = lastRevision(rel);
            boolean hook = Boolean.TRUE.equals(Yaml.at(rel.deployedValues(), "migrations.hookEnabled"));
            String ordering = hook ? p.step("prove the migration Job finished before new API pods", () -> LiveChecks.migrationBeforeRollout(rel))
                    : "migrations run as init containers (migrations.hookEnabled=false): every new pod migrates before it starts";
            p.info(ordering);
            return new Outcome(diff, ordering, before, after);
        } finally {
            try {
                Files.deleteIfExists(previous);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }

    static int lastRevision(Release rel) {
        var h = rel.history();
        return h.isEmpty() ? 0 : Integer.parseInt(String.valueOf(h.get(h.size() - 1).get("revision")));
    }
}
