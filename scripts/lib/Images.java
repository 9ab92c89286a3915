//SOURCES ImageArchive.java
//SOURCES DebianRootfs.java
//SOURCES AptSources.java
//SOURCES PythonEnv.java
//SOURCES HostPackages.java
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The local images: what each is built from, and the build. Used by {@code scripts/images.java}
 * and by whatever needs the images on a real node ({@link #build}).
 *
 * <p>An image is a stack of layers. Each layer has a key: the SHA-256 of everything it is made
 * from (pinned Debian packages, Python lock files, uv's version, file contents, and a recipe
 * version bumped when the way it is made changes). Layers and image archives are cached under
 * {@code Tools.cacheDir()/images/} by key, so a build with nothing changed only computes keys,
 * and a changed input rebuilds only the layers made from it and the archives that hold them.
 * One build runs at a time (a file lock); every product is written under a temporary name and
 * renamed when complete, so a killed build leaves nothing that looks finished.
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
    static final String DEBIAN_LOCK = "images/debian.lock";

    // ---------------------------------------------------------------- recipes

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
     * Debian packages extracted by mmdebstrap: section {@code rootfs} of images/debian.lock,
     * asking for {@code wants} (every dependency pinned there), then {@code ops}.
     */
    record DebianLayer(String rootfs, List<String> wants, List<Op> ops) implements Layer {
        public String createdBy() { return "mmdebstrap --variant=extract " + String.join(" ", wants) + " (images/debian.lock [" + rootfs + "])"; }
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

    private static final int ROOT = 0, APP = 1000, SERVICE = 999, PAUSE_UID = 65535;

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
    static FilesLayer standInApp(int revisions) {
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
                    new FilesLayer("postgres entrypoint (images/postgres/entrypoint.sh)", List.of(new Dir("usr/local/bin", 0755, ROOT, ROOT),
                            new File("usr/local/bin/postgres-entrypoint", null, "images/postgres/entrypoint.sh", 0755)))),
                    new ImageArchive.Config(SERVICE + ":" + SERVICE, List.of("/usr/local/bin/postgres-entrypoint"), List.of(),
                            List.of("PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin", "PGDATA=/var/lib/postgresql/data"),
                            "/var/lib/postgresql", List.of("5432/tcp"), labels("trevor-dev PostgreSQL 15", "15",
                            "Debian's postgresql-15; POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA as in the official image"), "SIGINT")),
            new Image("redis", REDIS, List.of(REDIS_ROOTFS,
                    new FilesLayer("redis entrypoint (images/redis/entrypoint.sh)", List.of(new Dir("usr/local/bin", 0755, ROOT, ROOT),
                            new File("usr/local/bin/redis-entrypoint", null, "images/redis/entrypoint.sh", 0755)))),
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

    // ---------------------------------------------------------------- cache

    /** {@code Tools.cacheDir()/images} (TREVOR_CACHE moves it with the other tools). */
    static Path cacheDir() { return Tools.cacheDir().resolve("images"); }

    /** One image's cache state, for {@code images.java list}. */
    record Status(Image image, String key, Path archive, boolean cached) {}

    static List<Status> status(Path repo, List<String> names) {
        var keys = new Keys(repo, cacheDir());
        var out = new ArrayList<Status>();
        for (Image img : select(names)) {
            Path a = keys.archive(img);
            out.add(new Status(img, keys.image(img), a, Files.isRegularFile(a)));
        }
        return out;
    }

    /** Content keys, computed once per run from the repository's files. */
    static final class Keys {
        final Path repo;
        final Path cache;
        private final Map<Layer, String> layerKeys = new HashMap<>();
        private DebianRootfs.Lock debian;

        Keys(Path repo, Path cache) {
            this.repo = repo;
            this.cache = cache;
        }

        DebianRootfs.Lock debian() {
            if (debian == null) debian = DebianRootfs.readLock(repo.resolve(DEBIAN_LOCK));
            return debian;
        }

        String layer(Layer l) {
            String k = layerKeys.get(l);
            if (k == null) {
                k = sha256Hex(describe(l));
                layerKeys.put(l, k);
            }
            return k;
        }

        /**
         * Everything a layer is made from, as text; its SHA-256 is the layer's key. The "/1" in
         * each first line is the recipe's version: bump it when the way a kind of layer is made
         * changes, so the cached ones are rebuilt.
         */
        String describe(Layer l) {
            var sb = new StringBuilder();
            if (l instanceof DebianLayer d) {
                var lock = debian();
                var section = lock.section(d.rootfs(), d.wants(), repo.resolve(DEBIAN_LOCK));
                sb.append("debian/1 ").append(lock.suite()).append(' ').append(lock.architecture()).append('\n');
                section.pins().forEach((p, v) -> sb.append(p).append('=').append(v).append('\n'));
                ops(sb, d.ops());
            } else if (l instanceof UvLayer) {
                sb.append("uv/1 ").append(PythonEnv.UV_VERSION).append(' ').append(PythonEnv.UV_WHEEL_SHA256).append('\n');
            } else if (l instanceof VenvLayer v) {
                sb.append("venv/1 uv ").append(PythonEnv.UV_VERSION).append(" python ").append(layer(v.python())).append('\n');
                for (String f : List.of("pyproject.toml", "uv.lock", "requirements.lock")) {
                    sb.append(f).append(' ').append(fileSha(v.project() + "/" + f)).append('\n');
                }
            } else if (l instanceof FilesLayer f) {
                sb.append("files/1\n");
                ops(sb, f.ops());
            }
            return sb.toString();
        }

        private void ops(StringBuilder sb, List<Op> ops) {
            for (Op op : ops) {
                sb.append(op instanceof File f && f.repoPath() != null
                        ? "File[" + f.path() + " mode=" + Integer.toOctalString(f.mode()) + " sha256=" + fileSha(f.repoPath()) + "]"
                        : op.toString()).append('\n');
            }
        }

        private String fileSha(String repoPath) {
            try {
                return sha256Hex(Files.readAllBytes(repo.resolve(repoPath)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + repo.resolve(repoPath), e);
            }
        }

        /** An image's key: its reference, config and layer keys. */
        String image(Image img) {
            var sb = new StringBuilder("image/1 ").append(img.ref()).append('\n').append(img.config()).append('\n');
            img.layers().forEach(l -> sb.append(layer(l)).append('\n'));
            return sha256Hex(sb.toString());
        }

        Path archive(Image img) {
            return cache.resolve("archives").resolve(img.name() + "-" + image(img).substring(0, 16) + ".tar");
        }
    }

    static String sha256Hex(String s) { return sha256Hex(s.getBytes(StandardCharsets.UTF_8)); }

    static String sha256Hex(byte[] b) { return HexFormat.of().formatHex(ImageArchive.sha256().digest(b)); }

    // ---------------------------------------------------------------- build

    /**
     * Builds the named images (all when empty) and returns image reference → docker-archive path,
     * in the order asked. Cached archives are returned at once; the rest are built, one build at a
     * time across processes. Building a Debian layer or the venv needs root; progress lines go to
     * {@code progress}. Failures are {@link Tools.ToolException}s that say what to do.
     */
    static Map<String, Path> build(Path repo, List<String> names, Consumer<String> progress) {
        return build(repo, names, progress, cacheDir());
    }

    /** As {@link #build(Path, List, Consumer)}, with the cache in {@code cache}. */
    static synchronized Map<String, Path> build(Path repo, List<String> names, Consumer<String> progress, Path cache) {
        var keys = new Keys(repo, cache);
        var images = select(names);
        var out = new LinkedHashMap<String, Path>();
        var todo = new ArrayList<Image>();
        for (Image img : images) {
            Path a = keys.archive(img);
            out.put(img.ref(), a);
            if (!Files.isRegularFile(a)) todo.add(img);
        }
        if (todo.isEmpty()) return out;
        locked(cache, progress, () -> {
            var builder = new Builder(keys, cache, progress);
            for (Image img : todo) {
                Path a = keys.archive(img);
                if (Files.isRegularFile(a)) continue; // the build we waited for made it
                long t0 = System.nanoTime();
                var layers = img.layers().stream().map(builder::layer).toList();
                ImageArchive.writeDockerArchive(a, img.ref(), img.config(), layers);
                removeOlderArchives(a, img);
                progress.accept(String.format(java.util.Locale.ROOT, "%s: archive written in %.1f s → %s", img.ref(),
                        (System.nanoTime() - t0) / 1e9, a));
            }
        });
        return out;
    }

    interface IoBody { void run() throws IOException; }

    /**
     * Runs body holding the cache's build lock (other processes wait), after removing what a
     * killed build left behind: under the lock, no temporary file is anyone's work in progress.
     */
    private static void locked(Path cache, Consumer<String> progress, IoBody body) {
        try {
            Files.createDirectories(cache.resolve("layers"));
            Files.createDirectories(cache.resolve("archives"));
            try (FileChannel ch = FileChannel.open(cache.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    progress.accept("waiting for another image build to finish…");
                    lock = ch.lock();
                }
                try {
                    removeStale(cache);
                    body.run();
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a killed build left behind. Runs under the build lock, so nothing here is in use. */
    private static void removeStale(Path cache) throws IOException {
        for (String dir : List.of("layers", "archives", "debs", "uv")) {
            Path d = cache.resolve(dir);
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (n.contains(".tmp-") || n.startsWith(".in-") || n.startsWith(".out-")) deleteTree(p);
                }
            }
        }
    }

    /** Older archives of the same image: only the newest is kept. */
    private static void removeOlderArchives(Path current, Image img) throws IOException {
        try (Stream<Path> s = Files.list(current.getParent())) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!p.equals(current) && n.startsWith(img.name() + "-") && n.endsWith(".tar")
                        && n.length() == current.getFileName().toString().length()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Builds layers on demand, each once, and remembers the result. */
    private static final class Builder {
        final Keys keys;
        final Path cache;
        final Consumer<String> progress;
        final Map<String, ImageArchive.Layer> done = new HashMap<>();

        Builder(Keys keys, Path cache, Consumer<String> progress) {
            this.keys = keys;
            this.cache = cache;
            this.progress = progress;
        }

        Path dir(Layer l) { return cache.resolve("layers").resolve(keys.layer(l)); }

        /** The layer, from the cache or built now. */
        ImageArchive.Layer layer(Layer l) {
            String key = keys.layer(l);
            var have = done.get(key);
            if (have != null) return have;
            Path dir = dir(l);
            var cached = readMeta(dir, l);
            if (cached == null || (l instanceof DebianLayer d && keepsTree(d) && !Files.isDirectory(dir.resolve("tree")))) {
                if (cached != null) deleteTree(dir); // made before its folder was needed: make it again, with the folder
                long t0 = System.nanoTime();
                progress.accept("building layer " + l.createdBy() + " [" + key.substring(0, 12) + "] …");
                cached = make(l, dir);
                progress.accept(String.format(java.util.Locale.ROOT, "  done in %.1f s (%d MB)", (System.nanoTime() - t0) / 1e9,
                        cached.size() / 1_000_000));
            }
            done.put(key, cached);
            return cached;
        }

        /** The python root filesystem's folder is kept: the venv is made inside it. */
        private boolean keepsTree(DebianLayer d) {
            return ALL.stream().flatMap(i -> i.layers().stream()).anyMatch(x -> x instanceof VenvLayer v && v.python().equals(d));
        }

        private ImageArchive.Layer make(Layer l, Path dir) {
            Path tmp = dir.resolveSibling(".tmp-" + dir.getFileName() + "-" + ProcessHandle.current().pid());
            Path tree = tmp.resolve("tree");
            try {
                deleteTree(tmp);
                Files.createDirectories(tmp);
                if (l instanceof DebianLayer d) {
                        requireRoot("the '" + d.rootfs() + "' root filesystem (mmdebstrap)");
                        var lock = keys.debian();
                        var section = lock.section(d.rootfs(), d.wants(), keys.repo.resolve(DEBIAN_LOCK));
                        Files.createDirectories(cache.resolve("debs"));
                        DebianRootfs.extract(lock, d.rootfs(), section, AptSources.forRelease(lock.suite()), tree, cache.resolve("debs"), progress);
                        apply(tree, d.ops(), keys.repo);
                } else if (l instanceof UvLayer) {
                        Path uv = PythonEnv.uv(cache.resolve("uv"), progress);
                        Path bin = tree.resolve("usr/local/bin");
                        Files.createDirectories(bin);
                        Files.copy(uv, bin.resolve("uv"));
                } else if (l instanceof VenvLayer v) {
                        requireRoot("the stand-in's virtual environment (uv sync in a chroot)");
                        layer(v.python());
                        Path pythonTree = dir(v.python()).resolve("tree");
                        Path project = keys.repo.resolve(v.project());
                        var pins = PythonEnv.parseRequirements(Files.readString(project.resolve("requirements.lock")));
                        Path wheels = cache.resolve("wheels");
                        PythonEnv.ensureWheels(pins, wheels, progress);
                        Path view = tmp.resolve("wheels");
                        PythonEnv.linkPinned(pins, wheels, view);
                        Path app = tree.resolve("app");
                        Files.createDirectories(app);
                        PythonEnv.syncVenv(pythonTree, PythonEnv.uv(cache.resolve("uv"), progress), project, view, cache.resolve("uv-cache"), app, progress);
                        deleteTree(view);
                } else if (l instanceof FilesLayer f) {
                        Files.createDirectories(tree);
                        apply(tree, f.ops(), keys.repo);
                }
                boolean rootOwned = l instanceof UvLayer || l instanceof FilesLayer; // made without chown
                var layer = ImageArchive.writeLayer(tree, tmp.resolve("layer.tar"), l.createdBy(), rootOwned);
                if (!(l instanceof DebianLayer d && keepsTree(d))) deleteTree(tree);
                Files.writeString(tmp.resolve("layer.meta"), layer.diffId() + "\n" + layer.size() + "\n");
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                return new ImageArchive.Layer(dir.resolve("layer.tar"), layer.diffId(), layer.size(), l.createdBy());
            } catch (IOException e) {
                deleteTree(tmp);
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                deleteTree(tmp);
                throw e;
            }
        }

        /** A finished layer's diff_id and size (layer.meta is written last, then the folder renamed). */
        private static ImageArchive.Layer readMeta(Path dir, Layer l) {
            Path meta = dir.resolve("layer.meta");
            if (!Files.isRegularFile(meta)) return null;
            try {
                var lines = Files.readAllLines(meta);
                return new ImageArchive.Layer(dir.resolve("layer.tar"), lines.get(0), Long.parseLong(lines.get(1)), l.createdBy());
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    private static void requireRoot(String what) {
        if (!"0".equals(HostPackages.uid())) {
            throw new Tools.ToolException("building " + what + " needs root (uid 0); this runs as uid " + HostPackages.uid()
                    + ". Run the build as root once; afterwards the cached images need no privileges.");
        }
    }

    /** Applies the ops to {@code tree}, in order. */
    static void apply(Path tree, List<Op> ops, Path repo) throws IOException {
        for (Op op : ops) {
            if (op instanceof Dir d) {
                Path p = tree.resolve(d.path());
                if (Files.isSymbolicLink(p)) Files.delete(p);
                Files.createDirectories(p);
                setOwnerAndMode(p, d.uid(), d.gid(), d.mode());
            } else if (op instanceof File f) {
                Path p = tree.resolve(f.path());
                Files.createDirectories(p.getParent());
                Files.deleteIfExists(p);
                if (f.repoPath() != null) Files.copy(repo.resolve(f.repoPath()), p);
                else Files.writeString(p, f.text());
                setOwnerAndMode(p, ROOT, ROOT, f.mode());
            } else if (op instanceof Link k) {
                Path p = tree.resolve(k.path());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) deleteTree(p);
                Files.deleteIfExists(p);
                Files.createSymbolicLink(p, Path.of(k.target()));
            } else if (op instanceof Prune pr) {
                for (String path : pr.paths()) deleteTree(tree.resolve(path));
            } else if (op instanceof BusyboxLinks) {
                busyboxLinks(tree);
            }
        }
    }

    private static void setOwnerAndMode(Path p, int uid, int gid, int mode) throws IOException {
        if ("0".equals(HostPackages.uid())) {
            Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    private static final List<String> PATH_DIRS = List.of("bin", "usr/bin", "sbin", "usr/sbin");

    /** /bin/NAME → busybox for each applet that no package of the tree provides in any PATH folder. */
    private static void busyboxLinks(Path tree) throws IOException {
        Path busybox = tree.resolve("bin/busybox");
        if (!Files.isExecutable(busybox)) throw new Tools.ToolException("no bin/busybox in " + tree + ": add busybox-static to the layer's packages");
        var r = Exec.run(List.of(busybox.toString(), "--list"), Duration.ofSeconds(30));
        if (!r.ok()) throw new Tools.ToolException("busybox --list failed: " + r.said());
        for (String applet : r.out().strip().lines().toList()) {
            if (applet.isBlank() || applet.contains("/")) continue;
            boolean provided = PATH_DIRS.stream().anyMatch(d -> Files.exists(tree.resolve(d).resolve(applet), LinkOption.NOFOLLOW_LINKS));
            if (!provided) Files.createSymbolicLink(tree.resolve("bin").resolve(applet), Path.of("busybox"));
        }
    }

    /** Removes a file or a whole folder (symlinks are removed, never followed); absent is fine. */
    static void deleteTree(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + p + ": " + e.getMessage(), e);
        }
    }

    /** Layers and archives no current image uses, plus leftovers of killed builds. Returns what was removed. */
    static List<Path> clean(Path repo, Consumer<String> progress) { return clean(repo, progress, cacheDir()); }

    static List<Path> clean(Path repo, Consumer<String> progress, Path cache) {
        var keys = new Keys(repo, cache);
        Set<String> layerKeys = new java.util.HashSet<>();
        Set<Path> archives = new java.util.HashSet<>();
        for (Image img : ALL) {
            img.layers().forEach(l -> layerKeys.add(keys.layer(l)));
            archives.add(keys.archive(img));
        }
        var removed = new ArrayList<Path>();
        locked(cache, progress, () -> {
            for (String sub : List.of("layers", "archives")) {
                Path d = cache.resolve(sub);
                if (!Files.isDirectory(d)) continue;
                try (Stream<Path> s = Files.list(d)) {
                    for (Path p : s.toList()) {
                        boolean keep = sub.equals("layers") ? layerKeys.contains(p.getFileName().toString()) : archives.contains(p);
                        if (!keep) {
                            deleteTree(p);
                            removed.add(p);
                        }
                    }
                }
            }
        });
        removed.forEach(p -> progress.accept("removed " + p));
        return removed;
    }
}
