//SOURCES ../cluster/Daemons.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES NodeCgroups.java
//SOURCES ../cluster/NodeConfigs.java
//SOURCES NodeHost.java
//SOURCES NodeNetwork.java
//SOURCES NodePolicies.java
//SOURCES ../tools/Problem.java
//SOURCES RealNode.java
//SOURCES RealNodeImages.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The second real node, `real-1`, in a network namespace of its own on the same machine as
 * `real-0` ({@link RealNode}). kube-proxy's and the kubelet's iptables chains have fixed names
 * (KUBE-SERVICES, KUBE-FIREWALL…), and so have kube-network-policies' queue and rules: two
 * nodes in one network namespace would overwrite each other's. In a namespace of its own
 * every one of them has its own iptables, conntrack and nfqueue, and `down` removes them all
 * by deleting the namespace.
 *
 * <p>Its daemons (containerd, kubelet, kube-proxy, kube-network-policies) enter only that
 * network namespace (`nsenter --net`), never a mount namespace: containerd must see the
 * kubelet's volume mounts, and `down` finds every mount under the node's folder on the host.
 * Its state lives under real-0's folder (rn/real-1), so what removes real-0's folder, mounts
 * and host files removes real-1's too.
 *
 * <p>The wiring, all addresses inside the cluster's 10.244.0.0/16:
 * <pre>
 *   host: trevor-rn0 10.244.0.1/24 (real-0's pods)     trevor-rn1h 10.244.254.1/30 ── veth ──┐
 *         route 10.244.1.0/24 via 10.244.254.2                                              │
 *   netns trevor-rn1: trevor-rn1n 10.244.254.2/30, default via 10.244.254.1 ────────────────┘
 *         trevor-rn1 10.244.1.1/24 (real-1's pods; the node's InternalIP, the kubelet's address)
 * </pre>
 * The kubelet reaches the apiserver (which listens on the machine's 127.0.0.1 only) at
 * 10.244.254.1:PORT: one DNAT rule on the host's veth, with route_localnet on that interface
 * alone, hands it to 127.0.0.1:PORT; its kubeconfig names 127.0.0.1 as the TLS server name.
 * The apiserver reaches the kubelet at 10.244.1.1:10250 through the route. real-1's pods use
 * the one cluster DNS, CoreDNS at 10.244.0.1 on real-0's bridge.
 *
 * <p>Pod-to-pod traffic between the nodes is never masqueraded (kube-proxy's masqueradeAll
 * would otherwise hide a pod's address behind the node's, and the other node's
 * kube-network-policies would judge the node, not the pod), so both nodes judge each
 * connection by the pods' own addresses.
 */
final class NetnsNode {
    private NetnsNode() {}

    static final String NODE_NAME = "real-1";
    static final String NETNS = "trevor-rn1";
    static final String BRIDGE = "trevor-rn1";
    static final String VETH_HOST = "trevor-rn1h";
    static final String VETH_NS = "trevor-rn1n";
    static final String LINK_HOST = "10.244.254.1";
    static final String LINK_NS = "10.244.254.2";
    static final String SUBNET = "10.244.1.0/24";
    static final String GATEWAY = "10.244.1.1";
    /** Health endpoints on the node's address (its own network: fixed ports are free there). */
    static final NodeConfigs.Ports PORTS = new NodeConfigs.Ports(10248, 10256, 10249, 0);

    /** The host's chains for real-1 (TREVOR-RN-: `down` removes them with the node's other chains). */
    static final String HOST_FORWARD = "TREVOR-RN-REAL1-FWD";
    static final String HOST_APISERVER = "TREVOR-RN-REAL1-API";
    static final String NO_MASQ = "TREVOR-RN-NOMASQ";

    /** In the order `up` starts them; `down` stops them in reverse, containerd last. */
    static final List<String> DAEMONS = List.of("containerd", "kubelet", "kube-proxy", NodePolicies.DAEMON);

    static Path dir(String cluster) { return RealNode.dir(cluster).resolve(NODE_NAME); }

    static boolean exists(String cluster) { return Files.isDirectory(dir(cluster)); }

    static String cgroupRoot(String cluster) { return "trevor-rn1-" + cluster; }

    static Path pids(String cluster) { return dir(cluster).resolve("pids"); }

    static Path logs(String cluster) { return dir(cluster).resolve("logs"); }

    static Path netnsFile() { return Path.of("/run/netns", NETNS); }

    static NodeConfigs.Settings settings(String cluster) {
        return new NodeConfigs.Settings(cluster, KwokCluster.context(cluster), RealNode.NODE_LABEL, KwokCluster.clusterDir(cluster), dir(cluster), NODE_NAME, BRIDGE, SUBNET, GATEWAY,
                RealNode.SERVICE_CIDR, cgroupRoot(cluster), RealNode.SANDBOX_IMAGE, PORTS, RealNode.GATEWAY, GATEWAY,
                dir(cluster).resolve("kubeconfig.yaml"));
    }

    /** cmd run inside the node's network namespace (only that namespace). */
    static List<String> inNetns(List<String> cmd) {
        var out = new ArrayList<String>(List.of("nsenter", "--net=" + netnsFile(), "--"));
        out.addAll(cmd);
        return out;
    }

    static Exec.Result run(String... cmd) {
        return Exec.run(inNetns(List.of(cmd)), null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(30), null);
    }

    static boolean running(String cluster) {
        for (String d : DAEMONS) if (Daemons.alive(pids(cluster).resolve(d + ".pid")).isEmpty()) return false;
        return true;
    }

    /**
     * Starts real-1 beside a running real-0: the network namespace and its wiring, then
     * containerd (with the images), the kubelet, kube-proxy and, when real-0 enforces
     * NetworkPolicies, kube-network-policies, each waited for.
     */
    static void up(String cluster, Path bin, List<Path> archives, NodePolicies.Dataplane plane, Consumer<String> progress) {
        var s = settings(cluster);
        int apiPort = apiserverPort(cluster);
        try {
            for (Path p : List.of(s.run(), s.cniConfDir(), s.ipamDir(), s.kubeletRoot(), s.podLogs(), s.containerdRoot())) Files.createDirectories(p);
            Files.writeString(s.containerdConfig(), NodeConfigs.containerdToml(s));
            Files.writeString(s.cniConflist(), NodeConfigs.cniConflist(s));
            Files.writeString(s.kubeletConfig(), Yaml.dump(NodeConfigs.kubeletConfig(s)));
            Files.writeString(s.kubeProxyConfig(), Yaml.dump(NodeConfigs.kubeProxyConfig(s)));
            Files.writeString(s.resolvConf(), NodeConfigs.resolvConf(s));
            Files.writeString(s.kubeconfig(), kubeconfigThroughVeth(Files.readString(KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml")), apiPort));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NodeCgroups.createCgroupRoot(s.cgroupRoot());
        createNetwork(apiPort);

        start(cluster, "containerd", List.of("containerd", "--config", s.containerdConfig().toString()));
        waitFor("containerd of " + NODE_NAME + " answers", Duration.ofSeconds(30), cluster, "containerd",
                () -> RealNode.ctr(s.socket(), Duration.ofSeconds(10), "version").ok() ? null : "no answer yet");
        var imported = RealNodeImages.importMeanwhile(s.socket(), dir(cluster).resolve("images"), archives, progress);

        start(cluster, "kubelet", NodeConfigs.kubeletArgs(s, bin.resolve("kubelet")));
        var kube = RealNode.kube(cluster);
        waitFor("node " + NODE_NAME + " Ready", Duration.ofSeconds(90), cluster, "kubelet", () -> {
            var n = kube.get(null, "node", NODE_NAME);
            return n != null && Kube.conditionTrue(n, "Ready") ? null : "not Ready yet";
        });

        start(cluster, "kube-proxy", NodeConfigs.kubeProxyArgs(s, bin.resolve("kube-proxy")));
        waitFor("kube-proxy of " + NODE_NAME + " healthy", Duration.ofSeconds(30), cluster, "kube-proxy",
                () -> answers(GATEWAY, PORTS.proxyHealthz()) ? null : "not healthy yet");
        // Before kube-proxy's masquerading: after its POSTROUTING jump exists, so that it cannot be prepended ahead of this.
        awaitKubeProxyJump(true);
        restore(noMasquerade(SUBNET, RealNode.SUBNET), "the no-masquerade rule between the nodes' pods");

        if (plane != null) {
            start(cluster, NodePolicies.DAEMON, NodePolicies.args(bin.resolve(NodePolicies.DAEMON), s.kubeconfig(), NODE_NAME));
            if (plane == NodePolicies.Dataplane.NFTABLES) {
                waitFor("NetworkPolicies enforced on " + NODE_NAME, Duration.ofSeconds(60), cluster, NodePolicies.DAEMON,
                        () -> run("nft", "list", "table", "inet", NodePolicies.TABLE).ok() && queueBound(cluster) ? null : "not yet");
            } else {
                waitFor("kube-network-policies of " + NODE_NAME + " bound to nfqueue " + NodePolicies.QUEUE, Duration.ofSeconds(60), cluster,
                        NodePolicies.DAEMON, () -> queueBound(cluster) ? null : "queue not bound yet");
                restore(NodePolicies.iptablesRules(SUBNET, List.of(LINK_HOST, RealNode.GATEWAY)), "the NetworkPolicy queue rules");
            }
        }
        imported.run();
        progress.accept("real node " + NODE_NAME + " Ready: pods at " + SUBNET + " on " + BRIDGE + " in network namespace " + NETNS
                + " (veth " + VETH_HOST + " " + LINK_HOST + " ↔ " + LINK_NS + "), cluster DNS " + RealNode.GATEWAY
                + (plane != null ? ", NetworkPolicies enforced by its own " + NodePolicies.DAEMON : ", NetworkPolicies NOT enforced")
                + ", state and logs in " + dir(cluster));
    }

    /** The apiserver's port, from the cluster's kubeconfig (https://127.0.0.1:PORT). */
    static int apiserverPort(String cluster) {
        try {
            var kc = Yaml.loadMap(Files.readString(KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml")));
            for (var c : Yaml.maps(kc, "clusters")) {
                String server = Yaml.str(c, "cluster.server");
                if (server != null) return URI.create(server).getPort();
            }
        } catch (IOException | RuntimeException e) {
            throw new Problem.Failed("cannot read the apiserver's address from " + KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml")
                    + ": " + e.getMessage());
        }
        throw new Problem.Failed("the cluster's kubeconfig names no server");
    }

    /**
     * The cluster's kubeconfig with every server at the host's end of the veth; the apiserver's
     * certificate names 127.0.0.1, so that is the TLS server name.
     */
    static String kubeconfigThroughVeth(String kubeconfig, int port) {
        var kc = Yaml.loadMap(kubeconfig);
        for (var c : Yaml.maps(kc, "clusters")) {
            @SuppressWarnings("unchecked")
            var cl = (Map<String, Object>) c.get("cluster");
            cl.put("server", "https://" + LINK_HOST + ":" + port);
            cl.put("tls-server-name", "127.0.0.1");
        }
        return Yaml.dump(kc);
    }

    /**
     * The namespace, the veth pair and the bridge; forwarding on the node's interfaces only;
     * the host's rules: real-0's and real-1's pods reach each other (and nothing else through
     * the veth), the apiserver's port at the veth's host end, no masquerading between the pods.
     */
    static void createNetwork(int apiPort) {
        ip("netns", "add", NETNS);
        ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS, "netns", NETNS);
        ip("addr", "add", LINK_HOST + "/30", "dev", VETH_HOST);
        ip("link", "set", VETH_HOST, "up");
        NodeHost.setSysctl("net.ipv4.conf." + VETH_HOST + ".forwarding", "1");
        // Only on this interface: a packet arriving here may be handed to 127.0.0.1 (the apiserver's DNAT).
        NodeHost.setSysctl("net.ipv4.conf." + VETH_HOST + ".route_localnet", "1");
        ip("route", "add", SUBNET, "via", LINK_NS, "dev", VETH_HOST);
        nsIp("link", "set", "lo", "up");
        nsIp("addr", "add", LINK_NS + "/30", "dev", VETH_NS);
        nsIp("link", "set", VETH_NS, "up");
        nsIp("link", "add", BRIDGE, "type", "bridge");
        nsIp("addr", "add", GATEWAY + "/24", "dev", BRIDGE);
        nsIp("link", "set", BRIDGE, "up");
        nsIp("route", "add", "default", "via", LINK_HOST, "dev", VETH_NS);
        // The namespace's own setting (net.* sysctls are per network namespace).
        var fwd = run("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
        if (!fwd.ok()) throw new Problem.Failed("could not turn on forwarding in " + NETNS + ": " + fwd.said());
        hostRestore(hostRules(apiPort), "real-1's host rules");
        awaitKubeProxyJump(false);
        hostRestore(noMasquerade(RealNode.SUBNET, SUBNET), "the no-masquerade rule between the nodes' pods");
        restore(namespaceForward(), "real-1's FORWARD rule");
    }

    /** The host's side: forwarding between the two pod ranges only, the apiserver's DNAT, no masquerading between the pods. */
    static String hostRules(int apiPort) {
        return "*filter\n:" + HOST_FORWARD + " - [0:0]\n"
                + "-A " + HOST_FORWARD + " -i " + RealNode.BRIDGE + " -o " + VETH_HOST + " -s " + RealNode.SUBNET + " -d " + SUBNET + " -j ACCEPT\n"
                + "-A " + HOST_FORWARD + " -i " + VETH_HOST + " -o " + RealNode.BRIDGE + " -s " + SUBNET + " -d " + RealNode.SUBNET + " -j ACCEPT\n"
                + "-A " + HOST_FORWARD + " -i " + VETH_HOST + " -m comment --comment \"trevor real-1: its pods reach only the pods of real-0 and the node\" -j REJECT\n"
                + "-I FORWARD 1 -j " + HOST_FORWARD + "\nCOMMIT\n"
                + "*nat\n:" + HOST_APISERVER + " - [0:0]\n:" + NO_MASQ + " - [0:0]\n"
                + "-A " + HOST_APISERVER + " -i " + VETH_HOST + " -d " + LINK_HOST + " -p tcp --dport " + apiPort
                + " -m comment --comment \"trevor real-1: its kubelet reaches the apiserver\" -j DNAT --to-destination 127.0.0.1:" + apiPort + "\n"
                + "-I PREROUTING 1 -j " + HOST_APISERVER + "\nCOMMIT\n";
    }

    /**
     * Waits until kube-proxy's jump to KUBE-POSTROUTING (its masquerading) is in nat POSTROUTING,
     * of the namespace (inNamespace) or of the machine: a rule inserted first after that stays
     * ahead of it (kube-proxy only adds its jump when it is missing).
     */
    static void awaitKubeProxyJump(boolean inNamespace) {
        var cmd = List.of("iptables", "-t", "nat", "-S", "POSTROUTING");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            var r = Exec.run(inNamespace ? inNetns(cmd) : cmd, null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(20), null);
            last = r.said();
            if (r.ok() && r.out().contains("-j KUBE-POSTROUTING")) return;
            Wait.sleep(500);
        }
        throw new Problem.Failed("kube-proxy made no KUBE-POSTROUTING jump in nat POSTROUTING" + (inNamespace ? " of " + NETNS : "")
                + " within 30 s: " + Kube.firstLine(last));
    }

    /** Inside the namespace: the pods reach only each other, the node, and real-0's side. */
    static String namespaceForward() {
        return "*filter\n:" + NodeNetwork.FORWARD_CHAIN + " - [0:0]\n"
                + "-A " + NodeNetwork.FORWARD_CHAIN + " -i " + BRIDGE + " -o " + VETH_NS + " -d " + RealNode.SUBNET + " -j RETURN\n"
                + "-A " + NodeNetwork.FORWARD_CHAIN + " -i " + BRIDGE + " ! -o " + BRIDGE
                + " -m comment --comment \"trevor real-1: pods reach only the nodes and the pods\" -j REJECT\n"
                + "-I FORWARD 1 -j " + NodeNetwork.FORWARD_CHAIN + "\nCOMMIT\n";
    }

    /** nat POSTROUTING, first: connections from this node's pods to the other node's pods keep their source address. */
    static String noMasquerade(String from, String to) {
        return "*nat\n:" + NO_MASQ + " - [0:0]\n"
                + "-A " + NO_MASQ + " -s " + from + " -d " + to + " -m comment --comment \"trevor: pods keep their addresses between the nodes\" -j ACCEPT\n"
                + "-I POSTROUTING 1 -j " + NO_MASQ + "\nCOMMIT\n";
    }

    private static void restore(String script, String what) {
        var r = Exec.run(inNetns(List.of("iptables-restore", "--noflush")), null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(30), null, script);
        if (!r.ok()) throw new Problem.Failed("iptables-restore in " + NETNS + " (" + what + ") failed: " + r.said());
    }

    private static void hostRestore(String script, String what) {
        var r = Exec.run(List.of("iptables-restore", "--noflush"), null, Map.of("PATH", Daemons.PATH), Duration.ofSeconds(30), null, script);
        if (!r.ok()) throw new Problem.Failed("iptables-restore (" + what + ") failed: " + r.said());
    }

    private static void ip(String... args) {
        var cmd = new ArrayList<String>(List.of("ip"));
        cmd.addAll(List.of(args));
        var r = Exec.run(cmd, Duration.ofSeconds(30));
        if (!r.ok()) throw new Problem.Failed(String.join(" ", cmd) + " failed: " + r.said());
    }

    private static void nsIp(String... args) {
        var cmd = new ArrayList<String>(List.of("ip", "-n", NETNS));
        cmd.addAll(List.of(args));
        var r = Exec.run(cmd, Duration.ofSeconds(30));
        if (!r.ok()) throw new Problem.Failed(String.join(" ", cmd) + " failed: " + r.said());
    }

    /** The policy daemon's queue, as its own network namespace sees it. */
    static boolean queueBound(String cluster) {
        OptionalLong pid = Daemons.alive(pids(cluster).resolve(NodePolicies.DAEMON + ".pid"));
        return pid.isPresent() && NodePolicies.queueBound(nfqueueProc(pid.getAsLong()));
    }

    static Path nfqueueProc(long pid) { return Path.of("/proc", String.valueOf(pid), "net/netfilter/nfnetlink_queue"); }

    private static boolean answers(String host, int port) {
        try (var sock = new Socket()) {
            sock.connect(new InetSocketAddress(host, port), 2000);
            sock.setSoTimeout(3000);
            sock.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes());
            byte[] b = new byte[12];
            int n = sock.getInputStream().readNBytes(b, 0, 12);
            return n == 12 && new String(b).endsWith("200");
        } catch (IOException e) {
            return false;
        }
    }

    private static void start(String cluster, String name, List<String> cmd) {
        Daemons.start(name, inNetns(cmd), dir(cluster), Map.of(), pids(cluster), logs(cluster));
    }

    /** stall: how long neither the state nor the daemon's CPU may stand still (Daemons.await). */
    private static void waitFor(String what, Duration stall, String cluster, String daemon, Supplier<String> notYet) {
        Daemons.await(what, stall, pids(cluster).resolve(daemon + ".pid"), logs(cluster).resolve(daemon + ".log"), daemon + " of " + NODE_NAME,
                "Take the nodes down with: cluster.java down --name " + cluster, notYet);
    }

    /** Processes whose network namespace is the node's (by the namespace's inode), for `down`'s proof. */
    static List<Long> processesIn(String netnsInode) {
        var out = new ArrayList<Long>();
        if (netnsInode == null) return out;
        try (var s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) continue;
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/net")).toString().equals("net:[" + netnsInode + "]")) out.add(Long.parseLong(n));
                } catch (IOException | UnsupportedOperationException ignored) {
                    // gone meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return out;
    }

    /** The inode of the namespace's file, or null when there is none. */
    static String netnsInode() {
        try {
            return String.valueOf(Files.getAttribute(netnsFile(), "unix:ino"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    static boolean netnsExists() { return Files.exists(netnsFile()); }

    /** Deletes the namespace: its iptables, conntrack, queue, bridge and interfaces go with it. */
    static void deleteNetns() {
        if (netnsExists()) Exec.run(List.of("ip", "netns", "delete", NETNS), Duration.ofSeconds(30));
    }
}
