//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Charts verify (and the bench's helm-unittest suite) build from the trevor chart. */
final class ChartFixtures {
    private ChartFixtures() {}

    static final String NOTES_PROBE = "trevor-verify-notes";
    static final String PLATFORM_MARKER = "platform-marker";

    /** A chart made from another: that one copied to chartAt ("" for the top), and files of its own. */
    record Fixture(String chartAt, Map<String, String> files) {
        /** Everything it is made of besides the chart it copies. */
        String describe() { return "at " + chartAt + "\n" + new TreeMap<>(files); }

        void write(Path origin, Path dir) {
            Dirs.copyTree(origin, chartAt.isEmpty() ? dir : dir.resolve(chartAt));
            files.forEach((p, text) -> {
                try {
                    Files.createDirectories(dir.resolve(p).getParent());
                    Files.writeString(dir.resolve(p), text);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * A copy of the chart with one more template that includes NOTES.txt into a ConfigMap:
     * `helm template` leaves NOTES out (and Helm 3 cannot dry-run an install offline). It finds
     * NOTES.txt by .Template.BasePath, so it works at the top and as an aliased dependency.
     */
    static Fixture notesProbe(Path chart) {
        return new Fixture("", Map.of("templates/zz-verify-notes.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                data:
                  NOTES: {{ include (printf "%%s/NOTES.txt" .Template.BasePath) . | toJson }}
                """.formatted(NOTES_PROBE)));
    }

    /**
     * A parent chart holding a copy of the chart under charts/ with `condition: trevor.enabled`,
     * as a platform repository would (no repository URL, so nothing to download), and one
     * object of its own so that a render without trevor is not empty.
     */
    static Fixture platform(Path chart) {
        String version;
        try {
            version = Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Fixture("charts/trevor", Map.of("Chart.yaml", """
                apiVersion: v2
                name: platform
                version: 1.0.0
                dependencies:
                  - name: trevor
                    version: "%s"
                    condition: trevor.enabled
                """.formatted(version), "values.yaml", "trevor:\n  enabled: true\n", "templates/marker.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                data: {}
                """.formatted(PLATFORM_MARKER)));
    }
}
