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
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Proves the built images run for real, without a cluster: a private containerd (its own root,
 * state, socket and runc root in a temp folder, CRI disabled) imports the archives and runs them
 * with {@code ctr}, each read-only, as the image's non-root user, all in one network namespace
 * held by the pause image (like a pod's), so nothing listens on the host.
 *
 * <p>It checks: PostgreSQL accepts a password login over TCP; Redis answers PING; Alembic
 * upgrades to head with 1.0.0 (0001) then 2.0.0 (0002), and PostgreSQL holds each revision;
 * the broken tag exits non-zero with PostgreSQL's own error and leaves 0002 in place; the API
 * serves /health and /metrics as uid 1000 and cannot write outside /tmp; the ARQ worker runs a
 * job; without a writable /tmp the API exits with its own error; the sandbox exits on SIGTERM.
 * Everything it starts is stopped by PID and removed, and no mount or cgroup is left behind.
 */
final class ImageSmoke {

    /** A proof that did not hold; the message says what was expected and what happened. */
    static final class Failed extends RuntimeException {
        Failed(String m) { super(m); }
    }

    /** containerd and runc, as proven on this machine (see the real-node notes). */
    static final List<HostPackages.Pkg> PACKAGES = List.of(new HostPackages.Pkg("containerd", "1.6.20~ds1-1+deb12u3"),
            new HostPackages.Pkg("runc", "1.1.5+ds1-1+deb12u1"));

    private static final String NS = "trevor-images-smoke";
    private static final String DB_URL = "postgresql+asyncpg://trevor:trevor-dev@127.0.0.1:5432/trevor";
    private static final String REDIS_URL = "redis://127.0.0.1:6379/0";
    /** containerd's default capabilities (ctr takes no "ALL"): all dropped, as with drop: [ALL]. */
    private static final List<String> DEFAULT_CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
            "CAP_AUDIT_WRITE");
    /** The chart's migration command (helm/trevor values.yaml, migrations.command). */
    private static final List<String> MIGRATE = List.of("uv", "run", "alembic", "upgrade", "head");

    private final Path dir;
    private final Consumer<String> say;
    private final List<String> containers = new ArrayList<>();
    private final Map<String, String> refs = new LinkedHashMap<>();
    private Process containerd;
    private int execs;

    private ImageSmoke(Path dir, Consumer<String> say) {
        this.dir = dir;
        this.say = say;
    }

    static void run(Map<String, Path> archives, boolean keep, Consumer<String> say) {
        if (!"0".equals(HostPackages.uid())) throw new Tools.ToolException("the smoke test runs containerd and needs root");
        HostPackages.ensure("the image smoke test", PACKAGES, say);
        Path dir;
        try {
            dir = Files.createTempDirectory("trevor-images-smoke");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean runContainerdExisted = Files.exists(Path.of("/run/containerd"));
        var smoke = new ImageSmoke(dir, say);
        try {
            smoke.start();
            smoke.importImages(archives);
            smoke.prove();
            say.accept("smoke: every proof held");
        } finally {
            smoke.cleanUp(runContainerdExisted);
            if (keep) say.accept("smoke: logs kept in " + dir);
            else Dirs.deleteTreeOrFail(dir);
        }
    }

    // ---------------------------------------------------------------- containerd

    private Path sock() { return dir.resolve("containerd.sock"); }

    private void start() {
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
            throw new Tools.ToolException("cannot start containerd: " + e.getMessage());
        }
        say.accept("smoke: containerd pid " + containerd.pid() + ", socket " + sock());
        waitFor("containerd to answer", Duration.ofSeconds(30), () -> ctr("version").ok());
    }

    private Exec.Result ctr(String... args) { return ctr(Duration.ofMinutes(5), args); }

    private Exec.Result ctr(Duration timeout, String... args) {
        var cmd = new ArrayList<>(List.of("ctr", "--address", sock().toString(), "--namespace", NS));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, timeout);
    }

    private void importImages(Map<String, Path> archives) {
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
    static String normalize(String ref) {
        int slash = ref.indexOf('/');
        if (slash < 0) return "docker.io/library/" + ref;
        String first = ref.substring(0, slash);
        boolean host = first.contains(".") || first.contains(":") || first.equals("localhost");
        return host ? ref : "docker.io/" + ref;
    }

    // ---------------------------------------------------------------- containers

    /** A folder to mount, owned by uid:gid with this mode. */
    private Path volume(String name, int uid, int mode) {
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

    private static String bind(Path src, String dst) { return "type=bind,src=" + src + ",dst=" + dst + ",options=rbind:rw"; }

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

    private void runDetached(String id, String image, List<String> mounts, String netnsPid, List<String> env, List<String> command) {
        var a = runArgs(id, true, mounts, netnsPid, env);
        a.add(refs.get(image));
        a.add(id);
        a.addAll(command);
        var r = ctr(a.toArray(String[]::new));
        if (!r.ok()) throw new Failed("ctr run " + id + " failed: " + r.said());
        containers.add(id);
    }

    /** Runs a container to its end and returns what it said and its exit code. */
    private Exec.Result runToEnd(String id, String image, List<String> mounts, String netnsPid, List<String> env, List<String> command) {
        var a = runArgs(id, false, mounts, netnsPid, env);
        a.add(refs.get(image));
        a.add(id);
        a.addAll(command);
        containers.add(id); // in case --rm does not get to run
        return ctr(Duration.ofMinutes(3), a.toArray(String[]::new));
    }

    private Exec.Result exec(String container, String... command) {
        var a = new ArrayList<>(List.of("task", "exec", "--fifo-dir", dir.resolve("fifo").toString(), "--exec-id", "smoke-" + (++execs), container));
        a.addAll(List.of(command));
        return ctr(Duration.ofMinutes(2), a.toArray(String[]::new));
    }

    /** The PID of a running task; anything else fails the proof with the task's log. */
    private String taskPid(String id) {
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

    private String log(String id) {
        try {
            Path f = dir.resolve(id + ".log");
            return Files.exists(f) ? PythonEnv.tail(Files.readString(f)) : "(no log)";
        } catch (IOException e) {
            return "(unreadable log: " + e.getMessage() + ")";
        }
    }

    // ---------------------------------------------------------------- the proofs

    private void prove() {
        // the pod sandbox: holds the network namespace everything else joins
        runDetached("sandbox", Images.PAUSE, List.of(), null, List.of(), List.of());
        String net = taskPid("sandbox");
        say.accept("smoke: sandbox (pause) running, pid " + net + "; the other containers join its network namespace");

        Path pgTmp = volume("postgres-tmp", 0, 01777);
        runDetached("postgres", Images.POSTGRES, List.of(bind(volume("postgres-data", 999, 0700), "/var/lib/postgresql/data"),
                bind(volume("postgres-run", 999, 02775), "/run/postgresql"), bind(pgTmp, "/tmp")), net,
                List.of("POSTGRES_USER=trevor", "POSTGRES_PASSWORD=trevor-dev", "POSTGRES_DB=trevor"), List.of());
        waitFor("PostgreSQL to accept connections (pg_isready)", Duration.ofSeconds(90),
                () -> exec("postgres", "pg_isready", "-h", "127.0.0.1", "-U", "trevor", "-d", "trevor").ok());
        var login = exec("postgres", "env", "PGPASSWORD=trevor-dev", "psql", "-h", "127.0.0.1", "-U", "trevor", "-d", "trevor", "-Atc",
                "select current_user || ' ' || current_database() || ' ' || current_setting('server_version')");
        expect(login.ok() && login.out().startsWith("trevor trevor 15."), "a password login as trevor to database trevor over TCP", login);
        say.accept("smoke: PostgreSQL accepts a password login over TCP: " + login.out().strip());

        runDetached("redis", Images.REDIS, List.of(bind(volume("redis-data", 999, 0755), "/data")), net, List.of(), List.of());
        waitFor("Redis to answer PING", Duration.ofSeconds(30), () -> exec("redis", "redis-cli", "-h", "127.0.0.1", "ping").out().contains("PONG"));
        say.accept("smoke: Redis answers PING");

        migrate(Images.TREVOR_1, "migrate-1", net, "Running upgrade  -> 0001", "0001");
        migrate(Images.TREVOR_2, "migrate-2", net, "Running upgrade 0001 -> 0002", "0002");
        var broken = runToEnd("migrate-broken", Images.TREVOR_BROKEN, List.of(bind(volume("migrate-broken-tmp", 1000, 01777), "/tmp")), net,
                List.of("DATABASE_URL=" + DB_URL), MIGRATE);
        containers.remove("migrate-broken");
        expect(!broken.ok() && (broken.out() + broken.err()).contains("invalid input syntax for type numeric: \"free\""),
                "the broken tag's migration to exit non-zero with PostgreSQL's error", broken);
        say.accept("smoke: " + Images.TREVOR_BROKEN + " migration exited " + broken.exit() + ": "
                + firstMatch(broken.out() + broken.err(), l -> l.contains("invalid input syntax")));
        expectRevision("0002");

        runDetached("api", Images.TREVOR_2, List.of(bind(volume("api-tmp", 1000, 01777), "/tmp")), net, List.of(), List.of());
        waitFor("the API to answer /health", Duration.ofSeconds(90),
                () -> exec("api", "wget", "-qO-", "http://127.0.0.1:8000/health").out().contains("\"status\":\"ok\""));
        var health = exec("api", "wget", "-qO-", "http://127.0.0.1:8000/health");
        expect(health.out().contains("\"version\":\"2.0.0\""), "/health to report version 2.0.0", health);
        var metrics = exec("api", "wget", "-qO-", "http://127.0.0.1:8000/metrics");
        expect(metrics.out().contains("trevor_stand_in_health_checks_total"), "/metrics in Prometheus format", metrics);
        var uid = exec("api", "id", "-u");
        expect(uid.out().strip().equals("1000"), "the API to run as uid 1000", uid);
        var write = exec("api", "touch", "/app/written-by-smoke");
        expect(!write.ok() && write.said().contains("Read-only file system"), "a write outside /tmp to fail", write);
        var tmpWrite = exec("api", "touch", "/tmp/written-by-smoke");
        expect(tmpWrite.ok(), "a write under /tmp to succeed", tmpWrite);
        var status = exec("api", "cat", "/proc/self/status");
        expect(status.out().contains("CapBnd:\t0000000000000000") && status.out().matches("(?s).*Seccomp:\t2.*"),
                "no capabilities (empty bounding set) and a seccomp filter", status);
        say.accept("smoke: API /health " + health.out().strip() + "; /metrics ok; uid 1000; /app read-only ("
                + Kube.firstLine(write.said()) + "); /tmp writable; no capabilities, seccomp filtered");

        runDetached("worker", Images.TREVOR_2, List.of(bind(volume("worker-tmp", 1000, 01777), "/tmp")), net,
                List.of("REDIS_URL=" + REDIS_URL), List.of("uv", "run", "arq", "trevor.worker.WorkerSettings"));
        waitFor("the ARQ worker to start", Duration.ofSeconds(90), () -> log("worker").contains("Starting worker"));
        var enqueue = exec("api", "env", "REDIS_URL=" + REDIS_URL, "uv", "run", "python", "-c",
                "import asyncio, os\nfrom arq import create_pool\nfrom arq.connections import RedisSettings\n"
                        + "async def main():\n    pool = await create_pool(RedisSettings.from_dsn(os.environ['REDIS_URL']))\n"
                        + "    job = await pool.enqueue_job('ping', 'smoke')\n    print(await job.result(timeout=30))\n"
                        + "asyncio.run(main())\n");
        expect(enqueue.ok() && enqueue.out().contains("pong: smoke"), "the worker to run a job enqueued through Redis", enqueue);
        say.accept("smoke: ARQ worker started (" + firstMatch(log("worker"), l -> l.contains("Starting worker")) + ") and ran ping('smoke') → "
                + enqueue.out().strip());

        // the defect a simulated kubelet cannot show: no writable /tmp
        var noTmp = runToEnd("api-no-tmp", Images.TREVOR_2, List.of(), net, List.of(), List.of());
        containers.remove("api-no-tmp");
        expect(!noTmp.ok() && (noTmp.out() + noTmp.err()).contains("Read-only file system"),
                "the API without a writable /tmp to exit non-zero with its own error", noTmp);
        say.accept("smoke: API without /tmp exited " + noTmp.exit() + ": " + firstMatch(noTmp.out() + noTmp.err(), l -> l.contains("Read-only")));

        for (String id : List.of("worker", "api", "redis", "postgres")) stop(id);
        var sandboxExit = stop("sandbox");
        expect(sandboxExit == 0, "the sandbox to exit 0 on SIGTERM", new Exec.Result(List.of(), sandboxExit, "", log("sandbox"), 0));
        say.accept("smoke: every container stopped; the sandbox exited 0 on SIGTERM");
    }

    private void migrate(String image, String id, String net, String expectLine, String revision) {
        var r = runToEnd(id, image, List.of(bind(volume(id + "-tmp", 1000, 01777), "/tmp")), net, List.of("DATABASE_URL=" + DB_URL), MIGRATE);
        containers.remove(id);
        expect(r.ok() && (r.out() + r.err()).contains(expectLine), "alembic upgrade head of " + image + " to say '" + expectLine + "'", r);
        say.accept("smoke: " + image + " migration: " + firstMatch(r.out() + r.err(), l -> l.contains("Running upgrade")));
        expectRevision(revision);
    }

    private void expectRevision(String revision) {
        var v = exec("postgres", "psql", "-h", "/run/postgresql", "-U", "trevor", "-d", "trevor", "-Atc", "select version_num from alembic_version");
        expect(v.ok() && v.out().strip().equals(revision), "alembic_version to hold " + revision, v);
        say.accept("smoke: PostgreSQL alembic_version = " + v.out().strip());
    }

    /**
     * SIGTERM, wait until the task has stopped, remove task and container; returns the exit
     * status (ctr task delete names a non-zero one), or -1 when it did not stop within 60 s.
     */
    private int stop(String id) {
        ctr("task", "kill", "--signal", "SIGTERM", id);
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!taskStatus(id).equals("STOPPED") && System.nanoTime() < end) sleep(200);
        boolean stopped = taskStatus(id).equals("STOPPED");
        var d = ctr("task", "delete", "--force", id);
        ctr("container", "delete", id);
        containers.remove(id);
        if (!stopped) return -1;
        var m = java.util.regex.Pattern.compile("non-zero exit code (\\d+)").matcher(d.out() + d.err());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failed("interrupted");
        }
    }

    private static String firstMatch(String text, Predicate<String> p) {
        return text.lines().filter(p).findFirst().map(String::strip).orElse("(no such line)");
    }

    private static void expect(boolean ok, String what, Exec.Result r) {
        if (!ok) throw new Failed("expected " + what + "; exit " + r.exit() + ", output:\n" + PythonEnv.tail(r.out() + "\n" + r.err()));
    }

    private void waitFor(String what, Duration timeout, java.util.function.BooleanSupplier ok) {
        long end = System.nanoTime() + timeout.toNanos();
        long t0 = System.nanoTime();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) throw new Failed("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            sleep(300);
        }
        say.accept(String.format(java.util.Locale.ROOT, "smoke: %s: after %.1f s", what, (System.nanoTime() - t0) / 1e9));
    }

    // ---------------------------------------------------------------- cleanup

    /**
     * Stops what is left (containers, then containerd by its PID), then removes the cgroups,
     * mounts and /run/containerd entries this run made. Failures here are reported, not thrown.
     */
    private void cleanUp(boolean runContainerdExisted) {
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
    static List<String> mountsUnder(Path dir) {
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
