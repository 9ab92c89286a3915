import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** migrate.java's objects: Job names unique within one second, and the hook NetworkPolicy that goes with the Job. */
class MigratorTest {
    @Test
    void runIdsInOneSecondDifferAndCarryTheYear() {
        var now = LocalDateTime.of(2026, 11, 27, 14, 15, 12);
        var ids = new HashSet<String>();
        for (int i = 0; i < 2000; i++) ids.add(Migrator.runId(now));
        assertEquals(2000, ids.size(), "run ids collide within one second");
        for (String id : ids) {
            assertTrue(id.matches("20261127-141512-[0-9a-f]{4}"), id);
            // job name = up to 42 characters of the chart's Job name + '-' + id: within the 63 of the job-name label
            assertEquals(20, id.length());
        }
    }

    /** values/prod.yaml as migrate.java renders it (hook on), with helm 4. */
    static List<Manifests.Obj> render(String... files) {
        Path repo = Repo.root();
        var helm = Helm.at(Tools.helm(4, null));
        var sets = List.of("migrations.hookEnabled=true", "migrations.enabled=false");
        var r = helm.template("trevor", repo.resolve("helm/trevor"), "trevor",
                new Helm.Values(java.util.Arrays.stream(files).map(repo::resolve).toList(), sets));
        assertTrue(r.ok(), r.said());
        return Manifests.parse(r.out());
    }

    /**
     * With policies on (values/prod.yaml), the chart's hook Job runs under a hook NetworkPolicy;
     * migrate.java's Job must too, or its pods run unisolated. The policy comes from the same
     * render, selects the Job's pods, and is this run's own: no hook annotations, NAME-RUN.
     */
    @Test
    void prodValuesGiveTheJobItsHookNetworkPolicyWithoutHookAnnotations() {
        var m = Migrator.select(render("values/prod.yaml"), "20261207-050000-abcd");
        assertNotNull(m.policy(), "values/prod.yaml turns policies on, but migrate.java's objects hold no NetworkPolicy for the Job's pods: "
                + "they would run unisolated");
        var policy = new Manifests.Obj("", m.policy());
        var job = new Manifests.Obj("", m.job());
        assertEquals("NetworkPolicy", policy.kind());
        assertEquals("trevor-migrate-20261207-050000-abcd", policy.name());
        assertEquals("trevor-migrate-20261207-050000-abcd", job.name());
        assertTrue(policy.annotations().isEmpty(), "hook annotations left on the policy: " + policy.annotations());
        assertFalse(job.isHook(), "hook annotations left on the Job: " + job.annotations());
        assertTrue(Migrator.selects(policy, job.podLabels()), "the policy " + Yaml.at(m.policy(), "spec.podSelector")
                + " does not select the Job's pods " + job.podLabels());
        assertEquals("20261207-050000-abcd", policy.labels().get("trevor.dev/migration-run"));
        assertEquals(List.of("Ingress", "Egress"), Yaml.at(m.policy(), "spec.policyTypes"));
        assertFalse(Yaml.maps(m.policy(), "spec.egress").isEmpty(), "the policy allows no egress: the migration could not reach its database");
        assertEquals(Migrator.KEEP_FAILED_SECONDS, ((Number) Yaml.at(m.job(), "spec.ttlSecondsAfterFinished")).intValue());
    }

    /** Without policies (dev values) there is none to apply, and the API's or worker's policy never counts as the Job's. */
    @Test
    void withoutPoliciesThereIsNoneAndOtherComponentsPoliciesAreNotTheJobs() {
        assertNull(Migrator.select(render("values/dev.yaml"), "20261207-050000-abcd").policy());
        var prod = render("values/prod.yaml");
        var job = Manifests.ofKind(prod, "Job").get(0);
        var others = Manifests.ofKind(prod, "NetworkPolicy").stream().filter(np -> !np.isHook()).toList();
        assertFalse(others.isEmpty(), "prod renders the API's and worker's policies");
        for (var np : others) assertFalse(Migrator.selects(np, job.podLabels()), np.name() + " selects the migration pods");
    }
}
