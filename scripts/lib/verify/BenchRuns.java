//SOURCES ../tools/Problem.java

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Whole processes timed from outside, interleaved; and verify's own account of where its time goes (-v). */
final class BenchRuns {
    private BenchRuns() {}

    /**
     * One command, or several run one after another and timed as one (the floor); before, when
     * given, runs first each time, untimed (the after-edit mode's edit).
     */
    record Command(List<List<String>> steps, Map<String, String> env, Runnable before) {
        static Command of(List<String> cmd, Map<String, String> env) { return new Command(List.of(cmd), env, null); }

        static Command inTurn(List<Command> parts) { return new Command(parts.stream().flatMap(p -> p.steps().stream()).toList(), Map.of(), null); }

        Command after(Runnable edit) { return new Command(steps, env, edit); }
    }

    /** Each command's runs: wall milliseconds, and CPU milliseconds of the command and every process it waited for. */
    record Samples(Map<String, List<Long>> wall, Map<String, List<Long>> cpu) {}

    /**
     * Warm-ups, then the commands in turn, A B C A B C…, so that a drift of the machine's
     * speed reaches each alike. Null (after saying why) when a command fails.
     */
    static Samples interleaved(Map<String, Command> commands, int warmup, int runs, Path dir) throws IOException, InterruptedException {
        for (var e : commands.entrySet()) {
            for (int i = 0; i < warmup; i++) {
                if (e.getValue().before() != null) e.getValue().before().run();
                String failed = run(e.getValue(), dir, i == 0);
                if (failed != null) {
                    System.err.println("bench: " + e.getKey() + " failed; fix it before timing it:\n" + failed);
                    return null;
                }
            }
        }
        var wall = new LinkedHashMap<String, List<Long>>();
        var cpu = new LinkedHashMap<String, List<Long>>();
        commands.keySet().forEach(k -> { wall.put(k, new ArrayList<>()); cpu.put(k, new ArrayList<>()); });
        for (int r = 0; r < runs; r++) {
            for (var e : commands.entrySet()) {
                if (e.getValue().before() != null) e.getValue().before().run();
                long c0 = childrenCpuMillis();
                long t0 = System.nanoTime();
                String failed = run(e.getValue(), dir, false);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                long cpuMs = childrenCpuMillis() - c0;
                if (failed != null) {
                    System.err.println("bench: " + e.getKey() + " failed: " + failed);
                    return null;
                }
                wall.get(e.getKey()).add(ms);
                cpu.get(e.getKey()).add(cpuMs);
            }
        }
        return new Samples(wall, cpu);
    }

    /**
     * User and system CPU of this process's children that have ended and were waited for, and
     * of the children they waited for (the kernel's cutime and cstime): a command's CPU is the
     * difference over its run. Clock ticks of 10 ms (USER_HZ is 100 on Linux).
     */
    static long childrenCpuMillis() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Runs every step; null when all exit 0, else what failed (with its output when asked to keep it). */
    private static String run(Command c, Path dir, boolean keepOutput) throws IOException, InterruptedException {
        for (var step : c.steps()) {
            var pb = new ProcessBuilder(step).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(c.env());
            Path out = keepOutput ? Files.createTempFile("bench-", ".out") : null;
            if (out != null) pb.redirectErrorStream(true).redirectOutput(out.toFile());
            else pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            int code = pb.start().waitFor();
            String said = out == null ? "" : Files.readString(out);
            if (out != null) Files.delete(out);
            if (code != 0) return String.join(" ", step) + " exited " + code + (said.isEmpty() ? "" : ":\n" + said);
        }
        return null;
    }

    static long median(List<Long> v) { return sorted(v).get(v.size() / 2); }

    static double median(double[] v) { var s = v.clone(); java.util.Arrays.sort(s); return s[s.length / 2]; }

    static long min(List<Long> v) { return sorted(v).get(0); }

    static long max(List<Long> v) { return sorted(v).get(v.size() - 1); }

    static double min(double[] v) { return java.util.Arrays.stream(v).min().orElse(0); }

    static double max(double[] v) { return java.util.Arrays.stream(v).max().orElse(0); }

    static double[] ratios(List<Long> a, List<Long> b) {
        var r = new double[Math.min(a.size(), b.size())];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i) / (double) b.get(i);
        return r;
    }

    private static List<Long> sorted(List<Long> v) { return v.stream().sorted().toList(); }

    static String loadAverage() {
        try {
            var f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static final Pattern CLOCK = Pattern.compile("^verify: clock (\\S+) (\\d+)$");
    private static final Pattern STAGE = Pattern.compile("^verify: stage (\\S+) (\\d+) ms");
    private static final Pattern HELM = Pattern.compile("^verify: helm (\\d+) ms \\(at (\\d+) ms\\) (.*)$");

    /**
     * Where a warm verify's time goes, median of n runs of `verify -v`: the launcher (and
     * JBang's JVM when the launcher cannot skip it), the script JVM's start, each helm process,
     * the checks after the last render, and the JVM's exit, from clocks verify prints.
     */
    static void stages(Path repo, int major, int n, List<String> extra) throws IOException, InterruptedException {
        var jbang = repo.resolve("jbang").toString();
        var spans = new TreeMap<String, List<Long>>();
        var helmRuns = new LinkedHashMap<String, List<long[]>>();
        for (int i = 0; i < n; i++) {
            var cmd = new ArrayList<>(List.of(jbang, "scripts/verify.java", "--helm-major", String.valueOf(major), "-v"));
            cmd.addAll(extra);
            var pb = new ProcessBuilder(cmd).directory(repo.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Path err = Files.createTempFile("bench-", ".err");
            pb.redirectError(err.toFile());
            long spawn = System.currentTimeMillis();
            int code = pb.start().waitFor();
            long exit = System.currentTimeMillis();
            var lines = Files.readAllLines(err);
            Files.delete(err);
            if (code != 0) throw new Problem.Failed("verify -v exited " + code + ": " + String.join("\n", lines));
            var clock = new LinkedHashMap<String, Long>();
            var stage = new LinkedHashMap<String, Long>();
            long lastHelmEnd = 0;
            for (String l : lines) {
                var m = CLOCK.matcher(l);
                if (m.matches()) clock.put(m.group(1), Long.parseLong(m.group(2)));
                m = STAGE.matcher(l);
                if (m.find()) stage.put(m.group(1), Long.parseLong(m.group(2)));
                m = HELM.matcher(l);
                if (m.matches()) {
                    long dur = Long.parseLong(m.group(1)), at = Long.parseLong(m.group(2));
                    helmRuns.computeIfAbsent(m.group(3), k -> new ArrayList<>()).add(new long[] {at, dur});
                    lastHelmEnd = Math.max(lastHelmEnd, at + dur);
                }
            }
            long jvm = clock.getOrDefault("jvm-start", spawn), main = clock.getOrDefault("main", jvm);
            long runner = clock.getOrDefault("runner", main), end = clock.getOrDefault("end", exit);
            put(spans, "1 launcher: bash wrapper, from exec to the JVM's start", jvm - spawn);
            put(spans, "2 script JVM: start to main()", main - jvm);
            put(spans, "3 main() to the check runner (options, resolve helm)", runner - main);
            put(spans, "4 declare the checks, then the helm processes, to the last one's end", lastHelmEnd);
            put(spans, "5 checks left after the last render", end - runner - lastHelmEnd);
            put(spans, "6 JVM exit", exit - end);
            put(spans, "7 wall", exit - spawn);
            if (stage.containsKey("jvm-cpu")) put(spans, "8 CPU of the script JVM itself (not its helm processes)", stage.get("jvm-cpu"));
        }
        System.out.printf("%nwhere a warm verify%s's time goes (verify -v, median of %d runs), ms:%n", extra.isEmpty() ? "" : " " + String.join(" ", extra), n);
        if (extra.isEmpty()) {
            System.out.printf("  %-72s %6d%n", "0 JBang's JVM: what the launcher saves by not starting it (--version, launcher off vs on)", jbangJvm(repo, n));
        }
        spans.forEach((k, v) -> System.out.printf("  %-72s %6d%n", k, median(v)));
        System.out.println("  each helm process (median start and duration):");
        helmRuns.entrySet().stream().sorted(java.util.Comparator.comparingLong(e -> median(e.getValue().stream().map(x -> x[0]).toList())))
                .forEach(e -> System.out.printf("    at %5d  %5d ms  %s%n", median(e.getValue().stream().map(x -> x[0]).toList()),
                        median(e.getValue().stream().map(x -> x[1]).toList()), e.getKey()));
    }

    private static void put(Map<String, List<Long>> m, String k, long v) { m.computeIfAbsent(k, x -> new ArrayList<>()).add(v); }

    /** `verify --version` through JBang minus through the launcher's cached command: JBang's own JVM. */
    private static long jbangJvm(Path repo, int n) throws IOException, InterruptedException {
        var cmd = List.of(repo.resolve("jbang").toString(), "scripts/verify.java", "--version");
        var slow = interleaved(Map.of("through JBang", Command.of(cmd, Map.of("TREVOR_JBANG_FAST", "0"))), 1, n, repo);
        var fast = interleaved(Map.of("launcher", Command.of(cmd, Map.of())), 1, n, repo);
        if (slow == null || fast == null) return -1;
        return median(slow.wall().get("through JBang")) - median(fast.wall().get("launcher"));
    }
}
