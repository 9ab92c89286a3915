//SOURCES DbRevision.java
//SOURCES Installer.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Manifests.java
//SOURCES Migrator.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ReleaseLock.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.List;

/**
 * Rolls a release back to an earlier revision with Helm, under the release's lock, and says
 * plainly what a rollback does not undo: the database schema. Helm's rollback runs no
 * pre-install/pre-upgrade hook, so the migrations of the newer revisions stay applied.
 */
final class Rollback {
    private Rollback() {}

    record Outcome(int from, int target, int now, String imageBefore, String imageAfter, String migrations) {}

    static Outcome run(Release rel, Integer revision, boolean force, Duration timeout, Progress p) {
        var state = rel.state();
        if (!state.exists()) throw new Problem.BadInput("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context);
        if (state.last().pending()) {
            String holder = ReleaseLock.holder(rel.kube, rel.namespace, rel.name);
            throw new Problem.Refused(holder != null ? "release " + rel.name + " is busy: " + holder : Installer.stuckMessage(rel, state));
        }
        var current = state.lastDeployed();
        if (current == null) throw new Problem.BadInput("release " + rel.name + " has no deployed revision to roll back from (" + state.describe() + ")");
        Release.Revision target;
        if (revision == null) {
            target = state.revisions().stream().filter(r -> r.number() < current.number() && r.status().equals("superseded")
                            && !origin(state, r).status().equals("failed"))
                    .reduce((a, b) -> b).orElseThrow(() -> new Problem.BadInput("release " + rel.name + " has no earlier deployed revision to roll back to; "
                            + "its revisions: " + list(state)));
        } else {
            target = state.revisions().stream().filter(r -> r.number() == revision).findFirst()
                    .orElseThrow(() -> new Problem.BadInput("release " + rel.name + " has no revision " + revision + "; its revisions: " + list(state)));
        }
        if (target.number() == current.number()) {
            throw new Problem.BadInput("revision " + target.number() + " is the one deployed now; nothing to roll back (its revisions: " + list(state) + ")");
        }
        if (target.status().equals("failed") && !force) {
            throw new Problem.BadInput("revision " + target.number() + " of release " + rel.name + " failed (" + target.description()
                    + "), and rolling back to it deploys what failed. Nothing was changed. Pick a revision that was deployed ("
                    + list(state) + "), or pass --force to roll back to it anyway");
        }
        String before = image(rel, current.number());
        String after = image(rel, target.number());
        String migrations = migrationsThatStay(rel, state, target, after, p);
        p.info("revision " + current.number() + " (" + before + ") → revision " + target.number() + " (" + after + ")");
        p.info(migrations);
        try (var lock = p.step("take the release's lock (Lease " + ReleaseLock.leaseName(rel.name) + ")",
                () -> ReleaseLock.acquire(rel.kube, rel.namespace, rel.name, "rollback.java " + rel.name))) {
            var r = p.step("helm rollback " + rel.name + " " + target.number() + " (wait " + timeout.toSeconds() + " s)",
                    () -> rel.rollback(target.number(), timeout, line -> p.info("  helm: " + line)));
            if (!r.ok()) throw new Problem.Failed("helm rollback " + rel.name + " " + target.number() + " failed: " + r.said()
                    + "\nthe release is now " + rel.state().describe());
        }
        return new Outcome(current.number(), target.number(), rel.state().last().number(), before, after, migrations);
    }

    /** See {@link DbRevision#origin}. */
    static Release.Revision origin(Release.State state, Release.Revision r) { return DbRevision.origin(state, r); }

    /**
     * Which migrations the database keeps, and the way out: the newest original revision (never
     * a rollback's copy) whose migration hook Job succeeded decides the schema; a target older
     * than it runs older code on a newer schema, a target newer than it needs migrations that
     * never completed.
     */
    static String migrationsThatStay(Release rel, Release.State state, Release.Revision target, String targetImage, Progress p) {
        var r = DbRevision.lastMigrated(rel, state);
        if (r != null) {
            var ran = rel.hookRuns(r.number()).stream().filter(h -> "Job".equals(h.kind()) && "Succeeded".equals(h.phase())).findFirst();
            String schemaImage = image(rel, r.number());
            String applied = "Schema migrations are not rolled back: the last migration that ran was revision " + r.number() + "'s migration Job (image " + schemaImage + ", completed "
                    + ran.get().completed() + "), so the database holds " + schemaImage + "'s schema, and a rollback runs no migration.";
            int from = origin(state, target).number();
            if (schemaImage.equals(targetImage)) {
                return applied + " Revision " + target.number() + " runs that same image, so code and schema match.";
            }
            if (from < r.number()) {
                var command = Yaml.list(rel.computedValues(target.number()), "migrations.command").stream().map(String::valueOf).toList();
                // For the exact downgrade command: the newest revision the older image knows (kwok runs no container: then a placeholder).
                String head = p.step("read the newest revision " + targetImage + " knows (alembic heads in a pod of its migration Job)", () ->
                        DbRevision.headOf(rel, DbRevision.withImage(Migrator.jobFor(rel, state.lastDeployed(), new Helm.Values(List.of(), List.of(),
                                rel.userValues(target.number())), false), targetImage)));
                return applied + " Revision " + target.number() + " runs the older " + targetImage + " against that newer schema. If the newer image "
                        + "added migrations, " + targetImage + "'s do not know the database's revision: until the database is back at a revision "
                        + targetImage + " knows, upgrade.java "
                        + "and migrate.java refuse to run " + targetImage + "'s migrations (they would fail with \"Can't locate revision\"), "
                        + "and status.java fails its database check. "
                        + DbRevision.wayOut(DbRevision.target(rel.kube.context, rel.namespace, rel.name), "the database's revision", targetImage,
                                command, schemaImage, head) + ".";
            }
            return applied + " Revision " + target.number() + " runs " + targetImage + ", whose migrations never completed (its revision "
                    + from + " is " + origin(state, target).status() + "), so its code expects a newer schema than the database holds. "
                    + "The way out is not a rollback: upgrade to " + targetImage + " (or a fixed image) again, so that its migration runs.";
        }
        boolean init = Boolean.TRUE.equals(Yaml.at(rel.deployedValues(), "migrations.enabled"));
        return init ? "Schema migrations are not rolled back: migrations run in the API pods' init containers, so the rolled-back pods run "
                + "'alembic upgrade head' of their own code against a database that may be newer, and Alembic then stops with \"Can't locate revision\"."
                : "No migration hook of this release is on record, so the database schema is whatever the last migration left.";
    }

    private static String image(Release rel, int revision) {
        var m = rel.manifest(revision);
        if (!m.ok()) return "image unknown";
        return Manifests.parse(m.out()).stream().filter(o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component")))
                .map(o -> Yaml.str(Yaml.maps(o.podSpec(), "containers").get(0), "image")).findFirst().orElse("image unknown");
    }

    private static String list(Release.State state) {
        return String.join(", ", state.revisions().stream().map(r -> r.number() + " " + r.status()).toList());
    }

}
