//SOURCES ../cluster/Daemons.java
//SOURCES ../tools/Exec.java
//SOURCES ../images/HostPackages.java
//SOURCES ../images/Images.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES NetnsNode.java
//SOURCES NodeBinaries.java
//SOURCES NodeCgroups.java
//SOURCES ../cluster/NodeConfigs.java
//SOURCES NodeHost.java
//SOURCES NodeMetrics.java
//SOURCES NodeNetwork.java
//SOURCES NodePolicies.java
//SOURCES ../tools/Problem.java
//SOURCES RealNodeDown.java
//SOURCES RealNodeImages.java
//SOURCES ../tools/Tools.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A real node in a kwok cluster: a kubelet with containerd, runc and the CNI plugins,
 * joined to the cluster's real control plane, so real containers run beside kwok's fake
 * nodes. With it come kube-proxy (iptables mode) and CoreDNS (a host process on the node's
 * bridge), so pods reach Services by name, and kube-network-policies ({@link NodePolicies}),
 * so the cluster's NetworkPolicies are enforced for the real node's pods.
 *
 * <p>Everything lives under the cluster's state folder (KwokCluster.clusterDir/rn):
 * containerd's root, state and socket, the kubelet's root, the pod logs, the CNI leases,
 * the daemons' pid and log files. The daemons run detached, so they survive the JVM and a
 * Ctrl-C, and `down` finds them by their pid files. What the node changes on the machine
 * outside that folder is recorded before `up` changes anything ({@link NodeHost.Baseline})
 * and undone by `down`; {@link RealNodeDown#leftovers} proves it.
 *
 * <p>One cluster with real nodes per machine: kube-proxy's and the kubelet's iptables chains
 * have fixed names. A second node, `real-1` ({@link NetnsNode}, `up --real-nodes 2`), runs in a
 * network namespace of its own, where those names are its own.
 */
final class RealNode {
    private RealNode() {}

    static final String NODE_NAME = "real-0";
    /** Label on the real node, for nodeSelectors that must land on it. */
    static final String NODE_LABEL = "trevor.dev/node";
    /** NoSchedule taint on the fake nodes of a cluster with a real node. */
    static final String SIMULATED_TAINT = "trevor.dev/simulated";
    static final String BRIDGE = "trevor-rn0";
    static final String SUBNET = "10.244.0.0/24";
    static final String GATEWAY = "10.244.0.1";
    /** kube-apiserver's default --service-cluster-ip-range; kwokctl sets none. Checked at `up`. */
    static final String SERVICE_CIDR = "10.0.0.0/24";
    /** The pod sandbox image scripts/images.java builds: nothing can be pulled. */
    static final String SANDBOX_IMAGE = Images.PAUSE;

    static final List<HostPackages.Pkg> PACKAGES = List.of(
            new HostPackages.Pkg("containerd", "1.6.20~ds1-1+deb12u3"),
            new HostPackages.Pkg("runc", "1.1.5+ds1-1+deb12u1"),
            new HostPackages.Pkg("containernetworking-plugins", "1.1.1+ds1-3+b5"),
            new HostPackages.Pkg("iptables", "1.8.9-2"),
            // `nft`: whether this kernel has nftables, and whether `down` removed the policy table.
            new HostPackages.Pkg("nftables", "1.0.6-2+deb12u2"));

    /** The daemons, in the order `up` starts them (`down` stops them in reverse, containerd last). */
    static final List<String> DAEMONS = List.of("containerd", "kubelet", "coredns", "kube-proxy");

    record Info(String node, Path dir, Path socket, String context) {}

    static Path dir(String cluster) { return KwokCluster.clusterDir(cluster).resolve("rn"); }

    static boolean exists(String cluster) { return Files.isDirectory(dir(cluster)); }

    static String cgroupRoot(String cluster) { return "trevor-rn-" + cluster; }

    static Path pids(String cluster) { return dir(cluster).resolve("pids"); }

    private static Path logs(String cluster) { return dir(cluster).resolve("logs"); }

    static Path baselineDir(String cluster) { return dir(cluster).resolve("baseline"); }

    static NodeConfigs.Settings settings(String cluster, NodeConfigs.Ports ports) {
        return new NodeConfigs.Settings(cluster, KwokCluster.context(cluster), NODE_LABEL, KwokCluster.clusterDir(cluster), dir(cluster), NODE_NAME, BRIDGE, SUBNET, GATEWAY,
                SERVICE_CIDR, cgroupRoot(cluster), SANDBOX_IMAGE, ports);
    }

    static Kube kube(String cluster) {
        return new Kube(Tools.kubectl(null), KwokCluster.context(cluster), KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml"));
    }

    /**
     * Adds the real node to the running kwok cluster, or reuses it when it runs and is Ready.
     * archives (docker-archive tars, may be empty) are imported into its containerd.
     */
    static Info up(Path repo, String cluster, List<Path> archives, Consumer<String> progress) {
        return up(repo, cluster, archives, false, 1, progress);
    }

    /** The most real nodes a cluster can have here: real-0, and real-1 in its own network namespace. */
    static final int MAX_NODES = 2;

    /** The names of a cluster's real nodes, real-0 first. */
    static List<String> nodeNames(int nodes) { return nodes >= 2 ? List.of(NODE_NAME, NetnsNode.NODE_NAME) : List.of(NODE_NAME); }

    /** The real nodes the cluster has now (by their folders). */
    static List<String> nodeNames(String cluster) {
        return !exists(cluster) ? List.of() : nodeNames(NetnsNode.exists(cluster) ? 2 : 1);
    }

    /** A real node runs only on Linux: elsewhere, exit 2 before anything is built or changed. */
    static void requireLinux() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            throw new Problem.BadInput("a real node runs only on Linux (this is " + System.getProperty("os.name") + ")");
        }
    }

    /**
     * requirePolicies: a kernel that cannot enforce NetworkPolicies is refused (exit 2), not noted.
     * nodes: 1 (real-0) or 2 (real-0 and real-1).
     */
    static Info up(Path repo, String cluster, List<Path> archives, boolean requirePolicies, int nodes, Consumer<String> progress) {
        KwokCluster.checkName(cluster);
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new Problem.BadInput("--real-nodes " + nodes + " is out of range: give 1 (real-0) or 2 (real-0 and real-1)");
        }
        requireLinux();
        // First, so that anywhere they are missing and cannot be installed the one message names them all.
        HostPackages.ensure("the real node", PACKAGES, progress);
        checkMachine(cluster);
        var policyProbes = NodePolicies.probe();
        var policyLacks = policyProbes.lacks();
        NodePolicies.checkKernel(policyLacks, requirePolicies);
        Path bin = NodeBinaries.ensureBuilt(repo, progress);
        var kube = kube(cluster);
        checkControlPlane(cluster, kube);

        if (exists(cluster)) {
            boolean second = nodes == 2 ? NetnsNode.exists(cluster) && NetnsNode.running(cluster) && nodeReady(kube, NetnsNode.NODE_NAME)
                    : !NetnsNode.exists(cluster);
            if (running(cluster) && nodeReady(kube) && second) {
                progress.accept("real nodes " + String.join(", ", nodeNames(nodes)) + " are running; reusing them");
                taintFakeNodes(kube);
                RealNodeImages.importImages(cluster, archives, progress);
                if (nodes == 2) RealNodeImages.importImages(NetnsNode.settings(cluster).socket(), NetnsNode.dir(cluster).resolve("images"), archives, progress);
                if (Daemons.alive(pids(cluster).resolve(NodeMetrics.DAEMON + ".pid")).isEmpty()) startMetrics(cluster, bin, kube);
                warnWithoutSandboxImage(cluster, progress);
                return info(cluster);
            }
            progress.accept("the real nodes of " + cluster + " are not (fully) running, or not " + nodes + "; removing what is left of them first");
            var f = RealNodeDown.down(cluster, progress);
            var left = RealNodeDown.leftovers(f);
            if (!left.isEmpty()) throw new Problem.Failed("could not clear the old real node: " + String.join("; ", left));
        }

        Path d = dir(cluster);
        var ports = new NodeConfigs.Ports(freePort(), freePort(), freePort(), freePort());
        var s = settings(cluster, ports);
        try {
            Files.createDirectories(d);
            // The machine as it is, before anything changes it: `down` restores this.
            NodeHost.Baseline.capture().write(baselineDir(cluster));
            writePorts(cluster, ports);
            for (Path p : List.of(s.run(), s.cniConfDir(), s.ipamDir(), s.kubeletRoot(), s.podLogs(), s.containerdRoot())) Files.createDirectories(p);
            Files.writeString(s.containerdConfig(), NodeConfigs.containerdToml(s));
            Files.writeString(s.cniConflist(), NodeConfigs.cniConflist(s));
            Files.writeString(s.kubeletConfig(), Yaml.dump(NodeConfigs.kubeletConfig(s)));
            Files.writeString(s.kubeProxyConfig(), Yaml.dump(NodeConfigs.kubeProxyConfig(s)));
            Files.writeString(s.corefile(), NodeConfigs.corefile(s));
            Files.writeString(s.resolvConf(), NodeConfigs.resolvConf(s));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        NodeCgroups.createCgroupRoot(s.cgroupRoot());
        NodeNetwork.createNetwork(BRIDGE, GATEWAY + "/" + SUBNET.split("/")[1], SERVICE_CIDR);

        start(cluster, "containerd", List.of("containerd", "--config", s.containerdConfig().toString()));
        waitFor("containerd answers on " + s.socket(), Duration.ofSeconds(30), cluster, "containerd",
                () -> ctr(cluster, Duration.ofSeconds(10), "version").ok() ? null : "no answer yet");
        var imported = RealNodeImages.importMeanwhile(s.socket(), d.resolve("images"), archives, progress);

        start(cluster, "kubelet", NodeConfigs.kubeletArgs(s, bin.resolve("kubelet")));
        waitFor("node " + NODE_NAME + " Ready", Duration.ofSeconds(90), cluster, "kubelet", () -> nodeReady(kube) ? null : "not Ready yet");

        start(cluster, "coredns", NodeConfigs.corednsArgs(s, bin.resolve("coredns")));
        waitFor("CoreDNS ready", Duration.ofSeconds(30), cluster, "coredns", () -> httpOk(ports.dnsReady(), "/ready") ? null : "not ready yet");

        start(cluster, "kube-proxy", NodeConfigs.kubeProxyArgs(s, bin.resolve("kube-proxy")));
        waitFor("kube-proxy healthy", Duration.ofSeconds(30), cluster, "kube-proxy",
                () -> httpOk(ports.proxyHealthz(), "/healthz") ? null : "not healthy yet");

        if (!policyLacks.isEmpty()) {
            String why = "this kernel lacks " + String.join(" and ", policyLacks);
            try {
                Files.writeString(NodePolicies.notEnforcedFile(d), why + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            progress.accept("note: NetworkPolicies are NOT enforced on " + NODE_NAME + ": " + why);
        } else {
        var plane = policyProbes.dataplane();
        start(cluster, NodePolicies.DAEMON, NodePolicies.args(bin.resolve(NodePolicies.DAEMON),
                KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml"), NODE_NAME));
        if (plane == NodePolicies.Dataplane.NFTABLES) {
            waitFor("NetworkPolicies enforced (nftables table inet " + NodePolicies.TABLE + ", nfqueue " + NodePolicies.QUEUE + ")",
                    Duration.ofSeconds(60), cluster, NodePolicies.DAEMON,
                    () -> !NodePolicies.tablePresent() ? "no table yet" : NodePolicies.queueBound(NodePolicies.NFQUEUE_PROC) ? null : "queue not bound yet");
        } else {
            // The rules fail closed, so they go in only once the daemon listens on the queue.
            waitFor("kube-network-policies bound to nfqueue " + NodePolicies.QUEUE, Duration.ofSeconds(60), cluster, NodePolicies.DAEMON,
                    () -> NodePolicies.queueBound(NodePolicies.NFQUEUE_PROC) ? null : "queue not bound yet");
            NodePolicies.installIptables(SUBNET);
            progress.accept("NetworkPolicies: this kernel has no nftables queue expression (nft_queue); new pod connections reach "
                    + NodePolicies.DAEMON + " through iptables NFQUEUE rules (mangle " + NodePolicies.CHAIN_OUT + ", " + NodePolicies.CHAIN_IN + ")");
        }
        }

        startMetrics(cluster, bin, kube);
        imported.run();
        taintFakeNodes(kube);
        warnWithoutSandboxImage(cluster, progress);
        progress.accept("real node " + NODE_NAME + " Ready: pods at " + SUBNET + " on " + BRIDGE + ", cluster DNS " + GATEWAY
                + (policyLacks.isEmpty() ? ", NetworkPolicies enforced by " + NodePolicies.DAEMON : ", NetworkPolicies NOT enforced") + ", state and logs in " + d);
        if (nodes == 2) NetnsNode.up(cluster, bin, archives, policyLacks.isEmpty() ? policyProbes.dataplane() : null, progress);
        return info(cluster);
    }

    /**
     * The resource metrics API for HPAs and `kubectl top` ({@link NodeMetrics}): metrics-server on
     * the bridge address, registered with the aggregator, waited for until it serves this node's
     * numbers.
     */
    private static void startMetrics(String cluster, Path bin, Kube kube) {
        int port = freePort();
        start(cluster, NodeMetrics.DAEMON, NodeMetrics.args(bin.resolve(NodeMetrics.DAEMON), KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml"),
                dir(cluster).resolve(NodeMetrics.DAEMON), GATEWAY, port));
        NodeMetrics.register(kube, GATEWAY, port);
        waitFor("the resource metrics API to serve " + NODE_NAME + "'s CPU and memory (APIService " + NodeMetrics.API_SERVICE + ")",
                Duration.ofSeconds(90), cluster, NodeMetrics.DAEMON, () -> NodeMetrics.notServing(kube, NODE_NAME));
    }

    private static Info info(String cluster) {
        return new Info(NODE_NAME, dir(cluster), settings(cluster, null).socket(), KwokCluster.context(cluster));
    }

    /** Root, a short enough state path, and no other real node on this machine. */
    private static void checkMachine(String cluster) {
        if (!"0".equals(HostPackages.uid())) {
            throw new Problem.BadInput("a real node needs root: it starts containerd and a kubelet, and makes a bridge (this runs as uid "
                    + HostPackages.uid() + ")");
        }
        String tooLong = tooLongSocket(settings(cluster, null));
        if (tooLong != null) {
            throw new Problem.BadInput("the real node's socket " + tooLong + " would be longer than the 107 bytes a unix socket path may have; "
                    + "use a shorter --name, or a shorter TREVOR_CACHE");
        }
        String other = otherRealNode(cluster);
        if (other != null) {
            throw new Problem.BadInput("cluster " + other + " already has a real node on this machine, and there can be only one "
                    + "(kube-proxy's iptables chains are machine-wide); take it down first: cluster.java down --name " + other);
        }
        if (!exists(cluster) && NodeNetwork.interfaceExists(BRIDGE)) {
            throw new Problem.BadInput("the network interface " + BRIDGE + " exists but belongs to no cluster of this project; remove it "
                    + "(ip link delete " + BRIDGE + ") or find who made it");
        }
        if (!exists(cluster) && (NetnsNode.netnsExists() || NodeNetwork.interfaceExists(NetnsNode.VETH_HOST))) {
            throw new Problem.BadInput("the network namespace " + NetnsNode.NETNS + " or the interface " + NetnsNode.VETH_HOST
                    + " exists but belongs to no cluster of this project; remove them (ip netns delete " + NetnsNode.NETNS + "; ip link delete "
                    + NetnsNode.VETH_HOST + ") or find who made them");
        }
    }

    /** The first socket path over the limit, or null. */
    static String tooLongSocket(NodeConfigs.Settings s) {
        for (Path p : NodeConfigs.sockets(s)) if (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) return p.toString();
        return null;
    }

    /** Another cluster whose real node has a live daemon, or null. */
    private static String otherRealNode(String cluster) {
        Path clusters = KwokCluster.workdir().resolve("clusters");
        if (!Files.isDirectory(clusters)) return null;
        try (var s = Files.list(clusters)) {
            for (Path c : s.toList()) {
                String name = c.getFileName().toString();
                if (name.equals(cluster)) continue;
                for (String dmn : DAEMONS) if (Daemons.alive(c.resolve("rn/pids").resolve(dmn + ".pid")).isPresent()) return name;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    /** The cluster must run, with the control-plane settings a real kubelet needs. */
    private static void checkControlPlane(String cluster, Kube kube) {
        Path kwokYaml = KwokCluster.clusterDir(cluster).resolve("kwok.yaml");
        String config;
        try {
            config = Files.readString(kwokYaml);
        } catch (IOException e) {
            throw new Problem.BadInput("no kwok cluster " + cluster + " (" + kwokYaml + " is missing); start it with cluster.java up --real-node");
        }
        if (!config.contains("--manage-nodes-with-annotation-selector=") || !config.contains("--kubelet-preferred-address-types=InternalIP")) {
            throw new Problem.BadInput("kwok cluster " + cluster + " was created before real nodes were supported (kwok would take the real "
                    + "node over, and the apiserver could not reach its kubelet); recreate it: cluster.java down --name " + cluster
                    + " && cluster.java up --real-node --name " + cluster);
        }
        var svc = kube.get("default", "service", "kubernetes");
        String ip = svc == null ? null : Yaml.str(svc, "spec.clusterIP");
        if (ip == null || !inCidr(ip, SERVICE_CIDR)) {
            throw new Problem.Failed("the cluster's Service range is not " + SERVICE_CIDR + " (the kubernetes Service has ClusterIP " + ip
                    + "); RealNode.SERVICE_CIDR must match the apiserver's --service-cluster-ip-range");
        }
    }

    static boolean inCidr(String ip, String cidr) {
        try {
            String[] c = cidr.split("/");
            byte[] a = InetAddress.getByName(ip).getAddress();
            byte[] n = InetAddress.getByName(c[0]).getAddress();
            int bits = Integer.parseInt(c[1]);
            if (a.length != n.length) return false;
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((a[i / 8] & mask) != (n[i / 8] & mask)) return false;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** All daemons alive. */
    static boolean running(String cluster) {
        for (String d : DAEMONS) if (Daemons.alive(pids(cluster).resolve(d + ".pid")).isEmpty()) return false;
        return true;
    }

    private static boolean nodeReady(Kube kube) { return nodeReady(kube, NODE_NAME); }

    static boolean nodeReady(Kube kube, String node) {
        var n = kube.get(null, "node", node);
        return n != null && Kube.conditionTrue(n, "Ready");
    }

    private static void start(String cluster, String name, List<String> cmd) {
        Daemons.start(name, cmd, dir(cluster), Map.of(), pids(cluster), logs(cluster));
    }

    /** Waits; a daemon that died meanwhile fails at once, with the end of its log. */
    /** stall: how long neither the state nor the daemon's CPU may stand still (Daemons.await). */
    private static void waitFor(String what, Duration stall, String cluster, String daemon, java.util.function.Supplier<String> notYet) {
        Daemons.await(what, stall, pids(cluster).resolve(daemon + ".pid"), logs(cluster).resolve(daemon + ".log"), daemon,
                "Take the node down with: cluster.java down --name " + cluster, notYet);
    }

    private static boolean httpOk(int port, String path) {
        try {
            var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            var r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() {
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writePorts(String cluster, NodeConfigs.Ports p) throws IOException {
        Files.writeString(dir(cluster).resolve("ports"), p.kubeletHealthz() + " " + p.proxyHealthz() + " " + p.proxyMetrics() + " " + p.dnsReady() + "\n");
    }

    /** With a real node, ordinary workloads go to it: the fake nodes get a NoSchedule taint. */
    private static void taintFakeNodes(Kube kube) {
        var r = kube.run("taint", "nodes", "-l", "type=kwok", SIMULATED_TAINT + "=true:NoSchedule", "--overwrite");
        if (!r.ok()) throw new Problem.Failed("could not taint the fake nodes: " + r.said());
    }

    private static void warnWithoutSandboxImage(String cluster, Consumer<String> progress) {
        if (!RealNodeImages.imageRefs(cluster).contains(SANDBOX_IMAGE)) {
            progress.accept("note: containerd has no " + SANDBOX_IMAGE + " (the pod sandbox image) yet; pods stay ContainerCreating "
                    + "until it is imported: cluster.java up --real-node --image-archive PAUSE.tar");
        }
    }

    static Exec.Result ctr(String cluster, Duration timeout, String... args) { return ctr(settings(cluster, null).socket(), timeout, args); }

    static Exec.Result ctr(Path socket, Duration timeout, String... args) {
        var cmd = new ArrayList<String>(List.of("ctr", "--address", socket.toString()));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, timeout);
    }

    /** One line: the node's daemons and whether it is Ready. */
    static String status(String cluster) {
        if (!exists(cluster)) return "no real node";
        var parts = new ArrayList<String>();
        for (String d : DAEMONS) {
            var pid = Daemons.alive(pids(cluster).resolve(d + ".pid"));
            parts.add(d + " " + (pid.isPresent() ? pid.getAsLong() : "stopped"));
        }
        boolean ready = running(cluster) && nodeReady(kube(cluster));
        var node = ready ? kube(cluster).get(null, "node", NODE_NAME) : null;
        String state = node != null ? KwokCluster.nodeState(node) : "not Ready";
        return "real node " + NODE_NAME + ": " + state + " (" + String.join(", ", parts) + "), logs in " + logs(cluster)
                + "\n" + policyStatus(cluster) + "\n" + metricsStatus(cluster) + (NetnsNode.exists(cluster) ? "\n" + secondStatus(cluster) : "");
    }

    /** real-1's line: its daemons, Ready or not, and its enforcement. */
    private static String secondStatus(String cluster) {
        var parts = new ArrayList<String>();
        for (String d : NetnsNode.DAEMONS) {
            var pid = Daemons.alive(NetnsNode.pids(cluster).resolve(d + ".pid"));
            parts.add(d + " " + (pid.isPresent() ? pid.getAsLong() : "stopped"));
        }
        var node = kube(cluster).get(null, "node", NetnsNode.NODE_NAME);
        String state = node != null && Kube.conditionTrue(node, "Ready") ? KwokCluster.nodeState(node) : "not Ready";
        return "real node " + NetnsNode.NODE_NAME + " (network namespace " + NetnsNode.NETNS + "): " + state + " (" + String.join(", ", parts)
                + "), logs in " + NetnsNode.logs(cluster) + "\nNetworkPolicies: "
                + (NetnsNode.queueBound(cluster) ? "enforced on " + NetnsNode.NODE_NAME + " by its own " + NodePolicies.DAEMON + " (nfqueue "
                        + NodePolicies.QUEUE + " of " + NetnsNode.NETNS + ")" : "NOT enforced on " + NetnsNode.NODE_NAME + " (its " + NodePolicies.DAEMON
                        + " is not bound to its queue)");
    }

    /** Whether the resource metrics API runs: metrics-server's pid and the APIService's Available condition. */
    static String metricsStatus(String cluster) {
        var pid = Daemons.alive(pids(cluster).resolve(NodeMetrics.DAEMON + ".pid"));
        boolean available = NodeMetrics.apiAvailable(kube(cluster));
        return "resource metrics (kubectl top, HPAs): " + NodeMetrics.DAEMON + " " + (pid.isPresent() ? pid.getAsLong() : "stopped") + ", APIService "
                + NodeMetrics.API_SERVICE + (available ? " Available" : " not Available; restart the node: cluster.java up --real-node");
    }

    /** Whether the real node's pods are held to their NetworkPolicies right now, and by what. */
    static String policyStatus(String cluster) {
        var pid = Daemons.alive(pids(cluster).resolve(NodePolicies.DAEMON + ".pid"));
        boolean table = NodePolicies.tablePresent();
        boolean chain = !table && NodePolicies.chainPresent();
        boolean queue = NodePolicies.queueBound(NodePolicies.NFQUEUE_PROC);
        if (pid.isPresent() && (table || chain) && queue) {
            return "NetworkPolicies: enforced on " + NODE_NAME + " by " + NodePolicies.DAEMON + " " + pid.getAsLong() + " ("
                    + (table ? "nftables table inet " + NodePolicies.TABLE : "iptables mangle chains " + NodePolicies.CHAIN_OUT + " and " + NodePolicies.CHAIN_IN)
                    + ", nfqueue " + NodePolicies.QUEUE + ")";
        }
        try {
            Path f = NodePolicies.notEnforcedFile(dir(cluster));
            if (Files.exists(f)) return "NetworkPolicies: NOT enforced on " + NODE_NAME + ": " + Files.readString(f).strip();
        } catch (IOException e) {
            // fall through to what runs
        }
        return "NetworkPolicies: NOT enforced on " + NODE_NAME + " (" + NodePolicies.DAEMON + " " + (pid.isPresent() ? "runs" : "stopped")
                + ", rules " + (table || chain ? "present" : "missing") + ", queue " + (queue ? "bound" : "unbound") + "); restart the node: cluster.java up --real-node";
    }
}
