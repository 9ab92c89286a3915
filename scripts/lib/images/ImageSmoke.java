//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES HostPackages.java
//SOURCES Images.java
//SOURCES ../kube/Kube.java
//SOURCES PrivateContainerd.java
//SOURCES ../tools/Problem.java
//SOURCES PythonEnv.java
//SOURCES ../tools/Wait.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Proves the built images run for real, without a cluster, in a {@link PrivateContainerd}.
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

    private static final String DB_URL = "postgresql+asyncpg://trevor:trevor-dev@127.0.0.1:5432/trevor";
    private static final String REDIS_URL = "redis://127.0.0.1:6379/0";
    /** The chart's migration command (helm/trevor values.yaml, migrations.command). */
    private static final List<String> MIGRATE = List.of("uv", "run", "alembic", "upgrade", "head");

    private final PrivateContainerd ctd;
    private final Consumer<String> say;

    private ImageSmoke(PrivateContainerd ctd, Consumer<String> say) {
        this.ctd = ctd;
        this.say = say;
    }

    static void run(Map<String, Path> archives, boolean keep, Consumer<String> say) {
        if (!"0".equals(HostPackages.uid())) throw new Problem.ToolMissing("the smoke test runs containerd and needs root");
        HostPackages.ensure("the image smoke test", PACKAGES, say);
        Path dir;
        try {
            dir = Files.createTempDirectory("trevor-images-smoke");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var ctd = new PrivateContainerd(dir, say);
        try {
            ctd.start();
            ctd.importImages(archives);
            new ImageSmoke(ctd, say).prove();
            say.accept("smoke: every proof held");
        } finally {
            ctd.cleanUp();
            if (keep) say.accept("smoke: logs kept in " + dir);
            else Dirs.deleteTreeOrFail(dir);
        }
    }

    private void prove() {
        // the pod sandbox: holds the network namespace everything else joins
        ctd.runDetached("sandbox", Images.PAUSE, List.of(), null, List.of(), List.of());
        String net = ctd.taskPid("sandbox");
        say.accept("smoke: sandbox (pause) running, pid " + net + "; the other containers join its network namespace");

        Path pgTmp = ctd.volume("postgres-tmp", 0, 01777);
        ctd.runDetached("postgres", Images.POSTGRES, List.of(bind(ctd.volume("postgres-data", 999, 0700), "/var/lib/postgresql/data"),
                bind(ctd.volume("postgres-run", 999, 02775), "/run/postgresql"), bind(pgTmp, "/tmp")), net,
                List.of("POSTGRES_USER=trevor", "POSTGRES_PASSWORD=trevor-dev", "POSTGRES_DB=trevor"), List.of());
        waitFor(say, "PostgreSQL to accept connections (pg_isready)", Duration.ofSeconds(90),
                () -> ctd.exec("postgres", "pg_isready", "-h", "127.0.0.1", "-U", "trevor", "-d", "trevor").ok());
        var login = ctd.exec("postgres", "env", "PGPASSWORD=trevor-dev", "psql", "-h", "127.0.0.1", "-U", "trevor", "-d", "trevor", "-Atc",
                "select current_user || ' ' || current_database() || ' ' || current_setting('server_version')");
        expect(login.ok() && login.out().startsWith("trevor trevor 15."), "a password login as trevor to database trevor over TCP", login);
        say.accept("smoke: PostgreSQL accepts a password login over TCP: " + login.out().strip());

        ctd.runDetached("redis", Images.REDIS, List.of(bind(ctd.volume("redis-data", 999, 0755), "/data")), net, List.of(), List.of());
        waitFor(say, "Redis to answer PING", Duration.ofSeconds(30),
                () -> ctd.exec("redis", "redis-cli", "-h", "127.0.0.1", "ping").out().contains("PONG"));
        say.accept("smoke: Redis answers PING");

        migrate(Images.TREVOR_1, "migrate-1", net, "Running upgrade  -> 0001", "0001");
        migrate(Images.TREVOR_2, "migrate-2", net, "Running upgrade 0001 -> 0002", "0002");
        var broken = ctd.runToEnd("migrate-broken", Images.TREVOR_BROKEN, List.of(bind(ctd.volume("migrate-broken-tmp", 1000, 01777), "/tmp")), net,
                List.of("DATABASE_URL=" + DB_URL), MIGRATE);
        expect(!broken.ok() && (broken.out() + broken.err()).contains("invalid input syntax for type numeric: \"free\""),
                "the broken tag's migration to exit non-zero with PostgreSQL's error", broken);
        say.accept("smoke: " + Images.TREVOR_BROKEN + " migration exited " + broken.exit() + ": "
                + firstMatch(broken.out() + broken.err(), l -> l.contains("invalid input syntax")));
        expectRevision("0002");

        ctd.runDetached("api", Images.TREVOR_2, List.of(bind(ctd.volume("api-tmp", 1000, 01777), "/tmp")), net, List.of(), List.of());
        waitFor(say, "the API to answer /health", Duration.ofSeconds(90),
                () -> ctd.exec("api", "wget", "-qO-", "http://127.0.0.1:8000/health").out().contains("\"status\":\"ok\""));
        var health = ctd.exec("api", "wget", "-qO-", "http://127.0.0.1:8000/health");
        expect(health.out().contains("\"version\":\"2.0.0\""), "/health to report version 2.0.0", health);
        var metrics = ctd.exec("api", "wget", "-qO-", "http://127.0.0.1:8000/metrics");
        expect(metrics.out().contains("trevor_stand_in_health_checks_total"), "/metrics in Prometheus format", metrics);
        var burn = ctd.exec("api", "wget", "-qO-", "http://127.0.0.1:8000/burn?ms=50");
        expect(burn.out().matches("(?s).*\"burned_ms\":(4[5-9]|5\\d|6\\d).*"), "/burn?ms=50 to burn about 50 ms of CPU", burn);
        var tooLong = ctd.exec("api", "wget", "-qO-", "http://127.0.0.1:8000/burn?ms=5000");
        expect(!tooLong.ok() && tooLong.said().contains("422"), "/burn?ms=5000 (over the 1000 ms cap) to be refused with 422", tooLong);
        var uid = ctd.exec("api", "id", "-u");
        expect(uid.out().strip().equals("1000"), "the API to run as uid 1000", uid);
        var write = ctd.exec("api", "touch", "/app/written-by-smoke");
        expect(!write.ok() && write.said().contains("Read-only file system"), "a write outside /tmp to fail", write);
        var tmpWrite = ctd.exec("api", "touch", "/tmp/written-by-smoke");
        expect(tmpWrite.ok(), "a write under /tmp to succeed", tmpWrite);
        var status = ctd.exec("api", "cat", "/proc/self/status");
        expect(status.out().contains("CapBnd:\t0000000000000000") && status.out().matches("(?s).*Seccomp:\t2.*"),
                "no capabilities (empty bounding set) and a seccomp filter", status);
        say.accept("smoke: API /health " + health.out().strip() + "; /metrics ok; /burn " + burn.out().strip() + ", over 1000 ms refused; uid 1000; /app read-only ("
                + Kube.firstLine(write.said()) + "); /tmp writable; no capabilities, seccomp filtered");

        ctd.runDetached("worker", Images.TREVOR_2, List.of(bind(ctd.volume("worker-tmp", 1000, 01777), "/tmp")), net,
                List.of("REDIS_URL=" + REDIS_URL), List.of("uv", "run", "arq", "trevor.worker.WorkerSettings"));
        waitFor(say, "the ARQ worker to start", Duration.ofSeconds(90), () -> ctd.log("worker").contains("Starting worker"));
        var enqueue = ctd.exec("api", "env", "REDIS_URL=" + REDIS_URL, "uv", "run", "python", "-c",
                "import asyncio, os\nfrom arq import create_pool\nfrom arq.connections import RedisSettings\n"
                        + "async def main():\n    pool = await create_pool(RedisSettings.from_dsn(os.environ['REDIS_URL']))\n"
                        + "    job = await pool.enqueue_job('ping', 'smoke')\n    print(await job.result(timeout=30))\n"
                        + "asyncio.run(main())\n");
        expect(enqueue.ok() && enqueue.out().contains("pong: smoke"), "the worker to run a job enqueued through Redis", enqueue);
        say.accept("smoke: ARQ worker started (" + firstMatch(ctd.log("worker"), l -> l.contains("Starting worker")) + ") and ran ping('smoke') → "
                + enqueue.out().strip());

        // the defect a simulated kubelet cannot show: no writable /tmp
        var noTmp = ctd.runToEnd("api-no-tmp", Images.TREVOR_2, List.of(), net, List.of(), List.of());
        expect(!noTmp.ok() && (noTmp.out() + noTmp.err()).contains("Read-only file system"),
                "the API without a writable /tmp to exit non-zero with its own error", noTmp);
        say.accept("smoke: API without /tmp exited " + noTmp.exit() + ": " + firstMatch(noTmp.out() + noTmp.err(), l -> l.contains("Read-only")));

        for (String id : List.of("worker", "api", "redis", "postgres")) ctd.stop(id);
        var sandboxExit = ctd.stop("sandbox");
        expect(sandboxExit == 0, "the sandbox to exit 0 on SIGTERM", new Exec.Result(List.of(), sandboxExit, "", ctd.log("sandbox"), 0));
        say.accept("smoke: every container stopped; the sandbox exited 0 on SIGTERM");
    }

    private void migrate(String image, String id, String net, String expectLine, String revision) {
        var r = ctd.runToEnd(id, image, List.of(bind(ctd.volume(id + "-tmp", 1000, 01777), "/tmp")), net, List.of("DATABASE_URL=" + DB_URL), MIGRATE);
        expect(r.ok() && (r.out() + r.err()).contains(expectLine), "alembic upgrade head of " + image + " to say '" + expectLine + "'", r);
        say.accept("smoke: " + image + " migration: " + firstMatch(r.out() + r.err(), l -> l.contains("Running upgrade")));
        expectRevision(revision);
    }

    private void expectRevision(String revision) {
        var v = ctd.exec("postgres", "psql", "-h", "/run/postgresql", "-U", "trevor", "-d", "trevor", "-Atc",
                "select version_num from alembic_version");
        expect(v.ok() && v.out().strip().equals(revision), "alembic_version to hold " + revision, v);
        say.accept("smoke: PostgreSQL alembic_version = " + v.out().strip());
    }

    private static String bind(Path src, String dst) { return "type=bind,src=" + src + ",dst=" + dst + ",options=rbind:rw"; }

    private static String firstMatch(String text, Predicate<String> p) {
        return text.lines().filter(p).findFirst().map(String::strip).orElse("(no such line)");
    }

    private static void expect(boolean ok, String what, Exec.Result r) {
        if (!ok) throw new Failed("expected " + what + "; exit " + r.exit() + ", output:\n" + PythonEnv.tail(r.out() + "\n" + r.err()));
    }

    /** Polls until ok holds; says how long it took. */
    static void waitFor(Consumer<String> say, String what, Duration timeout, BooleanSupplier ok) {
        long t0 = System.nanoTime();
        if (!Wait.poll(timeout, Duration.ofMillis(300), ok)) throw new Failed("timed out after " + timeout.toSeconds() + " s waiting for " + what);
        say.accept(String.format(java.util.Locale.ROOT, "smoke: %s: after %.1f s", what, (System.nanoTime() - t0) / 1e9));
    }
}
