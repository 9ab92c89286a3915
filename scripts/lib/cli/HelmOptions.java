//DEPS info.picocli:picocli:4.7.7
//SOURCES ../kube/Helm.java
//SOURCES ../tools/Problem.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** Which helm a script runs: one picocli mixin, so every script spells these options the same way. */
final class HelmOptions {
    @Option(names = "--helm", paramLabel = "PATH", description = "helm binary to use (Helm 3.14+ or 4). Default: `helm` on PATH when it fits, "
            + "else the pinned Helm of --helm-major, fetched once into the cache.")
    Path helmPath;

    @Option(names = "--helm-major", paramLabel = "3|4", defaultValue = "4", description = "Which pinned Helm to use without --helm (default: ${DEFAULT-VALUE}).")
    int helmMajor;

    /** The helm these options name; a bad option or a missing binary is exit code 2. */
    Helm resolve(Consumer<String> progress) {
        if (helmPath == null && helmMajor != 3 && helmMajor != 4) {
            throw new Problem.BadInput("--helm-major must be 3 or 4, not " + helmMajor);
        }
        if (helmPath != null && (!Files.isRegularFile(helmPath) || !Files.isExecutable(helmPath))) {
            throw new Problem.BadInput("--helm " + helmPath + " is not an executable file");
        }
        return Helm.resolve(helmPath, helmMajor, progress);
    }

    /** The same choice, for a script this one starts. */
    List<String> args() {
        return helmPath != null ? List.of("--helm", helmPath.toString()) : List.of("--helm-major", String.valueOf(helmMajor));
    }
}
