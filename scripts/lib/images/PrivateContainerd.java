//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES PythonEnv.java
//SOURCES ../tools/Wait.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A containerd of the image smoke test's own: its root, state, socket and runc root in a temp
 * folder, CRI disabled, driven with {@code ctr}. Containers run read-only, as the image's own
 * user, with no capabilities and the default seccomp profile, in the network namespace of a
 * sandbox container (like a pod's), so nothing listens on the host. {@link #cleanUp} stops
 * everything it started by PID and removes the cgroups, mounts and /run/containerd entries
 * it made.
 */
final class PrivateContainerd {

    /** containerd did not do what was asked; the message says what and what it said. */
    static final class Failed extends RuntimeException {
        Failed(String m) { super(m); }
    }

    private static final String NS = "trevor-images-smoke";
    /** containerd's default capabilities (ctr takes no "ALL"): all dropped, as with drop: [ALL]. */
    private static final List<String> DEFAULT_CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
            "CAP_AUDIT_WRITE");

    private final Path dir;
    private final Consumer<String> say;
    /** Whether /run/containerd was there before: if not, cleanUp removes what is left of it. */
    private final boolean runContainerdExisted = Files.exists(Path.of("/run/containerd"));
    private final List<String> containers = new ArrayList<>();
    private final Map<String, String> refs = new LinkedHashMap<>();
    private Process containerd;
    private int execs;

    PrivateContainerd(Path dir, Consumer<String> say) {
        this.dir = dir;
        this.say = say;
    }

    private Path sock() { return dir.resolve("containerd.sock"); }

    void start() {
        String config = """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd-ttrpc.sock"
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                """.formatted(dir);
        try {
            Files.writeString(dir.resolve("config.toml"), config);
            var pb = new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile());
            containerd = pb.start();
        } catch (IOException e) {
            throw new Problem.ToolMissing("cannot start containerd: " + e.getMessage());
        }
        say.accept("smoke: containerd pid " + containerd.pid() + ", socket " + sock());
        long t0 = System.nanoTime();
        if (!Wait.poll(Duration.ofSeconds(30), Duration.ofMillis(300), () -> ctr("version").ok())) throw new Failed("timed out after 30 s waiting for containerd to answer");
        say.accept(String.format(java.util.Locale.ROOT, "smoke: containerd to answer: after %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    private Exec.Result ctr(String... args) { return ctr(Duration.ofMinutes(5), args); }

    private Exec.Result ctr(Duration timeout, String... args) {
        var cmd = new ArrayList<>(List.of("ctr", "--address", sock().toString(), "--namespace", NS));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, timeout);
    }

    void importImages(Map<String, Path> archives) {
        long t0 = System.nanoTime();
        for (var e : archives.entrySet()) {
            var r = ctr(Duration.ofMinutes(10), "images", "import", e.getValue().toString());
            if (!r.ok()) throw new Failed("ctr images import " + e.getValue() + " failed: " + r.said());
            refs.put(e.getKey(), normalize(e.getKey()));
        }
        var list = ctr("images", "ls", "-q").out();
        for (String name : refs.values()) {
            if (!list.lines().toList().contains(name)) throw new Failed("after import, containerd does not list " + name + ":\n" + list);
        }
        say.accept(String.format(java.util.Locale.ROOT, "smoke: imported %d images in %.1f s: %s", refs.size(),
                (System.nanoTime() - t0) / 1e9, String.join(", ", refs.values())));
    }

    /** How containerd names a reference: "trevor:1.0.0" is docker.io/library/trevor:1.0.0. */
    private static String normalize(String ref) {
        int slash = ref.indexOf('/');
        if (slash < 0) return "docker.io/library/" + ref;
        String first = ref.substring(0, slash);
        boolean host = first.contains(".") || first.contains(":") || first.equals("localhost");
        return host ? ref : "docker.io/" + ref;
    }

    // ---------------------------------------------------------------- containers

    /** A folder to mount, owned by uid (user and group) with this mode. */
    Path volume(String name, int uid, int mode) {
        Path p = dir.resolve("volumes").resolve(name);
        try {
            Files.createDirectories(p);
            Files.setAttribute(p, "unix:uid", uid);
            Files.setAttribute(p, "unix:gid", uid);
            Files.setAttribute(p, "unix:mode", mode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /**
     * ctr run: read-only root filesystem, the image's own user, a cgroup and runc root of ours,
     * in the sandbox's network namespace (unless this is the sandbox). Detached runs log to a file.
     */
    private List<String> runArgs(String id, boolean detach, List<String> mounts, String netnsPid, List<String> env) {
        // what Pod Security "restricted" asks of a pod: read-only root, no capabilities, the default seccomp profile
        var a = new ArrayList<>(List.of("run", "--read-only", "--seccomp", "--cgroup", "/" + NS + "/" + id,
                "--runc-root", dir.resolve("runc").toString(), "--fifo-dir", dir.resolve("fifo").toString()));
        for (String cap : DEFAULT_CAPS) a.addAll(List.of("--cap-drop", cap));
        if (detach) a.addAll(List.of("-d", "--log-uri", "file://" + dir.resolve(id + ".log")));
        else a.add("--rm");
        if (netnsPid != null) a.addAll(List.of("--with-ns", "network:/proc/" + netnsPid + "/ns/net"));
        for (String m : mounts) a.addAll(List.of("--mount", m));
        for (String e : env) a.addAll(List.of("--env", e));
        return a;
    }

    void runDetached(String id, String image, List<String> mounts, String netnsPid, List<String> env, List<String> command) {
        var a = runArgs(id, true, mounts, netnsPid, env);
        a.add(refs.get(image));
        a.add(id);
        a.addAll(command);
        var r = ctr(a.toArray(String[]::new));
        if (!r.ok()) throw new Failed("ctr run " + id + " failed: " + r.said());
        containers.add(id);
    }

    /** Runs a container to its end (--rm removes it) and returns what it said and its exit code. */
    Exec.Result runToEnd(String id, String image, List<String> mounts, String netnsPid, List<String> env, List<String> command) {
        var a = runArgs(id, false, mounts, netnsPid, env);
        a.add(refs.get(image));
        a.add(id);
        a.addAll(command);
        containers.add(id); // in case --rm does not get to run
        var r = ctr(Duration.ofMinutes(3), a.toArray(String[]::new));
        containers.remove(id);
        return r;
    }

    Exec.Result exec(String container, String... command) {
        var a = new ArrayList<>(List.of("task", "exec", "--fifo-dir", dir.resolve("fifo").toString(), "--exec-id", "smoke-" + (++execs), container));
        a.addAll(List.of(command));
        return ctr(Duration.ofMinutes(2), a.toArray(String[]::new));
    }

    /** The PID of a running task; anything else fails the proof with the task's log. */
    String taskPid(String id) {
        String[] f = task(id);
        if (f == null) throw new Failed("no task " + id + "; its log:\n" + log(id));
        if (!f[2].equals("RUNNING")) throw new Failed(id + " is " + f[2] + ", not RUNNING; its log:\n" + log(id));
        return f[1];
    }

    private String taskStatus(String id) {
        String[] f = task(id);
        return f == null ? "" : f[2];
    }

    /** The task's line of `ctr task ls` (TASK PID STATUS), or null. */
    private String[] task(String id) {
        for (String line : ctr("task", "ls").out().lines().skip(1).toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals(id)) return f;
        }
        return null;
    }

    String log(String id) {
        try {
            Path f = dir.resolve(id + ".log");
            return Files.exists(f) ? PythonEnv.tail(Files.readString(f)) : "(no log)";
        } catch (IOException e) {
            return "(unreadable log: " + e.getMessage() + ")";
        }
    }

    /**
     * SIGTERM, wait until the task has stopped, remove task and container; returns the exit
     * status (ctr task delete names a non-zero one), or -1 when it did not stop within 60 s.
     */
    int stop(String id) {
        ctr("task", "kill", "--signal", "SIGTERM", id);
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!taskStatus(id).equals("STOPPED") && System.nanoTime() < end) Wait.sleep(200);
        boolean stopped = taskStatus(id).equals("STOPPED");
        var d = ctr("task", "delete", "--force", id);
        ctr("container", "delete", id);
        containers.remove(id);
        if (!stopped) return -1;
        var m = java.util.regex.Pattern.compile("non-zero exit code (\\d+)").matcher(d.out() + d.err());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    // ---------------------------------------------------------------- cleanup

    /**
     * Stops what is left (containers, then containerd by its PID), then removes the cgroups,
     * mounts and /run/containerd entries this run made. Failures here are reported, not thrown.
     */
    void cleanUp() {
        if (containerd != null && containerd.isAlive()) {
            for (String id : new ArrayList<>(containers)) {
                ctr(Duration.ofSeconds(30), "task", "kill", "--signal", "SIGKILL", id);
                ctr(Duration.ofSeconds(30), "task", "delete", "--force", id);
                ctr(Duration.ofSeconds(30), "container", "delete", id);
            }
            containerd.destroy(); // SIGTERM to our containerd, by its PID
            try {
                if (!containerd.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) containerd.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String mount : mountsUnder(dir)) {
            var r = Exec.run(List.of("umount", mount), Duration.ofSeconds(30));
            if (!r.ok()) say.accept("smoke: could not unmount " + mount + ": " + r.said());
        }
        try (Stream<Path> ctrls = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path c : ctrls.toList()) removeCgroup(c.resolve(NS));
        } catch (IOException e) {
            say.accept("smoke: cannot list /sys/fs/cgroup: " + e.getMessage());
        }
        if (!runContainerdExisted && otherContainerd() == null) {
            // the shims' socket folder: ours are gone; only empty folders are removed
            for (String p : List.of("/run/containerd/s", "/run/containerd")) {
                try {
                    Files.deleteIfExists(Path.of(p));
                } catch (IOException notEmpty) {
                    say.accept("smoke: left " + p + " (not empty: " + notEmpty.getMessage() + ")");
                }
            }
        }
        var left = mountsUnder(dir);
        if (!left.isEmpty()) say.accept("smoke: mounts left behind: " + left);
    }

    /** The PID of a containerd or shim that is not ours (another real node may share /run/containerd), or null. */
    private static String otherContainerd() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String comm = Files.readString(p.resolve("comm")).strip();
                    if (comm.equals("containerd") || comm.startsWith("containerd-shim")) return p.getFileName().toString();
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            return "?";
        }
        return null;
    }

    private void removeCgroup(Path cg) {
        if (!Files.isDirectory(cg, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(cg)) {
            // cgroup folders go with rmdir, deepest first; their control files cannot be deleted
            for (Path d : s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                var r = Exec.run(List.of("rmdir", d.toString()), Duration.ofSeconds(10));
                if (!r.ok()) say.accept("smoke: could not remove cgroup " + d + ": " + r.said());
            }
        } catch (IOException e) {
            say.accept("smoke: cannot walk " + cg + ": " + e.getMessage());
        }
    }

    /** Mount points at or below dir, deepest first. */
    private static List<String> mountsUnder(Path dir) {
        try {
            var out = new ArrayList<String>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && (f[4].equals(dir.toString()) || f[4].startsWith(dir + "/"))) out.add(f[4]);
            }
            out.sort(Comparator.comparing(String::length).reversed());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
