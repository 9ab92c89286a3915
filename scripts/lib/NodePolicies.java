//SOURCES Daemons.java
//SOURCES Exec.java
//SOURCES Target.java

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
 * kubeconfig. The node's CNI is a plain bridge that enforces nothing; this daemon puts an
 * inet nftables table in front of the pods' traffic and sends each new connection of a pod
 * to an nfqueue, where it judges the connection against the NetworkPolicies.
 *
 * <p>It needs from the kernel nftables (the table) and nfnetlink_queue (the queue); it talks
 * to both over netlink, not through the `nft` binary. `nft` (Debian's nftables package) is
 * what `up` asks whether nftables works, and what `down` asks whether the table is gone.
 */
final class NodePolicies {
    private NodePolicies() {}

    static final String DAEMON = "kube-network-policies";
    /** One real node per machine, so fixed names are enough (and `down` can find them after a crash). */
    static final String TABLE = "trevor-netpol";
    static final int QUEUE = 100;

    /** Where the kernel announces its netfilter queues: one line per bound queue. */
    static final Path NFQUEUE_PROC = Path.of("/proc/net/netfilter/nfnetlink_queue");

    static List<String> args(Path binary, Path kubeconfig, String node) {
        return List.of(binary.toString(), "--kubeconfig", kubeconfig.toString(), "--hostname-override", node,
                "--nfqueue-id", String.valueOf(QUEUE), "--nftables-table", TABLE, "--metrics-bind-address", "127.0.0.1:0", "-v", "1");
    }

    /**
     * What this kernel lacks for enforcement, by name; empty when it has all. nfqueueProc is
     * the file the kernel has only with nfnetlink_queue; nftProbe is `nft list tables`;
     * queueProbe is a rule with nftables' queue expression (nft_queue, CONFIG_NFT_QUEUE), which
     * a kernel can lack while it has nfnetlink_queue (this machine's 6.18 does: ENOENT).
     */
    static List<String> kernelLacks(Path nfqueueProc, Exec.Result nftProbe, Exec.Result queueProbe) {
        var lacks = new ArrayList<String>();
        if (!Files.exists(nfqueueProc)) lacks.add("nfqueue (nfnetlink_queue: " + nfqueueProc + " is missing)");
        if (nftProbe == null || !nftProbe.ok()) {
            lacks.add("nftables (nf_tables: `nft list tables` failed" + (nftProbe == null ? "" : ": " + firstLine(nftProbe.said())) + ")");
        } else if (queueProbe == null || !queueProbe.ok()) {
            lacks.add("nftables' queue expression (nft_queue, CONFIG_NFT_QUEUE: a rule `queue num " + QUEUE + "` was refused"
                    + (queueProbe == null ? "" : ": " + firstLine(queueProbe.said())) + ")");
        }
        return lacks;
    }

    /** The kernel's answer to everything kube-network-policies needs, asked with throwaway objects that see no traffic. */
    static List<String> kernelLacks() {
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
        return kernelLacks(NFQUEUE_PROC, list, queue);
    }

    /** With require (up --require-network-policies): refuses, before `up` changes anything, a kernel that cannot enforce (exit 2). */
    static void checkKernel(List<String> lacks, boolean require) {
        if (!lacks.isEmpty() && require) {
            throw new Target.Invalid("this kernel cannot enforce NetworkPolicies on the real node: it lacks " + String.join(" and ", lacks)
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
