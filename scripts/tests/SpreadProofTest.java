import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of the spread proof that need no cluster: the scratch Deployment and the count of what the scheduler did. */
class SpreadProofTest {
    static final Map<String, Object> RENDERED = Map.of("maxSkew", 1, "topologyKey", "kubernetes.io/hostname", "whenUnsatisfiable", "DoNotSchedule",
            "nodeTaintsPolicy", "Honor", "nodeAffinityPolicy", "Honor", "labelSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/component", "api")));

    @Test
    void scratchPodsKeepTheConstraintsButCountOnlyThemselves() {
        var c = SpreadProof.forScratchPods(List.of(RENDERED), "honor").get(0);
        assertEquals(Map.of("matchLabels", Map.of(SpreadProof.LABEL, "honor")), c.get("labelSelector"));
        assertEquals("Honor", c.get("nodeTaintsPolicy"));
        var before = SpreadProof.withoutPolicies(List.of(RENDERED)).get(0);
        assertFalse(before.containsKey("nodeTaintsPolicy") || before.containsKey("nodeAffinityPolicy"), before.toString());
        var d = Yaml.loadMap(SpreadProof.deployment("ignore", "ns", 3, List.of(before)));
        assertEquals(3, Yaml.at(d, "spec.replicas"));
        assertEquals("ignore", Yaml.strings(d, "spec.template.metadata.labels").get(SpreadProof.LABEL));
        assertEquals(1, Yaml.maps(d, "spec.template.spec.topologySpreadConstraints").size());
    }

    @Test
    void countsPlacedAndRefusedPods() {
        var placed = Map.<String, Object>of("spec", Map.of("nodeName", "kwok-node-1"), "status", Map.of());
        var refused = Map.<String, Object>of("spec", Map.of(), "status", Map.of("conditions", List.of(Map.of("type", "PodScheduled", "status", "False",
                "reason", "Unschedulable", "message", "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints"))));
        var waiting = Map.<String, Object>of("spec", Map.of(), "status", Map.of());
        var o = SpreadProof.count(List.of(placed, refused, refused, waiting));
        assertEquals(1, o.scheduled());
        assertEquals(2, o.pending());
        assertTrue(o.why().contains("topology spread"), o.why());
        assertNull(SpreadProof.count(List.of(placed)).why());
    }
}
