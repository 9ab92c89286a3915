//SOURCES ClusterLock.java
//SOURCES ControlPlane.java
//SOURCES Daemons.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES NodeConfigs.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Tools.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

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
import java.util.function.Supplier;
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
            throw new Problem.BadInput("--name '" + name + "' is not a valid cluster name (lowercase letters, digits, '-', at most 32)");
        }
    }

    /** The kubeconfig kwokctl keeps for the cluster itself: how to ask it, whatever the user's kubeconfig holds. */
    static Path ownKubeconfig(String name) { return clusterDir(name).resolve("kubeconfig.yaml"); }

    /** Written last by up: a cluster without it was interrupted while being built. */
    private static Path readyMarker(String name) { return clusterDir(name).resolve("trevor-ready"); }

    /** What is on this machine under a name. */
    enum Health { ABSENT, READY, HALF_BUILT, NOT_ANSWERING, NOT_WHOLE }

    /** The processes kwokctl runs for a cluster, by the name of their pid file. */
    static final List<String> COMPONENTS = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller");

    /** The components that serve /healthz on a secure port of their own (the API server is asked through kubectl). */
    static final List<String> HEALTH_ENDPOINTS = List.of("kube-controller-manager", "kube-scheduler");

    /**
     * up's phases, in order; up prints "phase NAME: …" as it enters each, so that a test
     * can interrupt it at each one instead of at a moment that depends on the machine's speed.
     */
    static final List<String> PHASES = List.of("control plane", "stages", "nodes", "nodes ready");

    private static void phase(Consumer<String> progress, String phase, String what) {
        if (!PHASES.contains(phase)) throw new IllegalArgumentException(phase);
        progress.accept("phase " + phase + ": " + what);
    }

    /** Set to a phase's name, up stops at the end of that phase's work until it is interrupted (safety's Ctrl-C in each phase). */
    static final String HOLD_ENV = "TREVOR_TEST_HOLD_PHASE";

    private static void holdIfAsked(Consumer<String> progress, String phase) {
        if (!phase.equals(System.getenv(HOLD_ENV))) return;
        progress.accept("phase " + phase + ": done; holding here until interrupted (" + HOLD_ENV + "), at most 10 minutes");
        Wait.sleep(Duration.ofMinutes(10).toMillis());
    }

    /** A cluster's health and, when it is not whole, what is missing, one item per part. */
    record Check(Health health, List<String> missing) {}

    /**
     * The cluster's health, asked through its own kubeconfig (a user's kubeconfig that lacks
     * the context says nothing about whether the cluster runs) and of its processes.
     */
    static Check check(String name, Path kubectl) {
        if (!Files.isDirectory(clusterDir(name))) return new Check(Health.ABSENT, List.of());
        if (!Files.isRegularFile(readyMarker(name)) || !Files.isRegularFile(ownKubeconfig(name))) return new Check(Health.HALF_BUILT, List.of());
        // Every process first: an API server that answers says nothing of a dead scheduler,
        // and without one pods stay Pending.
        var missing = missingParts(name);
        var own = new Kube(kubectl, context(name), ownKubeconfig(name));
        if (!answers(own)) return new Check(missing.isEmpty() ? Health.NOT_ANSWERING : Health.NOT_WHOLE, missing);
        if (!missing.isEmpty()) return new Check(Health.NOT_WHOLE, missing);
        // Built and answering, but is it whole? Nodes and this project's Stages are what installs need.
        var nodes = own.run(Duration.ofSeconds(15), "get", "nodes", "-o", "name");
        var stages = own.run(Duration.ofSeconds(15), "get", "stages.kwok.x-k8s.io", "-o", "name");
        if (!nodes.ok() || nodes.out().isBlank() || !stages.ok() || !stages.out().contains("trevor-pod-fail")) return new Check(Health.HALF_BUILT, List.of());
        return new Check(Health.READY, List.of());
    }

    /** The control-plane processes that do not run (or are not the cluster's), and the health endpoints that do not say ok. */
    static List<String> missingParts(String name) {
        var missing = new ArrayList<String>();
        for (String c : COMPONENTS) {
            Path f = clusterDir(name).resolve("pids").resolve(c + ".pid");
            Long pid = readPid(f);
            if (pid == null) missing.add(c + " is not running (no pid file " + f + ")");
            else if (Daemons.gone(pid)) missing.add(c + " is not running (its pid file names " + pid + ", which has exited)");
            else if (notOurs(name, pid) != null) missing.add(c + " is not running (its pid file names another process: " + notOurs(name, pid) + ")");
        }
        var ports = securePorts(name);
        for (String c : HEALTH_ENDPOINTS) {
            if (missing.stream().anyMatch(m -> m.startsWith(c + " "))) continue;
            Integer port = ports.get(c);
            if (port == null) {
                missing.add(c + ": no secure port in " + clusterDir(name).resolve("kwok.yaml"));
                continue;
            }
            // A loaded machine may keep a healthy component from answering for a while: asked
            // up to three times before it counts as unhealthy.
            String said = Healthz.get(port);
            for (int i = 0; i < 2 && !"ok".equals(said); i++) {
                Wait.sleep(2000);
                said = Healthz.get(port);
            }
            if (!"ok".equals(said)) missing.add(c + " is not healthy: https://127.0.0.1:" + port + "/healthz says " + said);
        }
        return missing;
    }

    /** The --secure-port of each component, from the configuration kwokctl keeps in the cluster's folder. */
    static Map<String, Integer> securePorts(String name) {
        var out = new LinkedHashMap<String, Integer>();
        Path f = clusterDir(name).resolve("kwok.yaml");
        if (!Files.isRegularFile(f)) return out;
        try {
            for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                if (doc.isBlank()) continue;
                Map<String, Object> m = Yaml.loadMap(doc);
                for (var comp : Yaml.maps(m, "components")) {
                    Object args = comp.get("args");
                    if (!(args instanceof List<?> list)) continue;
                    for (Object a : list) {
                        String arg = String.valueOf(a);
                        if (arg.startsWith("--secure-port=")) out.put(String.valueOf(comp.get("name")), Integer.parseInt(arg.substring(14)));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable configuration: the endpoints are reported missing by name
        }
        return out;
    }

    private static Long readPid(Path pidFile) {
        try {
            return Long.parseLong(Files.readString(pidFile).strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Why pid is not one of this cluster's processes, or null when it is: its executable
     * (/proc/PID/exe) lies in the control plane's bin folder or the cluster's own folder, and
     * its command line (/proc/PID/cmdline) names the cluster's folder. A pid file outlives its
     * process, and the kernel hands the pid to someone else: down must prove before it signals.
     */
    static String notOurs(String name, long pid) {
        Path exe;
        try {
            exe = Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "exe"));
        } catch (IOException | UnsupportedOperationException e) {
            return "pid " + pid + " cannot be looked at (" + e.getClass().getSimpleName() + ")";
        }
        String path = exe.toString().replaceFirst(" \\(deleted\\)$", "");
        boolean ourBinary = Path.of(path).startsWith(ControlPlane.home().resolve("bin")) || Path.of(path).startsWith(clusterDir(name));
        if (!ourBinary) return "pid " + pid + " is " + path;
        if (!Daemons.cmdline(pid).contains(clusterDir(name).toString())) return "pid " + pid + " is " + path + ", of another cluster (its command line does not name " + clusterDir(name) + ")";
        return null;
    }

    /** Processes of this cluster that no pid file names (e.g. started while an interrupted up was stopping kwokctl). */
    static List<Long> unlisted(String name, Set<Long> listed) {
        String dir = clusterDir(name).toString();
        var out = new ArrayList<Long>();
        for (long pid : Daemons.where(cmd -> cmd.contains(dir + "/") || cmd.endsWith(dir))) {
            if (!listed.contains(pid) && notOurs(name, pid) == null) out.add(pid);
        }
        return out;
    }

    /** Namespaces and Helm releases a cluster holds beyond its own: what deleting it loses. */
    static String holdings(String name, Path kubectl) {
        var own = new Kube(kubectl, context(name), ownKubeconfig(name));
        var ns = own.run(Duration.ofSeconds(30), "get", "namespaces", "--request-timeout=10s", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}");
        var rel = own.run(Duration.ofSeconds(30), "get", "secrets", "-A", "-l", "owner=helm", "--request-timeout=10s",
                "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.labels.name}{\"\\n\"}{end}");
        if (!ns.ok() || !rel.ok()) return "an unknown number of namespaces and releases (" + (ns.ok() ? rel : ns).said() + ")";
        long namespaces = ns.out().lines().map(String::strip).filter(n -> !n.isEmpty() && !SYSTEM_NAMESPACES.contains(n)).count();
        long releases = rel.out().lines().map(String::strip).filter(n -> !n.isEmpty()).distinct().count();
        return namespaces + " namespace" + (namespaces == 1 ? "" : "s") + " besides the cluster's own, and " + releases + " Helm release" + (releases == 1 ? "" : "s");
    }

    private static final Set<String> SYSTEM_NAMESPACES = Set.of("default", "kube-system", "kube-public", "kube-node-lease");

    /**
     * Creates the cluster, or reuses it when it is whole and answers. Never deletes a cluster
     * it did not just create: a broken one is removed only with recreate (--recreate), a
     * healthy one only when deleteHealthy names it as well.
     */
    static Info up(Path repo, String name, Path kubeconfig, boolean recreate, String deleteHealthy, NodesDown nodes, Consumer<String> progress) {
        checkName(name);
        if (deleteHealthy != null && !recreate) throw new Problem.BadInput("--yes-delete-healthy-cluster goes with --recreate");
        if (deleteHealthy != null && !deleteHealthy.equals(name)) {
            throw new Problem.BadInput("--yes-delete-healthy-cluster names '" + deleteHealthy + "', not the cluster '" + name + "'; nothing was changed");
        }
        try (var lock = ClusterLock.take(name, "cluster up")) {
            Path bin = ControlPlane.ensureBuilt(repo, progress);
            Path kubectl = Tools.kubectl(progress);
            var kube = new Kube(kubectl, context(name), kubeconfig);
            var check = check(name, kubectl);
            var health = check.health();
            if (health == Health.READY && !recreate) {
                addContext(name, kubeconfig, kubectl, progress);
                progress.accept("cluster " + name + " is running; reusing it (context " + kube.context + ")");
                return new Info(name, kube.context, kubeconfig);
            }
            if (health == Health.READY && deleteHealthy == null) {
                throw new Problem.Refused("kwok cluster " + name + " is running and whole, and holds " + holdings(name, kubectl)
                        + "; --recreate acts only on a cluster that is half-built, not whole or does not answer, so nothing was changed. "
                        + "To delete it all the same: 'cluster.java up --recreate --yes-delete-healthy-cluster " + name + " --name " + name
                        + "', or 'cluster.java down --name " + name + "'");
            }
            if (health != Health.ABSENT) {
                String what = health == Health.READY ? "is running and whole, holding " + holdings(name, kubectl) : describe(name, check);
                if (!recreate) {
                    throw new Problem.Refused("kwok cluster " + name + " " + what + "; nothing was changed. 'cluster.java up --recreate --name " + name
                            + "' deletes and recreates it, 'cluster.java down --name " + name + "' removes it");
                }
                String lost = health == Health.READY || health == Health.NOT_ANSWERING ? "" : Files.isRegularFile(ownKubeconfig(name)) ? ", losing " + holdings(name, kubectl) : "";
                progress.accept("cluster " + name + " " + what + "; recreating it (--recreate" + (health == Health.READY ? " --yes-delete-healthy-cluster" : "") + ")" + lost);
                down(name, kubeconfig, nodes, progress);
            }
            // From here on this run made the cluster: an interrupt takes it down again, whole.
            var creation = new Creation();
            try (var cleanup = Interrupts.onStop("remove the half-built cluster " + name, () -> {
                System.err.println("stopping: removing the half-built kwok cluster " + name + " (this run was creating it)");
                creation.cancel();
                var left = leftovers(down(name, kubeconfig, nodes, System.err::println));
                System.err.println(left.isEmpty() ? "stopping: kwok cluster " + name + " removed; nothing left behind"
                        : "stopping: left behind: " + String.join("; ", left));
            })) {
                try {
                    create(repo, name, bin, kubectl, kube, kubeconfig, nodes, progress, creation);
                } catch (ComponentExited e) {
                    // Most often a port that another cluster, created at the same moment by a
                    // run that does not take this machine's ports lock, bound first: once more.
                    progress.accept(e.getMessage() + "; removing the cluster and creating it once more");
                    down(name, kubeconfig, nodes, progress);
                    create(repo, name, bin, kubectl, kube, kubeconfig, nodes, progress, creation);
                }
            }
            return new Info(name, kube.context, kubeconfig);
        }
    }

    private static String describe(String name, Check c) {
        return switch (c.health()) {
            case HALF_BUILT -> "exists but is half-built (an earlier up was interrupted, or it has no nodes or Stages)";
            case NOT_ANSWERING -> "exists but does not answer, not even through its own kubeconfig " + ownKubeconfig(name);
            case NOT_WHOLE -> "is not whole: " + String.join("; ", c.missing());
            default -> c.health().name().toLowerCase();
        };
    }

    private static void create(Path repo, String name, Path bin, Path kubectl, Kube kube, Path kubeconfig, NodesDown nodesDown, Consumer<String> progress,
                               Creation creation) {
        Path config = creation.unlessCancelled(() -> writeConfig(name, bin, kubectl));
        phase(progress, "control plane", "starting " + String.join(", ", COMPONENTS) + " (kwokctl create cluster)");
        // kwokctl picks free ports by trying them: two clusters created at the same moment can
        // pick the same one, and the second's kwokctl then talks to the first's API server.
        // One creation at a time on this machine binds its ports before the next picks.
        try (var ports = portsLock(progress)) {
            var cmd = new ArrayList<>(List.of(bin.resolve("kwokctl").toString(), "create", "cluster",
                    "--name", name, "--config", config.toString(), "--wait", "0s"));
            if (kubeconfig != null) cmd.addAll(List.of("--kubeconfig", kubeconfig.toString()));
            var r = creation.run(cmd, env(), Duration.ofMinutes(10));
            if (r.exit() != 0) {
                down(name, kubeconfig, nodesDown, progress);
                throw new Problem.Failed("kwokctl create cluster " + name + " failed (exit " + r.exit() + "): " + tail(r.said()));
            }
            awaitApiServer(name, kubectl, progress);
            holdIfAsked(progress, "control plane");
        } finally {
            try {
                Files.deleteIfExists(config); // kwokctl keeps its own copy in the cluster's folder
            } catch (IOException ignored) {
                // left in the work folder; down removes it
            }
        }
        phase(progress, "stages", "applying kwok's Stages and this project's");
        for (String stage : ControlPlane.STAGES) apply(kube, "-k", ControlPlane.stages().resolve(stage));
        // This project's own stages (a failing migration, a migration that takes time).
        apply(kube, "-f", repo.resolve("scripts/controlplane/stages"));
        holdIfAsked(progress, "stages");
        phase(progress, "nodes", "creating " + NODES + " fake nodes");
        var nodes = new StringBuilder();
        for (int i = 0; i < NODES; i++) nodes.append("---\n").append(Yaml.dump(node("kwok-node-" + i)));
        var n = kube.runWithInput(nodes.toString(), "apply", "-f", "-");
        Interrupts.parkIfStopping();
        if (!n.ok()) throw new Problem.Failed("could not create the fake nodes: " + n.said());
        holdIfAsked(progress, "nodes");
        phase(progress, "nodes ready", "waiting for the fake nodes to be Ready (kwok-controller marks them)");
        awaitNodesReady(name, kubectl, progress);
        // What status will ask: every process runs and the health endpoints say ok.
        Wait.whileMoving("every control-plane process of " + name + " to run and its /healthz to say ok", STALL, CEILING, progress, () -> {
            Interrupts.parkIfStopping();
            var missing = missingParts(name);
            return missing.isEmpty() ? null : String.join("; ", missing) + "; " + working(name, HEALTH_ENDPOINTS.toArray(String[]::new));
        });
        holdIfAsked(progress, "nodes ready");
        creation.unlessCancelled(() -> {
            try {
                return Files.writeString(readyMarker(name), "ready\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * What up starts or writes on this machine while it creates a cluster, kept in step with
     * a Ctrl-C's clean-up: the clean-up first cancels the creation and stops kwokctl, waiting
     * for it to exit; after that the creating thread starts and writes nothing. Without this,
     * kwokctl could start a control-plane process, or up write a file, after down had looked,
     * and whether anything was left behind would depend on the machine's speed.
     */
    static final class Creation {
        private boolean cancelled;
        private Process kwokctl;

        /** Runs a step that leaves something on the machine, unless cancelled; once cancelled, the caller waits for the JVM's end. */
        <T> T unlessCancelled(java.util.function.Supplier<T> step) {
            synchronized (this) {
                if (!cancelled && !Interrupts.stopping()) return step.get();
            }
            return parkForGood();
        }

        /** kwokctl create, in a session of its own (a Ctrl-C reaches up, not kwokctl), to its end; its output is collected. */
        Exec.Result run(List<String> cmd, Map<String, String> env, Duration timeout) {
            long t0 = System.nanoTime();
            var out = new StringBuffer();
            Process p = unlessCancelled(() -> {
                var full = new ArrayList<String>(List.of("setsid"));
                full.addAll(cmd);
                var pb = new ProcessBuilder(full).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.environment().putAll(env);
                try {
                    kwokctl = pb.start();
                } catch (IOException e) {
                    throw new Problem.ToolMissing("cannot run " + cmd.get(0) + ": " + Problem.rootMessage(e));
                }
                return kwokctl;
            });
            var pump = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) out.append(line).append('\n');
                } catch (IOException ignored) {
                    // closed with the process
                }
            }, "kwokctl-output");
            pump.setDaemon(true);
            pump.start();
            try {
                if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    p.waitFor();
                    out.append(cmd.get(0)).append(" timed out after ").append(timeout.toSeconds()).append(" s\n");
                }
                pump.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Problem.Interrupted("running " + cmd.get(0));
            }
            synchronized (this) {
                if (cancelled) parkForGood(); // the clean-up stopped it and is taking the cluster down
            }
            return new Exec.Result(cmd, p.exitValue(), out.toString(), "", (System.nanoTime() - t0) / 1_000_000);
        }

        /** From the clean-up: nothing more starts, and a running kwokctl is stopped (SIGTERM, then SIGKILL after 30 s) and waited for. */
        void cancel() {
            Process p;
            synchronized (this) {
                cancelled = true;
                p = kwokctl;
            }
            if (p == null || !p.isAlive()) return;
            System.err.println("stopping: kwokctl create (pid " + p.pid() + ") was asked to stop; waiting for it before removing what it started");
            p.destroy();
            try {
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static <T> T parkForGood() {
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("stopping");
                }
            }
        }
    }

    /** A control-plane process that exited while up waited for it. */
    static final class ComponentExited extends Problem.Failed {
        ComponentExited(String msg) { super(msg); }
    }

    /**
     * A machine-wide file lock, held while a cluster's control plane picks and binds its ports; it dies with its holder.
     * safety.java holds it too, to see an up wait for it.
     */
    interface Held extends AutoCloseable {
        @Override void close();
    }

    static Held portsLock(Consumer<String> progress) {
        Path f = workdir().resolve("locks").resolve("ports.lock");
        try {
            Files.createDirectories(f.getParent());
            var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            if (ch.tryLock() == null) {
                progress.accept("waiting for another cluster's up to bind its ports (" + f + ")");
                ch.lock();
            }
            return () -> {
                try {
                    ch.close(); // releases the lock
                } catch (IOException ignored) {
                    // the lock dies with the process anyway
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + f, e);
        }
    }

    /** How long a wait may see no change before it gives up, and how long it may take in all. */
    static final Duration STALL = Duration.ofSeconds(90);
    static final Duration CEILING = Duration.ofMinutes(8);

    /**
     * The API server's /readyz checks pass one by one while it starts, and it uses CPU while
     * it gets there: the wait goes on while either moves. A process that died ends it at once.
     */
    private static void awaitApiServer(String name, Path kubectl, Consumer<String> progress) {
        var own = new Kube(kubectl, context(name), ownKubeconfig(name));
        Wait.whileMoving("the API server of " + name + " to be ready (/readyz)", STALL, CEILING, progress, () -> {
            Interrupts.parkIfStopping();
            String working = working(name, "etcd", "kube-apiserver");
            if (!Files.isRegularFile(ownKubeconfig(name))) return "no kubeconfig yet; " + working;
            var r = own.run(Duration.ofSeconds(20), "get", "--raw", "/readyz?verbose", "--request-timeout=10s");
            if (r.ok()) return null;
            var failing = (r.out() + "\n" + r.err()).lines().filter(l -> l.contains("[-]")).map(String::strip).toList();
            return (failing.isEmpty() ? firstLine(r.said()) : "failing: " + String.join(", ", failing)) + "; " + working;
        });
    }

    /**
     * The CPU time each named component has used so far, as progress: on a loaded machine a
     * component may take minutes to get somewhere, and while it works it is not stuck. A
     * component that has exited fails the wait at once, naming it and its log.
     */
    private static String working(String name, String... components) {
        var parts = new ArrayList<String>();
        for (String c : components) {
            Long pid = readPid(clusterDir(name).resolve("pids").resolve(c + ".pid"));
            if (pid == null) {
                parts.add(c + " not started");
                continue;
            }
            long ticks = Daemons.cpuTicks(pid);
            if (ticks < 0 || Daemons.gone(pid)) {
                Path log = clusterDir(name).resolve("logs").resolve(c + ".log");
                String last;
                try {
                    last = tail(Files.readString(log));
                } catch (IOException | RuntimeException e) {
                    last = "(no log at " + log + ")";
                }
                throw new ComponentExited(c + " of cluster " + name + " (pid " + pid + ") exited while up waited for it; the end of its log: " + last);
            }
            parts.add(c + " used " + ticks + " CPU ticks");
        }
        return String.join(", ", parts);
    }

    /** Each node's Ready condition; a node appearing or a condition changing is progress. */
    private static void awaitNodesReady(String name, Path kubectl, Consumer<String> progress) {
        var own = new Kube(kubectl, context(name), ownKubeconfig(name));
        Wait.whileMoving(NODES + " fake nodes of " + name + " to be Ready", STALL, CEILING, progress, () -> {
            Interrupts.parkIfStopping();
            var r = own.run(Duration.ofSeconds(20), "get", "nodes", "--request-timeout=10s", "-o",
                    "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
            String working = working(name, "kube-apiserver", "kwok-controller");
            if (!r.ok()) return "cannot list nodes: " + firstLine(r.said()) + "; " + working;
            var states = r.out().lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
            boolean all = states.size() >= NODES && states.stream().allMatch(l -> l.endsWith("=True"));
            return all ? null : (states.isEmpty() ? "no nodes yet" : String.join(", ", states)) + "; " + working;
        });
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("(nothing said)");
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
            if (!r.ok()) throw new Problem.Failed("could not add context " + ctx + " to the kubeconfig: " + r.said());
        }
        progress.accept("added context " + ctx + " to " + (kubeconfig == null ? "the default kubeconfig" : kubeconfig.toString()));
    }


    private static boolean answers(Kube kube) {
        return kube.run(Duration.ofSeconds(20), "get", "--raw", "/readyz", "--request-timeout=10s").ok();
    }

    private static void apply(Kube kube, String how, Path what) {
        var r = kube.run("apply", how, what.toString());
        Interrupts.parkIfStopping(); // a Ctrl-C's clean-up is taking the cluster down: this failure is no news
        if (!r.ok()) throw new Problem.Failed("kubectl apply " + how + " " + what + ": " + r.said());
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

    /**
     * Takes a cluster's real nodes down, before its control plane, and returns how to list what
     * is left of them once the control plane is gone. The node wing gives it (WholeCluster): this
     * wing cannot name the wing above it.
     */
    @FunctionalInterface
    interface NodesDown {
        Supplier<List<String>> down(String cluster, Consumer<String> progress);
    }

    /** Stops every process of the cluster, its real nodes first, and removes its state; returns what the control plane held. */
    static Footprint down(String name, Path kubeconfig, NodesDown nodes, Consumer<String> progress) {
        checkName(name);
        try (var lock = ClusterLock.take(name, "cluster down")) {
            // A real node goes first, while the API answers: its kubelet stops the pods.
            var nodesLeft = nodes.down(name, progress);
            var footprint = downControlPlane(name, kubeconfig, progress);
            nodesLeft.get().forEach(l -> progress.accept("real node left behind: " + l));
            return footprint;
        }
    }

    private static Footprint downControlPlane(String name, Path kubeconfig, Consumer<String> progress) {
        // Proved before any signal, by this run and by kwokctl's: a pid file that names a
        // process that is not the cluster's is reported and removed, and the process left alone.
        disownForeignPidFiles(name, progress);
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
            progress.accept("no kwokctl at " + kwokctl + "; stopping the cluster's processes directly");
        }
        // kwokctl signals what it started and returns; wait for the processes to exit, and
        // end any that will not, so nothing is ever left behind. Each is proved the cluster's
        // again right before its signal: its pid may have been handed on meanwhile.
        for (long pid : footprint.pids()) if (!gone(pid) && notOurs(name, pid) == null) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        awaitGone(footprint.pids(), Duration.ofSeconds(15));
        for (long pid : footprint.pids()) if (!gone(pid) && notOurs(name, pid) == null) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitGone(footprint.pids(), Duration.ofSeconds(5));
        // A socket can outlive its process by a moment while the kernel tears it down.
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && footprint.ports().stream().anyMatch(Net.listeningPorts()::contains)) Wait.sleep(100);
        Dirs.deleteTree(clusterDir(name));
        return footprint;
    }

    /** Removes the pid files that name a live process which is not the cluster's, saying whose it is. */
    private static void disownForeignPidFiles(String name, Consumer<String> progress) {
        Path pidDir = clusterDir(name).resolve("pids");
        if (!Files.isDirectory(pidDir)) return;
        try (Stream<Path> files = Files.list(pidDir)) {
            for (Path f : files.toList()) {
                Long pid = readPid(f);
                if (pid == null || gone(pid)) continue;
                String why = notOurs(name, pid);
                if (why == null) continue;
                progress.accept("not ours: " + why + " (named by the stale pid file " + f + "); left alone");
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pidDir + ": " + e.getMessage(), e);
        }
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
        while (System.nanoTime() < end && !pids.stream().allMatch(KwokCluster::gone)) Wait.sleep(100);
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

    /**
     * The cluster's processes, and the ports they listen on: those its pid files name and
     * that are proved the cluster's (see notOurs), and any other that is proved so too.
     */
    static Footprint footprint(String name) {
        var pids = new LinkedHashSet<Long>();
        Path pidDir = clusterDir(name).resolve("pids");
        if (Files.isDirectory(pidDir)) {
            try (Stream<Path> files = Files.list(pidDir)) {
                for (Path f : files.toList()) {
                    Long pid = readPid(f); // null: a pid file being written or removed right now
                    if (pid != null && !gone(pid) && notOurs(name, pid) == null) pids.add(pid);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        pids.addAll(unlisted(name, pids));
        var ports = new LinkedHashSet<Integer>();
        for (long pid : pids) ports.addAll(Net.listeningPorts(pid));
        return new Footprint(pids, ports, clusterDir(name));
    }

    /** What of a footprint is still there: live processes, listening ports, the state folder, configs written for it. */
    static List<String> leftovers(Footprint f) {
        var left = new ArrayList<String>();
        String name = f.dir().getFileName().toString();
        var pids = new LinkedHashSet<>(f.pids());
        pids.addAll(unlisted(name, pids)); // started after the footprint was taken
        for (long pid : pids) {
            if (!gone(pid) && notOurs(name, pid) == null) left.add("process " + pid + " " + ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse(""));
        }
        var listening = Net.listeningPorts();
        for (int port : f.ports()) if (listening.contains(port)) left.add("port " + port + " still listening");
        if (Files.exists(f.dir())) left.add("folder " + f.dir());
        if (Files.isDirectory(workdir())) {
            try (Stream<Path> files = Files.list(workdir())) {
                files.filter(p -> p.getFileName().toString().startsWith(name + ".config")).forEach(p -> left.add("file " + p));
            } catch (IOException e) {
                left.add("cannot list " + workdir() + ": " + e.getMessage());
            }
        }
        return left;
    }

    /**
     * One line: running and whole, or what is wrong (half-built, a component missing or
     * unhealthy, not answering), or absent; asked through the cluster's own kubeconfig.
     */
    static String status(String name) {
        checkName(name);
        var c = check(name, Tools.kubectl(null));
        if (c.health() == Health.ABSENT) return "no kwok cluster " + name;
        var f = footprint(name);
        return "kwok cluster " + name + ": " + (c.health() == Health.READY ? "running" : describe(name, c)) + ", context " + context(name) + ", "
                + f.pids().size() + "/" + COMPONENTS.size() + " control-plane processes, ports " + f.ports() + ", state in " + clusterDir(name);
    }

    /**
     * Each node of the cluster and its state as `kubectl get nodes` words it: Ready or NotReady,
     * with SchedulingDisabled when it is cordoned (spec.unschedulable). Empty when the API
     * server does not answer (status says so already).
     */
    static java.util.LinkedHashMap<String, String> nodeStates(String name) {
        var out = new java.util.LinkedHashMap<String, String>();
        try {
            var kube = new Kube(Tools.kubectl(null), context(name), ownKubeconfig(name));
            for (var n : kube.list(null, "nodes", null)) out.put(Yaml.str(n, "metadata.name"), nodeState(n));
        } catch (RuntimeException e) {
            // no answer: the cluster's own status line says what is wrong
        }
        return out;
    }

    static String nodeState(Map<String, Object> node) {
        return (Kube.conditionTrue(node, "Ready") ? "Ready" : "NotReady")
                + (Boolean.TRUE.equals(Yaml.at(node, "spec.unschedulable")) ? ",SchedulingDisabled" : "");
    }

    private static String tail(String s) {
        return Text.lastLines(s, 5);
    }

    /**
     * GET https://127.0.0.1:PORT/healthz of a control-plane component: its serving certificate
     * is self-signed, and /healthz is open to anonymous callers, so nothing is trusted or sent
     * but the request itself, and only to loopback.
     */
    static final class Healthz {
        private Healthz() {}

        /** "ok", or what was said or went wrong instead. */
        static String get(int port) {
            try {
                var trustAll = new javax.net.ssl.X509TrustManager() {
                    @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
                    @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
                    @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
                };
                var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
                ssl.init(null, new javax.net.ssl.TrustManager[] {trustAll}, null);
                // HTTP/1.1: the components' Go servers answer a Java HTTP/2 client with GOAWAY.
                var client = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).sslContext(ssl)
                        .proxy(java.net.ProxySelector.of(null))
                        .connectTimeout(Duration.ofSeconds(5)).build();
                var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(10)).GET().build();
                var resp = client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
                String body = resp.body().strip();
                return resp.statusCode() == 200 ? body : "HTTP " + resp.statusCode() + " " + firstLine(body);
            } catch (java.net.ConnectException e) {
                return "connection refused";
            } catch (java.net.http.HttpTimeoutException e) {
                return "no answer in 10 s";
            } catch (IOException | java.security.GeneralSecurityException e) {
                return Problem.rootMessage(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
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
