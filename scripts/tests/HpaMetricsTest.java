import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What status's HPA metrics check reads from an HPA's status: kubectl's TARGETS, and why it cannot compute. */
class HpaMetricsTest {
    private static final String SPEC = """
            {"metadata": {"name": "trevor"},
             "spec": {"minReplicas": 1, "maxReplicas": 3, "scaleTargetRef": {"name": "trevor"},
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
            """;

    private static Map<String, Object> hpa(String status) { return Yaml.loadMap(SPEC + "\"status\": " + status + "}"); }

    @Test
    void aComputedUtilisationIsShownAndPasses() {
        var h = hpa("""
                {"currentReplicas": 3, "desiredReplicas": 3,
                 "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 412, "averageValue": "206m"}}}],
                 "conditions": [{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]}""");
        assertNull(LiveChecks.hpaTrouble(h));
        assertEquals("HPA trevor: cpu 412%/80% (average 206m), replicas 3 (desired 3, min 1, max 3)", LiveChecks.hpaLine(h));
        assertEquals("cpu 412%/80% (average 206m)", HpaWatch.metrics(h));
    }

    @Test
    void aPodWithoutACpuRequestIsTheControllersOwnWords() {
        var h = hpa("""
                {"currentReplicas": 1, "desiredReplicas": 1, "currentMetrics": [{"type": ""}],
                 "conditions": [{"type": "AbleToScale", "status": "True"},
                                {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                                 "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container api of Pod trevor-1"}]}""");
        String why = LiveChecks.hpaTrouble(h);
        assertTrue(why.startsWith("ScalingActive False, FailedGetResourceMetric: ") && why.contains("missing request for cpu"), why);
        assertEquals("HPA trevor: cpu <unknown>/80%, replicas 1 (desired 1, min 1, max 3)", LiveChecks.hpaLine(h));
    }

    @Test
    void noCurrentValueIsUnknownEvenWithoutACondition() {
        var h = hpa("{\"currentReplicas\": 1, \"desiredReplicas\": 0}");
        assertEquals("current cpu <unknown> (no value in status.currentMetrics yet)", LiveChecks.hpaTrouble(h));
    }

    @Test
    void aContainerWithoutACpuRequestIsFoundInThePodTemplate() {
        var h = hpa("{\"currentReplicas\": 1}");
        var without = Yaml.loadMap("""
                {"metadata": {"name": "trevor"}, "spec": {"template": {"spec": {"containers": [
                  {"name": "api", "resources": {"requests": {"memory": "128Mi"}}}]}}}}""");
        String why = LiveChecks.missingRequests(h, without);
        assertTrue(why != null && why.startsWith("missing request for cpu in container api of Deployment trevor's pod template"), why);
        var with = Yaml.loadMap("""
                {"metadata": {"name": "trevor"}, "spec": {"template": {"spec": {"containers": [
                  {"name": "api", "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}}]}}}}""");
        assertNull(LiveChecks.missingRequests(h, with));
        var limitOnly = Yaml.loadMap("""
                {"metadata": {"name": "trevor"}, "spec": {"template": {"spec": {"containers": [
                  {"name": "api", "resources": {"limits": {"cpu": "1"}}}]}}}}""");
        assertNull(LiveChecks.missingRequests(h, limitOnly), "a limit alone becomes the request");
    }
}
