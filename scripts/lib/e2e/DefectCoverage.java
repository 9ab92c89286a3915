import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of a suite's checks a case here makes fail by name, counted from what the suite
 * itself lists or printed (not by hand): printed as a block at the end, and a check of its
 * own that fails on a check with neither a case nor a reason in exempt, and on a case or
 * an exemption whose check is gone.
 */
record DefectCoverage(String part, String noun, List<String> checks, Set<String> covered, Map<String, String> exempt, List<String> notCounted) {
    List<String> without() {
        return checks.stream().filter(c -> !covered.contains(c) && !exempt.containsKey(c)).toList();
    }

    List<String> exempted() { return checks.stream().filter(c -> !covered.contains(c) && exempt.containsKey(c)).toList(); }

    List<String> withCase() { return checks.stream().filter(covered::contains).toList(); }

    /** Exemptions and cases that name no check of the suite: renamed or removed checks. */
    List<String> stale() {
        var out = new ArrayList<String>();
        exempt.keySet().stream().filter(e -> !checks.contains(e)).sorted().forEach(e -> out.add("exempt, but no such " + noun + ": " + e));
        covered.stream().filter(c -> !checks.contains(c) && !notCounted.contains(c)).sorted().forEach(c -> out.add("a case here, but no such " + noun + ": " + c));
        return out;
    }

    String line() {
        return String.format(java.util.Locale.ROOT, "%s: %d %ss, %d with a failing case here, %d exempt, %d without one%s", part, checks.size(), noun,
                withCase().size(), exempted().size(), without().size(), notCounted.isEmpty() ? "" : " (" + notCounted.size() + " more never PASS: INFO or SKIP)");
    }

    void print(PrintStream out) {
        out.println("coverage: " + line());
        for (String c : exempted()) out.println("  exempt: " + c + " — " + exempt.get(c));
        for (String c : without()) out.println("  WITHOUT A FAILING CASE: " + c);
        for (String c : notCounted) out.println("  not counted (INFO or SKIP, never a PASS): " + c);
        for (String s : stale()) out.println("  STALE: " + s);
    }
}
