///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.yaml:snakeyaml:2.5
//DEPS org.slf4j:slf4j-nop:2.0.18
//SOURCES lib/Repo.java
//SOURCES lib/Exec.java
//SOURCES lib/Yaml.java
//SOURCES lib/Manifests.java
//SOURCES lib/Tools.java
//SOURCES lib/Archives.java
//SOURCES lib/Download.java
//SOURCES lib/Helm.java
//SOURCES lib/Kube.java
//SOURCES lib/Release.java
//SOURCES lib/Target.java
//SOURCES lib/Progress.java
//SOURCES lib/Diagnostics.java
//SOURCES lib/Installer.java
//SOURCES lib/Cli.java
//SOURCES lib/Report.java
//SOURCES lib/LiveChecks.java
//SOURCES lib/ManifestDiff.java
//SOURCES lib/Upgrader.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "upgrade", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Upgrades a deployed release to a new image tag and/or values: shows the rendered diff, upgrades with "
                + "rollback on failure, then proves from the cluster that the migration Job finished before new API pods.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:upgraded, migrations ran first", "1:the upgrade failed and was rolled back, or the ordering proof failed",
                "2:bad input, missing tool, unreachable or refused cluster, no release: nothing was changed"})
public class upgrade implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--tag", paramLabel = "TAG", description = "New image tag (sets image.tag).")
    String tag;

    @Option(names = {"-f", "--values"}, paramLabel = "FILE", description = "More values files, on top of the deployed values.")
    List<Path> values = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "More values, as helm --set.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait for hooks and pods (default: ${DEFAULT-VALUE}).")
    String timeout;

    public static void main(String[] args) { System.exit(Cli.execute(new upgrade(), args)); }

    @Override
    public Integer call() {
        var p = new Progress("upgrade", System.out);
        return Cli.guard("upgrade", () -> {
            if (tag == null && values.isEmpty() && sets.isEmpty()) {
                throw new Target.Invalid("nothing to change: give --tag, --values or --set");
            }
            var rel = target.resolve(p::info);
            var opts = new Installer.Options(values, sets, tag, null, false, Cli.duration("--timeout", timeout), true);
            var out = Upgrader.upgrade(rel, opts, target.context != null, p);
            p.info("revision " + out.revisionBefore() + " → " + out.revisionAfter());
            p.printTimings();
            return 0;
        });
    }
}
