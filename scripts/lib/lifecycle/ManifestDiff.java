//DEPS io.github.java-diff-utils:java-diff-utils:4.15
//SOURCES ../kube/Manifests.java
//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;

/**
 * What an upgrade changes: the deployed manifests against the new render, object by object, each changed
 * one as a unified diff (java-diff-utils).
 */
final class ManifestDiff {
    private ManifestDiff() {}

    /** A unified-style diff per changed object; empty when nothing changes. */
    static String diff(String deployed, String rendered) {
        var before = byId(deployed);
        var after = byId(rendered);
        var out = new StringBuilder();
        for (String id : new TreeSet<>(union(before, after))) {
            String a = before.get(id);
            String b = after.get(id);
            if (a != null && a.equals(b)) continue;
            if (a == null) out.append("+++ ").append(id).append(" (new)\n");
            else if (b == null) out.append("--- ").append(id).append(" (removed)\n");
            else {
                out.append("~~~ ").append(id).append("\n");
                out.append(lines(a.lines().toList(), b.lines().toList(), 2));
            }
        }
        return out.toString();
    }

    private static List<String> union(Map<String, String> a, Map<String, String> b) {
        var all = new ArrayList<>(a.keySet());
        all.addAll(b.keySet());
        return all;
    }

    /** Objects by "Kind/name", as re-dumped YAML (formatting does not count; key order does). */
    static Map<String, String> byId(String multiDoc) {
        var out = new LinkedHashMap<String, String>();
        for (var o : Manifests.parse(multiDoc)) out.put(o.id(), Yaml.dump(o.body()));
        return out;
    }

    /**
     * The changed lines of one object in unified format, with {@code context} lines around them: an
     * "@@ -l,n +l,n @@" header per hunk, then " " kept, "-" before, "+" after.
     */
    static String lines(List<String> a, List<String> b, int context) {
        var unified = UnifiedDiffUtils.generateUnifiedDiff("before", "after", a, DiffUtils.diff(a, b), context);
        var out = new StringBuilder();
        // the first two lines are the "--- before" / "+++ after" file header: the object's header says that
        for (String line : unified.subList(Math.min(2, unified.size()), unified.size())) out.append(line).append('\n');
        return out.toString();
    }
}
