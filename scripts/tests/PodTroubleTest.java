import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which pods install stops waiting for, from pod objects as `kubectl get pod -o json` returns
 * them (scripts/tests/fixtures/pods), with the kubelet's and the scheduler's own reason and
 * message strings.
 */
class PodTroubleTest {
    static final Path PODS = Path.of("scripts/tests/fixtures/pods");

    static Map<String, Object> pod(String file) throws Exception {
        return Yaml.loadMap(Files.readString(PODS.resolve(file)));
    }

    @ParameterizedTest(name = "{0} → {1} {2}")
    @CsvSource({
        "err-image-never-pull.json, IMAGE, ErrImageNeverPull, api",
        "image-pull-backoff.json, IMAGE, ImagePullBackOff, api",
        "err-image-pull.json, IMAGE, ErrImagePull, api",
        "invalid-image-name.json, IMAGE, InvalidImageName, api",
        "init-image-pull-backoff.json, IMAGE, ImagePullBackOff, wait-for-db",
        "create-container-config-error.json, CONFIG, CreateContainerConfigError, api",
        "crash-loop-backoff.json, CRASH, CrashLoopBackOff, worker",
    })
    void waitingCannotCureThese(String file, PodTrouble.Kind kind, String reason, String container) throws Exception {
        var f = PodTrouble.classify(pod(file));
        assertNotNull(f, file);
        assertEquals(kind, f.kind());
        assertEquals(reason, f.reason());
        assertEquals(container, f.container());
        assertTrue(f.describe().startsWith("pod " + Yaml.str(pod(file), "metadata.name") + " (container " + container + "): " + reason),
                f.describe());
    }

    @Test
    void unschedulableCarriesTheSchedulersMessage() throws Exception {
        var f = PodTrouble.classify(pod("unschedulable.json"));
        assertEquals(PodTrouble.Kind.UNSCHEDULABLE, f.kind());
        assertTrue(f.describe().contains("0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints"), f.describe());
        assertTrue(f.advice(false).contains("topologySpreadConstraints"), f.advice(false));
    }

    @Test
    void theKubeletsMessageIsKept() throws Exception {
        assertTrue(PodTrouble.classify(pod("err-image-never-pull.json")).describe()
                .contains("Container image \"trevor:dev\" is not present with pull policy of Never"));
        assertTrue(PodTrouble.classify(pod("create-container-config-error.json")).describe().contains("secret \"trevor-env\" not found"));
        var crash = PodTrouble.classify(pod("crash-loop-backoff.json")).describe();
        assertTrue(crash.contains("restarted 4 times") && crash.contains("exit code 1") && crash.contains("KeyError: 'REDIS_URL'"), crash);
    }

    @Test
    void imageAdviceOnARealNodeNamesItsValuesAndTheImageBuild() throws Exception {
        var f = PodTrouble.classify(pod("err-image-never-pull.json"));
        assertTrue(f.advice(true).contains("-f values/real-node.yaml") && f.advice(true).contains("./jbang scripts/images.java"), f.advice(true));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"running-ready.json", "container-creating.json", "crash-loop-first-restart.json"})
    void waitingMayStillHelpThese(String file) throws Exception {
        assertNull(PodTrouble.classify(pod(file)), file);
    }

    @Test
    void aPodOnItsWayOutIsNoLongerAConcern() throws Exception {
        var p = pod("image-pull-backoff.json");
        Yaml.map(p, "metadata").put("deletionTimestamp", "2026-12-06T20:16:00Z");
        assertNull(PodTrouble.classify(p));
    }

    @Test
    void notReadySaysPhaseAndReason() throws Exception {
        assertNull(PodTrouble.notReady(pod("running-ready.json")));
        assertEquals("trevor-6c9f7d8b5-x2x9q Pending, api ErrImageNeverPull", PodTrouble.notReady(pod("err-image-never-pull.json")));
        String u = PodTrouble.notReady(pod("unschedulable.json"));
        assertTrue(u.startsWith("trevor-7b8c9d6f5-8xk2v Pending, Unschedulable: 0/3 nodes are available"), u);
    }

    private static final long S = 1_000_000_000L;

    @Test
    void aReasonThatMayPassMustLastSettleSecondsBeforeTheRunStops() throws Exception {
        var seen = new java.util.HashMap<String, Long>();
        var pods = java.util.List.of(pod("unschedulable.json"));
        assertNull(PodWatch.settled(pods, java.util.Set.of(), seen, 0), "first sight");
        assertNull(PodWatch.settled(pods, java.util.Set.of(), seen, 5 * S), "after 5 s");
        assertEquals("Unschedulable", PodWatch.settled(pods, java.util.Set.of(), seen, 6 * S).reason(), "after 6 s");
    }

    @Test
    void aReasonThatCannotChangeStopsAtOnce() throws Exception {
        var f = PodWatch.settled(java.util.List.of(pod("err-image-never-pull.json")), java.util.Set.of(), new java.util.HashMap<>(), 0);
        assertEquals("ErrImageNeverPull", f.reason());
    }

    @Test
    void podsThatWereThereBeforeTheRunAreNotItsToJudge() throws Exception {
        var p = pod("err-image-never-pull.json");
        assertNull(PodWatch.settled(java.util.List.of(p), java.util.Set.of(Yaml.str(p, "metadata.uid")), new java.util.HashMap<>(), 60 * S));
    }

    @Test
    void noUnschedulableVerdictWhileAPodTerminates() throws Exception {
        var going = pod("running-ready.json");
        Yaml.map(going, "metadata").put("deletionTimestamp", "2026-12-06T20:16:00Z");
        var seen = new java.util.HashMap<String, Long>();
        var pods = java.util.List.of(pod("unschedulable.json"), going);
        PodWatch.settled(pods, java.util.Set.of(), seen, 0);
        assertNull(PodWatch.settled(pods, java.util.Set.of(), seen, 60 * S));
    }

    @Test
    void aReasonThatWentAwayStartsItsClockAgain() throws Exception {
        var seen = new java.util.HashMap<String, Long>();
        var stuck = java.util.List.of(pod("image-pull-backoff.json"));
        PodWatch.settled(stuck, java.util.Set.of(), seen, 0);
        PodWatch.settled(java.util.List.of(pod("running-ready.json")), java.util.Set.of(), seen, 4 * S);
        assertNull(PodWatch.settled(stuck, java.util.Set.of(), seen, 8 * S), "seen again at 8 s: its clock starts at 8 s");
        assertNotNull(PodWatch.settled(stuck, java.util.Set.of(), seen, 14 * S));
    }
}
