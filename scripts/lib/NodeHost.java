import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * What a real node changes on the machine outside its own processes, how `up` makes those
 * changes and how `down` undoes them: the bridge and its routes, iptables chains, kernel
 * settings, cgroups, mounts, and the few host folders that containerd, libcni and the
 * kubelet create at fixed places. `up` first records a {@link Baseline} of the machine as it
 * was; `down` restores it and {@link #leftovers} compares against it.
 */
final class NodeHost {
    private NodeHost() {}

    /**
     * Kernel settings the node's components may change. The kubelet sets the first six to
     * its liking unless protectKernelDefaults is on (and then refuses to start on a machine
     * that differs, as this one does), so `down` puts back what was there before.
     */
    static final List<String> SYSCTLS = List.of(
            "vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
            "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes",
            "net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv4.conf.all.route_localnet",
            "net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established",
            "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
            "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables");

    /**
     * Folders created at fixed places whatever the configuration says: containerd's shim
     * sockets (/run/containerd/s), libcni's result cache (/var/lib/cni), the kubelet's
     * /var/log/containers links. The rest are checked in case a component changes its mind.
     */
    static final List<Path> HOST_DIRS = List.of(Path.of("/run/containerd"), Path.of("/var/lib/cni"),
            Path.of("/var/log/containers"), Path.of("/var/log/pods"), Path.of("/var/lib/kubelet"), Path.of("/opt/containerd"),
            Path.of("/run/netns"), Path.of("/etc/cni"), Path.of("/opt/cni"));

    /** The machine as it was before `up` changed anything. */
    record Baseline(Map<String, String> sysctls, Set<Path> existingDirs, String iptables4, String iptables6) {
        static Baseline capture() {
            var sysctls = new TreeMap<String, String>();
            for (String k : SYSCTLS) {
                String v = sysctl(k);
                if (v != null) sysctls.put(k, v);
            }
            var dirs = new LinkedHashSet<Path>();
            for (Path d : HOST_DIRS) if (Files.exists(d)) dirs.add(d);
            return new Baseline(sysctls, dirs, save("iptables-save"), save("ip6tables-save"));
        }

        void write(Path dir) {
            try {
                Files.createDirectories(dir);
                var sb = new StringBuilder();
                sysctls.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
                Files.writeString(dir.resolve("sysctls"), sb.toString());
                Files.writeString(dir.resolve("existing-dirs"), String.join("\n", existingDirs.stream().map(Path::toString).toList()) + "\n");
                Files.writeString(dir.resolve("iptables-v4.save"), iptables4);
                Files.writeString(dir.resolve("iptables-v6.save"), iptables6);
                Files.writeString(dir.resolve("complete"), "");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The baseline `up` wrote, or null when `up` stopped before changing anything. */
        static Baseline read(Path dir) {
            if (!Files.isRegularFile(dir.resolve("complete"))) return null;
            try {
                var sysctls = new TreeMap<String, String>();
                for (String line : Files.readAllLines(dir.resolve("sysctls"))) {
                    int eq = line.indexOf('=');
                    if (eq > 0) sysctls.put(line.substring(0, eq), line.substring(eq + 1));
                }
                var dirs = new LinkedHashSet<Path>();
                for (String line : Files.readAllLines(dir.resolve("existing-dirs"))) if (!line.isBlank()) dirs.add(Path.of(line));
                return new Baseline(sysctls, dirs, Files.readString(dir.resolve("iptables-v4.save")),
                        Files.readString(dir.resolve("iptables-v6.save")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ------------------------------------------------------------------ kernel settings

    static Path sysctlPath(String key) { return Path.of("/proc/sys", key.replace('.', '/')); }

    /**
     * One read(2) of the whole value: /proc/sys answers a read at a non-zero offset with
     * EOF, so a reader that starts with a small buffer (Files.readString on a file whose
     * size is 0) gets only the first byte ("25000000" read as "2").
     */
    static String sysctl(String key) {
        try (var in = Files.newInputStream(sysctlPath(key))) {
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return null;
        }
    }

    static void setSysctl(String key, String value) {
        try {
            Files.writeString(sysctlPath(key), value + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not set " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }

    /** Puts back every setting that differs from the baseline; returns what it changed. */
    static List<String> restoreSysctls(Baseline b) {
        var changed = new ArrayList<String>();
        b.sysctls().forEach((k, v) -> {
            String now = sysctl(k);
            if (now != null && !now.equals(v)) {
                setSysctl(k, v);
                changed.add(k + " " + now + " → " + v);
            }
        });
        return changed;
    }

    // ------------------------------------------------------------------ network

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
        setSysctl("net.ipv4.conf." + bridge + ".forwarding", "1");
        ip("route", "add", serviceCidr, "dev", bridge);
        var script = "*filter\n:" + FORWARD_CHAIN + " - [0:0]\n"
                + "-A " + FORWARD_CHAIN + " -i " + bridge + " ! -o " + bridge
                + " -m comment --comment \"trevor real node: pods reach only the node and each other\" -j REJECT\n"
                + "-I FORWARD 1 -j " + FORWARD_CHAIN + "\nCOMMIT\n";
        var r = Exec.run(List.of("iptables-restore", "--noflush"), null, Map.of(), Duration.ofSeconds(30), null, script);
        if (!r.ok()) throw new Installer.Failed("iptables-restore (the node's FORWARD rule) failed: " + r.said());
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
        if (!r.ok()) throw new Installer.Failed(String.join(" ", cmd) + " failed: " + r.said());
    }

    static String save(String tool) {
        try {
            var r = Exec.run(List.of(tool), Duration.ofSeconds(30));
            return r.ok() ? r.out() : "";
        } catch (Exec.ToolMissing e) {
            return "";
        }
    }

    /** The iptables chains and rules a node added since the baseline, per family. */
    static Map<String, List<IptablesRules.Added>> iptablesAdded(Baseline b) {
        var out = new LinkedHashMap<String, List<IptablesRules.Added>>();
        out.put("iptables", IptablesRules.added(IptablesRules.parse(b.iptables4()), IptablesRules.parse(save("iptables-save"))));
        out.put("ip6tables", IptablesRules.added(IptablesRules.parse(b.iptables6()), IptablesRules.parse(save("ip6tables-save"))));
        return out;
    }

    /** Removes what the node added to iptables and ip6tables; returns one line per removed item. */
    static List<String> removeIptablesAdded(Baseline b, Consumer<String> progress) {
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

    // ------------------------------------------------------------------ cgroups

    /** Mount points of the cgroup hierarchies: each v1 controller (hybrid layout) or the one v2. */
    static List<Path> cgroupHierarchies() {
        var out = new ArrayList<Path>();
        for (var m : mounts()) {
            if (m.fstype().equals("cgroup") || m.fstype().equals("cgroup2")) out.add(m.point());
        }
        return out;
    }

    /**
     * Creates the kubelet's cgroupRoot in each v1 hierarchy (the kubelet checks it exists);
     * cpuset needs its cpus and mems copied from the parent before anything can join it.
     */
    static void createCgroupRoot(String root) {
        for (Path h : cgroupHierarchies()) {
            boolean unifiedInHybrid = h.getFileName().toString().equals("unified");
            if (unifiedInHybrid) continue; // runc creates what it needs there
            Path dir = h.resolve(root);
            try {
                Files.createDirectories(dir);
                for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                    if (Files.exists(dir.resolve(f)) && Files.readString(dir.resolve(f)).isBlank()) {
                        Files.writeString(dir.resolve(f), Files.readString(h.resolve(f)).strip());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not create cgroup " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** The node's cgroups that exist, in every hierarchy. */
    static List<Path> cgroupDirs(String root) {
        var out = new ArrayList<Path>();
        for (Path h : cgroupHierarchies()) if (Files.isDirectory(h.resolve(root))) out.add(h.resolve(root));
        return out;
    }

    /**
     * Processes still inside the node's cgroups once containerd and its shims are gone: the
     * containers of a node whose containerd was killed. They are this node's, so they are
     * killed (SIGKILL) before the cgroups are removed. Returns how many there were.
     */
    static int killCgroupProcesses(String root) {
        var pids = new LinkedHashSet<Long>();
        for (Path top : cgroupDirs(root)) {
            try (Stream<Path> walk = Files.walk(top)) {
                for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                    try {
                        for (String l : Files.readAllLines(procs)) if (!l.isBlank()) pids.add(Long.parseLong(l.strip()));
                    } catch (IOException | NumberFormatException ignored) {
                        // cgroup removed meanwhile
                    }
                }
            } catch (IOException ignored) {
                // hierarchy gone meanwhile
            }
        }
        for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        for (long pid : pids) Daemons.awaitGone(pid, Duration.ofSeconds(10));
        return pids.size();
    }

    /** rmdir of every cgroup under the root, deepest first; returns what could not go. */
    static List<String> removeCgroups(String root) {
        var left = new ArrayList<String>();
        for (Path top : cgroupDirs(root)) {
            List<Path> dirs;
            try (Stream<Path> walk = Files.walk(top)) {
                dirs = walk.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
            } catch (IOException e) {
                left.add(top + ": " + e.getMessage());
                continue;
            }
            for (Path d : dirs) {
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    String procs = "";
                    try {
                        procs = Files.readString(d.resolve("cgroup.procs")).strip().replace('\n', ' ');
                    } catch (IOException ignored) {
                        // gone meanwhile
                    }
                    if (Files.exists(d)) left.add("cgroup " + d + (procs.isEmpty() ? "" : " (processes " + procs + ")"));
                }
            }
        }
        return left;
    }

    // ------------------------------------------------------------------ mounts

    record Mount(Path point, String fstype) {}

    static List<Mount> mounts() {
        var out = new ArrayList<Mount>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                var m = parseMountinfo(line);
                if (m != null) out.add(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** One /proc/self/mountinfo line: field 5 is the mount point, the first after " - " the type. */
    static Mount parseMountinfo(String line) {
        String[] f = line.split(" ");
        int dash = List.of(f).indexOf("-");
        if (f.length < 5 || dash < 0 || dash + 1 >= f.length) return null;
        return new Mount(Path.of(unescape(f[4])), f[dash + 1]);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    static String unescape(String s) {
        var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Mount points at or under dir, deepest first (the order to unmount them in). */
    static List<Path> mountsUnder(Path dir) {
        var out = new ArrayList<Path>();
        for (var m : mounts()) if (m.point().startsWith(dir) && !out.contains(m.point())) out.add(m.point());
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Unmounts everything under dir (a mount may have been mounted twice: repeat). */
    static List<String> unmountUnder(Path dir) {
        for (int round = 0; round < 5; round++) {
            var points = mountsUnder(dir);
            if (points.isEmpty()) return List.of();
            for (Path p : points) {
                var r = Exec.run(List.of("umount", p.toString()), Duration.ofSeconds(30));
                if (!r.ok()) Exec.run(List.of("umount", "-l", p.toString()), Duration.ofSeconds(30));
            }
        }
        return mountsUnder(dir).stream().map(p -> "mount " + p).toList();
    }

    // ------------------------------------------------------------------ host folders

    /**
     * Which files in the fixed host folders are the node's: links into its folder
     * (/var/log/containers), its shims' sockets (containerd 1.6 puts each at
     * /run/containerd/s/sha256(ADDRESS/NAMESPACE/ID) and a killed shim leaves it), libcni's
     * results of its containers (NETWORK-ID-IFNAME, for its bridge network and containerd's
     * cni-loopback; a DEL removes them, a crashed kubelet does not), and the kubelet's
     * device-plugin socket, which is at /var/lib/kubelet whatever --root-dir says (the node's
     * when that folder did not exist before `up`). Anything else there is someone else's.
     */
    record HostFiles(Path nodeDir, Path socket, Set<String> containerIds, boolean kubeletDirOurs) {
        boolean ours(Path f) {
            try {
                if (Files.isSymbolicLink(f) && Files.readSymbolicLink(f).startsWith(nodeDir)) return true;
            } catch (IOException e) {
                return false;
            }
            String name = f.getFileName().toString();
            Path parent = f.getParent();
            if (parent.equals(Path.of("/run/containerd/s"))) {
                return containerIds.stream().anyMatch(id -> shimSocketName(socket, RealNode.K8S_NAMESPACE, id).equals(name));
            }
            if (parent.equals(Path.of("/var/lib/cni/results"))) {
                return name.startsWith(NodeConfigs.NETWORK + "-") || containerIds.stream().anyMatch(id -> name.contains("-" + id + "-"));
            }
            if (f.startsWith(Path.of("/var/lib/cni/networks", NodeConfigs.NETWORK))) return true;
            return kubeletDirOurs && f.equals(Path.of("/var/lib/kubelet/device-plugins/kubelet.sock"));
        }
    }

    static HostFiles hostFiles(Baseline b, Path nodeDir, Path socket, Set<String> containerIds) {
        return new HostFiles(nodeDir, socket, containerIds, !b.existingDirs().contains(Path.of("/var/lib/kubelet")));
    }

    /** The node's files that are in the fixed host folders now. */
    static List<Path> ourHostFiles(HostFiles h) {
        var out = new ArrayList<Path>();
        for (Path d : HOST_DIRS) {
            if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
            try (Stream<Path> walk = Files.walk(d)) {
                walk.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).filter(h::ours).forEach(out::add);
            } catch (IOException | UncheckedIOException ignored) {
                // changed meanwhile
            }
        }
        return out;
    }

    /** Removes the node's host files, then each host folder that did not exist before `up` and is now empty. */
    static void cleanHostDirs(Baseline b, HostFiles h) {
        for (Path f : ourHostFiles(h)) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // hostLeftovers reports it
            }
        }
        for (Path d : HOST_DIRS) if (!b.existingDirs().contains(d) && Files.exists(d)) removeEmptyDirs(d);
    }

    /**
     * The node's host files still there, and the host folders it created that are still
     * there holding nothing (a folder that did not exist before `up` but now holds files of
     * someone else, e.g. another containerd's /run/containerd, is theirs).
     */
    static List<String> hostLeftovers(Baseline b, HostFiles h) {
        var left = new ArrayList<String>();
        for (Path f : ourHostFiles(h)) left.add("host file " + f);
        for (Path d : HOST_DIRS) {
            if (b.existingDirs().contains(d) || !Files.exists(d)) continue;
            try (Stream<Path> walk = Files.walk(d)) {
                if (walk.allMatch(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))) left.add("host folder " + d);
            } catch (IOException | UncheckedIOException e) {
                left.add("host folder " + d);
            }
        }
        return left;
    }

    /** The file name of a containerd 1.6 shim socket under /run/containerd/s. */
    static String shimSocketName(Path containerdSocket, String namespace, String id) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] d = md.digest((containerdSocket + "/" + namespace + "/" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the empty folders of a tree, deepest first; files are kept (they are not ours). */
    private static void removeEmptyDirs(Path top) {
        try (Stream<Path> walk = Files.walk(top)) {
            for (Path d : walk.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList()) {
                try (Stream<Path> in = Files.list(d)) {
                    if (in.findAny().isEmpty()) Files.delete(d);
                } catch (IOException ignored) {
                    // not empty or busy
                }
            }
        } catch (IOException ignored) {
            // gone meanwhile
        }
    }
}
