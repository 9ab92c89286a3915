//SOURCES ../tools/Exec.java
//SOURCES Report.java

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A checkout's scripts, run the way a user runs them: each through the repository's jbang
 * wrapper in a JVM of its own, either to its end or started in the background to be signalled
 * (a hang-up, Ctrl-C, a kill). Everything they print goes into one transcript, so that a
 * check can show it with its diagnostics and search it for what must never be printed.
 */
final class ScriptRunner {
    private final Path jbang;
    private final Path checkout;
    private final StringBuffer transcript = new StringBuffer();
    /** Scripts built once already: a build is a JVM start, and the sources do not change during a run. */
    private final java.util.Set<String> built = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Scripts of checkout (scripts/NAME), run with repo's jbang wrapper from inside checkout. */
    ScriptRunner(Path repo, Path checkout) {
        this.jbang = repo.resolve("jbang");
        this.checkout = checkout;
    }

    /** Everything the scripts run so far printed, each run after its command line. */
    String transcript() { return transcript.toString(); }

    /**
     * Runs a script to its end (at most 6 minutes, built first: a first build waits for the
     * wrapper's build lock, one build at a time per JBang cache, behind other runs' builds, and on
     * a loaded machine that queue alone took longer than the run's limit).
     */
    Exec.Result run(String script, List<String> args) {
        build(script);
        var cmd = command(script, args);
        var r = Exec.run(cmd, checkout, Map.of(), Duration.ofMinutes(6), null);
        log(cmd, r.out(), r.err());
        return r;
    }

    /** Starts a script in the background, to be signalled. */
    Started start(String script, List<String> args) throws IOException { return start(script, args, Map.of()); }

    /** Starts a script in the background with more environment variables (PATH, HTTPS_PROXY, KUBECONFIG…). */
    Started start(String script, List<String> args, Map<String, String> env) throws IOException {
        var cmd = command(script, args);
        // Built first, without env: the signal reaches the script's own JVM and not JBang building it,
        // and a proxy in env sees only what the script itself sends.
        build(script);
        return new Started(cmd, env);
    }

    /**
     * `jbang build` of a script, once per runner, outside any run's limit (a build that fails
     * leaves the run to fail on its own, saying why). Its bound is the queue of builds before it:
     * every script of every copy a defects run makes, one at a time.
     */
    private void build(String script) {
        if (built.add(script)) Exec.run(List.of(jbang.toString(), "build", path(script)), checkout, Map.of(), BUILD_LIMIT, null);
    }

    /** However long the wrapper's queue of builds, one of a script takes no longer than this. */
    static final Duration BUILD_LIMIT = Duration.ofMinutes(40);

    /**
     * Runs a script with more environment variables, for at most max: a run that hangs (on a
     * FIFO, say) is killed with everything it started, and its result says it timed out (exit -1).
     */
    Exec.Result run(String script, List<String> args, Map<String, String> env, Duration max) throws IOException, InterruptedException {
        return start(script, args, env).await(max);
    }

    /**
     * kill -SIG of a started script's process group, as a terminal's Ctrl-C does: the jbang
     * wrapper may run the script's JVM as its child (the first run of a build does, to record
     * the classes it loads), and a signal to the wrapper alone never reaches that JVM. A kill
     * that fails fails the check.
     */
    void signal(Started p, String sig) {
        p.rememberDescendants();
        var r = Exec.run(List.of("kill", "-" + sig, "--", "-" + p.pid()), Duration.ofSeconds(10));
        Report.expect(r.ok(), "kill -%s %d: %s", sig, p.pid(), r.said());
    }

    /** Processes started below pid (helm runs in a session of its own, so not by process group). */
    static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    private String path(String script) { return checkout.resolve("scripts").resolve(script).toString(); }

    private List<String> command(String script, List<String> args) {
        var cmd = new ArrayList<>(List.of(jbang.toString(), path(script)));
        cmd.addAll(args);
        return cmd;
    }

    private void log(List<String> cmd, CharSequence out, CharSequence err) {
        transcript.append("$ ").append(String.join(" ", cmd)).append("\n").append(out).append(err).append("\n");
    }

    /** A script running in the background. */
    final class Started {
        private final Process process;
        private final StringBuffer out = new StringBuffer();
        private final StringBuffer err = new StringBuffer();
        private final List<String> cmd;
        private final long t0 = System.nanoTime();

        private Started(List<String> cmd, Map<String, String> env) throws IOException {
            this.cmd = cmd;
            // A process group of its own (setsid execs in place: its pid is the group's), so that
            // signal() can reach the whole group without reaching this JVM.
            // And with every signal at its default: a run started in the background of a
            // non-interactive shell (nohup, `&`, some CI runners) inherits SIGINT ignored, and the
            // script's JVM would then never see the Ctrl-C a case sends.
            var full = new ArrayList<String>(List.of("setsid", "env", "--default-signal"));
            full.addAll(cmd);
            var pb = new ProcessBuilder(full).directory(checkout.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            this.process = pb.start();
            pump(process.getInputStream(), out);
            pump(process.getErrorStream(), err);
        }

        long pid() { return process.pid(); }

        boolean alive() { return process.isAlive(); }

        int exitValue() { return process.exitValue(); }

        /** What it printed so far, stdout then stderr: a test waits for a line before it signals. */
        String printed() { return out + "\n" + err; }

        /**
         * The JVMs below it when it is signalled: a signal to the group ends the launcher at
         * once, while the script's JVM, when the launcher runs it as a child, goes on with its
         * clean-up; await waits for those too, or a case would judge a clean-up half done.
         */
        private final List<ProcessHandle> signalled = new java.util.concurrent.CopyOnWriteArrayList<>();

        void rememberDescendants() {
            // Only the script's JVM: what it started (helm, a control plane) is the case's to judge, not to wait for.
            process.descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false)).forEach(signalled::add);
        }

        /** Waits for its end; after max it is killed, with the script's JVM that the launcher started (exit -1). */
        Exec.Result await(Duration max) throws InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            boolean timedOut = !process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
            for (var h : signalled) {
                if (timedOut) break;
                try {
                    h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    timedOut = true;
                    signalled.forEach(ProcessHandle::destroyForcibly);
                } catch (java.util.concurrent.ExecutionException e) {
                    // ended anyway
                }
            }
            if (timedOut) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor();
                err.append("(killed: no end after ").append(max.toSeconds()).append(" s)\n");
            }
            Thread.sleep(200); // the pumps drain
            log(cmd, out, err);
            return new Exec.Result(cmd, timedOut ? -1 : process.exitValue(), out.toString(), err.toString(), (System.nanoTime() - t0) / 1_000_000);
        }

        private void pump(InputStream in, StringBuffer sink) {
            var t = new Thread(() -> {
                try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) sink.append(line).append('\n');
                } catch (IOException ignored) {
                    // closed with the process
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }
}
