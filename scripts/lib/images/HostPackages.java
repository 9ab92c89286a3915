//SOURCES ../tools/BuildLock.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Tools.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Debian packages the real node and the image builds need on the host (containerd, runc,
 * CNI plugins, mmdebstrap…), pinned to the versions this project was proven with. On
 * Debian or Ubuntu as root, missing ones are installed through the host's own apt sources;
 * anywhere else the message names them all and how to get them, and nothing is changed.
 */
final class HostPackages {
    private HostPackages() {}

    record Pkg(String name, String version) {
        String pinned() { return name + "=" + version; }
    }

    /** Installed version of a package, or null when it is not installed (or there is no dpkg). */
    static String installed(String name) {
        try {
            var r = Exec.run(List.of("dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", name), Duration.ofSeconds(30));
            if (!r.ok()) return null;
            String[] f = r.out().strip().split(" ", 2);
            return f.length == 2 && f[0].equals("installed") ? f[1] : null;
        } catch (Problem.ToolMissing e) {
            return null;
        }
    }

    /** The packages that are not installed (at any version); quick, changes nothing. */
    static List<Pkg> missing(List<Pkg> pkgs) {
        return pkgs.stream().filter(p -> installed(p.name()) == null).toList();
    }

    /**
     * Makes sure every package is installed. A package already installed at another version
     * is kept (it is the machine owner's choice) and named in the progress output. One install
     * at a time from this project's scripts (a file lock in the tool cache): apt-get waits for
     * dpkg's lock, but `apt-get update` fails at once while another one holds the lists' lock
     * (apt 2.6), so a second run waits here and then finds the packages installed.
     */
    static void ensure(String purpose, List<Pkg> pkgs, Consumer<String> progress) {
        var missing = new ArrayList<Pkg>();
        for (Pkg p : pkgs) {
            String have = installed(p.name());
            if (have == null) missing.add(p);
            else if (!have.equals(p.version())) progress.accept("host package " + p.name() + " " + have + " (pinned " + p.version() + ") is used as installed");
        }
        if (missing.isEmpty()) return;
        String wanted = String.join(" ", missing.stream().map(Pkg::pinned).toList());
        String why = whyNotInstallable();
        if (why != null) {
            throw new Problem.ToolMissing(purpose + " needs the host packages " + wanted + ", which are not installed, and " + why
                    + ". Install them (Debian 12: apt-get install " + wanted + "), or their equivalents, and run again.");
        }
        // No staging folder: the stale prefix matches nothing.
        BuildLock.once(Tools.cacheDir(), "host-packages", ".host-packages-staging-", () -> missing(pkgs).isEmpty(),
                () -> install(purpose, missing(pkgs), progress), progress);
    }

    private static void install(String purpose, List<Pkg> missing, Consumer<String> progress) {
        String wanted = String.join(" ", missing.stream().map(Pkg::pinned).toList());
        progress.accept("installing host packages for " + purpose + ": " + wanted);
        var r = aptInstall(missing);
        if (!r.ok() && r.said().contains("not found")) {
            progress.accept("apt does not know these versions yet; apt-get update …");
            var u = apt(List.of("update"), Duration.ofMinutes(5));
            if (!u.ok()) throw new Problem.ToolMissing("apt-get update failed: " + Kube.firstLine(u.said()));
            r = aptInstall(missing);
        }
        if (!r.ok()) {
            throw new Problem.ToolMissing("apt-get install " + wanted + " failed: " + tail(r.said())
                    + ". Install them by hand (as root) and run again.");
        }
        for (Pkg p : missing) {
            if (installed(p.name()) == null) throw new Problem.ToolMissing("apt-get install " + p.pinned() + " reported success, but dpkg does not list it");
        }
    }

    private static Exec.Result aptInstall(List<Pkg> pkgs) {
        var args = new ArrayList<>(List.of("install", "-y", "--no-install-recommends"));
        pkgs.forEach(p -> args.add(p.pinned()));
        return apt(args, Duration.ofMinutes(15));
    }

    private static Exec.Result apt(List<String> args, Duration timeout) {
        var cmd = new ArrayList<>(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "-q"));
        cmd.addAll(args);
        return Exec.run(cmd, null, Map.of("DEBIAN_FRONTEND", "noninteractive"), timeout, null);
    }

    /** Null when this process may install Debian packages, else the reason it may not. */
    static String whyNotInstallable() {
        var os = osRelease();
        String family = (os.getOrDefault("ID", "") + " " + os.getOrDefault("ID_LIKE", "")).toLowerCase();
        if (!family.contains("debian") && !family.contains("ubuntu")) {
            return "this is not Debian or Ubuntu (" + os.getOrDefault("PRETTY_NAME", "unknown OS") + ")";
        }
        if (!"0".equals(uid())) return "installing them needs root (this runs as uid " + uid() + ")";
        try {
            Exec.run(List.of("apt-get", "--version"), Duration.ofSeconds(20));
        } catch (Problem.ToolMissing e) {
            return "apt-get is not on PATH";
        }
        return null;
    }

    static String uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) return line.substring(4).strip().split("\\s+")[0];
            }
        } catch (IOException ignored) {
            // not Linux: treated as not root
        }
        return "?";
    }

    static Map<String, String> osRelease() {
        var out = new LinkedHashMap<String, String>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                int eq = line.indexOf('=');
                if (eq > 0) out.put(line.substring(0, eq), line.substring(eq + 1).replaceAll("^\"|\"$", ""));
            }
        } catch (IOException ignored) {
            // no os-release: an unknown OS
        }
        return out;
    }

    private static String tail(String s) {
        return Text.lastLines(s, 5);
    }
}
