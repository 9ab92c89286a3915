//SOURCES ../cluster/Daemons.java
//SOURCES NodeMounts.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;

/** The real node's cgroups: the kubelet's cgroupRoot in every hierarchy, made at `up`, emptied and removed at `down`. */
final class NodeCgroups {
    private NodeCgroups() {}

    /** Mount points of the cgroup hierarchies: each v1 controller (hybrid layout) or the one v2. */
    private static List<Path> cgroupHierarchies() {
        var out = new ArrayList<Path>();
        for (var m : NodeMounts.mounts()) {
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
}
