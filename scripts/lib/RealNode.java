//SOURCES HostPackages.java
//SOURCES NodeBinaries.java
//SOURCES NodeConfigs.java
//SOURCES NodeHost.java
//SOURCES IptablesRules.java
//SOURCES Daemons.java

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A real node in a kwok cluster: a kubelet with containerd, runc and the CNI plugins,
 * joined to the cluster's real control plane, so real containers run beside kwok's fake
 * nodes. With it come kube-proxy (iptables mode) and CoreDNS (a host process on the node's
 * bridge), so pods reach Services by name.
 *
 * <p>Everything lives under the cluster's state folder (KwokCluster.clusterDir/rn):
 * containerd's root, state and socket, the kubelet's root, the pod logs, the CNI leases,
 * the daemons' pid and log files. The daemons run detached, so they survive the JVM and a
 * Ctrl-C, and `down` finds them by their pid files. What the node changes on the machine
 * outside that folder is recorded before `up` changes anything ({@link NodeHost.Baseline})
 * and undone by `down`; {@link #leftovers} proves it.
 *
 * <p>One real node per machine: kube-proxy's and the kubelet's iptables chains have fixed
 * names, so two nodes would fight over them.
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
    static final String SANDBOX_IMAGE = "localhost/trevor-dev/pause:1";
    static final String K8S_NAMESPACE = "k8s.io";

    static final List<HostPackages.Pkg> PACKAGES = List.of(
            new HostPackages.Pkg("containerd", "1.6.20~ds1-1+deb12u3"),
            new HostPackages.Pkg("runc", "1.1.5+ds1-1+deb12u1"),
            new HostPackages.Pkg("containernetworking-plugins", "1.1.1+ds1-3+b5"),
            new HostPackages.Pkg("iptables", "1.8.9-2"));

    /** The daemons, in the order `up` starts them (`down` stops them in reverse, containerd last). */
    static final List<String> DAEMONS = List.of("containerd", "kubelet", "coredns", "kube-proxy");

    record Info(String node, Path dir, Path socket, String context) {}

    /** What a real node held on this machine, to prove that `down` removed all of it. */
    record Footprint(String cluster, Path dir, Set<Long> pids, List<Path> mounts, List<String> interfaces, String cgroupRoot,
                     Set<String> containerIds, NodeHost.Baseline baseline) {
        static Footprint none(String cluster) {
            return new Footprint(cluster, RealNode.dir(cluster), Set.of(), List.of(), List.of(), RealNode.cgroupRoot(cluster), Set.of(), null);
        }
    }

    static Path dir(String cluster) { return KwokCluster.clusterDir(cluster).resolve("rn"); }

    static boolean exists(String cluster) { return Files.isDirectory(dir(cluster)); }

    static String cgroupRoot(String cluster) { return "trevor-rn-" + cluster; }

    private static Path pids(String cluster) { return dir(cluster).resolve("pids"); }

    private static Path logs(String cluster) { return dir(cluster).resolve("logs"); }

    private static Path baselineDir(String cluster) { return dir(cluster).resolve("baseline"); }

    static NodeConfigs.Settings settings(String cluster, NodeConfigs.Ports ports) {
        return new NodeConfigs.Settings(cluster, KwokCluster.clusterDir(cluster), dir(cluster), NODE_NAME, BRIDGE, SUBNET, GATEWAY,
                SERVICE_CIDR, cgroupRoot(cluster), SANDBOX_IMAGE, ports);
    }

    private static Kube kube(String cluster) {
        return new Kube(Tools.kubectl(null), KwokCluster.context(cluster), KwokCluster.clusterDir(cluster).resolve("kubeconfig.yaml"));
    }

    // ================================================================== up

    /**
     * Adds the real node to the running kwok cluster, or reuses it when it runs and is Ready.
     * archives (docker-archive tars, may be empty) are imported into its containerd.
     */
    static Info up(Path repo, String cluster, List<Path> archives, Consumer<String> progress) {
        KwokCluster.checkName(cluster);
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            throw new Target.Invalid("a real node runs only on Linux (this is " + System.getProperty("os.name") + ")");
        }
        // First, so that anywhere they are missing and cannot be installed the one message names them all.
        HostPackages.ensure("the real node", PACKAGES, progress);
        checkMachine(cluster);
        Path bin = NodeBinaries.ensureBuilt(repo, progress);
        var kube = kube(cluster);
        checkControlPlane(cluster, kube);

        if (exists(cluster)) {
            if (running(cluster) && nodeReady(kube)) {
                progress.accept("real node " + NODE_NAME + " is running; reusing it");
                taintFakeNodes(kube);
                importImages(cluster, archives, progress);
                warnWithoutSandboxImage(cluster, progress);
                return info(cluster);
            }
            progress.accept("real node " + NODE_NAME + " of " + cluster + " is not (fully) running; removing what is left of it first");
            var f = down(cluster, progress);
            var left = leftovers(f);
            if (!left.isEmpty()) throw new Installer.Failed("could not clear the old real node: " + String.join("; ", left));
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

        NodeHost.createCgroupRoot(s.cgroupRoot());
        NodeHost.createNetwork(BRIDGE, GATEWAY + "/" + SUBNET.split("/")[1], SERVICE_CIDR);

        start(cluster, "containerd", List.of("containerd", "--config", s.containerdConfig().toString()));
        waitFor("containerd answers on " + s.socket(), Duration.ofSeconds(30), cluster, "containerd",
                () -> ctr(cluster, Duration.ofSeconds(10), "version").ok() ? null : "no answer yet");
        importImages(cluster, archives, progress);

        start(cluster, "kubelet", NodeConfigs.kubeletArgs(s, bin.resolve("kubelet")));
        waitFor("node " + NODE_NAME + " Ready", Duration.ofSeconds(90), cluster, "kubelet", () -> nodeReady(kube) ? null : "not Ready yet");

        start(cluster, "coredns", NodeConfigs.corednsArgs(s, bin.resolve("coredns")));
        waitFor("CoreDNS ready", Duration.ofSeconds(30), cluster, "coredns", () -> httpOk(ports.dnsReady(), "/ready") ? null : "not ready yet");

        start(cluster, "kube-proxy", NodeConfigs.kubeProxyArgs(s, bin.resolve("kube-proxy")));
        waitFor("kube-proxy healthy", Duration.ofSeconds(30), cluster, "kube-proxy",
                () -> httpOk(ports.proxyHealthz(), "/healthz") ? null : "not healthy yet");

        taintFakeNodes(kube);
        warnWithoutSandboxImage(cluster, progress);
        progress.accept("real node " + NODE_NAME + " Ready: pods at " + SUBNET + " on " + BRIDGE + ", cluster DNS " + GATEWAY
                + ", state and logs in " + d);
        return info(cluster);
    }

    private static Info info(String cluster) {
        return new Info(NODE_NAME, dir(cluster), settings(cluster, null).socket(), KwokCluster.context(cluster));
    }

    /** Root, a short enough state path, and no other real node on this machine. */
    static void checkMachine(String cluster) {
        if (!"0".equals(HostPackages.uid())) {
            throw new Target.Invalid("a real node needs root: it starts containerd and a kubelet, and makes a bridge (this runs as uid "
                    + HostPackages.uid() + ")");
        }
        String tooLong = tooLongSocket(settings(cluster, null));
        if (tooLong != null) {
            throw new Target.Invalid("the real node's socket " + tooLong + " would be longer than the 107 bytes a unix socket path may have; "
                    + "use a shorter --name, or a shorter TREVOR_CACHE");
        }
        String other = otherRealNode(cluster);
        if (other != null) {
            throw new Target.Invalid("cluster " + other + " already has a real node on this machine, and there can be only one "
                    + "(kube-proxy's iptables chains are machine-wide); take it down first: cluster.java down --name " + other);
        }
        if (!exists(cluster) && NodeHost.interfaceExists(BRIDGE)) {
            throw new Target.Invalid("the network interface " + BRIDGE + " exists but belongs to no cluster of this project; remove it "
                    + "(ip link delete " + BRIDGE + ") or find who made it");
        }
    }

    /** The first socket path over the limit, or null. */
    static String tooLongSocket(NodeConfigs.Settings s) {
        for (Path p : NodeConfigs.sockets(s)) if (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) return p.toString();
        return null;
    }

    /** Another cluster whose real node has a live daemon, or null. */
    static String otherRealNode(String cluster) {
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
            throw new Target.Invalid("no kwok cluster " + cluster + " (" + kwokYaml + " is missing); start it with cluster.java up --real-node");
        }
        if (!config.contains("--manage-nodes-with-annotation-selector=") || !config.contains("--kubelet-preferred-address-types=InternalIP")) {
            throw new Target.Invalid("kwok cluster " + cluster + " was created before real nodes were supported (kwok would take the real "
                    + "node over, and the apiserver could not reach its kubelet); recreate it: cluster.java down --name " + cluster
                    + " && cluster.java up --real-node --name " + cluster);
        }
        var svc = kube.get("default", "service", "kubernetes");
        String ip = svc == null ? null : Yaml.str(svc, "spec.clusterIP");
        if (ip == null || !inCidr(ip, SERVICE_CIDR)) {
            throw new Installer.Failed("the cluster's Service range is not " + SERVICE_CIDR + " (the kubernetes Service has ClusterIP " + ip
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

    private static boolean nodeReady(Kube kube) {
        var n = kube.get(null, "node", NODE_NAME);
        return n != null && Kube.conditionTrue(n, "Ready");
    }

    private static void start(String cluster, String name, List<String> cmd) {
        Daemons.start(name, cmd, dir(cluster), Map.of(), pids(cluster), logs(cluster));
    }

    /** Waits; a daemon that died meanwhile fails at once, with the end of its log. */
    private static void waitFor(String what, Duration max, String cluster, String daemon, java.util.function.Supplier<String> notYet) {
        long end = System.nanoTime() + max.toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            if (Daemons.alive(pids(cluster).resolve(daemon + ".pid")).isEmpty()) {
                throw new Installer.Failed(daemon + " exited while waiting for " + what + "; its log " + logs(cluster).resolve(daemon + ".log")
                        + " ends:\n" + logTail(cluster, daemon, 15) + "\nTake the node down with: cluster.java down --name " + cluster);
            }
            last = notYet.get();
            if (last == null) return;
            Kube.sleep(500);
        }
        throw new Installer.Failed("timed out after " + max.toSeconds() + " s waiting for " + what + " (" + last + "); "
                + logs(cluster).resolve(daemon + ".log") + " ends:\n" + logTail(cluster, daemon, 15));
    }

    static String logTail(String cluster, String daemon, int lines) {
        try {
            var all = Files.readAllLines(logs(cluster).resolve(daemon + ".log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log)";
        }
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
        if (!r.ok()) throw new Installer.Failed("could not taint the fake nodes: " + r.said());
    }

    private static void warnWithoutSandboxImage(String cluster, Consumer<String> progress) {
        if (!imageRefs(cluster).contains(SANDBOX_IMAGE)) {
            progress.accept("note: containerd has no " + SANDBOX_IMAGE + " (the pod sandbox image) yet; pods stay ContainerCreating "
                    + "until it is imported: cluster.java up --real-node --image-archive PAUSE.tar");
        }
    }

    // ================================================================== images

    /**
     * Imports docker-archive tars into the node's containerd (namespace k8s.io, where the
     * kubelet looks). An archive whose content (sha256) was imported before and whose images
     * are all still there is skipped, so a warm run costs one hash per archive.
     */
    static void importImages(String cluster, List<Path> archives, Consumer<String> progress) {
        if (archives == null || archives.isEmpty()) return;
        if (Daemons.alive(pids(cluster).resolve("containerd.pid")).isEmpty()) {
            throw new Target.Invalid("cluster " + cluster + " has no running real node; start it with cluster.java up --real-node --name " + cluster);
        }
        Path marks = dir(cluster).resolve("images");
        try {
            Files.createDirectories(marks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> present = imageRefs(cluster);
        for (Path a : archives) {
            if (!Files.isRegularFile(a)) throw new Target.Invalid("image archive " + a + " does not exist");
            String sha = sha256(a);
            Path mark = marks.resolve(sha);
            if (Files.isRegularFile(mark)) {
                var refs = readLines(mark);
                if (!refs.isEmpty() && present.containsAll(refs)) {
                    progress.accept("image archive " + a.getFileName() + " already imported (" + String.join(", ", refs) + ")");
                    continue;
                }
            }
            long t0 = System.nanoTime();
            var r = ctr(cluster, Duration.ofMinutes(10), "-n", K8S_NAMESPACE, "images", "import", a.toAbsolutePath().toString());
            if (!r.ok()) throw new Installer.Failed("ctr images import " + a + " failed: " + r.said());
            var refs = importedRefs(r.out());
            if (refs.isEmpty()) throw new Installer.Failed("ctr images import " + a + " imported no tagged image: " + r.out().strip());
            try {
                Files.writeString(mark, String.join("\n", refs) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            progress.accept(String.format("imported %s from %s in %.1f s", String.join(", ", refs), a.getFileName(), (System.nanoTime() - t0) / 1e9));
        }
    }

    private static final Pattern UNPACKING = Pattern.compile("^unpacking (\\S+) \\(sha256:[0-9a-f]+\\)");

    /** The image names in `ctr images import` output ("unpacking NAME (sha256:…)...done"). */
    static List<String> importedRefs(String out) {
        var refs = new ArrayList<String>();
        for (String line : out.split("\n")) {
            var m = UNPACKING.matcher(line.strip());
            if (m.find() && !m.group(1).startsWith("sha256:")) refs.add(m.group(1));
        }
        return refs;
    }

    /** Image names containerd holds for the kubelet. */
    static Set<String> imageRefs(String cluster) {
        var r = ctr(cluster, Duration.ofSeconds(30), "-n", K8S_NAMESPACE, "images", "ls", "-q");
        var out = new LinkedHashSet<String>();
        if (r.ok()) for (String l : r.out().split("\n")) if (!l.isBlank()) out.add(l.strip());
        return out;
    }

    static Exec.Result ctr(String cluster, Duration timeout, String... args) {
        var cmd = new ArrayList<String>(List.of("ctr", "--address", settings(cluster, null).socket().toString()));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, timeout);
    }

    static String sha256(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            var md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> readLines(Path f) {
        try {
            return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    // ================================================================== down

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
        if (!exists(cluster)) return Footprint.none(cluster);
        Path d = dir(cluster);
        var baseline = NodeHost.Baseline.read(baselineDir(cluster));
        var pidSet = new LinkedHashSet<Long>();
        for (String dmn : DAEMONS) Daemons.alive(pids(cluster).resolve(dmn + ".pid")).ifPresent(pidSet::add);
        String socket = settings(cluster, null).socket().toString();
        pidSet.addAll(shims(socket));
        var interfaces = new ArrayList<String>();
        if (NodeHost.interfaceExists(BRIDGE)) {
            interfaces.add(BRIDGE);
            interfaces.addAll(NodeHost.bridgePorts(BRIDGE));
        }
        Set<String> containerIds = containerIds(cluster);
        var footprint = new Footprint(cluster, d, pidSet, NodeHost.mountsUnder(d), interfaces, cgroupRoot(cluster), containerIds, baseline);

        boolean containerd = Daemons.alive(pids(cluster).resolve("containerd.pid")).isPresent();
        boolean kubelet = Daemons.alive(pids(cluster).resolve("kubelet.pid")).isPresent();
        if (kubelet && containerd) deletePods(cluster, progress);

        for (String dmn : List.of("kube-proxy", "coredns", "kubelet")) stop(cluster, dmn, progress);
        if (NodeBinaries.built()) {
            // kube-proxy's own cleanup of its chains (the rest goes by the baseline below).
            Exec.run(List.of(NodeBinaries.bin("kube-proxy").toString(), "--cleanup"), null, Map.of("PATH", Daemons.PATH),
                    Duration.ofSeconds(60), null);
        }
        if (containerd) removeContainers(cluster);
        stop(cluster, "containerd", progress);
        for (long pid : shims(socket)) Daemons.stop(pid, Duration.ofSeconds(5));
        int orphans = NodeHost.killCgroupProcesses(cgroupRoot(cluster));
        if (orphans > 0) progress.accept("killed " + orphans + " container processes that no runtime managed any more");

        var problems = new ArrayList<String>(NodeHost.unmountUnder(d));
        for (String i : interfaces) NodeHost.deleteInterface(i);
        if (baseline != null) {
            var removed = NodeHost.removeIptablesAdded(baseline, progress);
            if (!removed.isEmpty()) progress.accept("removed " + removed.size() + " iptables chains and rules the node added");
            var restored = NodeHost.restoreSysctls(baseline);
            if (!restored.isEmpty()) progress.accept("restored kernel settings: " + String.join(", ", restored));
        }
        problems.addAll(NodeHost.removeCgroups(cgroupRoot(cluster)));
        if (baseline != null) NodeHost.cleanHostDirs(baseline, NodeHost.hostFiles(baseline, d, settings(cluster, null).socket(), containerIds));
        if (problems.isEmpty()) Dirs.deleteTree(d);
        else progress.accept("kept " + d + " because of: " + String.join("; ", problems));
        return footprint;
    }

    /** The ids of every sandbox and container the node's containerd knows (its CRI state on disk). */
    static Set<String> containerIds(String cluster) {
        var ids = new LinkedHashSet<String>();
        Path cri = settings(cluster, null).containerdRoot().resolve("io.containerd.grpc.v1.cri");
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
    static List<Long> shims(String socket) {
        return Daemons.where(c -> c.contains("containerd-shim") && (c + " ").contains(" -address " + socket + " "));
    }

    private static void deletePods(String cluster, Consumer<String> progress) {
        var kube = kube(cluster);
        if (!kube.run(Duration.ofSeconds(15), "get", "--raw", "/readyz", "--request-timeout=5s").ok()) return;
        kube.run("cordon", NODE_NAME);
        var r = kube.run(Duration.ofSeconds(90), "delete", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=" + NODE_NAME,
                "--grace-period=1", "--wait=true", "--timeout=60s");
        if (!r.ok()) progress.accept("deleting the real node's pods: " + Kube.firstLine(r.said()));
        // The kubelet stops the containers after the API objects are gone; give it a moment.
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            var t = ctr(cluster, Duration.ofSeconds(10), "-n", K8S_NAMESPACE, "tasks", "ls", "-q");
            if (!t.ok() || t.out().isBlank()) return;
            Kube.sleep(500);
        }
    }

    /** Tasks the kubelet did not stop (it may be gone): killed and deleted, so their shims exit. */
    private static void removeContainers(String cluster) {
        var t = ctr(cluster, Duration.ofSeconds(10), "-n", K8S_NAMESPACE, "tasks", "ls", "-q");
        if (!t.ok()) return;
        for (String id : t.out().split("\n")) {
            if (id.isBlank()) continue;
            ctr(cluster, Duration.ofSeconds(30), "-n", K8S_NAMESPACE, "tasks", "delete", "--force", id.strip());
        }
    }

    private static void stop(String cluster, String daemon, Consumer<String> progress) {
        if (!Daemons.stop(pids(cluster).resolve(daemon + ".pid"), Duration.ofSeconds(15))) progress.accept(daemon + " would not stop");
    }

    /** What of a footprint is still there; empty means `down` left nothing behind. */
    static List<String> leftovers(Footprint f) {
        var left = new ArrayList<String>();
        for (long pid : f.pids()) if (!Daemons.gone(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        for (long pid : shims(settings(f.cluster(), null).socket().toString())) {
            if (!f.pids().contains(pid)) left.add("process " + pid + " " + Daemons.cmdline(pid));
        }
        for (Path m : NodeHost.mountsUnder(f.dir())) left.add("mount " + m);
        for (String i : f.interfaces()) if (NodeHost.interfaceExists(i)) left.add("network interface " + i);
        if (NodeHost.interfaceExists(BRIDGE) && !f.interfaces().contains(BRIDGE) && f.baseline() != null) left.add("network interface " + BRIDGE);
        for (Path c : NodeHost.cgroupDirs(f.cgroupRoot())) left.add("cgroup " + c);
        if (f.baseline() != null) {
            NodeHost.iptablesAdded(f.baseline()).forEach((family, added) -> left.addAll(IptablesRules.describe(family, added)));
            f.baseline().sysctls().forEach((k, v) -> {
                String now = NodeHost.sysctl(k);
                if (now != null && !now.equals(v)) left.add("kernel setting " + k + " = " + now + " (was " + v + ")");
            });
            left.addAll(NodeHost.hostLeftovers(f.baseline(),
                    NodeHost.hostFiles(f.baseline(), f.dir(), settings(f.cluster(), null).socket(), f.containerIds())));
        }
        if (Files.exists(f.dir())) left.add("folder " + f.dir());
        return left;
    }

    /** A summary of a footprint, for the proof `down` prints. */
    static String describe(Footprint f) {
        if (f.baseline() == null && f.pids().isEmpty()) return "no real node";
        return f.pids().size() + " processes, " + f.mounts().size() + " mounts, interfaces " + f.interfaces() + ", cgroup root "
                + f.cgroupRoot() + ", " + (f.baseline() == null ? "no baseline" : f.baseline().sysctls().size() + " kernel settings compared");
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
        return "real node " + NODE_NAME + ": " + (ready ? "Ready" : "not Ready") + " (" + String.join(", ", parts) + "), logs in " + logs(cluster);
    }
}
