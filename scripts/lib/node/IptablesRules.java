import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What `iptables-save` printed, as tables of chains and rules, and what of it a real node
 * added since a snapshot taken before `up`: the kubelet's KUBE-FIREWALL / KUBE-KUBELET-CANARY
 * / KUBE-IPTABLES-HINT chains, kube-proxy's KUBE-* chains, the portmap plugin's CNI-* chains
 * and the node's own TREVOR-RN-* chain, with the jumps to them. Chains and rules that were
 * there before `up` are never touched.
 */
final class IptablesRules {
    private IptablesRules() {}

    /** One table: its chains (built-in and user-defined) and its "-A CHAIN …" lines in order. */
    record Table(String name, Set<String> chains, List<String> rules) {}

    /** Chains a real node's components create. */
    static boolean owned(String chain) {
        return chain.startsWith("KUBE-") || chain.startsWith("CNI-") || chain.startsWith("TREVOR-RN-");
    }

    /** Parses iptables-save output (without counters); unknown lines are ignored. */
    static Map<String, Table> parse(String save) {
        var tables = new LinkedHashMap<String, Table>();
        Table cur = null;
        for (String raw : save.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("*")) {
                cur = new Table(line.substring(1), new LinkedHashSet<>(), new ArrayList<>());
                tables.put(cur.name(), cur);
            } else if (cur == null) {
                continue;
            } else if (line.startsWith(":")) {
                cur.chains().add(line.substring(1).split("\\s+")[0]);
            } else if (line.startsWith("-A ")) {
                cur.rules().add(line);
            } else if (line.equals("COMMIT")) {
                cur = null;
            }
        }
        return tables;
    }

    static String chainOf(String rule) { return rule.split("\\s+")[1]; }

    /** The chain a rule jumps or goes to, or null. */
    static String targetOf(String rule) {
        String[] f = rule.split("\\s+");
        for (int i = 0; i + 1 < f.length; i++) if (f[i].equals("-j") || f[i].equals("-g")) return f[i + 1];
        return null;
    }

    /** What a table in `now` has that `before` did not, and that a real node makes. */
    record Added(String table, List<String> chains, List<String> rules) {
        boolean isEmpty() { return chains.isEmpty() && rules.isEmpty(); }
    }

    static List<Added> added(Map<String, Table> before, Map<String, Table> now) {
        var out = new ArrayList<Added>();
        for (var t : now.values()) {
            var old = before.getOrDefault(t.name(), new Table(t.name(), Set.of(), List.of()));
            var chains = new ArrayList<String>();
            for (String c : t.chains()) if (owned(c) && !old.chains().contains(c)) chains.add(c);
            var remaining = new ArrayList<>(old.rules());
            var rules = new ArrayList<String>();
            for (String r : t.rules()) {
                if (remaining.remove(r)) continue; // there before (counted once per copy)
                String target = targetOf(r);
                if (owned(chainOf(r)) || (target != null && owned(target))) rules.add(r);
            }
            var a = new Added(t.name(), chains, rules);
            if (!a.isEmpty()) out.add(a);
        }
        return out;
    }

    /**
     * An iptables-restore --noflush script that removes what {@link #added} found: the new
     * rules in chains that existed before, then every new chain (flushed first, since new
     * chains jump to each other). Empty when there is nothing to remove.
     */
    static String removalScript(List<Added> added) {
        var sb = new StringBuilder();
        for (var a : added) {
            sb.append('*').append(a.table()).append('\n');
            var newChains = new LinkedHashSet<>(a.chains());
            for (String r : a.rules()) {
                if (!newChains.contains(chainOf(r))) sb.append("-D ").append(r.substring(3)).append('\n');
            }
            for (String c : newChains) sb.append("-F ").append(c).append('\n');
            for (String c : newChains) sb.append("-X ").append(c).append('\n');
            sb.append("COMMIT\n");
        }
        return sb.toString();
    }

    /** One line per added chain or rule, for a leftovers list. */
    static List<String> describe(String family, List<Added> added) {
        var out = new ArrayList<String>();
        for (var a : added) {
            for (String c : a.chains()) out.add(family + " " + a.table() + " chain " + c);
            for (String r : a.rules()) if (!a.chains().contains(chainOf(r))) out.add(family + " " + a.table() + " rule " + r);
        }
        return out;
    }
}
