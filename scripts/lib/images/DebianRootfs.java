//SOURCES ../tools/Problem.java
//SOURCES AptSources.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES HostPackages.java
//SOURCES ../kube/Kube.java
//SOURCES ../tools/Text.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Root filesystems made of Debian packages, extracted by mmdebstrap (variant "extract": the
 * packages' files, no maintainer scripts, no apt or dpkg state) from the host's own apt sources.
 *
 * <p>Every package of every root filesystem is pinned, dependencies included, in
 * {@code scripts/images/debian.lock}; a build installs exactly those versions or fails saying which one
 * the mirror no longer has. Downloaded .deb files are kept in a cache folder shared by all root
 * filesystems, so a package common to several is fetched once.
 */
final class DebianRootfs {
    private DebianRootfs() {}

    /** mmdebstrap, the one host package a root filesystem build needs (the version proven here). */
    static final HostPackages.Pkg MMDEBSTRAP = new HostPackages.Pkg("mmdebstrap", "1.3.5-7");

    /** One root filesystem of the lock: the packages asked for, and every package installed, pinned. */
    record Section(List<String> wants, Map<String, String> pins) {}

    /** {@code scripts/images/debian.lock}: release, architecture and the pinned sections by name. */
    record Lock(String suite, String architecture, Map<String, Section> sections) {
        Section section(String name, List<String> wants, Path file) {
            Section s = sections.get(name);
            if (s == null || !s.wants().equals(wants)) {
                throw new Problem.ToolMissing(file + " has " + (s == null ? "no section [" + name + "]" : "section [" + name
                        + "] for " + String.join(" ", s.wants())) + ", but the image wants " + String.join(" ", wants)
                        + ". Re-pin with: ./jbang scripts/images.java lock --debian");
            }
            return s;
        }
    }

    static final String LOCK_HEADER = """
            # Debian packages of the image root filesystems built by scripts/images.java, each pinned
            # with all its dependencies. A section is "[name] packages asked for", then one
            # "package version" line per package installed. Written by
            # `./jbang scripts/images.java lock --debian`: review the change, then commit it.
            """;

    static Lock parseLock(String text) {
        String suite = null, arch = null;
        var sections = new LinkedHashMap<String, Section>();
        Map<String, String> pins = null;
        for (String raw : text.lines().toList()) {
            String line = raw.replaceFirst("#.*$", "").strip();
            if (line.isEmpty()) continue;
            if (line.startsWith("[")) {
                int close = line.indexOf(']');
                if (close < 0) throw new IllegalArgumentException("debian.lock: bad section line: " + raw);
                String name = line.substring(1, close).strip();
                var wants = List.of(line.substring(close + 1).strip().split("\\s+")).stream().filter(s -> !s.isEmpty()).toList();
                pins = new LinkedHashMap<>();
                sections.put(name, new Section(wants, pins));
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 2) throw new IllegalArgumentException("debian.lock: expected 'name value', found: " + raw);
            if (pins != null) pins.put(f[0], f[1]);
            else if (f[0].equals("suite")) suite = f[1];
            else if (f[0].equals("architecture")) arch = f[1];
            else throw new IllegalArgumentException("debian.lock: unknown setting " + f[0]);
        }
        if (suite == null || arch == null) throw new IllegalArgumentException("debian.lock: 'suite' and 'architecture' are required");
        return new Lock(suite, arch, sections);
    }

    static String renderLock(Lock lock) {
        var sb = new StringBuilder(LOCK_HEADER).append("suite ").append(lock.suite()).append('\n')
                .append("architecture ").append(lock.architecture()).append('\n');
        lock.sections().forEach((name, s) -> {
            sb.append("\n[").append(name).append("] ").append(String.join(" ", s.wants())).append('\n');
            s.pins().forEach((p, v) -> sb.append(p).append(' ').append(v).append('\n'));
        });
        return sb.toString();
    }

    static Lock readLock(Path file) {
        try {
            return parseLock(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The file name apt gives a downloaded package: epoch colon escaped, e.g. busybox-static_1%3a1.35.0_amd64.deb. */
    static String debFileName(String pkg, String version, String arch) {
        return pkg + "_" + version.replace(":", "%3a") + "_" + arch + ".deb";
    }

    private static final Pattern VERSION_NOT_FOUND = Pattern.compile("Version '([^']+)' for '([^']+)' was not found");
    private static final Pattern UNABLE_TO_LOCATE = Pattern.compile("Unable to locate package ([^\\s=]+)");
    private static final Pattern INST = Pattern.compile("^Inst (\\S+) \\(([^ )]+)", Pattern.MULTILINE);

    private static List<String> mmdebstrap(String suite, String arch, List<String> include, List<String> extra, String target,
                                           List<AptSources.Source> sources) {
        var cmd = new ArrayList<>(List.of("mmdebstrap", "--mode=root", "--variant=extract", "--architectures=" + arch,
                "--include=" + String.join(",", include)));
        cmd.addAll(extra);
        cmd.add(suite);
        cmd.add(target);
        sources.forEach(s -> cmd.add(s.line()));
        return cmd;
    }

    /**
     * Extracts exactly the pinned packages into {@code target} (which must not exist yet), using and
     * filling {@code debCache}. Needs root (mmdebstrap's root mode).
     */
    static void extract(Lock lock, String name, Section section, List<AptSources.Source> sources, Path target, Path debCache,
                        Consumer<String> progress) {
        HostPackages.ensure("building image root filesystems", List.of(MMDEBSTRAP), progress);
        long pid = ProcessHandle.current().pid();
        Path in = debCache.resolve(".in-" + name + "-" + pid), out = debCache.resolve(".out-" + name + "-" + pid);
        try {
            Files.createDirectories(in);
            Files.createDirectories(out);
            int cached = 0;
            for (var e : section.pins().entrySet()) {
                for (String a : List.of(lock.architecture(), "all")) {
                    Path deb = debCache.resolve(debFileName(e.getKey(), e.getValue(), a));
                    if (Files.isRegularFile(deb)) {
                        Files.createLink(in.resolve(deb.getFileName()), deb);
                        cached++;
                    }
                }
            }
            progress.accept("mmdebstrap " + name + ": " + section.pins().size() + " pinned Debian packages (" + cached + " cached) from "
                    + sources.stream().map(s -> s.uri() + " " + s.suite()).distinct().toList());
            var include = section.pins().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
            var cmd = mmdebstrap(lock.suite(), lock.architecture(), include, List.of(
                    "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
                    "--setup-hook=sync-in " + in + " /var/cache/apt/archives/",
                    "--extract-hook=sync-out /var/cache/apt/archives " + out), target.toString(), sources);
            var r = Exec.run(cmd, null, Map.of(), Duration.ofMinutes(20), null);
            if (!r.ok()) throw new Problem.ToolMissing(explain(r, name, section));
            try (Stream<Path> debs = Files.list(out)) {
                for (Path d : debs.toList()) {
                    Path dest = debCache.resolve(d.getFileName());
                    if (!Files.exists(dest)) Files.move(d, dest, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Dirs.deleteTreeOrFail(in);
            Dirs.deleteTreeOrFail(out);
        }
    }

    /** mmdebstrap's failure, said the way a user can act on it. */
    static String explain(Exec.Result r, String name, Section section) {
        String all = r.out() + "\n" + r.err();
        Matcher m = VERSION_NOT_FOUND.matcher(all);
        var missing = new ArrayList<String>();
        while (m.find()) missing.add(m.group(2) + "=" + m.group(1));
        Matcher u = UNABLE_TO_LOCATE.matcher(all);
        while (u.find()) missing.add(u.group(1) + " (no such package)");
        if (!missing.isEmpty()) {
            return "the Debian mirror no longer has " + String.join(", ", missing) + ", pinned for the '" + name
                    + "' root filesystem in scripts/images/debian.lock. Debian mirrors keep only the newest version of each package;"
                    + " re-pin with `./jbang scripts/images.java lock --debian` (then review and commit scripts/images/debian.lock),"
                    + " or set TREVOR_APT_SOURCES to a file naming a snapshot mirror that still has these versions.";
        }
        var lines = all.strip().lines().toList();
        var errors = lines.stream().filter(l -> l.startsWith("E:")).toList();
        var show = errors.isEmpty() ? lines : errors;
        String tail = String.join("\n", Text.last(show, 8));
        return "mmdebstrap failed for the '" + name + "' root filesystem (exit " + r.exit() + "):\n" + tail;
    }

    /**
     * What apt would install for {@code wants} (hard dependencies, no recommends), as package →
     * version, in apt's order: the lock's content for one root filesystem. Nothing is downloaded.
     */
    static Map<String, String> resolve(String suite, String arch, List<String> wants, List<AptSources.Source> sources) {
        HostPackages.ensure("pinning image root filesystems", List.of(MMDEBSTRAP), s -> {});
        Path tmp;
        try {
            tmp = Files.createTempDirectory("trevor-resolve");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            var cmd = mmdebstrap(suite, arch, wants, List.of("--simulate", "--verbose"), tmp.resolve("root").toString(), sources);
            var r = Exec.run(cmd, null, Map.of(), Duration.ofMinutes(10), null);
            if (!r.ok()) throw new Problem.ToolMissing("mmdebstrap --simulate for " + wants + " failed: " + Kube.firstLine(r.said()));
            return parseSimulation(r.out() + "\n" + r.err());
        } finally {
            Dirs.deleteTreeOrFail(tmp);
        }
    }

    /** "Inst NAME (VERSION …" lines of apt's simulation, in order. */
    static Map<String, String> parseSimulation(String output) {
        var pins = new LinkedHashMap<String, String>();
        Matcher m = INST.matcher(output);
        while (m.find()) pins.put(m.group(1), m.group(2));
        return pins;
    }

    /** The host's Debian release codename (VERSION_CODENAME of /etc/os-release), or null. */
    static String hostCodename() { return HostPackages.osRelease().get("VERSION_CODENAME"); }
}
