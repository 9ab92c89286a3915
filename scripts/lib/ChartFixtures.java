import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Charts verify (and the bench's helm-unittest suite) build from the trevor chart. */
final class ChartFixtures {
    private ChartFixtures() {}

    static final String NOTES_PROBE = "trevor-verify-notes";
    static final String PLATFORM_MARKER = "platform-marker";

    /**
     * A copy of the chart with one more template that includes NOTES.txt into a ConfigMap:
     * `helm template` leaves NOTES out (and Helm 3 cannot dry-run an install offline). It finds
     * NOTES.txt by .Template.BasePath, so it works at the top and as an aliased dependency.
     */
    static void notesProbe(Path chart, Path copy) {
        Dirs.copyTree(chart, copy);
        write(copy.resolve("templates/zz-verify-notes.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                data:
                  NOTES: {{ include (printf "%%s/NOTES.txt" .Template.BasePath) . | toJson }}
                """.formatted(NOTES_PROBE));
    }

    /**
     * A parent chart holding a copy of the chart under charts/ with `condition: trevor.enabled`,
     * as a platform repository would (no repository URL, so nothing to download), and one
     * object of its own so that a render without trevor is not empty.
     */
    static void platform(Path chart, Path parent) {
        Dirs.copyTree(chart, parent.resolve("charts").resolve("trevor"));
        String version;
        try {
            version = Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(parent.resolve("Chart.yaml"), """
                apiVersion: v2
                name: platform
                version: 1.0.0
                dependencies:
                  - name: trevor
                    version: "%s"
                    condition: trevor.enabled
                """.formatted(version));
        write(parent.resolve("values.yaml"), "trevor:\n  enabled: true\n");
        write(parent.resolve("templates/marker.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                data: {}
                """.formatted(PLATFORM_MARKER));
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
