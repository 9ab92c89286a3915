//SOURCES ../tools/Problem.java
//SOURCES DbRevision.java
//SOURCES ImmutableFields.java
//SOURCES Installer.java
//SOURCES LiveChecks.java
//SOURCES ManifestDiff.java
//SOURCES Migrator.java
//SOURCES ../kube/Manifests.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ../tools/Yaml.java

import java.util.List;
import java.util.Map;

/**
 * Upgrades a deployed release: the values of the last deployed revision stay, the new ones
 * go on top; shows the rendered diff first, and afterwards proves from the cluster that the
 * migration finished before the new API pods, when this upgrade rolled the API at all.
 */
final class Upgrader {
    private Upgrader() {}

    /** rolled: whether the upgrade replaced the API pods (the Deployment's revision moved). */
    record Outcome(String diff, String ordering, int revisionBefore, int revisionAfter, boolean rolled, List<String> migrationLog) {}

    static Outcome upgrade(Release rel, Installer.Options o, Progress p) {
        var state = rel.state();
        var deployed = state.lastDeployed();
        if (deployed == null && !(state.exists() && o.recover())) {
            throw new Problem.BadInput("no deployed release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                    + (state.exists() ? " (" + state.describe() + ")" : "") + " to upgrade; install it first (jbang scripts/install.java)");
        }
        String previous = deployed == null ? null : p.step("read the values of revision " + deployed.number() + " (the last deployed)",
                () -> rel.userValues(deployed.number()));
        var merged = previous == null ? o : o.onTopOf(previous);
        String[] rendered = {""};
        String diff = p.step("diff deployed manifests against the new render", () -> {
            var now = rel.manifest();
            var hooks = rel.hooks();
            var next = rel.render(merged.values());
            if (!next.ok()) throw new Problem.BadInput("the chart refuses these values (" + merged.values().describe() + "):\n" + next.said());
            rendered[0] = next.out();
            // A field Kubernetes refuses to change would fail the upgrade after its migration ran: say so first.
            // Only objects that still exist matter: one deleted by hand (--cascade=orphan) is created anew.
            var immutable = ImmutableFields.changes(Manifests.parse(now.ok() ? now.out() : ""), Manifests.parse(next.out()), rel.namespace)
                    .stream().filter(c -> rel.kube.exists(rel.namespace, c.object().substring(0, c.object().indexOf('/')).toLowerCase(),
                            c.object().substring(c.object().indexOf('/') + 1))).toList();
            if (!immutable.isEmpty()) {
                throw new Problem.BadInput("this upgrade changes fields Kubernetes refuses to change in place; nothing was changed:\n"
                        + String.join("\n", immutable.stream().map(ImmutableFields.Change::message).toList()));
            }
            return ManifestDiff.diff((now.ok() ? now.out() : "") + "\n---\n" + (hooks.ok() ? hooks.out() : ""), next.out());
        });
        p.info(diff.isEmpty() ? "no rendered object changes" : "changes:\n" + diff.strip());
        if (deployed != null && migrates(rendered[0])) {
            // Before any change: an image whose migrations do not know the database's revision fails its hook on every attempt.
            var job = p.step("render the migration Job of the upgrade's values", () -> Migrator.jobFor(rel, deployed, merged.values(), false));
            DbRevision.preflight(rel, job, "upgrade", p);
        }
        int before = state.last() == null ? 0 : state.last().number();
        int apiBefore = apiRevision(rel);
        var installed = Installer.install(rel, merged, p);
        var after = rel.state().last();
        int apiAfter = apiRevision(rel);
        boolean rolled = apiAfter != apiBefore;
        boolean hook = Boolean.TRUE.equals(Yaml.at(rel.deployedValues(), "migrations.hookEnabled"));
        String ordering;
        if (!rolled) {
            ordering = "the API Deployment stayed at revision " + apiAfter + ": this upgrade started no new API pods, so there is no "
                    + "migration-before-pods order to prove";
        } else if (!hook) {
            ordering = "migrations run as init containers (migrations.hookEnabled=false): every new pod migrates before it starts";
        } else {
            ordering = p.step("prove the migration finished before new API pods", () -> LiveChecks.migrationBeforeRollout(rel));
        }
        p.info(ordering);
        return new Outcome(diff, ordering, before, after.number(), rolled, installed.migrationLog());
    }

    /** Whether a render runs Alembic: a migration hook Job, or a migrate init container in the API pods. */
    static boolean migrates(String render) {
        for (var o : Manifests.parse(render)) {
            if ("Job".equals(o.kind()) && o.isHook()) return true;
            if ("Deployment".equals(o.kind()) && Yaml.maps(o.podSpec(), "initContainers").stream().anyMatch(c -> "migrate".equals(c.get("name")))) return true;
        }
        return false;
    }

    /** The API Deployment's rollout revision (0 when there is none): it moves only when its pods are replaced. */
    static int apiRevision(Release rel) {
        var deps = rel.kube.list(rel.namespace, "deployments", rel.selector("api"));
        if (deps.isEmpty()) return 0;
        Map<String, String> a = Yaml.strings(deps.get(0), "metadata.annotations");
        return Integer.parseInt(a.getOrDefault("deployment.kubernetes.io/revision", "0"));
    }
}
