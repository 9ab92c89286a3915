//SOURCES ../tools/Problem.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Wait.java

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Long-running processes that outlive the script that starts them: each runs in a session
 * of its own (setsid), so neither the JVM's exit nor a Ctrl-C in the terminal stops it; its
 * output goes to NAME.log and its pid, with the kernel's start time of that pid, to
 * NAME.pid, so a later `down` stops exactly that process even after a reboot reused the pid.
 */
final class Daemons {
    private Daemons() {}

    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** Starts cmd detached and returns its pid. */
    static long start(String name, List<String> cmd, Path workDir, Map<String, String> env, Path pidDir, Path logDir) {
        try {
            Files.createDirectories(pidDir);
            Files.createDirectories(logDir);
            var full = new ArrayList<String>();
            full.add("setsid"); // not a group leader, so setsid execs in place: the pid is the daemon's
            full.addAll(cmd);
            var pb = new ProcessBuilder(full).directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".log").toFile()))
                    .redirectErrorStream(true);
            pb.environment().put("PATH", PATH);
            pb.environment().putAll(env);
            Process p = pb.start();
            long pid = p.pid();
            String ticks = startTicks(pid);
            Files.writeString(pidDir.resolve(name + ".pid"), pid + " " + (ticks == null ? "?" : ticks) + "\n");
            return pid;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + e.getMessage(), e);
        }
    }

    /** The pid in NAME.pid when that very process still runs (not a zombie, same start time). */
    static OptionalLong alive(Path pidFile) {
        String[] f;
        try {
            f = Files.readString(pidFile).strip().split("\\s+");
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
        String ticks = startTicks(pid);
        if (ticks == null || isZombie(pid)) return OptionalLong.empty();
        if (f.length > 1 && !f[1].equals("?") && !f[1].equals(ticks)) return OptionalLong.empty();
        return OptionalLong.of(pid);
    }

    /**
     * Waits until notYet says null (ready), while the daemon of pidFile lives. The limit follows
     * progress, as a loaded machine needs: the wait fails when neither notYet's words nor the
     * daemon's CPU time moved for `stall`, or after four stalls in all; and at once when the
     * daemon exits. Each failure names the log and shows its end; `after` is the sentence that
     * says how to clean up.
     */
    static void await(String what, Duration stall, Path pidFile, Path log, String daemon, String after, java.util.function.Supplier<String> notYet) {
        boolean[] exited = {false};
        try {
            Wait.whileMoving(what, stall, stall.multipliedBy(4), null, () -> {
                var pid = alive(pidFile);
                if (pid.isEmpty()) {
                    exited[0] = true;
                    throw new Problem.Failed(daemon + " exited while waiting for " + what + "; its log " + log + " ends:\n" + logTail(log, 15)
                            + (after == null ? "" : "\n" + after));
                }
                String state = notYet.get();
                return state == null ? null : state + " (" + daemon + " CPU " + cpuTicks(pid.getAsLong()) + " ticks)";
            });
        } catch (Problem.Failed e) {
            if (exited[0]) throw e;
            throw new Problem.Failed(e.getMessage() + "; " + log + " ends:\n" + logTail(log, 15));
        }
    }

    /** The last lines of a daemon's log, or "(no log)". */
    static String logTail(Path log, int lines) {
        try {
            return String.join("\n", Text.last(Files.readAllLines(log), lines));
        } catch (IOException | UncheckedIOException e) {
            return "(no log)";
        }
    }

    /** Stops the process of a pid file: SIGTERM, then SIGKILL after grace. True when it is gone. */
    static boolean stop(Path pidFile, Duration grace) {
        var pid = alive(pidFile);
        if (pid.isEmpty()) return true;
        return stop(pid.getAsLong(), grace);
    }

    static boolean stop(long pid, Duration grace) {
        var h = ProcessHandle.of(pid);
        if (h.isEmpty()) return true;
        h.get().destroy();
        if (awaitGone(pid, grace)) return true;
        h.get().destroyForcibly();
        return awaitGone(pid, Duration.ofSeconds(5));
    }

    static boolean awaitGone(long pid, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (gone(pid)) return true;
            Wait.sleep(100);
        }
        return gone(pid);
    }

    static boolean gone(long pid) { return startTicks(pid) == null || isZombie(pid); }

    /** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null. */
    static String startTicks(long pid) {
        String stat = stat(pid);
        return stat == null ? null : statField(stat, 22);
    }

    /** CPU time the process has used, user and system, in clock ticks (fields 14 and 15 of /proc/PID/stat), or -1. */
    static long cpuTicks(long pid) {
        String stat = stat(pid);
        if (stat == null) return -1;
        try {
            return Long.parseLong(statField(stat, 14)) + Long.parseLong(statField(stat, 15));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static boolean isZombie(long pid) {
        String stat = stat(pid);
        return stat != null && "Z".equals(statField(stat, 3));
    }

    private static String stat(long pid) {
        try {
            return Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        } catch (IOException e) {
            return null;
        }
    }

    /** Field n (1-based, as in proc(5)) of a /proc/PID/stat line; the command may hold spaces. */
    static String statField(String stat, int n) {
        if (n == 1) return stat.substring(0, stat.indexOf(' '));
        if (n == 2) return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).strip().split("\\s+");
        return n - 3 < rest.length ? rest[n - 3] : null;
    }

    /** The NUL-separated command line of a process, as one string with spaces, or "". */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Live processes whose command line matches. */
    static List<Long> where(Predicate<String> cmdline) {
        var out = new ArrayList<Long>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) continue;
                long pid = Long.parseLong(n);
                if (!gone(pid) && cmdline.test(cmdline(pid))) out.add(pid);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
