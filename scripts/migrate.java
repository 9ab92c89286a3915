///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/Cli.java
//SOURCES lib/Migrator.java
//SOURCES lib/Progress.java
//SOURCES lib/Target.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "migrate", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Runs the Alembic migrations now, as the chart's migration Job with the release's values, "
                + "and reports the Job's status and logs.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:migrations succeeded", "1:the migration failed (Job status, events and logs shown)",
                "2:bad input, missing tool, unreachable or refused cluster, no release"})
public class migrate implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Extra values for rendering the Job, as helm --set.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--set-string", paramLabel = "KEY=VALUE", description = "Values kept as strings, as helm --set-string (e.g. a label value \"true\").")
    List<String> setStrings = new ArrayList<>();

    /** --set then --set-string entries, in the form Helm.Values takes. */
    List<String> allSets() {
        var all = new ArrayList<>(sets);
        setStrings.forEach(s -> all.add("--set-string " + s));
        return all;
    }

    @Option(names = "--tag", paramLabel = "TAG", description = "Run the migrations of this image tag (default: the image of the last deployed revision).")
    String tag;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", description = "How long to wait for the Job, 1s to 24h (default: ${DEFAULT-VALUE}).")
    String timeout;

    public static void main(String[] args) { System.exit(Cli.execute(new migrate(), args)); }

    @Override
    public Integer call() {
        var p = new Progress("migrate", System.out);
        return Cli.guard("migrate", () -> {
            Duration wait = Cli.duration("--timeout", timeout);
            var rel = target.resolve(p::info);
            var extra = allSets();
            if (tag != null) {
                if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) throw new Target.Invalid("--tag '" + tag + "' is not a valid image tag");
                extra.add("--set-string image.tag=" + tag);
            }
            var out = Migrator.run(rel, extra, wait, p);
            System.out.println(out.explanation());
            if (out.running()) {
                System.err.println("migrate: Job " + out.job() + " has not finished in " + wait.toSeconds() + " s; it is still running (see above)");
                return 1;
            }
            if (!out.succeeded()) {
                System.err.println("migrate: Job " + out.job() + " failed; its status, events and logs are above");
                return 1;
            }
            p.info("Job " + out.job() + " succeeded");
            return 0;
        });
    }
}
