///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/lifecycle/DevDeps.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/kube/Namespaces.java
//SOURCES lib/report/Progress.java
//SOURCES lib/kube/Release.java
//SOURCES lib/lifecycle/ReleaseLock.java
//SOURCES lib/cli/Target.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "uninstall", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Removes the release and what the scripts made for it: helm uninstall, the migration Jobs (on-demand and failed "
                + "hooks) with their ServiceAccount and NetworkPolicy, the Secrets install wrote, the lock; --with-deps the dev "
                + "dependencies too, --delete-namespace the namespace.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:nothing of the release is left", "1:something could not be removed (named)",
                "2:bad input, unreachable or refused cluster, the release is busy: nothing was changed"})
public class uninstall implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--with-deps", description = "Also uninstall the dev dependencies (release " + DevDeps.RELEASE + ") of this namespace: "
            + "the dev database's data goes with them.")
    boolean withDeps;

    @Option(names = "--keep-secrets", description = "Keep the Secrets install wrote (labelled app.kubernetes.io/part-of=trevor).")
    boolean keepSecrets;

    @Option(names = "--delete-namespace", description = "Delete the namespace at the end, with anything else in it.")
    boolean deleteNamespace;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "3m", description = "How long to wait for each removal, 1s to 24h (default: ${DEFAULT-VALUE}).")
    String timeout;

    public static void main(String[] args) { System.exit(Cli.execute(new uninstall(), args)); }

    @Override
    public Integer call() throws Exception {
        var p = new Progress("uninstall", System.out);
        var wait = Cli.duration("--timeout", timeout);
        var rel = target.resolve(p::info);
        var kube = rel.kube;
        if (Namespaces.SYSTEM.contains(rel.namespace)) {
            throw new Problem.Refused("namespace " + rel.namespace + " belongs to the cluster itself; the scripts never install there or remove from it");
        }
        if (withDeps && !kube.isLocal()) {
            throw new Problem.Refused("--with-deps removes dev dependencies, which exist on local dev clusters only; " + kube.context + " is not one ("
                    + kube.localProblem() + ")");
        }
        p.info("release " + rel.name + " in namespace " + rel.namespace + " on " + kube.context);
        var left = new ArrayList<String>();
        try (var lock = ReleaseLock.acquire(kube, rel.namespace, rel.name, "uninstall.java")) {
            if (rel.exists()) {
                p.step("helm uninstall " + rel.name, () -> {
                    var r = rel.uninstall(wait);
                    if (!r.ok()) left.add("release " + rel.name + ": helm uninstall failed: " + Kube.firstLine(r.said()));
                });
            } else {
                p.info("no release " + rel.name + " in " + rel.namespace + "; removing what the scripts left of it");
            }
            // Helm deletes no hook object it did not delete itself: a failed migration Job, its ServiceAccount and
            // NetworkPolicy stay, and so do the Jobs migrate.java started (they are not part of the release).
            String migrate = "app.kubernetes.io/instance=" + rel.name + ",app.kubernetes.io/component=migrate";
            p.step("migration Jobs, their ServiceAccount and NetworkPolicy", () -> remove(kube, rel.namespace, "jobs,serviceaccounts,networkpolicies",
                    migrate, wait, left));
            if (!keepSecrets) {
                p.step("Secrets install wrote", () -> {
                    var names = kube.list(rel.namespace, "secrets", "app.kubernetes.io/part-of=trevor").stream()
                            .map(s -> Yaml.str(s, "metadata.name")).toList();
                    p.info(names.isEmpty() ? "none" : "removing " + String.join(", ", names) + " (values never shown; --keep-secrets keeps them)");
                    remove(kube, rel.namespace, "secrets", "app.kubernetes.io/part-of=trevor", wait, left);
                });
            }
            if (withDeps) {
                var deps = new Release(rel.helm, kube, DevDeps.RELEASE, rel.namespace, rel.chart);
                if (deps.exists()) {
                    p.step("helm uninstall " + DevDeps.RELEASE + " (the dev database's data goes with it)", () -> {
                        var r = deps.uninstall(wait);
                        if (!r.ok()) left.add("release " + DevDeps.RELEASE + ": helm uninstall failed: " + Kube.firstLine(r.said()));
                    });
                }
            }
        }
        if (deleteNamespace) {
            p.step("namespace " + rel.namespace, () -> {
                var r = kube.run(wait.plusSeconds(30), "delete", "namespace", rel.namespace, "--ignore-not-found", "--wait=true",
                        "--timeout=" + wait.toSeconds() + "s");
                if (!r.ok()) left.add("namespace " + rel.namespace + ": " + Kube.firstLine(r.said()));
            });
        }
        p.printTimings();
        if (!left.isEmpty()) {
            left.forEach(l -> System.err.println("uninstall: not removed: " + l));
            return 1;
        }
        p.info("nothing of release " + rel.name + " is left in " + rel.namespace + (deleteNamespace ? " (namespace deleted)" : ""));
        return 0;
    }

    /** Deletes what the selector finds and waits until the API server says it is gone. */
    private static void remove(Kube kube, String namespace, String kinds, String selector, Duration wait, List<String> left) {
        var r = kube.run(wait.plusSeconds(30), "delete", kinds, "-n", namespace, "-l", selector, "--ignore-not-found", "--wait=true",
                "--timeout=" + wait.toSeconds() + "s");
        if (!r.ok()) left.add(kinds + " -l " + selector + ": " + Kube.firstLine(r.said()));
    }
}
