//SOURCES ../cluster/Daemons.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES IptablesRules.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES NetnsNode.java
//SOURCES NodeBinaries.java
//SOURCES NodeCgroups.java
//SOURCES NodeHost.java
//SOURCES NodeMetrics.java
//SOURCES NodeMounts.java
//SOURCES NodeNetwork.java
//SOURCES NodePolicies.java
//SOURCES RealNode.java
//SOURCES ../tools/Wait.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Taking a real node away, and the proof that nothing of it is left: `down` records what the
 * node holds on the machine (its {@link Footprint}) before it removes it, and
 * {@link #leftovers} looks for each of those things again, and for what the machine holds now
 * that its {@link NodeHost.Baseline} did not.
 */
final class RealNodeDown {
    private RealNodeDown() {}

    /**
     * What a cluster's real nodes held on this machine, to prove that `down` removed all of it:
     * real-0's and (when it ran) real-1's processes, mounts, host interfaces, cgroup roots,
     * containers; real-1's network namespace, by name and inode (every process still in it is
     * a leftover, whatever its name).
     */
    record Footprint(String cluster, Path dir, Set<Long> pids, List<Path> mounts, List<String> interfaces, List<String> cgroupRoots,
                     Set<String> containerIds, NodeHost.Baseline baseline, String netns, String netnsInode) {
        static Footprint none(String cluster) {
            return new Footprint(cluster, RealNode.dir(cluster), Set.of(), List.of(), List.of(), List.of(RealNode.cgroupRoot(cluster)), Set.of(), null,
                    null, null);
        }
    }

    /** The containerd sockets of both nodes (real-1's may never have existed). */
    private static List<Path> sockets(String cluster) {
        return List.of(RealNode.settings(cluster, null).socket(), NetnsNode.settings(cluster).socket());
    }

    /**
     * Removes the real node of a cluster, in this order: the pods (the kubelet stops their
     * containers and tears down their network), kube-proxy (and its rules), CoreDNS, the
     * kubelet, what containers are left, containerd and its shims; then the mounts, the
     * bridge, the iptables rules the node added, the kernel settings, the cgroups, the host
     * folders, and the node's folder. Safe to call when there is no real node, or after an
     * interrupted `up`. Returns what the node held, for {@link #leftovers}.
     */
    static Footprint down(String cluster, Consumer<String> progress) {
        KwokCluster.checkName(cluster);
        if (!RealNode.exists(cluster)) return Footprint.none(cluster);
        Path d = RealNode.dir(cluster);
        var baseline = NodeHost.Baseline.read(RealNode.baselineDir(cluster));
        var pidSet = new LinkedHashSet<Long>();
        for (String dmn : RealNode.DAEMONS) Daemons.alive(RealNode.pids(cluster).resolve(dmn + ".pid")).ifPresent(pidSet::add);
        Daemons.alive(RealNode.pids(cluster).resolve(NodePolicies.DAEMON + ".pid")).ifPresent(pidSet::add);
        for (String dmn : NetnsNode.DAEMONS) Daemons.alive(NetnsNode.pids(cluster).resolve(dmn + ".pid")).ifPresent(pidSet::add);
        Daemons.alive(RealNode.pids(cluster).resolve(NodeMetrics.DAEMON + ".pid")).ifPresent(pidSet::add);
        for (Path socket : sockets(cluster)) pidSet.addAll(shims(socket.toString()));
        var interfaces = new ArrayList<String>();
        if (NodeNetwork.interfaceExists(RealNode.BRIDGE)) {
            interfaces.add(RealNode.BRIDGE);
            interfaces.addAll(NodeNetwork.bridgePorts(RealNode.BRIDGE));
        }
        if (NodeNetwork.interfaceExists(NetnsNode.VETH_HOST)) interfaces.add(NetnsNode.VETH_HOST);
        String netnsInode = NetnsNode.netnsInode();
        // Processes in real-1's namespace that no pid file names (a container whose shim died) are its too.
        pidSet.addAll(NetnsNode.processesIn(netnsInode));
        Set<String> containerIds = containerIds(cluster);
        var footprint = new Footprint(cluster, d, pidSet, NodeMounts.mountsUnder(d), interfaces,
                List.of(RealNode.cgroupRoot(cluster), NetnsNode.cgroupRoot(cluster)), containerIds, baseline,
                NetnsNode.netnsExists() || NetnsNode.exists(cluster) ? NetnsNode.NETNS : null, netnsInode);

        boolean containerd = Daemons.alive(RealNode.pids(cluster).resolve("containerd.pid")).isPresent();
        boolean kubelet = Daemons.alive(RealNode.pids(cluster).resolve("kubelet.pid")).isPresent();
        boolean containerd1 = Daemons.alive(NetnsNode.pids(cluster).resolve("containerd.pid")).isPresent();
        boolean kubelet1 = Daemons.alive(NetnsNode.pids(cluster).resolve("kubelet.pid")).isPresent();
        var withPods = new ArrayList<String>();
        if (kubelet && containerd) withPods.add(RealNode.NODE_NAME);
        if (kubelet1 && containerd1) withPods.add(NetnsNode.NODE_NAME);
        if (!withPods.isEmpty()) deletePods(cluster, withPods, progress);

        // The resource metrics API first, unregistered while the API answers: an APIService without its server breaks discovery.
        NodeMetrics.unregister(RealNode.kube(cluster));
        stop(cluster, NodeMetrics.DAEMON, progress);
        // Enforcement next: a clean stop deletes its nftables table; what a killed one left goes here.
        stop(cluster, NodePolicies.DAEMON, progress);
        stopIn(NetnsNode.pids(cluster), NodePolicies.DAEMON, progress);
        NodePolicies.removeTable();
        for (String dmn : List.of("kube-proxy", "kubelet")) stopIn(NetnsNode.pids(cluster), dmn, progress);
        for (String dmn : List.of("kube-proxy", "coredns", "kubelet")) stop(cluster, dmn, progress);
        if (NodeBinaries.built()) {
            // kube-proxy's own cleanup of its chains (the rest goes by the baseline below).
            Exec.run(List.of(NodeBinaries.bin("kube-proxy").toString(), "--cleanup"), null, Map.of("PATH", Daemons.PATH),
                    Duration.ofSeconds(60), null);
        }
        if (containerd) removeContainers(RealNode.settings(cluster, null).socket());
        if (containerd1) removeContainers(NetnsNode.settings(cluster).socket());
        stopIn(NetnsNode.pids(cluster), "containerd", progress);
        stop(cluster, "containerd", progress);
        for (Path socket : sockets(cluster)) for (long pid : shims(socket.toString())) Daemons.stop(pid, Duration.ofSeconds(5));
        int orphans = 0;
        for (String root : footprint.cgroupRoots()) orphans += NodeCgroups.killCgroupProcesses(root);
        for (long pid : NetnsNode.processesIn(netnsInode)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Daemons.awaitGone(pid, Duration.ofSeconds(10));
            orphans++;
        }
        if (orphans > 0) progress.accept("killed " + orphans + " container processes that no runtime managed any more");

        var problems = new ArrayList<String>(NodeMounts.unmountUnder(d));
        for (String i : interfaces) NodeNetwork.deleteInterface(i);
        // real-1's iptables, conntrack, queue, bridge and pod interfaces are the namespace's: they go with it.
        NetnsNode.deleteNetns();
        if (baseline != null) {
            // `ip netns add` bind-mounted /run/netns on itself; `ip netns delete` leaves that mount.
            String netnsMount = NodeHost.unmountNetnsDir(baseline);
            if (netnsMount != null) problems.add(netnsMount);
            var removed = NodeNetwork.removeIptablesAdded(baseline, progress);
            if (!removed.isEmpty()) progress.accept("removed " + removed.size() + " iptables chains and rules the node added");
            var tables = NodeHost.deleteEmptyTablesAdded(baseline.nftTables());
            if (!tables.isEmpty()) progress.accept("deleted the empty nftables tables iptables made for the node: " + String.join(", ", tables));
            var restored = NodeHost.restoreSysctls(baseline);
            if (!restored.isEmpty()) progress.accept("restored kernel settings: " + String.join(", ", restored));
        }
        for (String root : footprint.cgroupRoots()) problems.addAll(NodeCgroups.removeCgroups(root));
        if (baseline != null) {
            NodeHost.cleanHostDirs(baseline, NodeHost.hostFiles(baseline, d, sockets(cluster), containerIds));
        }
        if (problems.isEmpty()) Dirs.deleteTree(d);
        else progress.accept("kept " + d + " because of: " + String.join("; ", problems));
        return footprint;
    }

    /** The ids of every sandbox and container the node's containerd knows (its CRI state on disk). */
    private static Set<String> containerIds(String cluster) {
        var ids = new LinkedHashSet<String>();
        for (Path root : List.of(RealNode.settings(cluster, null).containerdRoot(), NetnsNode.settings(cluster).containerdRoot())) {
            for (String kind : List.of("sandboxes", "containers")) {
                try (var s = Files.list(root.resolve("io.containerd.grpc.v1.cri").resolve(kind))) {
                    s.forEach(p -> ids.add(p.getFileName().toString()));
                } catch (IOException e) {
                    // none of that kind
                }
            }
        }
        return ids;
    }

    /** containerd-shim processes serving this node's containerd. */
    private static List<Long> shims(String socket) {
        return Daemons.where(c -> c.contains("containerd-shim") && (c + " ").contains(" -address " + socket + " "));
    }

    private static void deletePods(String cluster, List<String> nodes, Consumer<String> progress) {
        var kube = RealNode.kube(cluster);
        if (!kube.run(Duration.ofSeconds(15), "get", "--raw", "/readyz", "--request-timeout=5s").ok()) return;
        for (String node : nodes) kube.run("cordon", node);
        for (String node : nodes) {
            var r = kube.run(Duration.ofSeconds(90), "delete", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=" + node,
                    "--grace-period=1", "--wait=false");
            if (!r.ok()) progress.accept("deleting the pods of " + node + ": " + Kube.firstLine(r.said()));
        }
        for (String node : nodes) {
            var r = kube.run(Duration.ofSeconds(90), "wait", "--for=delete", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=" + node,
                    "--timeout=60s");
            if (!r.ok() && !r.said().contains("no matching resources")) progress.accept("waiting for the pods of " + node + " to go: " + Kube.firstLine(r.said()));
        }
        // The kubelets stop the containers after the API objects are gone; give them a moment.
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (Path socket : sockets(cluster)) {
            while (System.nanoTime() < end) {
                var t = RealNode.ctr(socket, Duration.ofSeconds(10), "-n", NodeHost.K8S_NAMESPACE, "tasks", "ls", "-q");
                if (!t.ok() || t.out().isBlank()) break;
                Wait.sleep(500);
            }
        }
    }

    /** Tasks the kubelet did not stop (it may be gone): killed and deleted, so their shims exit. */
    private static void removeContainers(Path socket) {
        var t = RealNode.ctr(socket, Duration.ofSeconds(10), "-n", NodeHost.K8S_NAMESPACE, "tasks", "ls", "-q");
        if (!t.ok()) return;
        for (String id : t.out().split("\n")) {
            if (id.isBlank()) continue;
            RealNode.ctr(socket, Duration.ofSeconds(30), "-n", NodeHost.K8S_NAMESPACE, "tasks", "delete", "--force", id.strip());
        }
    }

    private static void stop(String cluster, String daemon, Consumer<String> progress) { stopIn(RealNode.pids(cluster), daemon, progress); }

    private static void stopIn(Path pids, String daemon, Consumer<String> progress) {
        if (!Daemons.stop(pids.resolve(daemon + ".pid"), Duration.ofSeconds(15))) progress.accept(daemon + " (" + pids.getParent().getFileName() + ") would not stop");
    }

    /** What of a footprint is still there; empty means `down` left nothing behind. */
    static List<String> leftovers(Footprint f) {
        var left = new ArrayList<String>();
        for (long pid : f.pids()) if (!Daemons.gone(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        for (Path socket : sockets(f.cluster())) {
            for (long pid : shims(socket.toString())) if (!f.pids().contains(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        }
        for (long pid : NetnsNode.processesIn(f.netnsInode())) {
            if (!f.pids().contains(pid)) left.add("process " + pid + " in network namespace " + f.netns() + ": " + Daemons.cmdline(pid));
        }
        if (NetnsNode.netnsExists()) left.add("network namespace " + NetnsNode.NETNS + " (" + NetnsNode.netnsFile() + ")");
        if (NodeNetwork.interfaceExists(NetnsNode.VETH_HOST) && !f.interfaces().contains(NetnsNode.VETH_HOST)) {
            left.add("network interface " + NetnsNode.VETH_HOST);
        }
        for (Path m : NodeMounts.mountsUnder(f.dir())) left.add("mount " + m);
        for (String i : f.interfaces()) if (NodeNetwork.interfaceExists(i)) left.add("network interface " + i);
        if (NodeNetwork.interfaceExists(RealNode.BRIDGE) && !f.interfaces().contains(RealNode.BRIDGE) && f.baseline() != null) {
            left.add("network interface " + RealNode.BRIDGE);
        }
        for (String root : f.cgroupRoots()) for (Path c : NodeCgroups.cgroupDirs(root)) left.add("cgroup " + c);
        if (f.baseline() != null) {
            NodeNetwork.iptablesAdded(f.baseline()).forEach((family, added) -> left.addAll(IptablesRules.describe(family, added)));
            f.baseline().sysctls().forEach((k, v) -> {
                String now = NodeHost.sysctl(k);
                if (now != null && !now.equals(v)) left.add("kernel setting " + k + " = " + now + " (was " + v + ")");
            });
            left.addAll(NodeHost.hostLeftovers(f.baseline(), NodeHost.hostFiles(f.baseline(), f.dir(), sockets(f.cluster()), f.containerIds())));
        }
        if (f.baseline() != null) left.addAll(NodePolicies.leftovers(NodePolicies.NFQUEUE_PROC));
        if (f.baseline() != null) left.addAll(sinceBaseline(f.baseline(), left));
        if (Files.exists(f.dir())) left.add("folder " + f.dir());
        return left;
    }

    /**
     * What the machine holds now that it did not before `up`, whoever's it is (a thing the
     * footprint did not know of, e.g. made after it was taken): mount points, network
     * interfaces, nftables tables, and iptables-save lines naming a KUBE chain (all tables,
     * both families: what `iptables -S | grep -c KUBE` counts, and more). Things already in
     * `named` are not repeated.
     */
    static List<String> sinceBaseline(NodeHost.Baseline b, List<String> named) {
        var left = new ArrayList<String>();
        if (b.mountPoints() != null) {
            for (Path m : NodeHost.mountPointsNow()) {
                if (!b.mountPoints().contains(m) && !named.contains("mount " + m) && !left.contains("mount " + m)) left.add("mount " + m);
            }
        }
        if (b.interfaces() != null) {
            for (String i : NodeHost.interfacesNow()) {
                if (!b.interfaces().contains(i) && !named.contains("network interface " + i)) left.add("network interface " + i);
            }
        }
        if (b.nftTables() != null) {
            for (String t : NodeHost.nftTablesNow()) {
                String what = "nftables " + t;
                if (!b.nftTables().contains(t) && !named.contains(what) && !named.contains("nftables table " + t.substring("table ".length()))) left.add(what);
            }
        }
        for (var family : List.of(new String[] {"iptables", "iptables-save", b.iptables4()}, new String[] {"ip6tables", "ip6tables-save", b.iptables6()})) {
            long before = NodeHost.kubeLines(family[2]), now = NodeHost.kubeLines(NodeHost.save(family[1]));
            if (now > before) left.add(family[0] + ": " + now + " lines of " + family[1] + " name a KUBE chain (" + before + " before up)");
        }
        return left;
    }

    /** A summary of a footprint, for the proof `down` prints. */
    static String describe(Footprint f) {
        if (f.baseline() == null && f.pids().isEmpty()) return "no real node";
        return f.pids().size() + " processes, " + f.mounts().size() + " mounts, interfaces " + f.interfaces()
                + (f.netns() == null ? "" : ", network namespace " + f.netns()) + ", cgroup roots " + f.cgroupRoots() + ", "
                + (f.baseline() == null ? "no baseline" : f.baseline().sysctls().size() + " kernel settings compared");
    }
}
