//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.slf4j:slf4j-nop:2.0.18
//SOURCES Interrupts.java
//SOURCES Problem.java

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.zeroturnaround.exec.InvalidExitValueException;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.stream.LogOutputStream;

/** Runs external tools (helm, kubectl, go, kwokctl…) and reports what they said. */
final class Exec {
    private Exec() {}

    record Result(List<String> command, int exit, String out, String err, long millis) {
        boolean ok() { return exit == 0; }
        /** What the tool said, for an error message: stderr, else stdout, trimmed. */
        String said() {
            String s = err.isBlank() ? out : err;
            return s.strip();
        }
    }


    /**
     * The seam between the orchestration (Installer, Upgrader, ReleaseLock) and the tools it
     * drives: {@link Kube} runs kubectl and {@link Helm} runs helm through one of these.
     * {@link #PROCESSES} starts real processes; a unit test passes a fake that answers as
     * kubectl or helm would, so the orchestration runs without a cluster.
     */
    interface Runner {
        /** As {@link Exec#run(List, Path, Map, Duration, java.util.function.Consumer, String)}. */
        Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout, java.util.function.Consumer<String> echo, String stdin);

        /** As {@link Exec#runDetached}. */
        Result runDetached(List<String> cmd, Duration timeout, java.util.function.Consumer<String> echo, String stdin);

        default Result run(List<String> cmd, Duration timeout) { return run(cmd, null, Map.of(), timeout, null, null); }
    }

    /** Real processes: Exec's own static methods. */
    static final Runner PROCESSES = new Runner() {
        @Override public Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout,
                                    java.util.function.Consumer<String> echo, String stdin) {
            return Exec.run(cmd, dir, env, timeout, echo, stdin);
        }

        @Override public Result runDetached(List<String> cmd, Duration timeout, java.util.function.Consumer<String> echo, String stdin) {
            return Exec.runDetached(cmd, timeout, echo, stdin);
        }
    };

    static Result run(List<String> cmd, Duration timeout) { return run(cmd, null, Map.of(), timeout, null); }

    /**
     * Runs cmd to completion. stdin is closed so a tool that would prompt fails instead of
     * hanging in CI. With echo != null, each output line is also passed to it as it comes
     * (long builds show progress).
     */
    static Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout,
                      java.util.function.Consumer<String> echo) {
        return run(cmd, dir, env, timeout, echo, null);
    }

    /** As above, with stdin text (kubectl apply -f -); null means an empty stdin. */
    static Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout,
                      java.util.function.Consumer<String> echo, String stdin) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        var in = stdin == null ? java.io.InputStream.nullInputStream()
                : new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        var pe = new ProcessExecutor().command(new ArrayList<>(cmd)).redirectInput(in)
                .redirectOutput(tee(out, echo)).redirectError(tee(err, echo))
                .environment(env).exitValueAny();
        // During shutdown no hook may be added: zt-exec's destroyOnExit would throw.
        if (!Interrupts.stopping()) pe.destroyOnExit();
        if (dir != null) pe.directory(dir.toFile());
        if (timeout != null) pe.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            int code = pe.execute().getExitValue();
            return new Result(cmd, code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (TimeoutException e) {
            return new Result(cmd, 124, out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8) + "\n" + cmd.get(0) + " timed out after " + timeout.toMillis() + " ms",
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (InvalidExitValueException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new Problem.ToolMissing("cannot run " + cmd.get(0) + ": " + Problem.rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem.Interrupted("running " + cmd.get(0));
        }
    }

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /**
     * Runs a long tool (helm upgrade) in a session of its own, so that a Ctrl-C or a closed
     * terminal reaches this JVM only; {@link Interrupts} then asks the tool to stop and waits
     * for it. Output lines go to echo as they come.
     */
    static Result runDetached(List<String> cmd, Duration timeout, java.util.function.Consumer<String> echo, String stdin) {
        var full = new ArrayList<String>();
        if (java.nio.file.Files.isExecutable(SETSID)) full.add(SETSID.toString());
        full.addAll(cmd);
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder(full).start();
        } catch (IOException e) {
            throw new Problem.ToolMissing("cannot run " + cmd.get(0) + ": " + Problem.rootMessage(e));
        }
        Interrupts.running(p, String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))));
        try {
            var pumps = java.util.List.of(pump(p.getInputStream(), out, echo), pump(p.getErrorStream(), err, echo));
            try (var in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the tool exited before reading its input: its exit code says why
            }
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroy();
                if (!p.waitFor(Interrupts.GRACE_SECONDS, TimeUnit.SECONDS)) p.destroyForcibly();
            }
            for (var t : pumps) t.join();
            Interrupts.parkIfStopping();
            String e = err.toString(StandardCharsets.UTF_8);
            if (!done) e += "\n" + cmd.get(0) + " timed out after " + timeout.toSeconds() + " s";
            return new Result(cmd, done ? p.exitValue() : 124, out.toString(StandardCharsets.UTF_8), e, (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem.Interrupted("running " + cmd.get(0));
        } finally {
            Interrupts.finished(p);
        }
    }

    private static Thread pump(java.io.InputStream in, ByteArrayOutputStream sink, java.util.function.Consumer<String> echo) {
        var t = new Thread(() -> {
            try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (sink) { sink.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8)); }
                    if (echo != null) echo.accept(line);
                }
            } catch (IOException ignored) {
                // the stream closes with the process
            }
        }, "pump");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static OutputStream tee(ByteArrayOutputStream sink, java.util.function.Consumer<String> echo) {
        if (echo == null) return sink;
        return new LogOutputStream() {
            @Override protected void processLine(String line) {
                sink.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
                echo.accept(line);
            }
        };
    }
}
