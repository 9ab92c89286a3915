//SOURCES ../tools/Exec.java
//SOURCES IptablesRules.java
//SOURCES NodeHost.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The real node's network on the machine: its bridge, the route of the Service range, its
 * FORWARD rule, and the iptables chains and rules the node's components add, which `down`
 * removes by comparing with the {@link NodeHost.Baseline}.
 */
final class NodeNetwork {
    private NodeNetwork() {}

    /**
     * The node's bridge with the gateway address (the node's InternalIP, the cluster DNS,
     * the kubelet's serving address), forwarding on that bridge only (not the machine-wide
     * net.ipv4.ip_forward), the Service range routed onto the bridge (so a ClusterIP packet
     * that kube-proxy did not rewrite dies there instead of leaving by the default route),
     * and a FORWARD rule that rejects anything from the pods to any other interface.
     */
    static void createNetwork(String bridge, String gatewayCidr, String serviceCidr) {
        ip("link", "add", bridge, "type", "bridge");
        ip("addr", "add", gatewayCidr, "dev", bridge);
        ip("link", "set", bridge, "up");
        NodeHost.setSysctl("net.ipv4.conf." + bridge + ".forwarding", "1");
        ip("route", "add", serviceCidr, "dev", bridge);
        var script = "*filter\n:" + FORWARD_CHAIN + " - [0:0]\n"
                + "-A " + FORWARD_CHAIN + " -i " + bridge + " ! -o " + bridge
                + " -m comment --comment \"trevor real node: pods reach only the node and each other\" -j REJECT\n"
                + "-I FORWARD 1 -j " + FORWARD_CHAIN + "\nCOMMIT\n";
        var r = Exec.run(List.of("iptables-restore", "--noflush"), null, Map.of(), Duration.ofSeconds(30), null, script);
        if (!r.ok()) throw new Problem.Failed("iptables-restore (the node's FORWARD rule) failed: " + r.said());
    }

    static final String FORWARD_CHAIN = "TREVOR-RN-FORWARD";

    static boolean interfaceExists(String name) { return Files.exists(Path.of("/sys/class/net", name)); }

    /** The interfaces enslaved to a bridge (the pods' host-side veths). */
    static List<String> bridgePorts(String bridge) {
        Path brif = Path.of("/sys/class/net", bridge, "brif");
        if (!Files.isDirectory(brif)) return List.of();
        try (Stream<Path> s = Files.list(brif)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static void deleteInterface(String name) {
        if (interfaceExists(name)) Exec.run(List.of("ip", "link", "delete", name), Duration.ofSeconds(30));
    }

    private static void ip(String... args) {
        var cmd = new ArrayList<String>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        var r = Exec.run(cmd, Duration.ofSeconds(30));
        if (!r.ok()) throw new Problem.Failed(String.join(" ", cmd) + " failed: " + r.said());
    }

    /** The iptables chains and rules a node added since the baseline, per family. */
    static Map<String, List<IptablesRules.Added>> iptablesAdded(NodeHost.Baseline b) {
        var out = new LinkedHashMap<String, List<IptablesRules.Added>>();
        out.put("iptables", IptablesRules.added(IptablesRules.parse(b.iptables4()), IptablesRules.parse(NodeHost.save("iptables-save"))));
        out.put("ip6tables", IptablesRules.added(IptablesRules.parse(b.iptables6()), IptablesRules.parse(NodeHost.save("ip6tables-save"))));
        return out;
    }

    /** Removes what the node added to iptables and ip6tables; returns one line per removed item. */
    static List<String> removeIptablesAdded(NodeHost.Baseline b, Consumer<String> progress) {
        var removed = new ArrayList<String>();
        for (var e : iptablesAdded(b).entrySet()) {
            String script = IptablesRules.removalScript(e.getValue());
            if (script.isEmpty()) continue;
            String restore = e.getKey().equals("iptables") ? "iptables-restore" : "ip6tables-restore";
            var r = Exec.run(List.of(restore, "--noflush"), null, Map.of(), Duration.ofSeconds(30), null, script);
            if (!r.ok()) progress.accept(restore + " could not remove the node's rules: " + r.said());
            else removed.addAll(IptablesRules.describe(e.getKey(), e.getValue()));
        }
        return removed;
    }
}
