import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The processes behind a release lock, as its Lease's annotations record them: the script that
 * took it and the helm it started, each by PID and start time, with the machine's host name and
 * boot id. helm runs in a session of its own, so a script killed outright (kill -9) can leave its
 * helm changing the release: the lock stays valid while either lives, which only this machine can
 * tell, and only for processes of this boot (a PID alone may have been reused since).
 */
record LockHolder(String host, String bootId, long pid, String pidStart, long helmPid, String helmStart, String helmCommand) {
    private static final String PREFIX = "trevor.dev/lock-";

    /** This JVM, on this machine, with no helm yet. */
    static LockHolder current(String host) {
        long pid = ProcessHandle.current().pid();
        return new LockHolder(host, thisBoot(), pid, startOf(pid), 0, null, null);
    }

    /** The same holder, now running helm as the process p (command: its first words, never its values). */
    LockHolder running(Process p, String command) {
        return new LockHolder(host, bootId, pid, pidStart, p.pid(), startOf(p.pid()), command);
    }

    Map<String, String> annotations() {
        var a = new LinkedHashMap<String, String>();
        a.put(PREFIX + "host", host);
        a.put(PREFIX + "boot-id", bootId);
        a.put(PREFIX + "pid", String.valueOf(pid));
        a.put(PREFIX + "pid-start", pidStart);
        if (helmPid > 0) {
            a.put(PREFIX + "helm-pid", String.valueOf(helmPid));
            a.put(PREFIX + "helm-start", helmStart);
            a.put(PREFIX + "helm-command", helmCommand);
        }
        return a;
    }

    /** What a Lease's annotations say, or null when they name no process (a lock of older scripts, or one made by hand). */
    static LockHolder of(Map<String, String> annotations) {
        String pid = annotations.get(PREFIX + "pid");
        if (pid == null || !pid.matches("\\d{1,10}")) return null;
        String helm = annotations.getOrDefault(PREFIX + "helm-pid", "0");
        return new LockHolder(annotations.getOrDefault(PREFIX + "host", ""), annotations.getOrDefault(PREFIX + "boot-id", ""),
                Long.parseLong(pid), annotations.get(PREFIX + "pid-start"), helm.matches("\\d{1,10}") ? Long.parseLong(helm) : 0,
                annotations.get(PREFIX + "helm-start"), annotations.getOrDefault(PREFIX + "helm-command", "helm"));
    }

    /**
     * Which of the holder's processes still runs, as a sentence part naming its PID and how to
     * stop it; null when neither does. Unknowable for another machine: then null too, and the
     * Lease's expiry is all there is.
     */
    String stillRunning(String thisHost) {
        if (!host.equals(thisHost) || bootId.isEmpty() || !bootId.equals(thisBoot())) return null;
        if (helmPid > 0 && sameProcess(helmPid, helmStart)) {
            return "the helm it started still runs on this machine (pid " + helmPid + ": " + helmCommand + ") and is still changing the release. "
                    + "Wait for it to end (it stops at its --timeout; e.g. while kill -0 " + helmPid + "; do sleep 5; done), or stop it with "
                    + "kill -TERM " + helmPid + " (helm then records its outcome), then run again";
        }
        if (sameProcess(pid, pidStart)) {
            return "its process still runs on this machine (pid " + pid + ") but no longer renews the lock (stopped, or cut off from the cluster). "
                    + "Let it finish, or stop it with kill -TERM " + pid + ", then run again";
        }
        return null;
    }

    /** Whether pid is still the process that started at start (a PID can be reused by another process). */
    static boolean sameProcess(long pid, String start) {
        if (start == null) return false;
        String now = startOf(pid);
        return now != null && now.equals(start);
    }

    /**
     * When a process started, exactly: its start time in clock ticks since boot from /proc (null
     * when it does not run, or is a zombie); elsewhere the start instant Java reports.
     */
    static String startOf(long pid) {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            try {
                String s = Files.readString(stat);
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return f[0].equals("Z") || f[0].equals("X") ? null : "ticks:" + f[19];
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).flatMap(h -> h.info().startInstant())
                .map(i -> "ms:" + i.toEpochMilli()).orElse(null);
    }

    /** This boot of this machine: a PID from an earlier boot names nothing. */
    static String thisBoot() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
