//SOURCES Exec.java
//SOURCES Problem.java
//SOURCES Wait.java

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JBang script built first (`./jbang build`), then run under a limit of its own. On a
 * loaded machine the build (resolving dependencies, javac) can take minutes; a limit that also
 * covers it fails a correct script. The build's wait follows its progress: it goes on while the
 * build uses CPU or prints, and fails, naming the script, only when nothing moved for a while or
 * at a ceiling. The run keeps a plain bound, so a hung script still fails by name.
 */
final class ScriptBuild {
    private ScriptBuild() {}

    /** No CPU used and nothing printed by the build for this long: it is stuck. */
    static final Duration STALL = Duration.ofMinutes(3);
    /** However busy, a build that takes this long has something wrong with it. */
    static final Duration CEILING = Duration.ofMinutes(40);

    private static final Map<String, CompletableFuture<Exec.Result>> BUILT = new ConcurrentHashMap<>();

    /**
     * Builds script once per JVM (later calls get the first result) with launcher, then runs it
     * with args for at most runLimit (exit 124 and "timed out" past it). A failed build is the
     * result: its exit, and what it said, with "build of NAME" first.
     */
    static Exec.Result buildThenRun(Path launcher, Path script, Path dir, Map<String, String> env, Duration runLimit,
                                    Duration stall, Duration ceiling, List<String> args) {
        var mine = new CompletableFuture<Exec.Result>();
        var first = BUILT.putIfAbsent(launcher + " " + script, mine);
        if (first == null) {
            try {
                mine.complete(build(launcher, script, dir, stall, ceiling));
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            }
            first = mine;
        }
        var built = first.join();
        if (!built.ok()) return built;
        var cmd = new ArrayList<>(List.of(launcher.toString(), script.toString()));
        cmd.addAll(args);
        var r = Exec.run(cmd, dir, env, runLimit, null);
        if (r.exit() != 124 || !r.err().contains("timed out after")) return r;
        return new Exec.Result(r.command(), r.exit(), r.out(), r.err() + "\n" + script.getFileName() + " (built already) did not end within "
                + runLimit.toSeconds() + " s", r.millis());
    }

    /** `launcher build script`, waited for while it moves (CPU or output), killed with its children when it stalls. */
    static Exec.Result build(Path launcher, Path script, Path dir, Duration stall, Duration ceiling) {
        var cmd = List.of(launcher.toString(), "build", script.toString());
        long t0 = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new Problem.ToolMissing("cannot run " + launcher + ": " + Problem.rootMessage(e));
        }
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var printed = new AtomicLong();
        var pumps = List.of(pump(p.getInputStream(), out, printed), pump(p.getErrorStream(), err, printed));
        String stuck = null;
        try {
            Wait.whileMoving("the build of " + script.getFileName(), stall, ceiling, null, () -> {
                if (!p.isAlive()) return null;
                String seen = "CPU " + cpuMillis(p.toHandle()) / 100 / 10.0 + " s, " + printed.get() + " bytes printed";
                // Queued behind another build (the wrapper's lock): this one moves while that one does.
                long holder = lockHolder(err);
                return holder < 0 ? seen : seen + ", waiting for the build of pid " + holder + " (CPU "
                        + ProcessHandle.of(holder).map(ScriptBuild::cpuMillis).orElse(0L) / 100 / 10.0 + " s)";
            });
        } catch (Problem e) {
            stuck = e.getMessage();
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        try {
            p.waitFor();
            for (var t : pumps) t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem.Interrupted("building " + script.getFileName());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String said = err.toString(StandardCharsets.UTF_8);
        if (stuck != null) return new Exec.Result(cmd, 124, out.toString(StandardCharsets.UTF_8), said + "\nbuild of " + script.getFileName() + ": " + stuck, ms);
        int exit = p.exitValue();
        if (exit != 0) said = "build of " + script.getFileName() + " failed (exit " + exit + "):\n" + said;
        return new Exec.Result(cmd, exit, out.toString(StandardCharsets.UTF_8), said, ms);
    }

    private static final java.util.regex.Pattern WAITING = java.util.regex.Pattern.compile("waiting for the JBang build of pid (\\d+)");

    /** The pid whose build the wrapper last said it waits for, or -1. */
    static long lockHolder(ByteArrayOutputStream err) {
        String said;
        synchronized (err) { said = err.toString(StandardCharsets.UTF_8); }
        long pid = -1;
        for (var m = WAITING.matcher(said); m.find(); ) pid = Long.parseLong(m.group(1));
        return pid;
    }

    /** CPU time of a process and the processes below it that still run (javac, the launcher's JVM). */
    static long cpuMillis(ProcessHandle h) {
        long ms = h.info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
        for (var d : (Iterable<ProcessHandle>) h.descendants()::iterator) ms += d.info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
        return ms;
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink, AtomicLong printed) {
        var t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (sink) { sink.write(buf, 0, n); }
                    printed.addAndGet(n);
                }
            } catch (IOException ignored) {
                // the stream closes with the process
            }
        }, "build-pump");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
