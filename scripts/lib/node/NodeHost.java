//SOURCES ../tools/Exec.java
//SOURCES ../cluster/NodeConfigs.java
//SOURCES NodeMounts.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The machine as it was before a real node's `up` changed it ({@link Baseline}), and putting
 * it back: the kernel settings, and the few host folders that containerd, libcni and the
 * kubelet create at fixed places whatever their configuration says. `down` restores the
 * baseline and {@link RealNodeDown#leftovers} compares against it. The node's other marks on
 * the machine are {@link NodeNetwork}, {@link NodeCgroups} and {@link NodeMounts}.
 */
final class NodeHost {
    /** The containerd namespace the kubelet keeps its images and containers in. */
    static final String K8S_NAMESPACE = "k8s.io";

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

    /**
     * The machine as it was before `up` changed anything. mountPoints, interfaces and
     * nftTables are null in a baseline written before they were recorded: then nothing is
     * compared against them (everything would look new).
     */
    record Baseline(Map<String, String> sysctls, Set<Path> existingDirs, String iptables4, String iptables6, Set<Path> mountPoints,
                    Set<String> interfaces, Set<String> nftTables) {
        static Baseline capture() {
            var sysctls = new TreeMap<String, String>();
            for (String k : SYSCTLS) {
                String v = sysctl(k);
                if (v != null) sysctls.put(k, v);
            }
            var dirs = new LinkedHashSet<Path>();
            for (Path d : HOST_DIRS) if (Files.exists(d)) dirs.add(d);
            return new Baseline(sysctls, dirs, save("iptables-save"), save("ip6tables-save"), mountPointsNow(), interfacesNow(), nftTablesNow());
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
                Files.write(dir.resolve("mount-points"), mountPoints.stream().map(Path::toString).toList());
                Files.write(dir.resolve("interfaces"), interfaces);
                Files.write(dir.resolve("nft-tables"), nftTables);
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
                var mounts = lines(dir.resolve("mount-points"));
                return new Baseline(sysctls, dirs, Files.readString(dir.resolve("iptables-v4.save")),
                        Files.readString(dir.resolve("iptables-v6.save")),
                        mounts == null ? null : new LinkedHashSet<>(mounts.stream().map(Path::of).toList()),
                        lines(dir.resolve("interfaces")), lines(dir.resolve("nft-tables")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static Set<String> lines(Path f) throws IOException {
            if (!Files.isRegularFile(f)) return null;
            var out = new LinkedHashSet<String>();
            for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(l);
            return out;
        }
    }

    /** Every mount point on the machine now (as this process sees them). */
    static Set<Path> mountPointsNow() {
        var out = new LinkedHashSet<Path>();
        for (var m : NodeMounts.mounts()) out.add(m.point());
        return out;
    }

    /** The names of the network interfaces of the machine's own network namespace. */
    static Set<String> interfacesNow() {
        try (Stream<Path> s = Files.list(Path.of("/sys/class/net"))) {
            return new java.util.TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        } catch (IOException e) {
            return new java.util.TreeSet<>();
        }
    }

    /** `nft list tables`: one "table FAMILY NAME" a line; empty when nft is missing or fails. */
    static Set<String> nftTablesNow() {
        var out = new java.util.TreeSet<String>();
        try {
            var r = Exec.run(List.of("nft", "list", "tables"), Duration.ofSeconds(30));
            if (r.ok()) r.out().lines().map(String::strip).filter(l -> l.startsWith("table ")).forEach(out::add);
        } catch (Problem.ToolMissing e) {
            // no nftables here
        }
        return out;
    }

    /**
     * Deletes the nftables tables that `before` lacked and that hold no rule now: iptables (the
     * nft backend) makes a table with its base chains on first use and keeps it when the last
     * rule goes, so a machine that had none before `up` would keep five empty tables after `down`.
     * A table with a rule, or a base chain whose policy is not accept, is someone's: it stays.
     * Returns the tables deleted ("table ip nat").
     */
    static List<String> deleteEmptyTablesAdded(Set<String> before) {
        var deleted = new ArrayList<String>();
        if (before == null) return deleted;
        for (String t : nftTablesNow()) {
            if (before.contains(t)) continue;
            String[] w = t.split("\\s+"); // table FAMILY NAME
            if (w.length != 3) continue;
            var listed = Exec.run(List.of("nft", "list", "table", w[1], w[2]), Duration.ofSeconds(30));
            if (!listed.ok() || !emptyTable(listed.out())) continue;
            if (Exec.run(List.of("nft", "delete", "table", w[1], w[2]), Duration.ofSeconds(30)).ok()) deleted.add(t);
        }
        return deleted;
    }

    /** An `nft list table` text with chains but no rule, and only accepting base chains. */
    static boolean emptyTable(String listing) {
        for (String line : listing.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.equals("}") || line.matches("(table|chain) \\S+( \\S+)? \\{")) continue;
            if (line.startsWith("type ") && line.endsWith("policy accept;")) continue;
            return false;
        }
        return true;
    }

    /** Lines of an iptables-save text that name a KUBE chain (what `iptables -S | grep KUBE` counts, all tables). */
    static long kubeLines(String save) {
        return save.lines().filter(l -> !l.startsWith("#") && l.contains("KUBE")).count();
    }

    /**
     * The self-bind mount that `ip netns add` puts on /run/netns (and `ip netns delete`
     * leaves): unmounted when `up` found none there and no namespace file is left in it.
     * Returns a problem, or null.
     */
    static String unmountNetnsDir(Baseline b) {
        Path netns = Path.of("/run/netns");
        if (b.mountPoints() == null || b.mountPoints().contains(netns)) return null;
        for (int round = 0; round < 5 && mountPointsNow().contains(netns); round++) {
            try (Stream<Path> in = Files.list(netns)) {
                var names = in.map(p -> p.getFileName().toString()).toList();
                if (!names.isEmpty()) return "mount " + netns + " kept: it holds network namespaces " + names;
            } catch (IOException e) {
                return "mount " + netns + ": " + e.getMessage();
            }
            var r = Exec.run(List.of("umount", netns.toString()), Duration.ofSeconds(30));
            if (!r.ok()) return "umount " + netns + ": " + r.said();
        }
        return null;
    }

    /** What iptables-save (or ip6tables-save) prints; empty when it fails or is not installed. */
    static String save(String tool) {
        try {
            var r = Exec.run(List.of(tool), Duration.ofSeconds(30));
            return r.ok() ? r.out() : "";
        } catch (Problem.ToolMissing e) {
            return "";
        }
    }

    // ------------------------------------------------------------------ kernel settings

    private static Path sysctlPath(String key) { return Path.of("/proc/sys", key.replace('.', '/')); }

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
    record HostFiles(Path nodeDir, List<Path> sockets, Set<String> containerIds, boolean kubeletDirOurs) {
        /** One node's containerd. */
        HostFiles(Path nodeDir, Path socket, Set<String> containerIds, boolean kubeletDirOurs) {
            this(nodeDir, List.of(socket), containerIds, kubeletDirOurs);
        }

        boolean ours(Path f) {
            try {
                if (Files.isSymbolicLink(f) && Files.readSymbolicLink(f).startsWith(nodeDir)) return true;
            } catch (IOException e) {
                return false;
            }
            String name = f.getFileName().toString();
            Path parent = f.getParent();
            if (parent.equals(Path.of("/run/containerd/s"))) {
                return sockets.stream().anyMatch(socket ->
                        containerIds.stream().anyMatch(id -> shimSocketName(socket, K8S_NAMESPACE, id).equals(name)));
            }
            if (parent.equals(Path.of("/var/lib/cni/results"))) {
                return name.startsWith(NodeConfigs.NETWORK + "-") || containerIds.stream().anyMatch(id -> name.contains("-" + id + "-"));
            }
            if (f.startsWith(Path.of("/var/lib/cni/networks", NodeConfigs.NETWORK))) return true;
            return kubeletDirOurs && f.equals(Path.of("/var/lib/kubelet/device-plugins/kubelet.sock"));
        }
    }

    static HostFiles hostFiles(Baseline b, Path nodeDir, List<Path> sockets, Set<String> containerIds) {
        return new HostFiles(nodeDir, sockets, containerIds, !b.existingDirs().contains(Path.of("/var/lib/kubelet")));
    }

    /** The node's files that are in the fixed host folders now. */
    private static List<Path> ourHostFiles(HostFiles h) {
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
