///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/lifecycle/Installer.java
//SOURCES lib/report/Progress.java
//SOURCES lib/cli/Target.java
//SOURCES lib/lifecycle/Upgrader.java
//SOURCES lib/cli/ValueOptions.java
//SOURCES lib/tools/Problem.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "upgrade", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Upgrades a deployed release to a new image tag and/or values: shows the rendered diff, upgrades with "
                + "rollback on failure, then proves from the cluster that the migration Job finished before new API pods.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:upgraded, migrations ran first", "1:the upgrade failed and was rolled back, or the ordering proof failed",
                "2:bad input, missing tool, unreachable or refused cluster, no release, or an image whose migrations do not know the database's Alembic revision: nothing was changed"})
public class upgrade implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = {"-f", "--values"}, paramLabel = "FILE", description = "More values files, on top of the deployed values.")
    List<Path> values = new ArrayList<>();

    @Mixin ValueOptions chartValues;

    @Option(names = "--env-file", paramLabel = "[SECRET=]FILE", description = "New contents for a Secret that envFromSecrets names (as install.java --env-file).")
    List<String> envFiles = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait for hooks and pods, 1s to 24h (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--recover", description = "If an interrupted run left the release pending, roll it back to the last deployed revision first.")
    boolean recover;

    public static void main(String[] args) { System.exit(Cli.execute(new upgrade(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("upgrade", System.out);
        if (chartValues.isEmpty() && values.isEmpty() && envFiles.isEmpty()) {
            throw new Problem.BadInput("nothing to change: give --tag, --values, --set or --env-file");
        }
        var wait = Cli.duration("--timeout", timeout);
        var opts = new Installer.Options(values, chartValues.sets(), chartValues.tag(), envFiles.stream().map(Installer.EnvSource::parse).toList(), false, wait, true,
                Installer.NamespaceLabels.KEEP, recover, null);
        opts.checkFiles();
        var rel = target.resolve(p::info);
        var out = Upgrader.upgrade(rel, opts, p);
        p.info("revision " + out.revisionBefore() + " → " + out.revisionAfter());
        p.printTimings();
        return 0;
    }
}
