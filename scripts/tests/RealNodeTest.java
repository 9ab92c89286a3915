import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of the real node that need neither root nor a cluster. */
class RealNodeTest {
    @Test
    void importedImageNamesComeFromCtrOutput() {
        String out = """
                unpacking localhost/trevor-dev/pause:1 (sha256:c10f7d23b2f396641cae7cd78d0d49d6f0bb505e7551b16775b72f1917909d28)...done
                unpacking sha256:0e3e4839b13cc54f0f376144eca84e031d0bf18fb513dc9995f089f6e226316a (sha256:c10f7d23b2f396641cae7cd78d0d49d6f0bb505e7551b16775b72f1917909d28)...done
                unpacking trevor:1.2.0 (sha256:743bfebda1e1a6d22b44b326abaf4ad64a45fc2592be6356bffeccf125b089c8)...done
                """;
        assertEquals(List.of("localhost/trevor-dev/pause:1", "trevor:1.2.0"), RealNodeImages.importedRefs(out));
        assertTrue(RealNodeImages.importedRefs("").isEmpty());
    }

    @Test
    void serviceRangeCheck() {
        assertTrue(RealNode.inCidr("10.0.0.1", "10.0.0.0/24"));
        assertTrue(RealNode.inCidr("10.0.0.255", "10.0.0.0/24"));
        assertFalse(RealNode.inCidr("10.0.1.1", "10.0.0.0/24"));
        assertFalse(RealNode.inCidr("10.96.0.1", "10.0.0.0/24"));
        assertFalse(RealNode.inCidr("not-an-ip", "10.0.0.0/24"));
    }

    @Test
    void statFieldsSurviveCommandsWithSpacesAndParentheses() {
        String stat = "4242 (kube (proxy) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 9 0 123456 0 0";
        assertEquals("4242", Daemons.statField(stat, 1));
        assertEquals("kube (proxy) x", Daemons.statField(stat, 2));
        assertEquals("S", Daemons.statField(stat, 3));
        assertEquals("123456", Daemons.statField(stat, 22));
        assertNull(Daemons.statField(stat, 60));
    }

    @Test
    void mountinfoLinesGiveMountPointAndType() {
        var m = NodeMounts.parseMountinfo("812 30 0:55 / /root/.cache/x/rn/run/io.containerd.grpc.v1.cri/netns/cni-8c6b rw shared:405 - nsfs nsfs rw");
        assertEquals(Path.of("/root/.cache/x/rn/run/io.containerd.grpc.v1.cri/netns/cni-8c6b"), m.point());
        assertEquals("nsfs", m.fstype());
        var spaced = NodeMounts.parseMountinfo("1 2 0:1 / /tmp/a\\040b rw - overlay overlay rw");
        assertEquals(Path.of("/tmp/a b"), spaced.point());
        assertNull(NodeMounts.parseMountinfo("garbage"));
    }

    @Test
    void layoutIsUnderTheClustersStateFolder() {
        assertEquals(KwokCluster.clusterDir("dev").resolve("rn"), RealNode.dir("dev"));
        assertEquals("trevor-rn-dev", RealNode.cgroupRoot("dev"));
        var s = RealNode.settings("dev", null);
        assertTrue(s.socket().startsWith(RealNode.dir("dev")));
        assertTrue(s.kubeletRoot().startsWith(RealNode.dir("dev")));
    }

    @Test
    void shimSocketNamesAreContainerdsHash() {
        // Seen on this machine: the shim of sandbox d4b9… of a node's containerd listened on /run/containerd/s/cbd8….
        assertEquals("cbd8354e1abd91ac2744590696c9ca0306ff20e1f67a10af368e5f4b7b2cf5ae", NodeHost.shimSocketName(
                Path.of("/root/.cache/trevor-chart-ops/kwok/home/clusters/rn-a/rn/run/containerd.sock"), "k8s.io",
                "d4b95a0f6305600eb9883249d3953131b63e4434fc2b670b66e27deda813c8f7"));
    }

    @Test
    void hostFilesOfTheNodeAreToldFromOthers() {
        var sock = Path.of("/c/rn/run/containerd.sock");
        var h = new NodeHost.HostFiles(Path.of("/c/rn"), sock, java.util.Set.of("abc123"), true);
        assertTrue(h.ours(Path.of("/run/containerd/s", NodeHost.shimSocketName(sock, "k8s.io", "abc123"))));
        assertFalse(h.ours(Path.of("/run/containerd/s", NodeHost.shimSocketName(sock, "k8s.io", "other"))), "another containerd's shim");
        assertTrue(h.ours(Path.of("/var/lib/cni/results/trevor-rn-abc123-eth0")));
        assertTrue(h.ours(Path.of("/var/lib/cni/results/cni-loopback-abc123-lo")));
        assertFalse(h.ours(Path.of("/var/lib/cni/results/cni-loopback-zzz999-lo")));
        assertFalse(h.ours(Path.of("/var/lib/cni/results/podman-def456-eth0")));
        assertTrue(h.ours(Path.of("/var/lib/kubelet/device-plugins/kubelet.sock")));
        assertFalse(new NodeHost.HostFiles(Path.of("/c/rn"), sock, java.util.Set.of(), false)
                .ours(Path.of("/var/lib/kubelet/device-plugins/kubelet.sock")), "a kubelet folder that was there before is not ours");
    }

    @Test
    void packagesArePinned() {
        assertEquals(List.of("containerd=1.6.20~ds1-1+deb12u3", "runc=1.1.5+ds1-1+deb12u1",
                "containernetworking-plugins=1.1.1+ds1-3+b5", "iptables=1.8.9-2", "nftables=1.0.6-2+deb12u2"),
                RealNode.PACKAGES.stream().map(HostPackages.Pkg::pinned).toList());
    }

    @Test
    void aKernelWithoutNfqueueOrNftablesIsRefusedByNameWithExit2(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("nfnetlink_queue");
        var nftFails = new Exec.Result(List.of("nft", "list", "tables"), 1, "", "Error: Could not process rule: Operation not supported", 5);
        var works = new Exec.Result(List.of("nft"), 0, "", "", 5);
        // What this machine's kernel answers: nfnetlink_queue is there, nftables' queue expression is not.
        var queueRefused = new Exec.Result(List.of("nft", "add", "rule"), 1, "", "Error: No such file or directory", 5);

        var iptRefused = new Exec.Result(List.of("iptables"), 1, "", "iptables: No chain/target/match by that name.", 5);
        var lacks = NodePolicies.kernelLacks(missing, works, works, works);
        var e = org.junit.jupiter.api.Assertions.assertThrows(Target.Invalid.class, () -> NodePolicies.checkKernel(lacks, true));
        assertEquals(Problem.NOTHING_CHANGED, e.exitCode);
        assertTrue(e.getMessage().contains("nfqueue (nfnetlink_queue: " + missing + " is missing)"), e.getMessage());
        assertFalse(e.getMessage().contains("nftables ("), e.getMessage());

        java.nio.file.Files.writeString(missing, "");
        var noNft = NodePolicies.kernelLacks(missing, nftFails, null, iptRefused);
        e = org.junit.jupiter.api.Assertions.assertThrows(Target.Invalid.class, () -> NodePolicies.checkKernel(noNft, true));
        assertTrue(e.getMessage().contains("lacks nftables (nf_tables: `nft list tables` failed: Error: Could not process rule: Operation not supported)"),
                e.getMessage());

        var noQueue = NodePolicies.kernelLacks(missing, works, queueRefused, iptRefused);
        e = org.junit.jupiter.api.Assertions.assertThrows(Target.Invalid.class, () -> NodePolicies.checkKernel(noQueue, true));
        assertTrue(e.getMessage().contains("nftables' queue expression (nft_queue, CONFIG_NFT_QUEUE"), e.getMessage());
        assertTrue(e.getMessage().contains("iptables' NFQUEUE target (xt_NFQUEUE"), e.getMessage());
        NodePolicies.checkKernel(noQueue, false); // without --require-network-policies: a note, not a refusal

        // This machine's kernel: no nft_queue, but iptables' NFQUEUE works, so the iptables dataplane enforces.
        assertTrue(NodePolicies.kernelLacks(missing, works, queueRefused, works).isEmpty());
        assertEquals(NodePolicies.Dataplane.IPTABLES, NodePolicies.dataplane(missing, works, queueRefused, works));
        assertEquals(NodePolicies.Dataplane.NFTABLES, NodePolicies.dataplane(missing, works, works, works));
        assertTrue(NodePolicies.kernelLacks(missing, works, works, iptRefused).isEmpty());
    }

    @Test
    void theIptablesDataplaneQueuesNewPodConnectionsBothWaysAndToTheNodeOnlyInChainsDownRemoves() {
        String rules = NodePolicies.iptablesRules("10.244.0.0/24");
        assertTrue(rules.startsWith("*mangle\n"), rules);
        for (String want : List.of("-A POSTROUTING -s 10.244.0.0/24 -j TREVOR-RN-NETPOL\n", "-A POSTROUTING -d 10.244.0.0/24 -j TREVOR-RN-NETPOL\n",
                "-A INPUT -s 10.244.0.0/24 -j TREVOR-RN-NETPOL-IN\n", "--ctstate RELATED,ESTABLISHED -j RETURN", "-j NFQUEUE --queue-num 100\n")) {
            assertTrue(rules.contains(want), want + " in\n" + rules);
        }
        // Fail closed (no --queue-bypass): with no daemon on the queue, a connection is dropped, not let through unjudged.
        assertFalse(rules.contains("bypass"), rules);
        // The owner match is valid only in OUTPUT and POSTROUTING: never in the INPUT chain.
        String in = rules.lines().filter(l -> l.startsWith("-A TREVOR-RN-NETPOL-IN ")).reduce("", (a, b) -> a + b + "\n");
        assertFalse(in.contains("owner"), in);
        assertTrue(IptablesRules.owned(NodePolicies.CHAIN_OUT) && IptablesRules.owned(NodePolicies.CHAIN_IN));
    }

    @Test
    void aQueueIsBoundWhileItsNumberLeadsALineOfTheProcFile(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path proc = tmp.resolve("nfnetlink_queue");
        java.nio.file.Files.writeString(proc, "  100  12345     0 2   128     0     0        7  1\n");
        assertTrue(NodePolicies.queueBound(proc));
        java.nio.file.Files.writeString(proc, "  101  12345     0 2   128     0     0        7  1\n");
        assertFalse(NodePolicies.queueBound(proc));
        assertFalse(NodePolicies.queueBound(tmp.resolve("absent")));
    }

    @Test
    void enforcementRunsAsADaemonOfTheRealNodeWithTheClustersKubeconfig() {
        assertTrue(RealNode.PACKAGES.stream().anyMatch(p -> p.name().equals("nftables")));
        var a = NodePolicies.args(Path.of("/b/kube-network-policies"), Path.of("/k/kubeconfig.yaml"), "real-0");
        assertEquals("/b/kube-network-policies", a.get(0));
        assertEquals("/k/kubeconfig.yaml", a.get(a.indexOf("--kubeconfig") + 1));
        assertEquals("real-0", a.get(a.indexOf("--hostname-override") + 1));
        assertTrue(NodeBinaries.home().toString().contains("-knp-" + NodeBinaries.NETPOL_VERSION + "-"));
    }

    @Test
    void metricsServerScrapesOnlyTheRealNodesAndRegistersWithTheAggregator() {
        assertTrue(NodeBinaries.home().toString().endsWith("-ms-" + NodeBinaries.METRICS_SERVER_VERSION));
        var a = NodeMetrics.args(Path.of("/b/metrics-server"), Path.of("/k/kubeconfig.yaml"), Path.of("/rn/metrics-server"), "10.244.0.1", 41234);
        assertEquals("/b/metrics-server", a.get(0));
        assertEquals("/k/kubeconfig.yaml", a.get(a.indexOf("--authentication-kubeconfig") + 1));
        assertEquals("10.244.0.1", a.get(a.indexOf("--bind-address") + 1));
        assertEquals("41234", a.get(a.indexOf("--secure-port") + 1));
        // The fake nodes' addresses are no address of this machine: never scraped.
        assertEquals("type!=kwok", a.get(a.indexOf("--node-selector") + 1));
        var list = Yaml.loadMap(NodeMetrics.manifests("10.244.0.1", 41234));
        var kinds = Yaml.maps(list, "items").stream().map(i -> String.valueOf(i.get("kind"))).toList();
        assertEquals(List.of("Service", "EndpointSlice", "APIService"), kinds);
        var slice = Yaml.maps(list, "items").get(1);
        assertEquals("[10.244.0.1]", String.valueOf(Yaml.maps(slice, "endpoints").get(0).get("addresses")));
        assertEquals("v1beta1.metrics.k8s.io", Yaml.str(Yaml.maps(list, "items").get(2), "metadata.name"));
    }
}
