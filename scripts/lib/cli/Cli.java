//DEPS info.picocli:picocli:4.7.7
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Repo.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** What every lifecycle script does the same way: exit codes and error messages. */
final class Cli {
    private Cli() {}

    /**
     * Runs a picocli command. Usage errors are one line and exit code 2; an exception that
     * escapes a command is mapped by {@link #exitCode} and printed as one line, never as a
     * stack trace.
     */
    static int execute(Object command, String[] args) {
        var cmd = new CommandLine(command);
        String name = cmd.getCommandName();
        cmd.setParameterExceptionHandler((ex, a) -> {
            System.err.println(name + ": " + ex.getMessage());
            System.err.println("Run '" + name + " --help' for the options.");
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            System.err.println(name + ": " + message(ex));
            return exitCode(ex);
        });
        return cmd.execute(args);
    }

    /** A Problem says its exit code; anything else is a failure on the way (1). */
    static int exitCode(Throwable e) { return e instanceof Problem p ? p.exitCode : Problem.FAILED; }

    private static String message(Throwable e) {
        return e instanceof Problem ? e.getMessage() : e.getClass().getSimpleName() + ": " + Problem.rootMessage(e);
    }

    /** What --version prints: this repository's chart, so a bug report says which chart the scripts drove. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            Path repo = Repo.root();
            String chart = "chart unknown (not run from inside the repository)";
            if (repo != null) {
                try {
                    var c = Yaml.loadMap(Files.readString(repo.resolve("helm/trevor/Chart.yaml")));
                    chart = "chart " + c.get("name") + " " + c.get("version") + " (appVersion " + c.get("appVersion") + ") at " + repo.resolve("helm/trevor");
                } catch (IOException | RuntimeException e) {
                    chart = "chart unreadable: " + e.getMessage();
                }
            }
            return new String[] {"trevor chart ops " + "${COMMAND-NAME}", chart,
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    static final Duration MAX_DURATION = Duration.ofHours(24);

    /** "90s", "5m", "1h" → Duration, from 1 s to 24 h; anything else names the option. */
    static Duration duration(String option, String text) {
        var m = DURATION.matcher(text.strip());
        if (!m.matches()) throw new Problem.BadInput(option + " '" + text + "' is not a duration like 90s, 5m or 1h");
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new Problem.BadInput(option + " '" + text + "' is out of range: give between 1s and 24h");
        }
        return d;
    }
}
