//SOURCES ../cluster/Daemons.java
//SOURCES NodeHost.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NetworkPolicy enforcement on the real node: kube-network-policies (sigs.k8s.io, built by
 * {@link NodeBinaries} from scripts/controlplane/netpol) as a host daemon with the cluster's
 * kubeconfig. The node's CNI is a plain bridge that enforces nothing; the daemon judges each
 * new connection of a pod, handed to it through an nfqueue, against the NetworkPolicies.
 *
 * <p>What hands the connections over is the dataplane, and there are two:
 * <ul>
 * <li>{@link Dataplane#NFTABLES}, upstream's own: the daemon writes an inet nftables table whose
 *   rules queue the pods' new connections. It needs nftables' queue expression (nft_queue).
 * <li>{@link Dataplane#IPTABLES}, for kernels without nft_queue (this machine kind's 6.18 has
 *   nfnetlink_queue and iptables' NFQUEUE target, but refuses an nftables queue rule with
 *   ENOENT): `up` writes the same rules as iptables mangle chains (TREVOR-RN-NETPOL*, which
 *   `down` removes with the node's other chains). The daemon's own nftables sync then fails
 *   and is retried in its log, harmlessly: the judging is the same code either way.
 * </ul>
 * Both fail closed, as upstream does by default: a new connection of a pod with no daemon bound
 * to the queue is dropped, never let through unjudged.
 */
final class NodePolicies {
    private NodePolicies() {}

    static final String DAEMON = "kube-network-policies";
    /** One real node per machine, so fixed names are enough (and `down` can find them after a crash). */
    static final String TABLE = "trevor-netpol";
    static final int QUEUE = 100;

    /** Where the kernel announces its netfilter queues: one line per bound queue. */
    static final Path NFQUEUE_PROC = Path.of("/proc/net/netfilter/nfnetlink_queue");

    /** How the pods' new connections reach the daemon's queue. */
    enum Dataplane { NFTABLES, IPTABLES }

    /** The iptables dataplane's chains (TREVOR-RN-: the node's own, removed by `down` with its other chains). */
    static final String CHAIN_OUT = "TREVOR-RN-NETPOL";
    static final String CHAIN_IN = "TREVOR-RN-NETPOL-IN";

    /**
     * The iptables dataplane, as upstream's nftables rules (controller.go, syncNFTablesRules):
     * established and related packets pass; the host's own root processes pass (the kubelet's
     * probes; upstream's skuid 0 rule, which iptables allows only in POSTROUTING); every other
     * new connection from or to a pod goes to the queue. Upstream hooks postrouting only, so a
     * pod's packets to the node itself (the cluster DNS, a host process at the bridge gateway)
     * are never judged and a policy without a DNS rule still resolves; INPUT is queued here too,
     * so that egress to the node is held to the policy like any other.
     */
    static String iptablesRules(String podCidr) { return iptablesRules(podCidr, List.of()); }

    /**
     * hostSources: addresses that are the machine itself seen from a node in a network
     * namespace of its own (real-1): its root processes' connections arrive forwarded, so the
     * owner match cannot see them; they pass as the node's own, like upstream's skuid 0 rule.
     */
    static String iptablesRules(String podCidr, List<String> hostSources) {
        String queue = "-j NFQUEUE --queue-num " + QUEUE;
        var host = new StringBuilder();
        for (String h : hostSources) {
            host.append("-A ").append(CHAIN_OUT).append(" -s ").append(h)
                    .append(" -m comment --comment \"trevor: the own connections of the machine, as the node\" -j RETURN\n");
        }
        return "*mangle\n:" + CHAIN_OUT + " - [0:0]\n:" + CHAIN_IN + " - [0:0]\n"
                + "-A " + CHAIN_OUT + " -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n"
                + "-A " + CHAIN_OUT + " -m owner --uid-owner 0 -j RETURN\n"
                + host
                + "-A " + CHAIN_OUT + " -m comment --comment \"trevor real node: kube-network-policies judges new pod connections\" " + queue + "\n"
                + "-A " + CHAIN_IN + " -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n"
                + "-A " + CHAIN_IN + " -m comment --comment \"trevor real node: kube-network-policies judges pods' connections to the node\" " + queue + "\n"
                + "-A POSTROUTING -s " + podCidr + " -j " + CHAIN_OUT + "\n"
                + "-A POSTROUTING -d " + podCidr + " -j " + CHAIN_OUT + "\n"
                + "-A INPUT -s " + podCidr + " -j " + CHAIN_IN + "\n"
                + "COMMIT\n";
    }

    /** Writes the iptables dataplane (after the daemon bound its queue: the rules fail closed). */
    static void installIptables(String podCidr) {
        var r = Exec.run(List.of("iptables-restore", "--noflush"), null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(30), null, iptablesRules(podCidr));
        if (!r.ok()) throw new Problem.Failed("iptables-restore (the NetworkPolicy queue rules, chain " + CHAIN_OUT + ") failed: " + r.said());
    }

    /** True when the iptables dataplane's chain is in the kernel. */
    static boolean chainPresent() {
        return Exec.run(List.of("iptables", "-t", "mangle", "-S", CHAIN_OUT), null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(20), null).ok();
    }

    /**
     * The dataplane this kernel can run, or null when neither: nftables' when its queue rule is
     * taken (upstream's way), else iptables' when its NFQUEUE rule is (probes as in {@link #kernelLacks}).
     */
    static Dataplane dataplane(Path nfqueueProc, Exec.Result nftProbe, Exec.Result queueProbe, Exec.Result iptablesProbe) {
        if (!Files.exists(nfqueueProc)) return null;
        if (nftProbe != null && nftProbe.ok() && queueProbe != null && queueProbe.ok()) return Dataplane.NFTABLES;
        if (iptablesProbe != null && iptablesProbe.ok()) return Dataplane.IPTABLES;
        return null;
    }

    static List<String> args(Path binary, Path kubeconfig, String node) {
        return List.of(binary.toString(), "--kubeconfig", kubeconfig.toString(), "--hostname-override", node,
                "--nfqueue-id", String.valueOf(QUEUE), "--nftables-table", TABLE, "--metrics-bind-address", "127.0.0.1:0", "-v", "1");
    }

    /**
     * What this kernel lacks for enforcement, by name; empty when it has all a dataplane needs.
     * nfqueueProc is the file the kernel has only with nfnetlink_queue; nftProbe is `nft list
     * tables`; queueProbe is a rule with nftables' queue expression (nft_queue, CONFIG_NFT_QUEUE),
     * which a kernel can lack while it has nfnetlink_queue (this machine's 6.18 does: ENOENT);
     * iptablesProbe is an iptables NFQUEUE rule (xt_NFQUEUE), the other way to the queue.
     */
    static List<String> kernelLacks(Path nfqueueProc, Exec.Result nftProbe, Exec.Result queueProbe, Exec.Result iptablesProbe) {
        var lacks = new ArrayList<String>();
        if (!Files.exists(nfqueueProc)) {
            lacks.add("nfqueue (nfnetlink_queue: " + nfqueueProc + " is missing)");
            return lacks;
        }
        if (dataplane(nfqueueProc, nftProbe, queueProbe, iptablesProbe) != null) return lacks;
        if (nftProbe == null || !nftProbe.ok()) {
            lacks.add("nftables (nf_tables: `nft list tables` failed" + (nftProbe == null ? "" : ": " + firstLine(nftProbe.said())) + ")");
        } else {
            lacks.add("nftables' queue expression (nft_queue, CONFIG_NFT_QUEUE: a rule `queue num " + QUEUE + "` was refused"
                    + (queueProbe == null ? "" : ": " + firstLine(queueProbe.said())) + ")");
        }
        lacks.add("iptables' NFQUEUE target (xt_NFQUEUE: a rule `-j NFQUEUE` was refused"
                + (iptablesProbe == null ? "" : ": " + firstLine(iptablesProbe.said())) + ")");
        return lacks;
    }

    /** What the kernel says to each probe, asked with throwaway objects that see no traffic. */
    record Probes(Exec.Result nft, Exec.Result nftQueue, Exec.Result iptablesQueue) {
        List<String> lacks() { return kernelLacks(NFQUEUE_PROC, nft, nftQueue, iptablesQueue); }
        Dataplane dataplane() { return NodePolicies.dataplane(NFQUEUE_PROC, nft, nftQueue, iptablesQueue); }
    }

    static Probes probe() {
        // The iptables probe makes the mangle table when the machine had none: it goes again below.
        var before = NodeHost.nftTablesNow();
        var list = nft("list", "tables");
        Exec.Result queue = null;
        if (list.ok()) {
            String t = "trevor-netpol-probe";
            nft("delete", "table", "inet", t);
            // A regular chain (no hook): the rule is only parsed by the kernel, never reached by a packet.
            queue = nft("add", "table", "inet", t);
            if (queue.ok()) queue = nft("add", "chain", "inet", t, "c");
            if (queue.ok()) queue = nft("add", "rule", "inet", t, "c", "queue", "num", String.valueOf(QUEUE), "bypass");
            nft("delete", "table", "inet", t);
        }
        // Likewise a chain nothing jumps to.
        String c = "TREVOR-RN-NETPOL-PROBE";
        iptables("-t", "mangle", "-F", c);
        iptables("-t", "mangle", "-X", c);
        var ipt = iptables("-t", "mangle", "-N", c);
        if (ipt.ok()) ipt = iptables("-t", "mangle", "-A", c, "-m", "conntrack", "--ctstate", "NEW", "-j", "NFQUEUE", "--queue-num", String.valueOf(QUEUE));
        iptables("-t", "mangle", "-F", c);
        iptables("-t", "mangle", "-X", c);
        NodeHost.deleteEmptyTablesAdded(before);
        return new Probes(list, queue, ipt);
    }

    private static Exec.Result iptables(String... args) {
        var cmd = new ArrayList<String>(List.of("iptables"));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(20), null);
    }

    /** With require (up --require-network-policies): refuses, before `up` changes anything, a kernel that cannot enforce (exit 2). */
    static void checkKernel(List<String> lacks, boolean require) {
        if (!lacks.isEmpty() && require) {
            throw new Problem.BadInput("this kernel cannot enforce NetworkPolicies on the real node: it lacks " + String.join(" and ", lacks)
                    + "; kube-network-policies needs them (no module can be loaded here: use a kernel built with them, or run without "
                    + "--require-network-policies to get a node that does not enforce them)");
        }
    }

    /** Where `up` records why it started no enforcement, for `status` and e2e. */
    static Path notEnforcedFile(Path nodeDir) { return nodeDir.resolve("network-policies-not-enforced"); }

    static Exec.Result nft(String... args) {
        var cmd = new ArrayList<String>(List.of("nft"));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(20), null);
    }

    /** True when the daemon's table is in the kernel: it is there once the controller synced. */
    static boolean tablePresent() { return nft("list", "table", "inet", TABLE).ok(); }

    /** True when a process is bound to the daemon's queue (a line of the proc file starts with its number). */
    static boolean queueBound(Path nfqueueProc) {
        try {
            for (String l : Files.readAllLines(nfqueueProc)) {
                String[] f = l.strip().split("\\s+");
                if (f.length > 0 && f[0].equals(String.valueOf(QUEUE))) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Removes the table a killed daemon left (a clean stop removes it itself). */
    static void removeTable() {
        if (tablePresent()) nft("delete", "table", "inet", TABLE);
    }

    /** What of enforcement is still on the machine after `down`. */
    static List<String> leftovers(Path nfqueueProc) {
        var left = new ArrayList<String>();
        if (tablePresent()) left.add("nftables table inet " + TABLE);
        if (queueBound(nfqueueProc)) left.add("nfqueue " + QUEUE + " (still bound, see " + nfqueueProc + ")");
        return left;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.strip().lines().findFirst().orElse("");
    }
}
