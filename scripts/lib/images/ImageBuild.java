//SOURCES AptSources.java
//SOURCES DebianRootfs.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES HostPackages.java
//SOURCES ImageArchive.java
//SOURCES ImageKeys.java
//SOURCES Images.java
//SOURCES ../tools/Problem.java
//SOURCES PythonEnv.java
//SOURCES ../tools/Tools.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds the {@link Images}, used by {@code scripts/images.java} and by whatever needs the
 * images on a real node ({@link #build}).
 *
 * <p>An image is a stack of layers. Layers and image archives are cached under
 * {@code Tools.cacheDir()/images/} by their {@link ImageKeys content key}, so a build with
 * nothing changed only computes keys, and a changed input rebuilds only the layers made from it
 * and the archives that hold them. One build runs at a time (a file lock); every product is
 * written under a temporary name and renamed when complete, so a killed build leaves nothing
 * that looks finished.
 */
final class ImageBuild {
    private ImageBuild() {}

    // ---------------------------------------------------------------- cache

    /** {@code Tools.cacheDir()/images} (TREVOR_CACHE moves it with the other tools). */
    static Path cacheDir() { return Tools.cacheDir().resolve("images"); }

    /** One image's cache state, for {@code images.java list}. */
    record Status(Images.Image image, String key, Path archive, boolean cached) {}

    static List<Status> status(Path repo, List<String> names) {
        var keys = new ImageKeys(repo, cacheDir());
        var out = new ArrayList<Status>();
        for (Images.Image img : Images.select(names)) {
            Path a = keys.archive(img);
            out.add(new Status(img, keys.image(img), a, Files.isRegularFile(a)));
        }
        return out;
    }

    // ---------------------------------------------------------------- build

    /**
     * Builds the named images (all when empty) and returns image reference → docker-archive path,
     * in the order asked. Cached archives are returned at once; the rest are built, one build at a
     * time across processes. Building a Debian layer or the venv needs root; progress lines go to
     * {@code progress}. Failures are {@link Problem.ToolMissing}s that say what to do.
     */
    static Map<String, Path> build(Path repo, List<String> names, Consumer<String> progress) {
        return build(repo, names, progress, cacheDir());
    }

    /** As {@link #build(Path, List, Consumer)}, with the cache in {@code cache}. */
    static synchronized Map<String, Path> build(Path repo, List<String> names, Consumer<String> progress, Path cache) {
        var keys = new ImageKeys(repo, cache);
        var images = Images.select(names);
        var out = new LinkedHashMap<String, Path>();
        var todo = new ArrayList<Images.Image>();
        for (Images.Image img : images) {
            Path a = keys.archive(img);
            out.put(img.ref(), a);
            if (!Files.isRegularFile(a)) todo.add(img);
        }
        if (todo.isEmpty()) return out;
        locked(cache, progress, () -> {
            var builder = new Builder(keys, cache, progress);
            for (Images.Image img : todo) {
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

    private interface IoBody { void run() throws IOException; }

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
                    if (n.contains(".tmp-") || n.startsWith(".in-") || n.startsWith(".out-")) Dirs.deleteTreeOrFail(p);
                }
            }
        }
    }

    /** Older archives of the same image: only the newest is kept. */
    private static void removeOlderArchives(Path current, Images.Image img) throws IOException {
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
        final ImageKeys keys;
        final Path cache;
        final Consumer<String> progress;
        final Map<String, ImageArchive.Layer> done = new HashMap<>();

        Builder(ImageKeys keys, Path cache, Consumer<String> progress) {
            this.keys = keys;
            this.cache = cache;
            this.progress = progress;
        }

        Path dir(Images.Layer l) { return cache.resolve("layers").resolve(keys.layer(l)); }

        /** The layer, from the cache or built now. */
        ImageArchive.Layer layer(Images.Layer l) {
            String key = keys.layer(l);
            var have = done.get(key);
            if (have != null) return have;
            Path dir = dir(l);
            var cached = readMeta(dir, l);
            if (cached == null || (l instanceof Images.DebianLayer d && keepsTree(d) && !Files.isDirectory(dir.resolve("tree")))) {
                if (cached != null) Dirs.deleteTreeOrFail(dir); // made before its folder was needed: make it again, with the folder
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
        private boolean keepsTree(Images.DebianLayer d) {
            return Images.ALL.stream().flatMap(i -> i.layers().stream()).anyMatch(x -> x instanceof Images.VenvLayer v && v.python().equals(d));
        }

        private ImageArchive.Layer make(Images.Layer l, Path dir) {
            Path tmp = dir.resolveSibling(".tmp-" + dir.getFileName() + "-" + ProcessHandle.current().pid());
            Path tree = tmp.resolve("tree");
            try {
                Dirs.deleteTreeOrFail(tmp);
                Files.createDirectories(tmp);
                if (l instanceof Images.DebianLayer d) {
                    requireRoot("the '" + d.rootfs() + "' root filesystem (mmdebstrap)");
                    var lock = keys.debian();
                    var section = lock.section(d.rootfs(), d.wants(), keys.repo.resolve(Images.DEBIAN_LOCK));
                    Files.createDirectories(cache.resolve("debs"));
                    DebianRootfs.extract(lock, d.rootfs(), section, AptSources.forRelease(lock.suite()), tree, cache.resolve("debs"), progress);
                    apply(tree, d.ops(), keys.repo);
                } else if (l instanceof Images.UvLayer) {
                    Path uv = PythonEnv.uv(cache.resolve("uv"), progress);
                    Path bin = tree.resolve("usr/local/bin");
                    Files.createDirectories(bin);
                    Files.copy(uv, bin.resolve("uv"));
                } else if (l instanceof Images.VenvLayer v) {
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
                    Dirs.deleteTreeOrFail(view);
                } else if (l instanceof Images.FilesLayer f) {
                    Files.createDirectories(tree);
                    apply(tree, f.ops(), keys.repo);
                }
                boolean rootOwned = l instanceof Images.UvLayer || l instanceof Images.FilesLayer; // made without chown
                var layer = ImageArchive.writeLayer(tree, tmp.resolve("layer.tar"), l.createdBy(), rootOwned);
                if (!(l instanceof Images.DebianLayer d && keepsTree(d))) Dirs.deleteTreeOrFail(tree);
                Files.writeString(tmp.resolve("layer.meta"), layer.diffId() + "\n" + layer.size() + "\n");
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                return new ImageArchive.Layer(dir.resolve("layer.tar"), layer.diffId(), layer.size(), l.createdBy());
            } catch (IOException e) {
                Dirs.deleteTreeOrFail(tmp);
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                Dirs.deleteTreeOrFail(tmp);
                throw e;
            }
        }

        /** A finished layer's diff_id and size (layer.meta is written last, then the folder renamed). */
        private static ImageArchive.Layer readMeta(Path dir, Images.Layer l) {
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
            throw new Problem.ToolMissing("building " + what + " needs root (uid 0); this runs as uid " + HostPackages.uid()
                    + ". Run the build as root once; afterwards the cached images need no privileges.");
        }
    }

    /** Applies the ops to {@code tree}, in order. */
    private static void apply(Path tree, List<Images.Op> ops, Path repo) throws IOException {
        for (Images.Op op : ops) {
            if (op instanceof Images.Dir d) {
                Path p = tree.resolve(d.path());
                if (Files.isSymbolicLink(p)) Files.delete(p);
                Files.createDirectories(p);
                setOwnerAndMode(p, d.uid(), d.gid(), d.mode());
            } else if (op instanceof Images.File f) {
                Path p = tree.resolve(f.path());
                Files.createDirectories(p.getParent());
                Files.deleteIfExists(p);
                if (f.repoPath() != null) Files.copy(repo.resolve(f.repoPath()), p);
                else Files.writeString(p, f.text());
                setOwnerAndMode(p, Images.ROOT, Images.ROOT, f.mode());
            } else if (op instanceof Images.Link k) {
                Path p = tree.resolve(k.path());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) Dirs.deleteTreeOrFail(p);
                Files.deleteIfExists(p);
                Files.createSymbolicLink(p, Path.of(k.target()));
            } else if (op instanceof Images.Prune pr) {
                for (String path : pr.paths()) Dirs.deleteTreeOrFail(tree.resolve(path));
            } else if (op instanceof Images.BusyboxLinks) {
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
        if (!Files.isExecutable(busybox)) throw new Problem.ToolMissing("no bin/busybox in " + tree + ": add busybox-static to the layer's packages");
        var r = Exec.run(List.of(busybox.toString(), "--list"), Duration.ofSeconds(30));
        if (!r.ok()) throw new Problem.ToolMissing("busybox --list failed: " + r.said());
        for (String applet : r.out().strip().lines().toList()) {
            if (applet.isBlank() || applet.contains("/")) continue;
            boolean provided = PATH_DIRS.stream().anyMatch(d -> Files.exists(tree.resolve(d).resolve(applet), LinkOption.NOFOLLOW_LINKS));
            if (!provided) Files.createSymbolicLink(tree.resolve("bin").resolve(applet), Path.of("busybox"));
        }
    }

    /** Layers and archives no current image uses, plus leftovers of killed builds. Returns what was removed. */
    static List<Path> clean(Path repo, Consumer<String> progress) { return clean(repo, progress, cacheDir()); }

    static List<Path> clean(Path repo, Consumer<String> progress, Path cache) {
        var keys = new ImageKeys(repo, cache);
        Set<String> layerKeys = new java.util.HashSet<>();
        Set<Path> archives = new java.util.HashSet<>();
        for (Images.Image img : Images.ALL) {
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
                            Dirs.deleteTreeOrFail(p);
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
