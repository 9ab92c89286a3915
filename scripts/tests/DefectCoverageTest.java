import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The defects stage's own count: a check with neither a failing case nor a reason is named, and so is a case or reason whose check is gone. */
class DefectCoverageTest {
    @Test
    void aCheckWithoutACaseOrReasonIsNamed() {
        var c = new DefectCoverage("e2e", "check", List.of("a", "b", "c", "d"), Set.of("a", "b"), Map.of("c", "a fatal stage"), List.of("i"));
        assertEquals(List.of("a", "b"), c.withCase());
        assertEquals(List.of("c"), c.exempted());
        assertEquals(List.of("d"), c.without());
        assertEquals(List.of(), c.stale());
        assertEquals("e2e: 4 checks, 2 with a failing case here, 1 exempt, 1 without one (1 more never PASS: INFO or SKIP)", c.line());
    }

    @Test
    void aCaseOrReasonWhoseCheckIsGoneIsStale() {
        var c = new DefectCoverage("safety", "case", List.of("a"), Set.of("a", "renamed"), Map.of("removed", "why"), List.of());
        assertEquals(List.of("exempt, but no such case: removed", "a case here, but no such case: renamed"), c.stale());
        assertTrue(c.without().isEmpty());
    }

    /** safety.java --list names its cases without a cluster; every guard's case and every exemption is one of them. */
    @Test
    @org.junit.jupiter.api.Tag("scripts") // starts safety.java: test.java's scripts stage
    void everySafetyGuardAndExemptionNamesACaseThatSafetyLists() {
        var r = Exec.run(List.of(Repo.root().resolve("jbang").toString(), Repo.root().resolve("scripts/safety.java").toString(), "--list"),
                Repo.root(), Map.of(), java.time.Duration.ofMinutes(5), null);
        assertEquals(0, r.exit(), r.said());
        var cases = r.out().lines().filter(l -> l.startsWith("CASE  ")).map(l -> l.substring(6)).toList();
        assertTrue(cases.size() >= 40, "safety.java --list printed " + cases.size() + " cases: " + r.out());
        assertTrue(cases.contains("no secret value appears in any output, report or diagnostics file"), cases.toString());
        var named = new java.util.ArrayList<String>(ScriptDefects.SAFETY_EXEMPT.keySet());
        ScriptDefects.safetyRuns().forEach(run -> run.forEach(g -> g.fails().forEach(x -> named.add(x.check()))));
        var missing = named.stream().filter(n -> !cases.contains(n)).toList();
        assertTrue(missing.isEmpty(), "guards or exemptions that name no case of safety.java --list: " + missing);
    }
}
