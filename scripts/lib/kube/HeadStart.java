//SOURCES ../tools/Exec.java

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * helm processes started before verify knows it needs them. A JVM takes a fifth of a second or
 * more to parse its options and declare its checks before it asks helm for anything; the helm
 * runs that read only the user's charts and values files (the lints and the renders of their
 * own, not the batches verify writes) are the same command, run after run. So the first thing
 * verify does is start the ones the previous run of the same command line asked for, and when
 * the run asks for exactly that command (arguments and environment) it takes the started
 * process's result instead of starting it again: the same command on the same files, only
 * sooner. With reuse on, only the ones whose files changed since (by size and time) are
 * started, the others being remembered (see {@link HelmRuns}). A started process nobody asks
 * for is ended when verify exits.
 */
final class HeadStart {
    private HeadStart() {}

    private record Started(Process process, Path out, Path err, long t0) {}

    private static final Map<String, Started> STARTED = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicInteger STARTS = new java.util.concurrent.atomic.AtomicInteger(),
            TAKEN = new java.util.concurrent.atomic.AtomicInteger();
    /** What this run asked for, in order: command line (encoded) to its environment's part. */
    private static final Map<String, Boolean> WANTED = new ConcurrentHashMap<>();
    private static volatile Path list;
    /** The list's first line: the folder and arguments it is for. */
    private static volatile String head;

    /** Arguments that make verify ask helm for nothing, or for a part only. */
    private static boolean worthIt(String[] args) {
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version") || a.equals("--list") || a.startsWith("--only")) {
                return false;
            }
        }
        return true;
    }

    /** Starts what the last run with these arguments, in this folder, asked helm for (see above). */
    static void begin(Path dir, String[] args, boolean reuse) {
        if (!worthIt(args)) return;
        try {
            String id = Path.of("").toAbsolutePath() + "\u0000" + String.join("\u0000", args);
            head = id.replace('\u0000', ' ').replace('\n', ' ');
            list = dir.resolve(Integer.toHexString(id.hashCode()) + "-" + Integer.toHexString(id.length()));
            if (!Files.isRegularFile(list)) return;
            var lines = Files.readAllLines(list);
            if (lines.isEmpty() || !lines.get(0).equals(head)) return;
            var sizes = new ConcurrentHashMap<Path, String>();
            for (String line : lines.subList(1, lines.size())) {
                int tab = line.indexOf('\t');
                if (tab < 0) continue;
                String command = line.substring(0, tab), recorded = line.substring(tab + 1);
                var parts = decode(command);
                if (reuse && recorded.equals(signature(parts.cmd(), sizes))) continue; // remembered: nothing to run
                start(command, parts);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(HeadStart::endUnclaimed, "head-start-end"));
        } catch (IOException | RuntimeException e) {
            // only sooner, never needed: verify starts what it needs itself
        }
    }

    private static void start(String key, Command c) throws IOException {
        Path out = Files.createTempFile("trevor-verify-head-", ".out"), err = Files.createTempFile("trevor-verify-head-", ".err");
        var pb = new ProcessBuilder(c.cmd()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(c.env());
        try {
            STARTED.put(key, new Started(pb.start(), out, err, System.nanoTime()));
            STARTS.incrementAndGet();
        } catch (IOException e) {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * The result of this command when it was started ahead (waiting for it to end), else null:
     * then the caller runs it. Either way the command is noted for the next run.
     */
    static Exec.Result take(List<String> cmd, Map<String, String> env, Duration timeout) {
        String key = encode(cmd, env);
        if (list != null) WANTED.put(key, Boolean.TRUE);
        var s = STARTED.remove(key);
        if (s == null) return null;
        try {
            if (!s.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                s.process().destroyForcibly();
                return null;
            }
            String out = Files.readString(s.out(), StandardCharsets.UTF_8), err = Files.readString(s.err(), StandardCharsets.UTF_8);
            TAKEN.incrementAndGet();
            return new Exec.Result(cmd, s.process().exitValue(), out, err, (System.nanoTime() - s.t0()) / 1_000_000);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            delete(s);
        }
    }

    /** Commands never to start ahead (see {@link #neverAhead}). */
    private static final Map<String, Boolean> NEVER = new ConcurrentHashMap<>();

    /**
     * A command that reads a chart verify copies from another (its path changes with every edit
     * of that one): what the last run asked for is not what this one will ask for, and starting
     * it would only waste a core.
     */
    static void neverAhead(List<String> cmd, Map<String, String> env) { NEVER.put(encode(cmd, env), Boolean.TRUE); }

    /** For -v: how many helm processes started ahead, and how many of them were taken. */
    static String summary() { return STARTS.get() + " started ahead, " + TAKEN.get() + " taken"; }

    /** Notes a command asked for and answered from memory (see {@link HelmRuns}), for the next run. */
    static void wanted(List<String> cmd, Map<String, String> env) {
        if (list != null) WANTED.put(encode(cmd, env), Boolean.TRUE);
    }

    /** Keeps what this run asked helm for (commands that read only files verify does not write), for the next run. */
    static void save(String scratchMarker) {
        Path l = list;
        if (l == null || WANTED.isEmpty()) return;
        try {
            var sizes = new ConcurrentHashMap<Path, String>();
            var b = new StringBuilder(head).append('\n');
            for (String key : new TreeMap<>(WANTED).keySet()) {
                var c = decode(key);
                if (NEVER.containsKey(key) || c.cmd().stream().anyMatch(a -> a.contains(scratchMarker))) continue;
                b.append(key).append('\t').append(signature(c.cmd(), sizes)).append('\n');
            }
            Files.createDirectories(l.getParent());
            Path tmp = Files.createTempFile(l.getParent(), "list-", ".tmp");
            Files.writeString(tmp, b);
            Files.move(tmp, l, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // next time, nothing starts ahead
        }
    }

    private static void endUnclaimed() {
        for (var s : STARTED.values()) {
            s.process().destroyForcibly();
            delete(s);
        }
        STARTED.clear();
    }

    private static void delete(Started s) {
        try {
            Files.deleteIfExists(s.out());
            Files.deleteIfExists(s.err());
        } catch (IOException e) {
            // a temp file left behind
        }
    }

    private record Command(List<String> cmd, Map<String, String> env) {}

    /** One line: the environment and the arguments, each Base64 (an argument may hold any character). */
    private static String encode(List<String> cmd, Map<String, String> env) {
        var b = new StringBuilder();
        new TreeMap<>(env).forEach((k, v) -> b.append(b64(k + "=" + v)).append(','));
        b.append(';');
        for (String a : cmd) b.append(b64(a)).append(',');
        return b.toString();
    }

    private static Command decode(String line) {
        int semi = line.indexOf(';');
        var env = new LinkedHashMap<String, String>();
        for (String e : line.substring(0, semi).split(",")) {
            if (e.isEmpty()) continue;
            String kv = unb64(e);
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        var cmd = new ArrayList<String>();
        for (String a : line.substring(semi + 1).split(",")) if (!a.isEmpty()) cmd.add(unb64(a));
        return new Command(cmd, env);
    }

    private static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }

    private static String unb64(String s) { return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8); }

    /**
     * Size and time of every file the command's path arguments name (folders walked, links
     * followed): what changes when a chart or values file is edited. A path that is gone says so.
     */
    static String signature(List<String> cmd, Map<Path, String> memo) {
        var b = new StringBuilder();
        for (String a : cmd.subList(1, cmd.size())) {
            if (!a.startsWith("/")) continue;
            Path p = Path.of(a);
            b.append(memo.computeIfAbsent(p, HeadStart::stat)).append(' ');
        }
        return Integer.toHexString(b.toString().hashCode()) + "-" + b.length();
    }

    private static String stat(Path p) {
        if (!Files.exists(p)) return "gone";
        var b = new StringBuilder();
        try (Stream<Path> walk = Files.walk(p, FileVisitOption.FOLLOW_LINKS)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                b.append(f).append(':').append(Files.size(f)).append(':').append(Files.getLastModifiedTime(f).toMillis()).append(';');
            }
        } catch (IOException | RuntimeException e) {
            return "unreadable";
        }
        return b.toString();
    }
}
