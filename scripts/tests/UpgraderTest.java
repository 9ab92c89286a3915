import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upgrader's proof that the migration finished before the new API pods, on a fake kubectl and
 * helm (FakeCluster): which proof an upgrade owes (none when the API did not roll, the init
 * containers' own order when there is no hook), and the timestamps it judges when it owes one.
 */
class UpgraderTest {
    static final Instant HOOK_STARTED = Instant.parse("2026-12-07T10:00:00Z");
    static final Instant HOOK_DONE = Instant.parse("2026-12-07T10:00:10Z");
    static final String API = "app.kubernetes.io/instance=trevor,app.kubernetes.io/component=api";

    static final String HISTORY_BEFORE = "[{\"revision\":1,\"status\":\"deployed\",\"description\":\"Install complete\",\"updated\":\"2026-12-07T09:00:00Z\"}]";
    static final String HISTORY_AFTER = "[{\"revision\":1,\"status\":\"superseded\",\"description\":\"Install complete\",\"updated\":\"2026-12-07T09:00:00Z\"},"
            + "{\"revision\":2,\"status\":\"deployed\",\"description\":\"Upgrade complete\",\"updated\":\"2026-12-07T10:00:20Z\"}]";

    static Map<String, Object> deployment(int revision) {
        return Map.of("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", Map.of("name", "trevor-api", "namespace", "trevor",
                        "labels", Map.of("app.kubernetes.io/instance", "trevor", "app.kubernetes.io/component", "api"),
                        "annotations", Map.of("deployment.kubernetes.io/revision", String.valueOf(revision))),
                "spec", Map.of("selector", Map.of("matchLabels", Map.of("app.kubernetes.io/instance", "trevor", "app.kubernetes.io/component", "api"))),
                "status", Map.of("readyReplicas", 1));
    }

    static Map<String, Object> labelled(String kind, String name, Instant created, Map<String, Object> more) {
        var meta = new java.util.LinkedHashMap<String, Object>(Map.of("name", name, "namespace", "trevor", "creationTimestamp", created.toString(),
                "labels", Map.of("app.kubernetes.io/instance", "trevor", "app.kubernetes.io/component", "api", "pod-template-hash", "h2"),
                "annotations", Map.of("deployment.kubernetes.io/revision", "2")));
        var o = new java.util.LinkedHashMap<String, Object>(Map.of("apiVersion", "v1", "kind", kind, "metadata", meta));
        o.putAll(more);
        return o;
    }

    /**
     * A release at revision 1 on a fake whose helm upgrade makes revision 2: rolling the API
     * (a new ReplicaSet and pod, made at podMade) or not; the migration hook ran
     * HOOK_STARTED..HOOK_DONE; hookEnabled as the deployed values say.
     */
    static FakeCluster deployed(boolean rolls, boolean hookEnabled, Instant podMade) {
        var fake = new FakeCluster();
        boolean[] upgraded = {false};
        fake.put(Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", "trevor", "labels", Namespaces.POD_SECURITY)));
        fake.put(Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque", "metadata", Map.of("name", "trevor-env", "namespace", "trevor"),
                "data", Map.of("DATABASE_URL", Base64.getEncoder().encodeToString("postgresql://db/trevor".getBytes()))));
        fake.put(deployment(1));
        fake.on("helm template", 0, InstallerTest.RENDER, "")
                .on("helm get manifest", 0, InstallerTest.RENDER.substring(0, InstallerTest.RENDER.indexOf("---")), "")
                .on("helm get hooks", 0, InstallerTest.RENDER.substring(InstallerTest.RENDER.indexOf("---")), "")
                .on("helm get values trevor -o yaml", 0, "image:\n  tag: 1.2.2\n", "")
                .on("helm get values trevor --all", 0, "{\"migrations\": {\"hookEnabled\": " + hookEnabled + "}, \"podAnnotations\": {}}", "")
                .on("helm history", c -> FakeCluster.result(c, 0, upgraded[0] ? HISTORY_AFTER : HISTORY_BEFORE, ""))
                .on("kubectl apply", 0, "", "")
                .on("helm status trevor -o json", 0, Yaml.json(Map.of("hooks", List.of(Map.of("name", "trevor-migrate", "kind", "Job",
                        "last_run", Map.of("phase", "Succeeded", "started_at", HOOK_STARTED.toString(), "completed_at", HOOK_DONE.toString()))))), "")
                .on("helm upgrade --install", c -> {
                    upgraded[0] = true;
                    if (rolls) {
                        fake.put(deployment(2));
                        fake.put(labelled("ReplicaSet", "trevor-api-h2", podMade.minusSeconds(1), Map.of()));
                        fake.put(labelled("Pod", "trevor-api-h2-x", podMade, Map.of("status", Map.of("phase", "Running", "containerStatuses",
                                List.of(Map.of("name", "api", "ready", true, "state", Map.of("running", Map.of("startedAt", podMade.plusSeconds(1).toString()))))))));
                    }
                    return FakeCluster.result(c, 0, "Release \"trevor\" has been upgraded.", "");
                });
        return fake;
    }

    static Upgrader.Outcome upgrade(FakeCluster fake) {
        var o = Installer.Options.of(List.of(), List.of(), Duration.ofSeconds(30)).withTag("1.2.3");
        return Upgrader.upgrade(fake.release(), o, InstallerTest.quiet(new ByteArrayOutputStream()));
    }

    @Test
    void anUpgradeThatRolledTheAPIProvesTheMigrationFinishedBeforeItsFirstNewPod() {
        var fake = deployed(true, true, HOOK_DONE.plusSeconds(2));
        var out = upgrade(fake);
        assertTrue(out.rolled() && out.revisionBefore() == 1 && out.revisionAfter() == 2, out.toString());
        assertTrue(out.ordering().startsWith("migration Job trevor-migrate completed " + HOOK_DONE) && out.ordering().contains("first pod " + HOOK_DONE.plusSeconds(2)),
                out.ordering());
        // The proof reads Helm's record of the hook and this rollout's ReplicaSet and pods, after helm ran.
        var lines = fake.calls.stream().map(FakeCluster.Call::line).toList();
        int helm = lines.indexOf(fake.lines("helm upgrade --install").get(0));
        assertTrue(lines.indexOf(fake.lines("helm status trevor -o json").get(0)) > helm, lines.toString());
        assertTrue(lines.lastIndexOf("kubectl get pods -o json -n trevor -l " + API + ",pod-template-hash=h2") > helm, lines.toString());
    }

    @Test
    void anUpgradeWhoseFirstNewPodCameBeforeTheMigrationEndedFails() {
        var fake = deployed(true, true, HOOK_DONE.minusSeconds(4));
        var e = assertThrows(Report.Failure.class, () -> upgrade(fake));
        assertTrue(e.getMessage().contains("migration completed at " + HOOK_DONE + ", after"), e.getMessage());
    }

    @Test
    void anUpgradeThatStartedNoNewAPIPodsOwesNoOrderProof() {
        var fake = deployed(false, true, null);
        var out = upgrade(fake);
        assertTrue(!out.rolled(), out.toString());
        assertEquals("the API Deployment stayed at revision 1: this upgrade started no new API pods, so there is no migration-before-pods order to prove",
                out.ordering());
        assertEquals(List.of(), fake.lines("helm status"));
    }

    @Test
    void withoutTheHookEveryNewPodMigratesInItsInitContainer() {
        var fake = deployed(true, false, HOOK_DONE.minusSeconds(4));
        var out = upgrade(fake);
        assertTrue(out.rolled(), out.toString());
        assertEquals("migrations run as init containers (migrations.hookEnabled=false): every new pod migrates before it starts", out.ordering());
        assertEquals(List.of(), fake.lines("helm status"));
    }
}
