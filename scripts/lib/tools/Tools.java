//SOURCES Problem.java
//SOURCES ToolInstaller.java
//SOURCES ToolPins.java

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Resolves the external CLI tools this project drives (helm 3, helm 4, kubectl, just, go).
 *
 * <p>Order for each tool:
 * <ol>
 *   <li>an explicit path in its environment variable ({@code TREVOR_HELM3}, {@code TREVOR_HELM4},
 *       {@code TREVOR_KUBECTL}, {@code TREVOR_JUST}, {@code TREVOR_GO}); a value without a '/' is looked
 *       up on PATH; if it can't be found that is an error, never a silent fallback;</li>
 *   <li>a fitting binary on PATH, for go also {@code $GOROOT/bin/go} and {@code /usr/local/go/bin/go}
 *       (all skipped when {@code TREVOR_TOOLS_NO_PATH=1}); its version is asked once and cached by
 *       (path, size, mtime);</li>
 *   <li>the pinned binary in {@code <cacheDir>/tools/<name>-<version>/}, installed there once by
 *       {@link ToolInstaller}.</li>
 * </ol>
 *
 * <p>What is pinned (versions, sources, digests) is in {@link ToolPins}. The library never prints: status
 * lines go to the given {@code Consumer<String>}, failures are {@link Problem.ToolMissing}s whose message says what
 * to do. Scripts include it with {@code //SOURCES lib/Tools.java}, which brings the files it needs along; the
 * CLI is {@code scripts/tools.java}.
 */
public final class Tools {

    /** What {@link #locate} found. {@code source} is one of "env", "PATH", "cache", "downloaded". */
    public record Resolved(String id, Path path, String version, String source) {}

    private static final Map<String, Resolved> RESOLVED = new ConcurrentHashMap<>();
    /** A plain class rather than a lambda: keeps LambdaMetafactory off the warm path. */
    private static final Consumer<String> QUIET = new Consumer<String>() {
        @Override public void accept(String message) {}
    };

    private Tools() {}

    // ---------------------------------------------------------------- public API

    /** helm of the given major version (3 or 4). */
    public static Path helm(int major, Consumer<String> progress) {
        if (major != 3 && major != 4) throw new Problem.ToolMissing("helm " + major + " is not supported here: use 3 or 4");
        return resolve("helm" + major, progress);
    }

    public static Path kubectl(Consumer<String> progress) { return resolve("kubectl", progress); }

    /**
     * A go command of Go 1.26 or later: {@code $TREVOR_GO}, else a fitting go on PATH, in {@code $GOROOT/bin}
     * or in {@code /usr/local/go/bin}, else the pinned toolchain (Go 1.26.8, about 72 MB from the Go module
     * proxy, 215 MB unpacked), whose GOROOT is {@code <cacheDir>/tools/go-1.26.8/}. The path is always a
     * GOROOT's {@code bin/go} (or a binary named by {@code TREVOR_GO}), and go finds its GOROOT from its own
     * location: run it without {@code GOROOT} in its environment (a GOROOT inherited from the caller's shell
     * may belong to another Go and would win).
     */
    public static Path go(Consumer<String> progress) { return resolve("go", progress); }

    /** Path of the tool with this id ("helm3", "helm4", "kubectl", "just", "go"), fetching it if needed. */
    public static Path resolve(String id, Consumer<String> progress) { return locate(id, progress).path(); }

    /** The tool ids, in a stable order. */
    public static List<String> ids() { return ToolPins.ids(); }

    /** The environment variable that overrides this tool. */
    public static String envVar(String id) { return ToolPins.spec(id).envVar(); }

    /** {@code ${TREVOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trevor-chart-ops}} */
    public static Path cacheDir() {
        String c = env("TREVOR_CACHE");
        if (c != null) return Path.of(c).toAbsolutePath();
        String xdg = env("XDG_CACHE_HOME");
        Path base = xdg != null ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("trevor-chart-ops").toAbsolutePath();
    }

    /** {@code cacheDir()/tools} */
    public static Path toolsDir() { return cacheDir().resolve("tools"); }

    /** Resolves a tool and says where it came from. Results are memoized for the life of the JVM. */
    public static Resolved locate(String id, Consumer<String> progress) {
        ToolPins.Spec s = ToolPins.spec(id);
        Resolved r = RESOLVED.get(id);
        if (r != null) return r;
        r = doLocate(s, progress == null ? QUIET : progress);
        RESOLVED.put(id, r);
        return r;
    }

    /**
     * The pinned copy in the cache, downloading it if missing, whatever is on PATH (for prefetching a
     * CI cache). An explicit environment override still wins.
     */
    public static Resolved fetchPinned(String id, Consumer<String> progress) {
        ToolPins.Spec s = ToolPins.spec(id);
        Consumer<String> p = progress == null ? QUIET : progress;
        Resolved fromEnv = fromEnv(s);
        return fromEnv != null ? fromEnv : fromCache(s, p);
    }

    // ---------------------------------------------------------------- resolution

    private static Resolved doLocate(ToolPins.Spec s, Consumer<String> progress) {
        Resolved r = fromEnv(s);
        if (r != null) return r;
        if (!"1".equals(env("TREVOR_TOOLS_NO_PATH")) && !"true".equalsIgnoreCase(env("TREVOR_TOOLS_NO_PATH"))) {
            r = fromPath(s);
            if (r != null) return r;
        }
        return fromCache(s, progress);
    }

    private static Resolved fromEnv(ToolPins.Spec s) {
        String v = env(s.envVar());
        if (v == null) return null;
        Path p;
        if (v.indexOf('/') < 0 && v.indexOf('\\') < 0) {
            p = onPath(v).orElseThrow(() -> new Problem.ToolMissing(
                    s.envVar() + "=" + v + " but no executable '" + v + "' is on PATH. Fix: set " + s.envVar()
                    + " to the full path of a " + s.display() + " binary, or unset it to use a fitting "
                    + s.display() + " from PATH or the pinned " + s.bin() + " " + s.version()
                    + " from " + ToolPins.pinnedSource(s.id()) + "."));
        } else {
            p = Path.of(v).toAbsolutePath();
            if (!Files.exists(p)) {
                throw new Problem.ToolMissing(s.envVar() + "=" + v + " but that file does not exist. Fix: point "
                        + s.envVar() + " at a " + s.display() + " binary (e.g. " + s.envVar() + "=/usr/local/bin/"
                        + s.bin() + "), or unset it to use a fitting " + s.display() + " from PATH or the pinned "
                        + s.bin() + " " + s.version() + " from " + ToolPins.pinnedSource(s.id()) + ".");
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw new Problem.ToolMissing(s.envVar() + "=" + v + " is not an executable file. Fix: point "
                        + s.envVar() + " at the " + s.bin() + " binary itself (chmod +x if needed), or unset it.");
            }
        }
        return new Resolved(s.id(), p, null, "env");
    }

    private static Resolved fromPath(ToolPins.Spec s) {
        Optional<Path> found = onPath(s.bin());
        if (found.isPresent()) {
            Resolved r = ifFits(s, found.get());
            if (r != null) return r;
        }
        for (Path p : s.fit().otherPlaces()) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                Resolved r = ifFits(s, p.toAbsolutePath());
                if (r != null) return r;
            }
        }
        return null;
    }

    private static Resolved ifFits(ToolPins.Spec s, Path p) {
        String version = Probe.probeVersion(s, p);
        if (version != null && s.fit().fits(version)) return new Resolved(s.id(), p, version, "PATH");
        return null;
    }

    private static Resolved fromCache(ToolPins.Spec s, Consumer<String> progress) {
        if (ToolInstaller.isInstalled(s)) return new Resolved(s.id(), s.binary(), s.version(), "cache");
        String plat = ToolPins.platform();
        ToolPins.Source pkg = s.platforms().get(plat);
        if (pkg == null) {
            throw new Problem.ToolMissing("no " + s.display() + " found: nothing fitting on PATH and no pinned download for "
                    + plat + " (the pinned " + s.bin() + " " + s.version() + " comes from " + ToolPins.pinnedSource(s.id())
                    + "). Fix: install " + s.display() + " on PATH or set " + s.envVar() + "=/path/to/" + s.bin() + ".");
        }
        boolean downloaded = ToolInstaller.install(pkg, s, ToolPins.all(), progress);
        return new Resolved(s.id(), s.binary(), s.version(), downloaded ? "downloaded" : "cache");
    }

    // ---------------------------------------------------------------- PATH probing

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        List<String> names = ToolPins.WINDOWS ? List.of(name + ".exe", name + ".cmd", name) : List.of(name);
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            for (String n : names) {
                Path p = Path.of(dir, n);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p.toAbsolutePath());
            }
        }
        return Optional.empty();
    }

    /** Spawns processes: kept in its own class so that loading Tools stays cheap. */
    private static final class Probe {
        /** Asks a PATH binary its version, cached on disk by (real path, size, mtime). Null if unknown. */
        static String probeVersion(ToolPins.Spec s, Path p) {
            Path real;
            BasicFileAttributes attrs;
            try {
                real = p.toRealPath();
                attrs = Files.readAttributes(real, BasicFileAttributes.class);
            } catch (IOException e) {
                return null;
            }
            // StringBuilder, not '+': see ToolPins.Spec.dir()
            // "probe 2": kubectl's answer keeps its suffix since "-dispatcher" builds stopped fitting
            String stamp = new StringBuilder(s.id()).append("\nprobe 2\n").append(real.toString()).append('\n')
                    .append(attrs.size()).append('\n').append(attrs.lastModifiedTime().toMillis()).append('\n')
                    .toString();
            // The whole stamp is stored in the file and compared, so a hash collision only costs a probe.
            Path probeFile = toolsDir().resolve(".probes")
                    .resolve(s.id().concat("-").concat(Integer.toHexString(stamp.hashCode())));
            try {
                byte[] bytes = Files.readAllBytes(probeFile);
                String cached = new String(bytes, StandardCharsets.UTF_8);
                if (cached.startsWith(stamp)) {
                    String v = cached.substring(stamp.length()).strip();
                    return v.isEmpty() ? null : v;
                }
            } catch (IOException notCachedYet) {
                // probe below
            }
            return Spawn.askVersion(s, p, probeFile, stamp);
        }
    }

    /** The actual process spawn, in its own class (its verification loads the Process classes). */
    private static final class Spawn {
        static String askVersion(ToolPins.Spec s, Path p, Path probeFile, String stamp) {
            String v = null;
            List<String> cmd = new ArrayList<>();
            cmd.add(p.toString());
            cmd.addAll(s.fit().versionArgs());
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File(ToolPins.WINDOWS ? "NUL" : "/dev/null")));
                pb.environment().putAll(s.fit().versionEnv());
                Process proc = pb.start();
                byte[] out;
                try (InputStream in = proc.getInputStream()) {
                    out = readAtMost(in, 1 << 20);
                }
                if (!proc.waitFor(20, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                } else if (proc.exitValue() == 0) {
                    v = s.fit().parse(new String(out, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                return null; // can't run it: treat as not fitting, and don't cache
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            try {
                writeAtomically(probeFile, stamp + (v == null ? "" : v) + "\n");
            } catch (IOException ignored) {
                // a read-only cache only costs a probe next time
            }
            return v;
        }

        private static byte[] readAtMost(InputStream in, int max) throws IOException {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (bos.size() < max) bos.write(buf, 0, Math.min(n, max - bos.size()));
            }
            return bos.toByteArray();
        }
    }

    // ---------------------------------------------------------------- small helpers

    private static String env(String name) { return ToolPins.env(name); }

    private static void writeAtomically(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".tmp-", ".part");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
