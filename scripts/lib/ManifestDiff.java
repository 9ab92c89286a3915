import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** What an upgrade changes: the deployed manifests against the new render, object by object. */
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

    /** Objects by "Kind/name", as normalised YAML (key order and formatting do not count). */
    static Map<String, String> byId(String multiDoc) {
        var out = new LinkedHashMap<String, String>();
        for (var o : Manifests.parse(multiDoc)) out.put(o.id(), Yaml.dump(o.body()));
        return out;
    }

    /** Changed lines with `context` lines around them: "-" before, "+" after. */
    static String lines(List<String> a, List<String> b, int context) {
        int n = a.size(), m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        var ops = new ArrayList<String>();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) { ops.add("  " + a.get(i)); i++; j++; }
            else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) { ops.add("+ " + b.get(j)); j++; }
            else { ops.add("- " + a.get(i)); i++; }
        }
        var keep = new boolean[ops.size()];
        for (int k = 0; k < ops.size(); k++) {
            if (ops.get(k).startsWith("  ")) continue;
            for (int c = Math.max(0, k - context); c <= Math.min(ops.size() - 1, k + context); c++) keep[c] = true;
        }
        var out = new StringBuilder();
        boolean gap = false;
        for (int k = 0; k < ops.size(); k++) {
            if (keep[k]) {
                if (gap) out.append("  …\n");
                out.append(ops.get(k)).append("\n");
                gap = false;
            } else {
                gap = true;
            }
        }
        return out.toString();
    }
}
