import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** upgrade's proof that migrations ran before new API pods, about this rollout's pods whichever ReplicaSet they belong to. */
class OrderProofTest {
    private static final Release.HookRun HOOK = new Release.HookRun("trevor-migrate", "Job", "Succeeded",
            Instant.parse("2026-12-06T20:28:05.10Z"), Instant.parse("2026-12-06T20:28:19.94Z"));

    private static Map<String, Object> rs(String created) {
        return Map.of("metadata", Map.of("name", "trevor-7996c8b49", "creationTimestamp", created));
    }

    private static Map<String, Object> pod(String created, String started) {
        return Map.of("metadata", Map.of("creationTimestamp", created),
                "status", Map.of("containerStatuses", List.of(Map.of("state", Map.of("running", Map.of("startedAt", started))))));
    }

    @Test
    void aRolloutThatReusesAnEarlierReplicaSetIsJudgedByItsNewPods() {
        // As seen on the real node: the rollout went back to a template whose ReplicaSet was made minutes before.
        String said = LiveChecks.orderProof(HOOK, rs("2026-12-06T20:25:57Z"),
                List.of(pod("2026-12-06T20:28:20Z", "2026-12-06T20:28:21Z"), pod("2026-12-06T20:28:22Z", "2026-12-06T20:28:23Z")));
        assertTrue(said.contains("reused ReplicaSet trevor-7996c8b49") && said.contains("first pod 2026-12-06T20:28:20Z"), said);
    }

    @Test
    void aPodOfThisRolloutMadeBeforeTheMigrationEndedFails() {
        var e = assertThrows(Report.Failure.class, () -> LiveChecks.orderProof(HOOK, rs("2026-12-06T20:25:57Z"),
                List.of(pod("2026-12-06T20:28:12Z", "2026-12-06T20:28:13Z"))));
        assertTrue(e.getMessage().contains("after the first new pod of this rollout was created at 2026-12-06T20:28:12Z"), e.getMessage());
    }

    @Test
    void aNewReplicaSetMadeBeforeTheMigrationEndedFails() {
        var e = assertThrows(Report.Failure.class, () -> LiveChecks.orderProof(HOOK, rs("2026-12-06T20:28:10Z"),
                List.of(pod("2026-12-06T20:28:25Z", "2026-12-06T20:28:26Z"))));
        assertTrue(e.getMessage().contains("after ReplicaSet trevor-7996c8b49 was created at 2026-12-06T20:28:10Z"), e.getMessage());
    }

    @Test
    void noPodOfThisRolloutIsNoProof() {
        var e = assertThrows(Report.Failure.class, () -> LiveChecks.orderProof(HOOK, rs("2026-12-06T20:25:57Z"),
                List.of(pod("2026-12-06T20:26:00Z", "2026-12-06T20:26:01Z"))));
        assertTrue(e.getMessage().contains("no pod of this rollout found"), e.getMessage());
    }
}
