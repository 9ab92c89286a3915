import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real node's configuration files: the settings that failed silently when missing. */
class NodeConfigsTest {
    static final Path CLUSTER = Path.of("/cache/kwok/home/clusters/dev");
    static final NodeConfigs.Settings S = new NodeConfigs.Settings("dev", "kwok-dev", "trevor.dev/node", CLUSTER, CLUSTER.resolve("rn"), "real-0", "trevor-rn0",
            "10.244.0.0/24", "10.244.0.1", "10.0.0.0/24", "trevor-rn-dev", "localhost/trevor-dev/pause:1",
            new NodeConfigs.Ports(41001, 41002, 41003, 41004));

    @Test
    void containerdKeepsEverythingUnderTheNodesFolder() {
        String toml = NodeConfigs.containerdToml(S);
        assertTrue(toml.contains("root = \"/cache/kwok/home/clusters/dev/rn/containerd\""), toml);
        assertTrue(toml.contains("state = \"/cache/kwok/home/clusters/dev/rn/run\""), toml);
        assertTrue(toml.contains("address = \"/cache/kwok/home/clusters/dev/rn/run/containerd.sock\""), toml);
        assertTrue(toml.contains("Root = \"/cache/kwok/home/clusters/dev/rn/run/runc\""), "runc state under ours: " + toml);
        assertTrue(toml.contains("conf_dir = \"/cache/kwok/home/clusters/dev/rn/cni/net.d\""), toml);
        assertTrue(toml.contains("netns_mounts_under_state_dir = true"), toml);
        assertTrue(toml.contains("\"io.containerd.internal.v1.opt\""), "no /opt/containerd: " + toml);
        for (String shared : List.of("/var/lib/containerd", "/run/containerd", "/etc/cni", "/opt/cni")) {
            assertFalse(toml.contains("\"" + shared), shared + " in " + toml);
        }
    }

    @Test
    void containerdHasTheSettingsThisMachineNeeds() {
        String toml = NodeConfigs.containerdToml(S);
        assertTrue(toml.contains("restrict_oom_score_adj = true"), toml);
        assertTrue(toml.contains("SystemdCgroup = false"), toml);
        assertTrue(toml.contains("sandbox_image = \"localhost/trevor-dev/pause:1\""), toml);
        assertTrue(toml.contains("bin_dir = \"/usr/lib/cni\""), toml);
        assertTrue(toml.contains("version = 2"), toml);
    }

    @Test
    void cniIsABridgeOfItsOwnWithoutMasquerade() {
        var conf = Yaml.loadMap(NodeConfigs.cniConflist(S)); // JSON is YAML
        assertEquals("trevor-rn", conf.get("name"));
        var plugins = Yaml.maps(conf, "plugins");
        assertEquals(List.of("bridge", "portmap"), plugins.stream().map(p -> p.get("type")).toList());
        var bridge = plugins.get(0);
        assertEquals("trevor-rn0", bridge.get("bridge"));
        assertEquals(false, bridge.get("ipMasq"));
        assertEquals(false, bridge.get("isGateway"), "isGateway makes the plugin set net.ipv4.ip_forward=1 machine-wide");
        assertEquals(List.of(Map.of("dst", "0.0.0.0/0", "gw", "10.244.0.1")), Yaml.list(bridge, "ipam.routes"));
        assertEquals("host-local", Yaml.str(bridge, "ipam.type"));
        assertEquals("/cache/kwok/home/clusters/dev/rn/cni/ipam", Yaml.str(bridge, "ipam.dataDir"), "leases not in /var/lib/cni");
        assertTrue(NodeConfigs.cniConflist(S).contains("\"subnet\": \"10.244.0.0/24\", \"gateway\": \"10.244.0.1\""));
    }

    @Test
    void kubeletRunsOnCgroupV1WithCgroupfsAndServesOnTheBridge() {
        var c = Yaml.loadMap(Yaml.dump(NodeConfigs.kubeletConfig(S)));
        assertEquals(false, c.get("failCgroupV1"));
        assertEquals("cgroupfs", c.get("cgroupDriver"));
        assertEquals(false, c.get("failSwapOn"));
        assertEquals("/trevor-rn-dev", c.get("cgroupRoot"));
        assertEquals("unix:///cache/kwok/home/clusters/dev/rn/run/containerd.sock", c.get("containerRuntimeEndpoint"));
        assertEquals("10.244.0.1", c.get("address"));
        assertEquals(List.of("10.244.0.1"), c.get("clusterDNS"));
        assertEquals(0, c.get("readOnlyPort"));
        assertEquals(41001, c.get("healthzPort"));
        assertEquals(false, Yaml.at(c, "authentication.anonymous.enabled"));
        assertEquals("/cache/kwok/home/clusters/dev/pki/ca.crt", Yaml.str(c, "authentication.x509.clientCAFile"));
        assertEquals("Webhook", Yaml.str(c, "authorization.mode"));
        assertEquals("/cache/kwok/home/clusters/dev/rn/pod-logs", c.get("podLogsDir"), "pod logs not in /var/log/pods");
        assertEquals(100, c.get("imageGCHighThresholdPercent"), "images cannot be pulled again");
        var args = String.join(" ", NodeConfigs.kubeletArgs(S, Path.of("/bin/kubelet")));
        assertTrue(args.contains("--root-dir=/cache/kwok/home/clusters/dev/rn/kubelet"), args);
        assertTrue(args.contains("--node-ip=10.244.0.1"), args);
        assertTrue(args.contains("--hostname-override=real-0"), args);
        assertTrue(args.contains("--node-labels=trevor.dev/node=real"), args);
    }

    @Test
    void kubeProxyLeavesTheMachinesSettingsAlone() {
        var c = Yaml.loadMap(Yaml.dump(NodeConfigs.kubeProxyConfig(S)));
        assertEquals("iptables", c.get("mode"));
        assertEquals(true, Yaml.at(c, "iptables.masqueradeAll"));
        assertEquals(false, Yaml.at(c, "iptables.localhostNodePorts"), "true would set route_localnet");
        assertEquals(0, Yaml.at(c, "conntrack.maxPerCore"));
        assertEquals("0s", Yaml.at(c, "conntrack.tcpEstablishedTimeout"));
        assertEquals(List.of("10.244.0.0/24"), c.get("nodePortAddresses"));
        assertEquals("127.0.0.1:41002", c.get("healthzBindAddress"));
        assertEquals("/cache/kwok/home/clusters/dev/kubeconfig.yaml", Yaml.str(c, "clientConnection.kubeconfig"));
    }

    @Test
    void clusterDnsAnswersOnlyTheClustersNames() {
        String core = NodeConfigs.corefile(S);
        assertTrue(core.contains("bind 10.244.0.1"), core);
        assertTrue(core.contains("kubeconfig /cache/kwok/home/clusters/dev/kubeconfig.yaml kwok-dev"), core);
        assertTrue(core.contains("ready 127.0.0.1:41004"), core);
        assertFalse(core.contains("forward"), "no query may leave the machine: " + core);
        assertEquals("nameserver 10.244.0.1\n", NodeConfigs.resolvConf(S));
    }

    @Test
    void controlPlanePatchesLetTheApiserverReachTheKubeletAndKeepKwokOffTheRealNode() {
        var patches = NodeConfigs.controlPlanePatches(CLUSTER);
        var byName = Map.of(patches.get(0).get("name"), patches.get(0), patches.get(1).get("name"), patches.get(1));
        var api = Yaml.maps(byName.get("kube-apiserver"), "extraArgs");
        assertTrue(api.contains(Map.of("key", "kubelet-preferred-address-types", "value", "InternalIP")), api.toString());
        assertTrue(api.contains(Map.of("key", "kubelet-client-certificate", "value", "/cache/kwok/home/clusters/dev/pki/admin.crt")));
        assertTrue(api.contains(Map.of("key", "requestheader-client-ca-file", "value", "/cache/kwok/home/clusters/dev/pki/ca.crt")), api.toString());
        assertTrue(api.contains(Map.of("key", "requestheader-allowed-names", "value", "kwok-admin")), api.toString());
        assertTrue(api.contains(Map.of("key", "enable-aggregator-routing", "value", "true")), api.toString());
        var kwok = Yaml.maps(byName.get("kwok-controller"), "extraArgs");
        assertTrue(kwok.contains(Map.of("key", "manage-all-nodes", "value", "false", "override", true)),
                "kwokctl passes --manage-all-nodes=true itself: " + kwok);
        assertTrue(kwok.contains(Map.of("key", "manage-nodes-with-annotation-selector", "value", "kwok.x-k8s.io/node=fake")));
    }

    /** Under load a missed lease renewal made them exit for good ("leaderelection lost"), and no Job got a pod after that. */
    @Test
    void theControllerManagerAndTheSchedulerRunWithoutLeaderElection() {
        for (String component : java.util.List.of("kube-controller-manager", "kube-scheduler")) {
            var patch = NodeConfigs.controlPlanePatches(CLUSTER).stream().filter(p -> component.equals(p.get("name"))).findFirst();
            assertTrue(patch.isPresent(), "no componentsPatch for " + component);
            assertTrue(Yaml.maps(patch.get(), "extraArgs").contains(Map.of("key", "leader-elect", "value", "false")), component);
        }
    }

    /** Under load a starved kubelet missed the default 50 s, its node was tainted, and an upgrade waited 480 s on "untolerated taint(s)". */
    @Test
    void theControllerManagerWaitsTwoMinutesBeforeItCallsANodeGone() {
        var patch = NodeConfigs.controlPlanePatches(CLUSTER).stream().filter(p -> "kube-controller-manager".equals(p.get("name"))).findFirst();
        assertTrue(Yaml.maps(patch.orElseThrow(), "extraArgs").contains(Map.of("key", "node-monitor-grace-period", "value", "2m")));
    }

    @Test
    void theControllerManagerLooksAtHpasEveryFiveSeconds() {
        var patch = NodeConfigs.controlPlanePatches(CLUSTER).stream().filter(p -> "kube-controller-manager".equals(p.get("name"))).findFirst();
        assertTrue(Yaml.maps(patch.orElseThrow(), "extraArgs").contains(Map.of("key", "horizontal-pod-autoscaler-sync-period", "value", "2s")));
    }

    @Test
    void quotingIsSafe() {
        // One writer for both files: a quote, a backslash or a newline in a setting stays inside its string.
        assertEquals("\"a\\\"b\\\\c\"", NodeConfigs.toml(Path.of("a\"b\\c")));
        assertEquals("\"x\\n\\u0001\"", Yaml.json("x\n\u0001"));
        var odd = new NodeConfigs.Settings("dev", "kwok-dev", "trevor.dev/node", CLUSTER, Path.of("/tmp/a\"b\\c\nd"), "real-0", "br\"0",
                "10.244.0.0/24", "10.244.0.1", "10.0.0.0/24", "trevor-rn-dev", "localhost/x:1", S.ports());
        var bridge = Yaml.maps(Yaml.loadMap(NodeConfigs.cniConflist(odd)), "plugins").get(0); // JSON is YAML
        assertEquals("br\"0", bridge.get("bridge"));
        assertEquals("/tmp/a\"b\\c\nd/cni/ipam", Yaml.str(bridge, "ipam.dataDir"));
        assertTrue(NodeConfigs.containerdToml(odd).contains("root = \"/tmp/a\\\"b\\\\c\\nd/containerd\"\n"), NodeConfigs.containerdToml(odd));
    }

    @Test
    void longClusterNamesAreRefusedBeforeASocketPathOverflows() {
        assertNull(RealNode.tooLongSocket(S));
        var deep = Path.of("/root/.cache/trevor-chart-ops/kwok/home/clusters/a-cluster-name-of-thirty-two-ch");
        var s = new NodeConfigs.Settings("x", "kwok-x", "trevor.dev/node", deep, deep.resolve("rn"), "real-0", "b", "10.244.0.0/24", "10.244.0.1", "10.0.0.0/24",
                "r", "p", null);
        assertTrue(RealNode.tooLongSocket(s).startsWith(deep.toString()), RealNode.tooLongSocket(s));
    }
}
