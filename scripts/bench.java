///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/Cli.java
//SOURCES lib/Exec.java
//SOURCES lib/Repo.java

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Times `jbang scripts/verify.java` cold (script rebuilt) and warm (cached), with per-stage timings.")
public class bench implements Callable<Integer> {

    @Option(names = "--runs", defaultValue = "5", description = "Warm runs per Helm major (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--helm-major", split = ",", defaultValue = "4,3", description = "Helm majors to time (default: ${DEFAULT-VALUE}).")
    List<Integer> majors;

    private static final Pattern STAGE = Pattern.compile("^verify: stage (\\S+) (\\d+) ms");

    public static void main(String[] args) { System.exit(new CommandLine(new bench()).execute(args)); }

    @Override
    public Integer call() {
        Path repo = Repo.root();
        if (repo == null) {
            System.err.println("bench: run me from inside the trevor repository");
            return 2;
        }
        if (runs < 1) {
            System.err.println("bench: --runs must be at least 1");
            return 2;
        }
        System.out.printf("bench: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        for (int major : majors) {
            var cold = once(repo, major, true);
            if (cold == null) return 1;
            print("helm " + major + " cold (script rebuilt)", List.of(cold));
            var warm = new ArrayList<Map<String, Long>>();
            for (int i = 0; i < runs; i++) {
                var r = once(repo, major, false);
                if (r == null) return 1;
                warm.add(r);
            }
            print("helm " + major + " warm (median of " + runs + ")", warm);
        }
        return 0;
    }

    /** One verify run: wall time plus the stages verify -v reports, or null when verify failed. */
    private Map<String, Long> once(Path repo, int major, boolean fresh) {
        var cmd = new ArrayList<String>(List.of(repo.resolve("jbang").toString()));
        if (fresh) cmd.add("--fresh");
        cmd.addAll(List.of("scripts/verify.java", "--helm-major", String.valueOf(major), "-v"));
        long t0 = System.nanoTime();
        var r = Exec.run(cmd, repo, Map.of(), Duration.ofMinutes(10), null);
        long wall = (System.nanoTime() - t0) / 1_000_000;
        if (!r.ok()) {
            System.err.println("bench: verify failed (exit " + r.exit() + "); fix it before timing it:\n" + r.out() + r.err());
            return null;
        }
        var stages = new LinkedHashMap<String, Long>();
        stages.put("wall", wall);
        for (String line : r.err().split("\n")) {
            var m = STAGE.matcher(line);
            if (m.find()) stages.put(m.group(1), Long.parseLong(m.group(2)));
        }
        // What neither the script JVM nor its stages account for: JBang's own launch.
        stages.put("jbang-launch+jvm-exit", wall - stages.getOrDefault("total-in-jvm", 0L) - stages.getOrDefault("jvm-to-main", 0L));
        return stages;
    }

    private static void print(String title, List<Map<String, Long>> samples) {
        System.out.println(title + ":");
        for (String stage : samples.get(0).keySet()) {
            var vals = samples.stream().map(s -> s.getOrDefault(stage, 0L)).sorted().toList();
            long median = vals.get(vals.size() / 2);
            System.out.printf("  %-22s %6d ms%s%n", stage, median,
                    vals.size() > 1 ? String.format("   (min %d, max %d)", vals.get(0), vals.get(vals.size() - 1)) : "");
        }
    }
}
