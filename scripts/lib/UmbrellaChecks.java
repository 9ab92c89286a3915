import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The chart as a dependency of a parent chart (condition: trevor.enabled), as a platform repository holds it. */
final class UmbrellaChecks extends ChartGroup {
    private static final String UMBRELLA_MARKER = "platform-marker";

    UmbrellaChecks(ChartChecks suite) { super(suite); }

    void define() {
        Path platform = suite.runner.fixture("umbrella/platform", chart, UmbrellaChecks::platform);
        var enabled = suite.runner.scenario("umbrella: trevor.enabled=true", platform, RELEASE, NAMESPACE, Helm.Values.none());
        var disabled = suite.runner.scenario("umbrella: trevor.enabled=false", platform, RELEASE, NAMESPACE,
                new Helm.Values(List.of(), List.of("trevor.enabled=false")));
        // The subchart's schema refuses this under the parent; its violations come under its own name.
        var bad = suite.runner.refusal(platform, RELEASE, NAMESPACE, new Helm.Values(List.of(), List.of("trevor.servce.port=8000")), true, "trevor");
        check("umbrella chart: condition trevor.enabled=true renders trevor, and its schema still applies", "parent chart with trevor under charts/", () -> {
            var objs = enabled.objs();
            component(objs, "Deployment", "api");
            component(objs, "Deployment", "worker");
            one(objs, "Service");
            var v = bad.verdict();
            Report.expect(v.refused() && v.said().contains("servce"),
                    "expected the subchart's schema to refuse trevor.servce.port, helm said: %s", v.refused() ? oneLine(v.said()) : "(rendered)");
        });
        check("umbrella chart: condition trevor.enabled=false renders no trevor objects", "parent chart with --set trevor.enabled=false", () -> {
            var objs = disabled.objs();
            Report.expect(objs.size() == 1 && UMBRELLA_MARKER.equals(objs.get(0).name()),
                    "expected only the parent's own ConfigMap/%s, found %s", UMBRELLA_MARKER, ids(objs));
        });
    }

    /**
     * A parent chart holding a copy of this chart under charts/ with `condition: trevor.enabled`,
     * as a platform repository would (no repository URL, so nothing to download), and one
     * object of its own so that a render without trevor is not empty.
     */
    private static void platform(Path chart, Path parent) {
        try {
            Dirs.copyTree(chart, parent.resolve("charts").resolve("trevor"));
            String version = Yaml.str(Yaml.loadMap(Files.readString(chart.resolve("Chart.yaml"))), "version");
            Files.writeString(parent.resolve("Chart.yaml"), """
                    apiVersion: v2
                    name: platform
                    version: 1.0.0
                    dependencies:
                      - name: trevor
                        version: "%s"
                        condition: trevor.enabled
                    """.formatted(version));
            Files.writeString(parent.resolve("values.yaml"), "trevor:\n  enabled: true\n");
            Files.createDirectories(parent.resolve("templates"));
            Files.writeString(parent.resolve("templates/marker.yaml"), """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: %s
                    data: {}
                    """.formatted(UMBRELLA_MARKER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
