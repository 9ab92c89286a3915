import java.nio.file.Files;
import java.nio.file.Path;

/** Where this repository is: scripts run from anywhere inside it. */
final class Repo {
    private Repo() {}

    /**
     * The nearest folder at or above the working directory that holds scripts/lib and
     * helm/trevor. JBang runs a compiled copy of the script, so the script's own path is
     * not known at run time.
     */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("scripts/lib")) && Files.isRegularFile(p.resolve("helm/trevor/Chart.yaml"))) return p;
        }
        return null;
    }
}
