import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** What every lifecycle script does the same way: exit codes and error messages. */
final class Cli {
    private Cli() {}

    /** Runs a picocli command; usage errors are one line and exit code 2. */
    static int execute(Object command, String[] args) {
        var cmd = new CommandLine(command);
        String name = cmd.getCommandName();
        cmd.setParameterExceptionHandler((ex, a) -> {
            System.err.println(name + ": " + ex.getMessage());
            System.err.println("Run '" + name + " --help' for the options.");
            return 2;
        });
        return cmd.execute(args);
    }

    /**
     * Maps the ways a script can fail to one clear line and an exit code: bad input, tools
     * and clusters are 2 (nothing changed), a release that went wrong is 1. No stack traces.
     */
    static int guard(String name, Callable<Integer> body) {
        try {
            return body.call();
        } catch (Target.Invalid | Kube.Refused | Exec.ToolMissing | Tools.ToolException e) {
            System.err.println(name + ": " + e.getMessage());
            return 2;
        } catch (Installer.Failed e) {
            System.err.println(name + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println(name + ": " + e.getClass().getSimpleName() + ": " + Exec.rootMessage(e));
            return 1;
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    static final Duration MAX_DURATION = Duration.ofHours(24);

    /** "90s", "5m", "1h" → Duration, from 1 s to 24 h; anything else names the option. */
    static Duration duration(String option, String text) {
        var m = DURATION.matcher(text.strip());
        if (!m.matches()) throw new Target.Invalid(option + " '" + text + "' is not a duration like 90s, 5m or 1h");
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new Target.Invalid(option + " '" + text + "' is out of range: give between 1s and 24h");
        }
        return d;
    }
}
