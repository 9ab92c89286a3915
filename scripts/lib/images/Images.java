//SOURCES ImageArchive.java
//SOURCES PythonEnv.java

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The local images and what each is built from: its layers, and for each layer the Debian
 * packages, Python lock files or repository files it is made of. How they are built and
 * cached is {@link ImageBuild}; a layer's cache key is {@link ImageKeys}.
 */
final class Images {
    private Images() {}

    static final String PAUSE = "localhost/trevor-dev/pause:1";
    static final String POSTGRES = "localhost/trevor-dev/postgres:15";
    static final String REDIS = "localhost/trevor-dev/redis:7";
    static final String TREVOR_1 = "trevor:1.0.0";
    static final String TREVOR_2 = "trevor:2.0.0";
    static final String TREVOR_BROKEN = "trevor:3.0.0-broken";

    /** The stand-in's source (NOT trevor), relative to the repository. */
    static final String STAND_IN = "scripts/tests/fixtures/trevor-stand-in";
    static final String DEBIAN_LOCK = "scripts/images/debian.lock";

    /** One change made to a layer's folder before it is packed. */
    sealed interface Op permits Dir, File, Link, Prune, BusyboxLinks {}
    /** A folder with this mode and owner (created or changed). */
    record Dir(String path, int mode, int uid, int gid) implements Op {}
    /** A file from text or from a repository file ({@code repoPath}), with mode; owned by root. */
    record File(String path, String text, String repoPath, int mode) implements Op {}
    record Link(String path, String target) implements Op {}
    /** Removes these paths (files or whole folders) when present. */
    record Prune(List<String> paths) implements Op {}
    /** A symlink to /bin/busybox for each busybox applet no package provides (sh, sleep…). */
    record BusyboxLinks() implements Op {}

    sealed interface Layer permits DebianLayer, UvLayer, VenvLayer, FilesLayer {
        /** What the image history says about this layer. */
        String createdBy();
    }

    /**
     * Debian packages extracted by mmdebstrap: section {@code rootfs} of scripts/images/debian.lock,
     * asking for {@code wants} (every dependency pinned there), then {@code ops}.
     */
    record DebianLayer(String rootfs, List<String> wants, List<Op> ops) implements Layer {
        public String createdBy() { return "mmdebstrap --variant=extract " + String.join(" ", wants) + " (scripts/images/debian.lock [" + rootfs + "])"; }
    }

    /** /usr/local/bin/uv from the pinned uv wheel. */
    record UvLayer() implements Layer {
        public String createdBy() { return "uv " + PythonEnv.UV_VERSION + " (PyPI wheel, sha256 " + PythonEnv.UV_WHEEL_SHA256.substring(0, 12) + "…)"; }
    }

    /** /app/.venv: {@code uv sync --locked} of {@code project} inside the {@code python} root filesystem. */
    record VenvLayer(DebianLayer python, String project) implements Layer {
        public String createdBy() { return "uv sync --locked " + project + " (requirements.lock, uv.lock)"; }
    }

    /** Files from the repository (and small generated ones), all owned by root. */
    record FilesLayer(String what, List<Op> ops) implements Layer {
        public String createdBy() { return what; }
    }

    record Image(String name, String ref, List<Layer> layers, ImageArchive.Config config) {}

    /** Owner of every file a layer's ops write. */
    static final int ROOT = 0;
    private static final int APP = 1000, SERVICE = 999, PAUSE_UID = 65535;

    /** What every Debian layer gets: no docs or host files, mount points, users, busybox applets. */
    private static List<Op> debianBase(String passwdUser, int uid, String home) {
        return List.of(
                new Prune(List.of("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale",
                        "var/cache/apt", "var/cache/debconf", "var/lib/apt", "var/log", "etc/apt",
                        // mmdebstrap copies these from the host; the runtime provides its own
                        "etc/resolv.conf", "etc/hostname")),
                new Dir("tmp", 01777, ROOT, ROOT), new Dir("proc", 0555, ROOT, ROOT), new Dir("sys", 0555, ROOT, ROOT),
                new Dir("dev", 0755, ROOT, ROOT), new Dir("run", 0755, ROOT, ROOT), new Dir("root", 0700, ROOT, ROOT),
                new Dir("var", 0755, ROOT, ROOT), new Link("var/run", "/run"),
                new File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" + passwdUser + ":x:" + uid + ":" + uid + "::" + home
                        + ":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", null, 0644),
                new File("etc/group", "root:x:0:\n" + passwdUser + ":x:" + uid + ":\nnogroup:x:65534:\n", null, 0644),
                new File("etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n", null, 0644),
                new BusyboxLinks());
    }

    private static List<Op> concat(List<Op> a, Op... b) {
        var out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    /**
     * Perl and locale sources come in through postgresql-common, adduser and debconf: their
     * maintainer scripts need them, and those never run in an extracted root filesystem.
     */
    private static final Prune NO_PERL = new Prune(List.of("usr/share/perl", "usr/share/perl5", "usr/lib/x86_64-linux-gnu/perl",
            "usr/lib/x86_64-linux-gnu/perl-base", "usr/lib/x86_64-linux-gnu/perl5", "usr/bin/perl", "usr/bin/perl5.36.0",
            "usr/lib/x86_64-linux-gnu/libperl.so.5.36", "usr/lib/x86_64-linux-gnu/libperl.so.5.36.0", "usr/share/i18n"));

    static final DebianLayer PAUSE_ROOTFS = new DebianLayer("pause", List.of("busybox-static"),
            debianBase("pause", PAUSE_UID, "/"));

    static final DebianLayer PYTHON_ROOTFS = new DebianLayer("python", List.of("python3.11", "libstdc++6", "busybox-static"),
            concat(debianBase("app", APP, "/tmp"), new Dir("app", 0755, ROOT, ROOT)));

    static final DebianLayer POSTGRES_ROOTFS = new DebianLayer("postgres", List.of("postgresql-15", "postgresql-client-15", "busybox-static"),
            concat(debianBase("postgres", SERVICE, "/var/lib/postgresql"),
                    // JIT is off in this image (the entrypoint says jit=off): LLVM and Z3 were most of its size
                    new Prune(List.of("usr/lib/x86_64-linux-gnu/libLLVM-14.so.1", "usr/lib/llvm-14", "usr/lib/postgresql/15/lib/llvmjit.so",
                            "usr/lib/postgresql/15/lib/llvmjit_types.bc", "usr/lib/postgresql/15/lib/bitcode",
                            "usr/lib/x86_64-linux-gnu/libz3.so.4")),
                    NO_PERL,
                    new Dir("var/lib/postgresql", 0755, SERVICE, SERVICE), new Dir("var/lib/postgresql/data", 0700, SERVICE, SERVICE),
                    new Dir("run/postgresql", 02775, SERVICE, SERVICE)));

    static final DebianLayer REDIS_ROOTFS = new DebianLayer("redis", List.of("redis-server", "busybox-static"),
            concat(debianBase("redis", SERVICE, "/data"), NO_PERL, new Dir("data", 0755, SERVICE, SERVICE)));

    private static final List<String> STAND_IN_ENV = List.of("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp",
            "XDG_CACHE_HOME=/tmp/.cache", "UV_CACHE_DIR=/tmp/.cache/uv", "UV_NO_SYNC=1", "UV_PYTHON_DOWNLOADS=never",
            "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1");

    private static Image standIn(String tag, int revisions) {
        var env = new ArrayList<>(STAND_IN_ENV);
        env.add("TREVOR_VERSION=" + tag);
        return new Image("trevor-" + tag, "trevor:" + tag,
                List.of(PYTHON_ROOTFS, new UvLayer(), new VenvLayer(PYTHON_ROOTFS, STAND_IN), standInApp(revisions)),
                new ImageArchive.Config(APP + ":" + APP, List.of("uv", "run", "uvicorn", "trevor.main:app", "--host", "0.0.0.0", "--port", "8000"),
                        List.of(), env, "/app", List.of("8000/tcp"), labels("trevor stand-in (NOT trevor)", tag,
                        "Test fixture with the shape the helm/trevor chart assumes; see " + STAND_IN + "/README.md"), null));
    }

    /** The stand-in's files, with migrations 0001…{@code revisions}. */
    private static FilesLayer standInApp(int revisions) {
        var ops = new ArrayList<Op>(List.of(new Dir("app", 0755, ROOT, ROOT), new Dir("app/trevor", 0755, ROOT, ROOT),
                new Dir("app/migrations", 0755, ROOT, ROOT), new Dir("app/migrations/versions", 0755, ROOT, ROOT)));
        for (String f : List.of("README.md", "pyproject.toml", "uv.lock", "alembic.ini", "trevor/__init__.py", "trevor/main.py",
                "trevor/worker.py", "migrations/env.py")) {
            ops.add(new File("app/" + f, null, STAND_IN + "/" + f, 0644));
        }
        for (int i = 1; i <= revisions; i++) ops.add(new File("app/migrations/versions/" + revisionFile(i), null,
                STAND_IN + "/migrations/versions/" + revisionFile(i), 0644));
        return new FilesLayer("trevor stand-in app, migrations 0001-" + String.format("%04d", revisions), ops);
    }

    private static String revisionFile(int i) {
        return switch (i) {
            case 1 -> "0001_create_items.py";
            case 2 -> "0002_items_done.py";
            case 3 -> "0003_broken_price.py";
            default -> throw new IllegalArgumentException("no revision " + i);
        };
    }

    private static Map<String, String> labels(String title, String version, String description) {
        var m = new LinkedHashMap<String, String>();
        m.put("org.opencontainers.image.title", title);
        m.put("org.opencontainers.image.version", version);
        m.put("org.opencontainers.image.description", description);
        return m;
    }

    /** Every image, in build order. */
    static final List<Image> ALL = List.of(
            new Image("pause", PAUSE, List.of(PAUSE_ROOTFS),
                    new ImageArchive.Config(PAUSE_UID + ":" + PAUSE_UID,
                            // sleeps until SIGTERM/SIGINT, then exits 0: the pod sandbox's only job
                            List.of("/bin/busybox", "sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"),
                            List.of(), List.of("PATH=/bin"), "/", List.of(), labels("trevor-dev pod sandbox (pause)", "1",
                            "Sleeps until signalled; built from busybox-static"), null)),
            new Image("postgres", POSTGRES, List.of(POSTGRES_ROOTFS,
                    new FilesLayer("postgres entrypoint (scripts/images/postgres/entrypoint.sh)", List.of(new Dir("usr/local/bin", 0755, ROOT, ROOT),
                            new File("usr/local/bin/postgres-entrypoint", null, "scripts/images/postgres/entrypoint.sh", 0755)))),
                    new ImageArchive.Config(SERVICE + ":" + SERVICE, List.of("/usr/local/bin/postgres-entrypoint"), List.of(),
                            List.of("PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin", "PGDATA=/var/lib/postgresql/data"),
                            "/var/lib/postgresql", List.of("5432/tcp"), labels("trevor-dev PostgreSQL 15", "15",
                            "Debian's postgresql-15; POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA as in the official image"), "SIGINT")),
            new Image("redis", REDIS, List.of(REDIS_ROOTFS,
                    new FilesLayer("redis entrypoint (scripts/images/redis/entrypoint.sh)", List.of(new Dir("usr/local/bin", 0755, ROOT, ROOT),
                            new File("usr/local/bin/redis-entrypoint", null, "scripts/images/redis/entrypoint.sh", 0755)))),
                    new ImageArchive.Config(SERVICE + ":" + SERVICE, List.of("/usr/local/bin/redis-entrypoint"), List.of(),
                            List.of("PATH=/usr/local/bin:/usr/bin:/bin"), "/data", List.of("6379/tcp"), labels("trevor-dev Redis 7", "7",
                            "Debian's redis-server; arguments are passed to redis-server, REDIS_PASSWORD sets requirepass"), null)),
            // the stand-in's tags and the Alembic revisions each carries (see the fixture's README)
            standIn("1.0.0", 1),
            standIn("2.0.0", 2),
            standIn("3.0.0-broken", 3));

    /**
     * The images named (by name, reference, or "trevor" for every stand-in tag); all when empty.
     * Unknown names are an IllegalArgumentException that lists the known ones.
     */
    static List<Image> select(List<String> names) {
        if (names == null || names.isEmpty()) return ALL;
        var out = new LinkedHashSet<Image>();
        for (String n : names) {
            var hit = ALL.stream().filter(i -> i.name().equals(n) || i.ref().equals(n) || (n.equals("trevor") && i.name().startsWith("trevor-"))).toList();
            if (hit.isEmpty()) {
                throw new IllegalArgumentException("no image '" + n + "'; images are " + String.join(", ", ALL.stream().map(Image::name).toList())
                        + " (or their references, or 'trevor' for every stand-in tag)");
            }
            out.addAll(hit);
        }
        return List.copyOf(out);
    }
}
