///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/lifecycle/DevDeps.java
//SOURCES lib/lifecycle/Installer.java
//SOURCES lib/report/Progress.java
//SOURCES lib/kube/Release.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/cli/Target.java
//SOURCES lib/cli/ValueOptions.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "install", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Installs or upgrades trevor: namespace with Pod Security \"restricted\", the Secrets envFromSecrets names, "
                + "then helm upgrade --install --wait. Checks everything before the first change.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:installed and ready", "1:the release did not become ready (Job logs and events shown)",
                "2:bad input, missing tool, unreachable or refused cluster: nothing was changed"})
public class install implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = {"-f", "--values"}, paramLabel = "FILE", description = "Values file(s), in order (default: values/dev.yaml; values/real-node.yaml on a cluster with a real node).")
    List<Path> values;

    @Mixin ValueOptions chartValues;

    @Option(names = "--env-file", paramLabel = "[SECRET=]FILE", description = "KEY=VALUE lines (read as kubectl create secret --from-env-file reads them) "
            + "that the Secret is made to hold exactly: keys added, changed and removed are listed by name, never by value. "
            + "SECRET= says which Secret when envFromSecrets names several. Repeatable.")
    List<String> envFiles = new ArrayList<>();

    @Option(names = "--no-dev-secrets", description = "Never create missing Secrets with dev defaults (they are only ever used on local dev clusters).")
    boolean noDevSecrets;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait for hooks and pods, 1s to 24h, e.g. 90s, 5m (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--no-rollback", description = "Keep a failed release as it is instead of rolling back (for debugging).")
    boolean noRollback;

    @Option(names = "--relabel-namespace", description = "Let install change an existing namespace's Pod Security labels to \"restricted\".")
    boolean relabelNamespace;

    @Option(names = "--keep-namespace-labels", description = "Install into an existing namespace without changing its Pod Security labels.")
    boolean keepNamespaceLabels;

    @Option(names = "--with-deps", description = "First install trevor's dev dependencies (helm/trevor-dev-deps: PostgreSQL, Redis…) into the "
            + "namespace; local dev clusters only. On a cluster with a real node, with the images scripts/images.java builds.")
    boolean withDeps;

    @Option(names = "--recover", description = "If an interrupted run left the release pending, roll it back to the last deployed revision "
            + "(or uninstall a first install that never finished), then carry on.")
    boolean recover;

    public static void main(String[] args) { System.exit(Cli.execute(new install(), args)); }

    private Installer.Options options(List<Path> files, java.time.Duration wait) {
        return new Installer.Options(files, chartValues.sets(), chartValues.tag(), envFiles.stream().map(Installer.EnvSource::parse).toList(), !noDevSecrets,
                wait, !noRollback, relabelNamespace ? Installer.NamespaceLabels.RELABEL : keepNamespaceLabels ? Installer.NamespaceLabels.KEEP
                : Installer.NamespaceLabels.REFUSE, recover, null);
    }

    private static boolean hasRealNode(Release rel) { return Installer.hasRealNode(rel); }

    /**
     * values/dev.yaml expects k3d's imported trevor:dev image, which a real node cannot have:
     * its pods would wait in ErrImageNeverPull until the timeout. A cluster with a real node
     * gets the values made for it, and says so.
     */
    private static Path defaultValues(Release rel, Progress p) {
        Path repo = Repo.root() == null ? Path.of("") : Repo.root();
        if (hasRealNode(rel)) {
            p.info("no -f given and the cluster has a real node: values/real-node.yaml (the images scripts/images.java builds)");
            return repo.resolve("values/real-node.yaml");
        }
        return repo.resolve("values/dev.yaml");
    }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("install", System.out);
        if (relabelNamespace && keepNamespaceLabels) throw new Problem.BadInput("--relabel-namespace and --keep-namespace-labels exclude each other");
        var wait = Cli.duration("--timeout", timeout);
        // Files first (kind, size), before the cluster is asked anything; the default values depend on the cluster.
        options(values != null ? values : List.of(), wait).checkFiles();
        var rel = target.resolve(p::info);
        var opts = options(values != null ? values : List.of(defaultValues(rel, p)), wait);
        p.info("release " + rel.name + " → namespace " + rel.namespace + " on " + rel.kube.context + " with " + rel.helm);
        if (withDeps) {
            // Everything about trevor's own input is checked before the dependencies change anything.
            Installer.preflight(rel, opts);
            boolean realNode = hasRealNode(rel);
            p.info("dev dependencies with " + (realNode ? "the locally built images (the cluster has a real node)" : "the official images"));
            DevDeps.install(rel.helm, rel.kube, rel.namespace, realNode, wait, p);
        }
        Installer.install(rel, opts, p);
        p.info("ready. " + "Next: ./jbang scripts/status.java --context " + rel.kube.context + " -n " + rel.namespace);
        p.printTimings();
        return 0;
    }
}
