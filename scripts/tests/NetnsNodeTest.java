import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The second real node's settings and rules, and the drain's verdicts: what needs neither root nor a cluster. */
class NetnsNodeTest {
    @Test
    void realOneHasItsOwnStateAddressesAndCgroupButTheOneClusterDns() {
        var s = NetnsNode.settings("dev");
        assertTrue(s.dir().startsWith(RealNode.dir("dev")), "under real-0's folder, so its removal covers real-1: " + s.dir());
        assertEquals("trevor-rn1-dev", s.cgroupRoot());
        var k = Yaml.loadMap(Yaml.dump(NodeConfigs.kubeletConfig(s)));
        assertEquals("10.244.1.1", k.get("address"));
        assertEquals(List.of("10.244.0.1"), k.get("clusterDNS"), "real-1's pods use the one CoreDNS, on real-0's bridge");
        assertEquals("10.244.1.1", k.get("healthzBindAddress"), "127.0.0.1 in its namespace is unreachable from the machine");
        assertEquals("unix://" + s.socket(), k.get("containerRuntimeEndpoint"));
        assertTrue(!s.socket().equals(RealNode.settings("dev", null).socket()), "its own containerd");
        var p = Yaml.loadMap(Yaml.dump(NodeConfigs.kubeProxyConfig(s)));
        assertEquals("10.244.1.1:10256", p.get("healthzBindAddress"));
        assertEquals(s.kubeconfig().toString(), Yaml.str(p, "clientConnection.kubeconfig"));
        assertEquals("nameserver 10.244.0.1\n", NodeConfigs.resolvConf(s));
        assertTrue(String.join(" ", NetnsNode.inNetns(List.of("kubelet"))).startsWith("nsenter --net=/run/netns/trevor-rn1 -- kubelet"),
                "only the network namespace: containerd must see the kubelet's mounts");
    }

    @Test
    void theKubeletReachesTheApiserverThroughTheVethWithTheCertificatesName() {
        String kc = """
                apiVersion: v1
                kind: Config
                clusters:
                - cluster:
                    certificate-authority: /c/pki/ca.crt
                    server: https://127.0.0.1:32766
                  name: kwok-dev
                """;
        var out = Yaml.loadMap(NetnsNode.kubeconfigThroughVeth(kc, 32766));
        assertEquals("https://10.244.254.1:32766", Yaml.str(Yaml.maps(out, "clusters").get(0), "cluster.server"));
        assertEquals("127.0.0.1", Yaml.str(Yaml.maps(out, "clusters").get(0), "cluster.tls-server-name"));
        String host = NetnsNode.hostRules(32766) + NetnsNode.noMasquerade("10.244.0.0/24", "10.244.1.0/24");
        assertTrue(host.contains("-i trevor-rn1h -d 10.244.254.1 -p tcp --dport 32766") && host.contains("--to-destination 127.0.0.1:32766"), host);
        assertTrue(host.contains("-A TREVOR-RN-NOMASQ -s 10.244.0.0/24 -d 10.244.1.0/24") && host.contains("-I POSTROUTING 1 -j TREVOR-RN-NOMASQ"), host);
        assertTrue(host.contains("-A TREVOR-RN-REAL1-FWD -i trevor-rn1h -m comment"), "anything else from real-1's side is rejected: " + host);
        for (String chain : List.of(NetnsNode.HOST_FORWARD, NetnsNode.HOST_APISERVER, NetnsNode.NO_MASQ)) {
            assertTrue(IptablesRules.owned(chain), chain + " must be removed by down with the node's other chains");
        }
    }

    @Test
    void theMachinesOwnConnectionsPassRealOnesPolicyLikeTheNodes() {
        String rules = NodePolicies.iptablesRules("10.244.1.0/24", List.of("10.244.254.1", "10.244.0.1"));
        int uid = rules.indexOf("--uid-owner 0"), host = rules.indexOf("-s 10.244.254.1"), queue = rules.indexOf("-j NFQUEUE");
        assertTrue(uid > 0 && host > uid && queue > host, rules);
        assertTrue(rules.contains("-A POSTROUTING -d 10.244.1.0/24 -j TREVOR-RN-NETPOL"), rules);
        assertEquals(NodePolicies.iptablesRules("10.244.0.0/24"), NodePolicies.iptablesRules("10.244.0.0/24", List.of()));
    }

    @Test
    void spreadFailsWhenARealNodeRunsNoApiPodOrTheSkewIsTooLarge() {
        var nodes = List.of("real-0", "real-1");
        assertNull(Drain.spreadProblem(Map.of("a", "real-0", "b", "real-1", "c", "real-0"), nodes, 1));
        assertTrue(Drain.spreadProblem(Map.of("a", "real-0", "b", "real-0", "c", "real-0"), nodes, 1).contains("real-1=0"));
        assertTrue(Drain.spreadProblem(Map.of("a", "real-0", "b", "real-0", "c", "real-0", "d", "real-1"), nodes, 1).startsWith("skew 2 > 1"));
    }

    @Test
    void theBudgetCheckNeedsARefusalOfAnApiPod() {
        var refused = new Drain.Refusal(Instant.EPOCH, "ns/api-1", "Cannot evict pod as it would violate the pod's disruption budget.", "");
        var worker = new Drain.Refusal(Instant.EPOCH, "ns/worker-1", "Cannot evict pod", "");
        assertNull(Drain.refusalProblem(new Drain.Result("real-0", List.of(), List.of(worker, refused), Duration.ZERO), List.of("ns/api-1", "ns/api-2")));
        assertNotNull(Drain.refusalProblem(new Drain.Result("real-0", List.of(), List.of(worker), Duration.ZERO), List.of("ns/api-1")));
        assertNotNull(Drain.refusalProblem(new Drain.Result("real-0", List.of("ns/api-1"), List.of(), Duration.ZERO), List.of("ns/api-1")));
    }

    @Test
    void theLoadMayReachRealOnesPods() {
        LoadGen.refuseNonLocal(java.net.URI.create("http://10.244.1.7:8000/health"));
        assertTrue(LoadGen.LOCAL_RANGES.contains(NetnsNode.SUBNET));
        assertEquals(Path.of("/run/netns/trevor-rn1"), NetnsNode.netnsFile());
    }
}
