import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Label selectors evaluated offline, as the API server evaluates them. */
class SelectorsTest {
    static final Map<String, String> API_POD = Map.of("app", "trevor", "component", "api", "tier", "web");

    private static Selectors.Selector sel(String yaml) { return Selectors.Selector.of(Yaml.loadMap(yaml)); }

    @Test
    void matchLabelsNeedsEveryLabelWithTheSameValue() {
        var s = sel("matchLabels: {app: trevor, component: api}");
        assertTrue(s.matches(API_POD));
        assertFalse(s.matches(Map.of("app", "trevor", "component", "worker")), "a different value");
        assertFalse(s.matches(Map.of("app", "trevor")), "a missing label");
        assertFalse(s.matches(Map.of()));
    }

    @Test
    void numericLabelValuesCompareAsStrings() {
        assertTrue(sel("matchLabels: {version: 2}").matches(Map.of("version", "2")));
    }

    @Test
    void in() {
        var s = sel("matchExpressions: [{key: component, operator: In, values: [api, worker]}]");
        assertTrue(s.matches(API_POD));
        assertTrue(s.matches(Map.of("component", "worker")));
        assertFalse(s.matches(Map.of("component", "migrate")));
        assertFalse(s.matches(Map.of("app", "trevor")), "In never matches a pod without the key");
    }

    @Test
    void notIn() {
        var s = sel("matchExpressions: [{key: component, operator: NotIn, values: [worker, migrate]}]");
        assertTrue(s.matches(API_POD));
        assertFalse(s.matches(Map.of("component", "worker")));
        assertTrue(s.matches(Map.of("app", "trevor")), "NotIn matches a pod without the key");
    }

    @Test
    void exists() {
        var s = sel("matchExpressions: [{key: tier, operator: Exists}]");
        assertTrue(s.matches(API_POD));
        assertTrue(s.matches(Map.of("tier", "")));
        assertFalse(s.matches(Map.of("app", "trevor")));
    }

    @Test
    void doesNotExist() {
        var s = sel("matchExpressions: [{key: tier, operator: DoesNotExist}]");
        assertFalse(s.matches(API_POD));
        assertTrue(s.matches(Map.of("app", "trevor")));
    }

    @Test
    void labelsAndExpressionsMustAllHold() {
        var s = sel("""
                matchLabels: {app: trevor}
                matchExpressions:
                  - {key: component, operator: In, values: [api]}
                  - {key: canary, operator: DoesNotExist}
                """);
        assertTrue(s.matches(API_POD));
        assertFalse(s.matches(Map.of("app", "other", "component", "api")));
        assertFalse(s.matches(Map.of("app", "trevor", "component", "api", "canary", "yes")));
    }

    @Test
    void aServiceSelectorIsAPlainLabelMap() {
        var s = sel("{app: trevor, component: api}");
        assertEquals(Map.of("app", "trevor", "component", "api"), s.matchLabels());
        assertTrue(s.matchExpressions().isEmpty());
        assertTrue(s.matches(API_POD));
        assertFalse(s.matches(Map.of("app", "trevor", "component", "worker")));
    }

    @Test
    void anEmptySelectorMatchesEverything() {
        for (var s : new Selectors.Selector[] {Selectors.Selector.of(null), sel("{}"), sel("matchLabels: {}"),
                sel("matchLabels: {}\nmatchExpressions: []")}) {
            assertTrue(s.isEmpty(), s::toString);
            assertTrue(s.matches(Map.of()));
            assertTrue(s.matches(API_POD));
            assertEquals("(everything)", s.toString());
        }
        assertFalse(sel("matchLabels: {app: trevor}").isEmpty());
        assertFalse(sel("matchExpressions: [{key: a, operator: Exists}]").isEmpty());
    }

    @Test
    void unknownOperatorThrowsNamingIt() {
        var s = sel("matchExpressions: [{key: component, operator: Equals, values: [api]}]");
        var e = assertThrows(IllegalArgumentException.class, () -> s.matches(API_POD));
        assertTrue(e.getMessage().contains("Equals"), e.getMessage());
        // operators are case-sensitive in the API
        assertThrows(IllegalArgumentException.class, () -> sel("matchExpressions: [{key: a, operator: in, values: [b]}]").matches(Map.of("a", "b")));
    }

    @Test
    void toStringShowsLabelsAndExpressions() {
        assertEquals("app=trevor,component In [api, worker]",
                sel("matchLabels: {app: trevor}\nmatchExpressions: [{key: component, operator: In, values: [api, worker]}]").toString());
    }

    @Test
    void podSelectorOfEachKind() {
        var objs = Manifests.parse("""
                ---
                kind: Service
                spec:
                  selector: {component: api}
                ---
                kind: Deployment
                spec:
                  selector:
                    matchLabels: {component: worker}
                ---
                kind: PodDisruptionBudget
                spec:
                  selector:
                    matchExpressions: [{key: component, operator: In, values: [api]}]
                ---
                kind: NetworkPolicy
                spec:
                  podSelector:
                    matchLabels: {component: api}
                ---
                kind: ConfigMap
                data: {a: b}
                """);
        var api = Map.of("component", "api");
        var worker = Map.of("component", "worker");
        var svc = Selectors.podSelectorOf(objs.get(0));
        assertTrue(svc.matches(api) && !svc.matches(worker));
        var dep = Selectors.podSelectorOf(objs.get(1));
        assertTrue(dep.matches(worker) && !dep.matches(api));
        var pdb = Selectors.podSelectorOf(objs.get(2));
        assertTrue(pdb.matches(api) && !pdb.matches(worker));
        var np = Selectors.podSelectorOf(objs.get(3));
        assertTrue(np.matches(api) && !np.matches(worker));
        assertNull(Selectors.podSelectorOf(objs.get(4)));
    }

    @Test
    void anEmptyNetworkPolicyPodSelectorSelectsEveryPod() {
        var np = Manifests.parse("kind: NetworkPolicy\nspec:\n  podSelector: {}\n").get(0);
        assertTrue(Selectors.podSelectorOf(np).isEmpty());
        assertTrue(Selectors.podSelectorOf(np).matches(API_POD));
    }
}
