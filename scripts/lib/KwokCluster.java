//SOURCES ClusterLock.java
//SOURCES ControlPlane.java
//SOURCES Dirs.java
//SOURCES Exec.java
//SOURCES Interrupts.java
//SOURCES Kube.java
//SOURCES NodeConfigs.java
//SOURCES Problem.java
//SOURCES RealNodeDown.java
//SOURCES Target.java
//SOURCES Tools.java
//SOURCES Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A local cluster without Docker: the real kube-apiserver, etcd, controller-manager and
 * scheduler, run as processes by kwokctl, with kwok standing in for the kubelet on fake
 * nodes (pods go Running and Ready, Job pods Succeeded, pods labelled trevor.test/fail=true
 * Failed). No containers run: there are no images, logs or pod networking.
 */
final class KwokCluster {
    private KwokCluster() {}

    record Info(String name, String context, Path kubeconfig) {}

    /** What a cluster holds on this machine, to prove that `down` removed all of it. */
    record Footprint(Set<Long> pids, Set<Integer> ports, Path dir) {}

    /** A --set that makes the migration pods fail (the pod-fail Stage matches the label). */
    static final String FAIL_LABEL_SET = "--set-string migrations.podLabels.trevor\\.test/fail=true";
    static final int NODES = 2;

    static Path workdir() { return Tools.cacheDir().resolve("kwok/home"); }

    static Path clusterDir(String name) { return workdir().resolve("clusters").resolve(name); }

    static String context(String name) { return "kwok-" + name; }

    private static Map<String, String> env() { return Map.of("KWOK_WORKDIR", workdir().toString()); }

    static void checkName(String name) {
        if (!name.matches("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?")) {
            throw new Target.Invalid("--name '" + name + "' is not a valid cluster name (lowercase letters, digits, '-', at most 32)");
        }
    }

    /** The kubeconfig kwokctl keeps for the cluster itself: how to ask it, whatever the user's kubeconfig holds. */
    static Path ownKubeconfig(String name) { return clusterDir(name).resolve("kubeconfig.yaml"); }

    /** Written last by up: a cluster without it was interrupted while being built. */
    private static Path readyMarker(String name) { return clusterDir(name).resolve("trevor-ready"); }

    /** What is on this machine under a name. */
    enum Health { ABSENT, READY, HALF_BUILT, NOT_ANSWERING }

    /**
     * The cluster's health, asked through its own kubeconfig: a user's kubeconfig that lacks
     * the context says nothing about whether the cluster runs.
     */
    static Health health(String name, Path kubectl) {
        if (!Files.isDirectory(clusterDir(name))) return Health.ABSENT;
        if (!Files.isRegularFile(readyMarker(name)) || !Files.isRegularFile(ownKubeconfig(name))) return Health.HALF_BUILT;
        var own = new Kube(kubectl, context(name), ownKubeconfig(name));
        if (!answers(own)) return Health.NOT_ANSWERING;
        // Built and answering, but is it whole? Nodes and this project's Stages are what installs need.
        var nodes = own.run(Duration.ofSeconds(15), "get", "nodes", "-o", "name");
        var stages = own.run(Duration.ofSeconds(15), "get", "stages.kwok.x-k8s.io", "-o", "name");
        if (!nodes.ok() || nodes.out().isBlank() || !stages.ok() || !stages.out().contains("trevor-pod-fail")) return Health.HALF_BUILT;
        return Health.READY;
    }

    /**
     * Creates the cluster, or reuses it when it is whole and answers. Never deletes a cluster
     * it did not just create: a broken one is removed only with recreate (--recreate).
     */
    static Info up(Path repo, String name, Path kubeconfig, boolean recreate, Consumer<String> progress) {
        checkName(name);
        try (var lock = ClusterLock.take(name, "cluster up")) {
            Path bin = ControlPlane.ensureBuilt(repo, progress);
            Path kubectl = Tools.kubectl(progress);
            var kube = new Kube(kubectl, context(name), kubeconfig);
            var health = health(name, kubectl);
            if (health == Health.READY && !recreate) {
                addContext(name, kubeconfig, kubectl, progress);
                progress.accept("cluster " + name + " is running; reusing it (context " + kube.context + ")");
                return new Info(name, kube.context, kubeconfig);
            }
            if (health != Health.ABSENT) {
                String what = describe(name, health);
                if (!recreate) {
                    throw new Kube.Refused("kwok cluster " + name + " " + what + "; nothing was changed. 'cluster.java up --recreate --name " + name
                            + "' deletes and recreates it, 'cluster.java down --name " + name + "' removes it");
                }
                progress.accept("cluster " + name + " " + what + "; recreating it (--recreate)");
                down(name, kubeconfig, progress);
            }
            // From here on this run made the cluster: an interrupt takes it down again, whole.
            try (var cleanup = Interrupts.onStop("remove the half-built cluster " + name, () -> {
                System.err.println("stopping: removing the half-built kwok cluster " + name + " (this run was creating it)");
                down(name, kubeconfig, System.err::println);
            })) {
                create(repo, name, bin, kubectl, kube, kubeconfig, progress);
            }
            return new Info(name, kube.context, kubeconfig);
        }
    }

    private static String describe(String name, Health h) {
        return switch (h) {
            case HALF_BUILT -> "exists but is half-built (an earlier up was interrupted, or it has no nodes or Stages)";
            case NOT_ANSWERING -> "exists but does not answer, not even through its own kubeconfig " + ownKubeconfig(name);
            default -> h.name().toLowerCase();
        };
    }

    /**
     * One kwokctl create at a time on this machine. kwokctl asks the kernel for free ports and
     * binds them only later, so two creates at once (four runs waking from one control-plane
     * build) can pick the same port; one then talks to the other's API server and fails with
     * "x509: certificate signed by unknown authority". An OS lock, so it dies with its holder.
     */
    private static PortsLock portsLock(Consumer<String> progress) {
        Path f = workdir().resolve("locks").resolve("kwokctl-create.lock");
        try {
            Files.createDirectories(f.getParent());
            var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            if (ch.tryLock() == null) {
                progress.accept("waiting for another cluster's kwokctl create to finish (ports are picked one create at a time)");
                ch.lock();
            }
            return new PortsLock(ch);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot lock " + f, e);
        }
    }

    /** Closing the channel releases its lock. */
    private record PortsLock(java.nio.channels.FileChannel channel) implements AutoCloseable {
        @Override public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the lock dies with the process anyway
            }
        }
    }

    private static void create(Path repo, String name, Path bin, Path kubectl, Kube kube, Path kubeconfig, Consumer<String> progress) {
        Path config = writeConfig(name, bin, kubectl);
        try {
            var cmd = new ArrayList<>(List.of(bin.resolve("kwokctl").toString(), "create", "cluster", "--name", name, "--config",
                    config.toString(), "--wait", "90s"));
            if (kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kubeconfig.toString()));
            Exec.Result r;
            try (var ports = portsLock(progress)) {
                r = Exec.run(cmd, null, env(), Duration.ofMinutes(3), null);
            }
            if (!r.ok()) {
                down(name, kubeconfig, progress);
                throw new Problem(Problem.FAILED, "kwokctl create cluster " + name + " failed: " + tail(r.said()));
            }
        } finally {
            try {
                Files.deleteIfExists(config); // kwokctl keeps its own copy in the cluster's folder
            } catch (IOException ignored) {
                // left in the work folder; down removes it
            }
        }
        for (String stage : ControlPlane.STAGES) apply(kube, "-k", ControlPlane.stages().resolve(stage));
        // This project's own stages (a failing migration, a migration that takes time).
        apply(kube, "-f", repo.resolve("scripts/controlplane/stages"));
        var nodes = new StringBuilder();
        for (int i = 0; i < NODES; i++) nodes.append("---\n").append(Yaml.dump(node("kwok-node-" + i)));
        var n = kube.runWithInput(nodes.toString(), "apply", "-f", "-");
        if (!n.ok()) throw new Problem(Problem.FAILED, "could not create the fake nodes: " + n.said());
        var w = kube.run(Duration.ofSeconds(150), "wait", "--for=condition=Ready", "nodes", "--all", "--timeout=120s");
        if (!w.ok()) throw new Problem(Problem.FAILED, "the fake nodes did not become Ready: " + w.said());
        try {
            Files.writeString(readyMarker(name), "ready\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Puts the cluster's context into the given kubeconfig when it lacks it, so a cluster that
     * runs is usable from any shell: taken from the cluster's own kubeconfig, entry by entry.
     */
    private static void addContext(String name, Path kubeconfig, Path kubectl, Consumer<String> progress) {
        String ctx = context(name);
        var has = Exec.run(Kube.config(kubectl, kubeconfig, "get-contexts", ctx), Duration.ofSeconds(15));
        if (has.ok()) return;
        Map<String, Object> own;
        try {
            own = Yaml.loadMap(Files.readString(ownKubeconfig(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var cluster = Yaml.maps(own, "clusters").get(0);
        var user = Yaml.maps(own, "users").get(0);
        for (var args : List.of(
                List.of("set-cluster", ctx, "--server=" + Yaml.str(cluster, "cluster.server"),
                        "--certificate-authority=" + Yaml.str(cluster, "cluster.certificate-authority")),
                List.of("set-credentials", ctx, "--client-certificate=" + Yaml.str(user, "user.client-certificate"),
                        "--client-key=" + Yaml.str(user, "user.client-key")),
                List.of("set-context", ctx, "--cluster=" + ctx, "--user=" + ctx))) {
            var r = Exec.run(Kube.config(kubectl, kubeconfig, args.toArray(String[]::new)), Duration.ofSeconds(15));
            if (!r.ok()) throw new Problem(Problem.FAILED, "could not add context " + ctx + " to the kubeconfig: " + r.said());
        }
        progress.accept("added context " + ctx + " to " + (kubeconfig == null ? "the default kubeconfig" : kubeconfig.toString()));
    }


    private static boolean answers(Kube kube) {
        return kube.run(Duration.ofSeconds(15), "get", "--raw", "/readyz", "--request-timeout=5s").ok();
    }

    private static void apply(Kube kube, String how, Path what) {
        var r = kube.run("apply", how, what.toString());
        if (!r.ok()) throw new Problem(Problem.FAILED, "kubectl apply " + how + " " + what + ": " + r.said());
    }

    /** kwokctl's configuration: only local binaries, so it never tries to download one. */
    private static Path writeConfig(String name, Path bin, Path kubectl) {
        var options = new LinkedHashMap<String, Object>();
        options.put("runtime", "binary");
        options.put("kubeVersion", ControlPlane.KUBE_VERSION);
        options.put("bindAddress", "127.0.0.1");
        options.put("kubeApiserverBinary", bin.resolve("kube-apiserver").toString());
        options.put("kubeControllerManagerBinary", bin.resolve("kube-controller-manager").toString());
        options.put("kubeSchedulerBinary", bin.resolve("kube-scheduler").toString());
        options.put("etcdBinary", bin.resolve("etcd").toString());
        options.put("kwokControllerBinary", bin.resolve("kwok").toString());
        options.put("kubectlBinary", kubectl.toString());
        options.put("enableCRDs", List.of("Stage"));
        var config = new LinkedHashMap<String, Object>();
        config.put("apiVersion", "config.kwok.x-k8s.io/v1alpha1");
        config.put("kind", "KwokctlConfiguration");
        config.put("options", options);
        // What a real node needs of the control plane (RealNode); the fake nodes do not notice.
        config.put("componentsPatches", NodeConfigs.controlPlanePatches(clusterDir(name)));
        try {
            Files.createDirectories(workdir());
            Path f = Files.createTempFile(workdir(), name + ".config-", ".yaml");
            Files.writeString(f, Yaml.dump(config));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> node(String name) {
        var labels = new LinkedHashMap<String, Object>();
        labels.put("kubernetes.io/arch", "amd64");
        labels.put("kubernetes.io/os", "linux");
        labels.put("kubernetes.io/hostname", name);
        labels.put("topology.kubernetes.io/zone", "zone-" + name.substring(name.length() - 1));
        labels.put("type", "kwok");
        var resources = Map.of("cpu", "32", "memory", "256Gi", "ephemeral-storage", "1Ti", "pods", "110");
        return Map.of("apiVersion", "v1", "kind", "Node",
                "metadata", Map.of("name", name, "labels", labels,
                        "annotations", Map.of("kwok.x-k8s.io/node", "fake", "node.alpha.kubernetes.io/ttl", "0")),
                "spec", Map.of(),
                "status", Map.of("allocatable", resources, "capacity", resources));
    }

    /** Stops every process of the cluster and removes its state; returns what it held. */
    static Footprint down(String name, Path kubeconfig, Consumer<String> progress) {
        checkName(name);
        try (var lock = ClusterLock.take(name, "cluster down")) {
            return downLocked(name, kubeconfig, progress);
        }
    }

    private static Footprint downLocked(String name, Path kubeconfig, Consumer<String> progress) {
        // A real node goes first, while the API answers: its kubelet stops the pods.
        var realNode = RealNodeDown.down(name, progress);
        var footprint = footprint(name);
        deleteStaleConfigs(name);
        if (!Files.isDirectory(clusterDir(name))) {
            progress.accept("no kwok cluster " + name + "; nothing to do");
            return footprint;
        }
        Path kwokctl = ControlPlane.bin("kwokctl");
        if (Files.isExecutable(kwokctl)) {
            var cmd = new ArrayList<>(List.of(kwokctl.toString(), "delete", "cluster", "--name", name));
            if (kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kubeconfig.toString()));
            var r = Exec.run(cmd, null, env(), Duration.ofMinutes(2), null);
            if (!r.ok()) progress.accept("kwokctl delete cluster: " + tail(r.said()));
        } else {
            // A cluster made by another build (a version since bumped, a cache cleared) must still go:
            // its processes and folder are known without kwokctl.
            progress.accept("kwokctl of this version is not built (" + kwokctl + "); stopping the cluster's processes directly");
        }
        // kwokctl signals what it started and returns; wait for the processes to exit, and
        // end any that will not, so nothing is ever left behind.
        awaitGone(footprint.pids(), Duration.ofSeconds(15));
        for (long pid : footprint.pids()) if (!gone(pid)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitGone(footprint.pids(), Duration.ofSeconds(5));
        // A socket can outlive its process by a moment while the kernel tears it down.
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && footprint.ports().stream().anyMatch(Net.listeningPorts()::contains)) Kube.sleep(100);
        Dirs.deleteTree(clusterDir(name));
        RealNodeDown.leftovers(realNode).forEach(l -> progress.accept("real node left behind: " + l));
        return footprint;
    }

    /** kwokctl configs this project wrote for the cluster (older versions left them beside the clusters). */
    private static void deleteStaleConfigs(String name) {
        if (!Files.isDirectory(workdir())) return;
        try (Stream<Path> files = Files.list(workdir())) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.equals(name + ".config.yaml") || (n.startsWith(name + ".config-") && n.endsWith(".yaml"))) Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // leftovers() names what could not be removed
        }
    }

    private static void awaitGone(Set<Long> pids, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end && !pids.stream().allMatch(KwokCluster::gone)) Kube.sleep(100);
    }

    /** Exited, or a zombie waiting for a parent that may never reap it (it holds no port). */
    static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    /** The cluster's processes (its pid files) and the ports they listen on. */
    static Footprint footprint(String name) {
        var pids = new LinkedHashSet<Long>();
        Path pidDir = clusterDir(name).resolve("pids");
        if (Files.isDirectory(pidDir)) {
            try (Stream<Path> files = Files.list(pidDir)) {
                for (Path f : files.toList()) {
                    try {
                        pids.add(Long.parseLong(Files.readString(f).strip()));
                    } catch (NumberFormatException | IOException ignored) {
                        // a pid file being written or removed right now
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        var ports = new LinkedHashSet<Integer>();
        for (long pid : pids) ports.addAll(Net.listeningPorts(pid));
        return new Footprint(pids, ports, clusterDir(name));
    }

    /** What of a footprint is still there: live processes, listening ports, the state folder, configs written for it. */
    static List<String> leftovers(Footprint f) {
        var left = new ArrayList<String>();
        for (long pid : f.pids()) {
            if (!gone(pid)) left.add("process " + pid + " " + ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse(""));
        }
        var listening = Net.listeningPorts();
        for (int port : f.ports()) if (listening.contains(port)) left.add("port " + port + " still listening");
        if (Files.exists(f.dir())) left.add("folder " + f.dir());
        String name = f.dir().getFileName().toString();
        if (Files.isDirectory(workdir())) {
            try (Stream<Path> files = Files.list(workdir())) {
                files.filter(p -> p.getFileName().toString().startsWith(name + ".config")).forEach(p -> left.add("file " + p));
            } catch (IOException e) {
                left.add("cannot list " + workdir() + ": " + e.getMessage());
            }
        }
        return left;
    }

    /** One line: running and whole, half-built, not answering, or absent; asked through the cluster's own kubeconfig. */
    static String status(String name) {
        checkName(name);
        var h = health(name, Tools.kubectl(null));
        if (h == Health.ABSENT) return "no kwok cluster " + name;
        var f = footprint(name);
        long alive = f.pids().stream().filter(p -> !gone(p)).count();
        return "kwok cluster " + name + ": " + (h == Health.READY ? "running" : describe(name, h)) + ", context " + context(name) + ", " + alive + "/"
                + f.pids().size() + " processes, ports " + f.ports() + ", state in " + clusterDir(name);
    }

    private static String tail(String s) {
        var lines = s.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }

    /** Listening TCP ports from /proc (no ss or netstat needed). */
    static final class Net {
        private Net() {}

        static Set<Integer> listeningPorts() { return ports(null); }

        static Set<Integer> listeningPorts(long pid) {
            var inodes = new LinkedHashSet<String>();
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
                    } catch (IOException ignored) {
                        // fd closed while we looked
                    }
                }
            } catch (IOException e) {
                return Set.of();
            }
            return ports(inodes);
        }

        private static Set<Integer> ports(Set<String> inodes) {
            var out = new LinkedHashSet<Integer>();
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                List<String> lines;
                try {
                    lines = Files.readAllLines(Path.of(table));
                } catch (IOException e) {
                    continue;
                }
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !"0A".equals(f[3])) continue; // 0A = LISTEN
                    if (inodes != null && !inodes.contains(f[9])) continue;
                    String local = f[1];
                    out.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
                }
            }
            return out;
        }
    }
}
