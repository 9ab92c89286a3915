//SOURCES Daemons.java
//SOURCES Dirs.java
//SOURCES Exec.java
//SOURCES IptablesRules.java
//SOURCES Kube.java
//SOURCES KwokCluster.java
//SOURCES NodeBinaries.java
//SOURCES NodeCgroups.java
//SOURCES NodeHost.java
//SOURCES NodeMetrics.java
//SOURCES NodeMounts.java
//SOURCES NodeNetwork.java
//SOURCES NodePolicies.java
//SOURCES RealNode.java

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

    /** What a real node held on this machine, to prove that `down` removed all of it. */
    record Footprint(String cluster, Path dir, Set<Long> pids, List<Path> mounts, List<String> interfaces, String cgroupRoot,
                     Set<String> containerIds, NodeHost.Baseline baseline) {
        static Footprint none(String cluster) {
            return new Footprint(cluster, RealNode.dir(cluster), Set.of(), List.of(), List.of(), RealNode.cgroupRoot(cluster), Set.of(), null);
        }
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
        Daemons.alive(RealNode.pids(cluster).resolve(NodeMetrics.DAEMON + ".pid")).ifPresent(pidSet::add);
        String socket = RealNode.settings(cluster, null).socket().toString();
        pidSet.addAll(shims(socket));
        var interfaces = new ArrayList<String>();
        if (NodeNetwork.interfaceExists(RealNode.BRIDGE)) {
            interfaces.add(RealNode.BRIDGE);
            interfaces.addAll(NodeNetwork.bridgePorts(RealNode.BRIDGE));
        }
        Set<String> containerIds = containerIds(cluster);
        var footprint = new Footprint(cluster, d, pidSet, NodeMounts.mountsUnder(d), interfaces, RealNode.cgroupRoot(cluster), containerIds,
                baseline);

        boolean containerd = Daemons.alive(RealNode.pids(cluster).resolve("containerd.pid")).isPresent();
        boolean kubelet = Daemons.alive(RealNode.pids(cluster).resolve("kubelet.pid")).isPresent();
        if (kubelet && containerd) deletePods(cluster, progress);

        // The resource metrics API first, unregistered while the API answers: an APIService without its server breaks discovery.
        NodeMetrics.unregister(RealNode.kube(cluster));
        stop(cluster, NodeMetrics.DAEMON, progress);
        // Enforcement next: a clean stop deletes its nftables table; what a killed one left goes here.
        stop(cluster, NodePolicies.DAEMON, progress);
        NodePolicies.removeTable();
        for (String dmn : List.of("kube-proxy", "coredns", "kubelet")) stop(cluster, dmn, progress);
        if (NodeBinaries.built()) {
            // kube-proxy's own cleanup of its chains (the rest goes by the baseline below).
            Exec.run(List.of(NodeBinaries.bin("kube-proxy").toString(), "--cleanup"), null, Map.of("PATH", Daemons.PATH),
                    Duration.ofSeconds(60), null);
        }
        if (containerd) removeContainers(cluster);
        stop(cluster, "containerd", progress);
        for (long pid : shims(socket)) Daemons.stop(pid, Duration.ofSeconds(5));
        int orphans = NodeCgroups.killCgroupProcesses(RealNode.cgroupRoot(cluster));
        if (orphans > 0) progress.accept("killed " + orphans + " container processes that no runtime managed any more");

        var problems = new ArrayList<String>(NodeMounts.unmountUnder(d));
        for (String i : interfaces) NodeNetwork.deleteInterface(i);
        if (baseline != null) {
            var removed = NodeNetwork.removeIptablesAdded(baseline, progress);
            if (!removed.isEmpty()) progress.accept("removed " + removed.size() + " iptables chains and rules the node added");
            var restored = NodeHost.restoreSysctls(baseline);
            if (!restored.isEmpty()) progress.accept("restored kernel settings: " + String.join(", ", restored));
        }
        problems.addAll(NodeCgroups.removeCgroups(RealNode.cgroupRoot(cluster)));
        if (baseline != null) {
            NodeHost.cleanHostDirs(baseline, NodeHost.hostFiles(baseline, d, RealNode.settings(cluster, null).socket(), containerIds));
        }
        if (problems.isEmpty()) Dirs.deleteTree(d);
        else progress.accept("kept " + d + " because of: " + String.join("; ", problems));
        return footprint;
    }

    /** The ids of every sandbox and container the node's containerd knows (its CRI state on disk). */
    private static Set<String> containerIds(String cluster) {
        var ids = new LinkedHashSet<String>();
        Path cri = RealNode.settings(cluster, null).containerdRoot().resolve("io.containerd.grpc.v1.cri");
        for (String kind : List.of("sandboxes", "containers")) {
            try (var s = Files.list(cri.resolve(kind))) {
                s.forEach(p -> ids.add(p.getFileName().toString()));
            } catch (IOException e) {
                // none of that kind
            }
        }
        return ids;
    }

    /** containerd-shim processes serving this node's containerd. */
    private static List<Long> shims(String socket) {
        return Daemons.where(c -> c.contains("containerd-shim") && (c + " ").contains(" -address " + socket + " "));
    }

    private static void deletePods(String cluster, Consumer<String> progress) {
        var kube = RealNode.kube(cluster);
        if (!kube.run(Duration.ofSeconds(15), "get", "--raw", "/readyz", "--request-timeout=5s").ok()) return;
        kube.run("cordon", RealNode.NODE_NAME);
        var r = kube.run(Duration.ofSeconds(90), "delete", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=" + RealNode.NODE_NAME,
                "--grace-period=1", "--wait=true", "--timeout=60s");
        if (!r.ok()) progress.accept("deleting the real node's pods: " + Kube.firstLine(r.said()));
        // The kubelet stops the containers after the API objects are gone; give it a moment.
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            var t = RealNode.ctr(cluster, Duration.ofSeconds(10), "-n", RealNode.K8S_NAMESPACE, "tasks", "ls", "-q");
            if (!t.ok() || t.out().isBlank()) return;
            Kube.sleep(500);
        }
    }

    /** Tasks the kubelet did not stop (it may be gone): killed and deleted, so their shims exit. */
    private static void removeContainers(String cluster) {
        var t = RealNode.ctr(cluster, Duration.ofSeconds(10), "-n", RealNode.K8S_NAMESPACE, "tasks", "ls", "-q");
        if (!t.ok()) return;
        for (String id : t.out().split("\n")) {
            if (id.isBlank()) continue;
            RealNode.ctr(cluster, Duration.ofSeconds(30), "-n", RealNode.K8S_NAMESPACE, "tasks", "delete", "--force", id.strip());
        }
    }

    private static void stop(String cluster, String daemon, Consumer<String> progress) {
        if (!Daemons.stop(RealNode.pids(cluster).resolve(daemon + ".pid"), Duration.ofSeconds(15))) progress.accept(daemon + " would not stop");
    }

    /** What of a footprint is still there; empty means `down` left nothing behind. */
    static List<String> leftovers(Footprint f) {
        var left = new ArrayList<String>();
        for (long pid : f.pids()) if (!Daemons.gone(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        for (long pid : shims(RealNode.settings(f.cluster(), null).socket().toString())) {
            if (!f.pids().contains(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        }
        for (Path m : NodeMounts.mountsUnder(f.dir())) left.add("mount " + m);
        for (String i : f.interfaces()) if (NodeNetwork.interfaceExists(i)) left.add("network interface " + i);
        if (NodeNetwork.interfaceExists(RealNode.BRIDGE) && !f.interfaces().contains(RealNode.BRIDGE) && f.baseline() != null) {
            left.add("network interface " + RealNode.BRIDGE);
        }
        for (Path c : NodeCgroups.cgroupDirs(f.cgroupRoot())) left.add("cgroup " + c);
        if (f.baseline() != null) {
            NodeNetwork.iptablesAdded(f.baseline()).forEach((family, added) -> left.addAll(IptablesRules.describe(family, added)));
            f.baseline().sysctls().forEach((k, v) -> {
                String now = NodeHost.sysctl(k);
                if (now != null && !now.equals(v)) left.add("kernel setting " + k + " = " + now + " (was " + v + ")");
            });
            left.addAll(NodeHost.hostLeftovers(f.baseline(),
                    NodeHost.hostFiles(f.baseline(), f.dir(), RealNode.settings(f.cluster(), null).socket(), f.containerIds())));
        }
        if (f.baseline() != null) left.addAll(NodePolicies.leftovers(NodePolicies.NFQUEUE_PROC));
        if (Files.exists(f.dir())) left.add("folder " + f.dir());
        return left;
    }

    /** A summary of a footprint, for the proof `down` prints. */
    static String describe(Footprint f) {
        if (f.baseline() == null && f.pids().isEmpty()) return "no real node";
        return f.pids().size() + " processes, " + f.mounts().size() + " mounts, interfaces " + f.interfaces() + ", cgroup root "
                + f.cgroupRoot() + ", " + (f.baseline() == null ? "no baseline" : f.baseline().sysctls().size() + " kernel settings compared");
    }
}
