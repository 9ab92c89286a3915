///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/report/Progress.java
//SOURCES lib/lifecycle/Rollback.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Problem.java

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rollback", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Rolls the release back to an earlier revision (default: the one deployed before the current one), "
                + "and says which schema migrations stay applied: a rollback never downgrades the database.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:rolled back and ready", "1:the rollback failed (the release's state is shown)",
                "2:bad input (no such revision), busy or stuck release, missing tool, refused cluster: nothing was changed"})
public class rollback implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--revision", paramLabel = "N", description = "Revision to return to (helm history lists them). Default: the deployed revision before the current one.")
    Integer revision;

    @Option(names = "--force", description = "Roll back to a revision that failed (refused without it: that deploys what failed).")
    boolean force;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait for the pods, 1s to 24h (default: ${DEFAULT-VALUE}).")
    String timeout;

    public static void main(String[] args) { System.exit(Cli.execute(new rollback(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("rollback", System.out);
        var wait = Cli.duration("--timeout", timeout);
        if (revision != null && revision < 1) throw new Problem.BadInput("--revision must be 1 or more, not " + revision);
        var rel = target.resolve(p::info);
        var out = Rollback.run(rel, revision, force, wait, p);
        p.info("rolled back from revision " + out.from() + " (" + out.imageBefore() + ") to revision " + out.target() + " (" + out.imageAfter()
                + "), recorded as revision " + out.now());
        p.printTimings();
        return 0;
    }
}
