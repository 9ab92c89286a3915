//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES ImageArchive.java
//SOURCES ../tools/Text.java

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * The Python side of the stand-in image: uv itself and the pinned wheels, both fetched from PyPI
 * by the host's own pip (its index, certificates and proxies, never an index named here), every
 * file checked against the SHA-256 in {@code requirements.lock}; and the project's virtual
 * environment, made by uv inside the image's own root filesystem so that every path in it is the
 * path it has in the container.
 */
final class PythonEnv {
    private PythonEnv() {}

    /** uv, from its PyPI wheel (which carries the binary). */
    static final String UV_VERSION = "0.13.9";
    /** SHA-256 of uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl. */
    static final String UV_WHEEL_SHA256 = "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19";

    /** The image's interpreter (Debian's python3.11) and the wheel tags it takes. */
    static final String PYTHON = "/usr/bin/python3.11";
    private static final List<String> TARGET = target();

    /**
     * pip download's flags for the image: CPython 3.11 wheels for glibc 2.36 (bookworm) on x86_64.
     * pip takes each platform tag literally, so every manylinux tag glibc 2.36 can run is listed.
     */
    private static List<String> target() {
        var t = new ArrayList<>(List.of("--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"));
        for (int minor = 36; minor >= 5; minor--) t.addAll(List.of("--platform", "manylinux_2_" + minor + "_x86_64"));
        for (String legacy : List.of("manylinux2014", "manylinux2010", "manylinux1")) t.addAll(List.of("--platform", legacy + "_x86_64"));
        return List.copyOf(t);
    }

    /** The interpreter whose pip downloads: $TREVOR_PYTHON, else python3 on PATH. */
    static String hostPython() {
        String p = System.getenv("TREVOR_PYTHON");
        return p == null || p.isBlank() ? "python3" : p;
    }

    /** One line of requirements.lock: an exact version and the SHA-256 of the one file used. */
    record Pin(String name, String version, String sha256) {}

    private static final Pattern REQ = Pattern.compile("^([A-Za-z0-9][A-Za-z0-9._-]*)==(\\S+)");
    private static final Pattern HASH = Pattern.compile("--hash=sha256:([0-9a-f]{64})");

    /** The pins of a requirements file in pip's hash-checking format (continuation lines joined). */
    static List<Pin> parseRequirements(String text) {
        var out = new ArrayList<Pin>();
        String joined = text.replace("\\\n", " ");
        for (String line : joined.lines().toList()) {
            String l = line.replaceFirst("(^|\\s)#.*$", "").strip();
            Matcher m = REQ.matcher(l);
            if (!m.find()) continue;
            Matcher h = HASH.matcher(l);
            if (!h.find()) throw new IllegalArgumentException("requirements.lock: " + m.group(1) + " has no --hash=sha256:");
            out.add(new Pin(m.group(1), m.group(2), h.group(1)));
        }
        return out;
    }

    static String sha256Hex(Path f) {
        var md = ImageArchive.sha256();
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 → file, for every wheel in the folder. */
    private static Map<String, Path> byHash(Path dir) {
        var out = new HashMap<String, Path>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".whl")).toList()) out.put(sha256Hex(f), f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Makes sure {@code wheels} holds a file with each pin's hash, downloading the missing ones
     * with pip, which refuses any file whose hash differs.
     */
    static void ensureWheels(List<Pin> pins, Path wheels, Consumer<String> progress) {
        var have = byHash(wheels);
        var missing = pins.stream().filter(p -> !have.containsKey(p.sha256())).toList();
        if (!missing.isEmpty()) {
            progress.accept("pip download " + missing.size() + " of " + pins.size() + " pinned wheels (hash-checked)");
            pipDownload(missing, wheels);
            var now = byHash(wheels);
            var still = missing.stream().filter(p -> !now.containsKey(p.sha256())).map(p -> p.name() + "==" + p.version()).toList();
            if (!still.isEmpty()) throw new Problem.ToolMissing("pip downloaded no file with the pinned hash for " + still);
        }
    }

    /**
     * A fresh folder {@code view} holding (hard links to) exactly the pinned files of
     * {@code wheels}: what uv installs from, so no other file in the cache can stand in for one.
     */
    static void linkPinned(List<Pin> pins, Path wheels, Path view) {
        var files = byHash(wheels);
        try {
            Files.createDirectories(view);
            for (Pin p : pins) {
                Path f = files.get(p.sha256());
                if (f == null) throw new Problem.ToolMissing("no wheel with the pinned hash for " + p.name() + "==" + p.version());
                Files.createLink(view.resolve(f.getFileName()), f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pipDownload(List<Pin> pins, Path dir) {
        try {
            Path req = Files.createTempFile("trevor-pins", ".txt");
            try {
                var sb = new StringBuilder();
                pins.forEach(p -> sb.append(p.name()).append("==").append(p.version()).append(" --hash=sha256:").append(p.sha256()).append('\n'));
                Files.writeString(req, sb);
                pipDownload(req, dir);
            } finally {
                Files.deleteIfExists(req);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** pip download of a hash-pinned requirements file into dir, for the image's platform. */
    private static void pipDownload(Path requirements, Path dir) {
        var cmd = new ArrayList<>(List.of(hostPython(), "-m", "pip", "download", "--no-deps", "--require-hashes",
                "--disable-pip-version-check", "--no-input", "-q", "-d", dir.toString(), "-r", requirements.toString()));
        cmd.addAll(TARGET);
        Exec.Result r;
        try {
            Files.createDirectories(dir);
            r = Exec.run(cmd, null, Map.of(), Duration.ofMinutes(15), null);
        } catch (Problem.ToolMissing e) {
            throw new Problem.ToolMissing("no " + hostPython() + " to run pip with: install python3-pip, or set TREVOR_PYTHON to an interpreter that has pip");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!r.ok()) {
            throw new Problem.ToolMissing("pip download (the host's pip, its own index configuration) failed: " + tail(r.said())
                    + "\nCheck that `" + hostPython() + " -m pip download` can reach your Python package index, or set"
                    + " TREVOR_PYTHON to an interpreter whose pip can.");
        }
    }

    /** The uv binary, from its pinned wheel; kept under {@code dir}/uv-VERSION/uv. */
    static Path uv(Path dir, Consumer<String> progress) {
        Path bin = dir.resolve("uv-" + UV_VERSION).resolve("uv");
        if (Files.isExecutable(bin)) return bin;
        Path wheels = dir.resolve("uv-wheel");
        var pin = new Pin("uv", UV_VERSION, UV_WHEEL_SHA256);
        ensureWheels(List.of(pin), wheels, progress);
        Path wheel = byHash(wheels).get(UV_WHEEL_SHA256);
        Path tmp = dir.resolve(".uv-" + UV_VERSION + ".tmp-" + ProcessHandle.current().pid());
        try (var zip = new ZipFile(wheel.toFile())) {
            var entry = zip.getEntry("uv-" + UV_VERSION + ".data/scripts/uv");
            if (entry == null) throw new Problem.ToolMissing(wheel + " has no uv-" + UV_VERSION + ".data/scripts/uv");
            Files.createDirectories(tmp);
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp.resolve("uv"));
            }
            Files.setPosixFilePermissions(tmp.resolve("uv"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, bin.getParent(), StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
            Dirs.deleteTreeOrFail(tmp); // another build put it there first
        } catch (IOException e) {
            Dirs.deleteTreeOrFail(tmp);
            throw new UncheckedIOException(e);
        }
        return bin;
    }

    /**
     * Runs {@code uv sync --locked --offline} for {@code project} inside {@code root} (the image's
     * root filesystem, with python3.11 and busybox), writing the environment to {@code app}/.venv:
     * {@code app} is bind-mounted at /app in a private mount namespace, so the venv's interpreter
     * link, script shebangs and bytecode all name /app/.venv. Nothing is mounted outside that
     * namespace, and it ends with the command. Needs root.
     */
    static void syncVenv(Path root, Path uvBinary, Path project, Path wheels, Path uvCache, Path app, Consumer<String> progress) {
        String script = """
                R=$1
                mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
                mkdir -p "$R/tmp/src/wheels" "$R/tmp/uv-cache" "$R/tmp/bin"
                mount --bind "$2" "$R/app"
                mount --bind "$3" "$R/tmp/src/wheels"
                mount --bind "$4" "$R/tmp/uv-cache"
                mount -t proc proc "$R/proc"
                cp "$5" "$R/tmp/bin/uv"
                cp "$6/pyproject.toml" "$6/uv.lock" "$R/tmp/src/"
                exec chroot "$R" /bin/busybox env -i PATH=/usr/bin:/bin HOME=/tmp UV_CACHE_DIR=/tmp/uv-cache \\
                  UV_PROJECT_ENVIRONMENT=/app/.venv UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1 \\
                  /tmp/bin/uv sync --project /tmp/src --locked --offline --no-install-project --compile-bytecode --python "$7"
                """;
        try {
            Files.createDirectories(uvCache);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var cmd = List.of("unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-ec", script, "sh",
                root.toString(), app.toString(), wheels.toString(), uvCache.toString(), uvBinary.toString(), project.toString(), PYTHON);
        var r = Exec.run(cmd, null, Map.of(), Duration.ofMinutes(10), null);
        if (!r.ok()) throw new Problem.ToolMissing("uv sync in the image's root filesystem failed: " + tail(r.said()));
        progress.accept("uv sync: " + r.said().lines().filter(l -> l.startsWith("Installed") || l.startsWith("Bytecode")).toList());
    }

    // ---------------------------------------------------------------- re-pinning

    /** pip's index for uv's resolver: PIP_INDEX_URL, pip's configured index-url, else pip's built-in default. */
    static String pipIndexUrl() {
        String env = System.getenv("PIP_INDEX_URL");
        if (env != null && !env.isBlank()) return env.strip();
        var r = Exec.run(List.of(hostPython(), "-m", "pip", "config", "list"), Duration.ofSeconds(60));
        // "global.index-url='…'" or ":env:.index-url='…'", never extra-index-url
        Matcher m = Pattern.compile("(?m)^[^\\s=]*\\.index-url='([^']+)'").matcher(r.out());
        if (r.ok() && m.find()) return m.group(1);
        var d = Exec.run(List.of(hostPython(), "-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"), Duration.ofSeconds(60));
        if (!d.ok() || d.out().isBlank()) throw new Problem.ToolMissing("cannot ask " + hostPython() + "'s pip for its index: " + d.said());
        return d.out().strip();
    }

    /** The certificate bundle pip is configured with (PIP_CERT or pip's cert setting), or null. */
    static String pipCert() {
        String env = System.getenv("PIP_CERT");
        if (env != null && !env.isBlank()) return env.strip();
        var r = Exec.run(List.of(hostPython(), "-m", "pip", "config", "list"), Duration.ofSeconds(60));
        Matcher m = Pattern.compile("(?m)^[^\\s=]*\\.cert='([^']+)'").matcher(r.out());
        return r.ok() && m.find() ? m.group(1) : null;
    }

    /**
     * Re-pins the project: uv resolves pyproject.toml for the image's interpreter (linux x86_64,
     * CPython {@code pythonVersion}) against pip's index; pip downloads the chosen wheels; then
     * {@code requirements.lock} gets the exact file hashes and {@code uv.lock} is written by uv
     * against the folder of those wheels (so it names no index).
     */
    static void lock(Path project, String pythonVersion, Path uvBinary, Path wheels, Path uvCache, Consumer<String> progress) {
        try {
            Path work = Files.createTempDirectory("trevor-lock");
            try {
                Path candidates = work.resolve("candidates.txt");
                var env = new LinkedHashMap<String, String>();
                env.put("UV_CACHE_DIR", uvCache.toString());
                env.put("UV_PYTHON_DOWNLOADS", "never");
                String cert = pipCert();
                if (cert != null) env.put("SSL_CERT_FILE", cert);
                progress.accept("uv pip compile for CPython " + pythonVersion + " on linux x86_64 (pip's index)");
                var r = Exec.run(List.of(uvBinary.toString(), "pip", "compile", project.resolve("pyproject.toml").toString(),
                        "--python-version", pythonVersion, "--python-platform", "x86_64-manylinux_2_36", "--only-binary", ":all:",
                        "--generate-hashes", "--no-header", "--no-annotate", "--index-url", pipIndexUrl(), "-o", candidates.toString()),
                        work, env, Duration.ofMinutes(10), null);
                if (!r.ok()) throw new Problem.ToolMissing("uv pip compile failed: " + tail(r.said()));
                var candidatePins = parseCandidates(Files.readString(candidates));
                pipDownload(candidates, wheels);
                var chosen = new ArrayList<Pin>();
                var files = byHash(wheels);
                for (var c : candidatePins.entrySet()) {
                    String[] nv = c.getKey().split("==", 2);
                    String hash = c.getValue().stream().filter(files::containsKey).findFirst()
                            .orElseThrow(() -> new Problem.ToolMissing("pip downloaded no wheel for " + c.getKey()));
                    chosen.add(new Pin(nv[0], nv[1], hash));
                }
                var sb = new StringBuilder("""
                        # The trevor stand-in's Python packages (NOT trevor): one wheel per package, pinned by
                        # version and SHA-256, for CPython on linux x86_64. Written by
                        # `./jbang scripts/images.java lock --python`; pip checks every hash when it downloads.
                        """);
                for (Pin p : chosen) sb.append(p.name()).append("==").append(p.version()).append(" --hash=sha256:").append(p.sha256()).append('\n');
                Files.writeString(project.resolve("requirements.lock"), sb);
                // uv.lock, resolved against a folder holding exactly these wheels
                Path src = work.resolve("src"), only = src.resolve("wheels");
                Files.createDirectories(only);
                for (Pin p : chosen) Files.createLink(only.resolve(files.get(p.sha256()).getFileName()), files.get(p.sha256()));
                Files.copy(project.resolve("pyproject.toml"), src.resolve("pyproject.toml"));
                var l = Exec.run(List.of(uvBinary.toString(), "lock", "--offline", "--no-index", "--find-links", "wheels"), src, env,
                        Duration.ofMinutes(5), null);
                if (!l.ok()) throw new Problem.ToolMissing("uv lock failed: " + tail(l.said()));
                Files.copy(src.resolve("uv.lock"), project.resolve("uv.lock"), StandardCopyOption.REPLACE_EXISTING);
                progress.accept("pinned " + chosen.size() + " packages in " + project.resolve("requirements.lock") + " and uv.lock");
            } finally {
                Dirs.deleteTreeOrFail(work);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** name==version → its allowed hashes, from uv's --generate-hashes output. */
    private static Map<String, List<String>> parseCandidates(String text) {
        var out = new LinkedHashMap<String, List<String>>();
        String joined = text.replace("\\\n", " ");
        for (String line : joined.lines().toList()) {
            Matcher m = REQ.matcher(line.strip());
            if (!m.find()) continue;
            var hashes = new ArrayList<String>();
            Matcher h = HASH.matcher(line);
            while (h.find()) hashes.add(h.group(1));
            out.put(m.group(1) + "==" + m.group(2), hashes);
        }
        return out;
    }

    static String tail(String s) {
        return Text.lastLines(s, 8);
    }
}
