//SOURCES Installer.java
//SOURCES Kube.java
//SOURCES Manifests.java
//SOURCES Problem.java
//SOURCES Progress.java
//SOURCES Release.java
//SOURCES ReleaseLock.java
//SOURCES Target.java
//SOURCES Yaml.java

import java.time.Duration;

/**
 * Rolls a release back to an earlier revision with Helm, under the release's lock, and says
 * plainly what a rollback does not undo: the database schema. Helm's rollback runs no
 * pre-install/pre-upgrade hook, so the migrations of the newer revisions stay applied.
 */
final class Rollback {
    private Rollback() {}

    record Outcome(int from, int target, int now, String imageBefore, String imageAfter, String migrations) {}

    static Outcome run(Release rel, Integer revision, Duration timeout, Progress p) {
        var state = rel.state();
        if (!state.exists()) throw new Target.Invalid("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context);
        if (state.last().pending()) {
            String holder = ReleaseLock.holder(rel.kube, rel.namespace, rel.name);
            throw new Kube.Refused(holder != null ? "release " + rel.name + " is busy: " + holder : Installer.stuckMessage(rel, state));
        }
        var current = state.lastDeployed();
        if (current == null) throw new Target.Invalid("release " + rel.name + " has no deployed revision to roll back from (" + state.describe() + ")");
        Release.Revision target;
        if (revision == null) {
            target = state.revisions().stream().filter(r -> r.number() < current.number() && r.status().equals("superseded"))
                    .reduce((a, b) -> b).orElseThrow(() -> new Target.Invalid("release " + rel.name + " has no earlier deployed revision to roll back to; "
                            + "its revisions: " + list(state)));
        } else {
            target = state.revisions().stream().filter(r -> r.number() == revision).findFirst()
                    .orElseThrow(() -> new Target.Invalid("release " + rel.name + " has no revision " + revision + "; its revisions: " + list(state)));
        }
        if (target.number() == current.number()) {
            throw new Target.Invalid("revision " + target.number() + " is the one deployed now; nothing to roll back (its revisions: " + list(state) + ")");
        }
        String before = image(rel, current.number());
        String after = image(rel, target.number());
        String migrations = migrationsThatStay(rel, state, after);
        p.info("revision " + current.number() + " (" + before + ") → revision " + target.number() + " (" + after + ")");
        p.info(migrations);
        try (var lock = p.step("take the release's lock (Lease " + ReleaseLock.leaseName(rel.name) + ")",
                () -> ReleaseLock.acquire(rel.kube, rel.namespace, rel.name, "rollback.java " + rel.name))) {
            var r = p.step("helm rollback " + rel.name + " " + target.number() + " (wait " + timeout.toSeconds() + " s)",
                    () -> rel.rollback(target.number(), timeout, line -> p.info("  helm: " + line)));
            if (!r.ok()) throw new Problem(Problem.FAILED, "helm rollback " + rel.name + " " + target.number() + " failed: " + r.said()
                    + "\nthe release is now " + rel.state().describe());
        }
        return new Outcome(current.number(), target.number(), rel.state().last().number(), before, after, migrations);
    }

    /**
     * Which migrations the database keeps: those of the newest revision whose migration hook
     * succeeded, as Helm recorded it per revision.
     */
    static String migrationsThatStay(Release rel, Release.State state, String rollbackImage) {
        var revs = state.revisions();
        for (int i = revs.size() - 1; i >= 0; i--) {
            int n = revs.get(i).number();
            var ran = rel.hookRuns(n).stream().filter(h -> "Job".equals(h.kind()) && "Succeeded".equals(h.phase())).findFirst();
            if (ran.isPresent()) {
                return "schema migrations are not rolled back: the database keeps what revision " + n + "'s migration Job (image "
                        + image(rel, n) + ", completed " + ran.get().completed() + ") applied, and " + rollbackImage
                        + " will run against it. If that code needs the older schema, downgrade it by hand with Alembic "
                        + "(alembic downgrade <revision>) from a pod of the newer image, before or after";
            }
        }
        boolean init = Boolean.TRUE.equals(Yaml.at(rel.deployedValues(), "migrations.enabled"));
        return init ? "schema migrations are not rolled back: migrations run in the API pods' init containers, so the rolled-back pods run "
                + "'alembic upgrade head' of their own code against a database that may be newer; Alembic then stops with \"Can't locate revision\""
                : "no migration hook of this release is on record; the database schema is whatever the last migration left";
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
