///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/lifecycle/Migrator.java
//SOURCES lib/report/Progress.java
//SOURCES lib/cli/Target.java
//SOURCES lib/cli/ValueOptions.java

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "migrate", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Runs the Alembic migrations now, as the chart's migration Job with the values and image of the last deployed revision "
                + "(--tag: another image's migrations), "
                + "and reports the Job's status and logs. Refuses first, creating nothing, an image whose migrations do not know the database's revision.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:migrations succeeded", "1:the migration failed (Job status, events and logs shown)",
                "2:bad input, missing tool, unreachable or refused cluster, no release, or an image whose migrations do not know the database's Alembic revision: nothing was changed"})
public class migrate implements Callable<Integer> {
    @Mixin Target target;

    @Mixin ValueOptions chartValues;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", description = "How long to wait for the Job, 1s to 24h (default: ${DEFAULT-VALUE}).")
    String timeout;

    public static void main(String[] args) { System.exit(Cli.execute(new migrate(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("migrate", System.out);
        Duration wait = Cli.duration("--timeout", timeout);
        // The deployed revision's image unless --tag names another (Migrator honours an explicit image.*).
        var extra = chartValues.sets();
        if (chartValues.tag() != null) extra.add("--set-string image.tag=" + chartValues.tag());
        var rel = target.resolve(p::info);
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
    }
}
