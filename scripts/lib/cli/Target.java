//DEPS info.picocli:picocli:4.7.7
//SOURCES ../kube/Helm.java
//SOURCES HelmOptions.java
//SOURCES ../kube/InputFile.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/KubeConfig.java
//SOURCES ../tools/Problem.java
//SOURCES ../kube/Release.java
//SOURCES ../tools/Repo.java
//SOURCES ../tools/Tools.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where a lifecycle script acts: cluster context, namespace, release, chart and the Helm
 * to use. Shared as a picocli mixin so every script spells these options the same way.
 */
final class Target {
    @Option(names = "--context", paramLabel = "NAME", description = "Kube context to use. Without it only the current context is used, and only when it is a local dev cluster (k3d-*, kwok-*).")
    String context;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
    Path kubeconfig;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "trevor", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--release", paramLabel = "NAME", defaultValue = "trevor", description = "Helm release name (default: ${DEFAULT-VALUE}).")
    String release;

    @Option(names = "--chart", paramLabel = "DIR", description = "Chart folder (default: helm/trevor of this repository).")
    Path chart;

    @Mixin HelmOptions helm = new HelmOptions();

    /**
     * Resolves tools, chart and context, and checks the cluster answers. Throws
     * Problem.BadInput, Problem.Refused or Problem.ToolMissing, all worth exit code 2.
     */
    Release resolve(Consumer<String> progress) {
        if (!namespace.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || namespace.length() > 63) {
            throw new Problem.BadInput("--namespace '" + namespace + "' is not a valid namespace name (lowercase letters, digits, '-')");
        }
        if (!release.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || release.length() > 53) {
            throw new Problem.BadInput("--release '" + release + "' is not a valid release name (lowercase letters, digits, '-', at most 53)");
        }
        Path chartDir = chart;
        if (chartDir == null) {
            Path repo = Repo.root();
            if (repo == null) throw new Problem.BadInput("not inside the trevor repository: run from it, or pass --chart");
            chartDir = repo.resolve("helm/trevor");
        }
        if (!Files.isRegularFile(chartDir.resolve("Chart.yaml"))) throw new Problem.BadInput("no chart at " + chartDir + " (Chart.yaml missing)");
        if (kubeconfig != null) InputFile.check("--kubeconfig", kubeconfig, KubeConfig.MAX_BYTES, "4 MiB: far more than a kubeconfig needs");
        if (context != null && (context.isBlank() || context.startsWith("-"))) {
            throw new Problem.BadInput("--context '" + context + "' is not a context name (it must not be empty or start with '-')");
        }
        // The guard first: it reads the kubeconfig itself, before any kubectl or helm starts.
        String ctx = Kube.chooseContext(kubeconfig, context);
        Helm helm = this.helm.resolve(progress);
        Path kubectl = Tools.kubectl(progress);
        var kube = new Kube(kubectl, ctx, kubeconfig);
        kube.requireReachable();
        return new Release(helm, kube, release, namespace, chartDir.toAbsolutePath().normalize());
    }
}
