import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The chart as a dependency of a parent chart (condition: trevor.enabled), as a platform repository holds it. */
final class UmbrellaChecks extends ChartGroup {
    UmbrellaChecks(ChartChecks suite) { super(suite); }

    void define() {
        check("umbrella chart: condition trevor.enabled=true renders trevor, and its schema still applies", "parent chart with trevor under charts/", () -> {
            var r = helm.template(RELEASE, umbrella(), NAMESPACE, Helm.Values.none());
            Report.expect(r.ok(), "the parent chart (values trevor.enabled=true) did not render: %s", oneLine(r.said()));
            var objs = Manifests.parse(r.out());
            component(objs, "Deployment", "api");
            component(objs, "Deployment", "worker");
            one(objs, "Service");
            var bad = helm.template(RELEASE, umbrella(), NAMESPACE, new Helm.Values(List.of(), List.of("trevor.servce.port=8000")));
            Report.expect(!bad.ok() && bad.said().contains("servce"),
                    "expected the subchart's schema to refuse trevor.servce.port, helm said: %s", bad.ok() ? "(rendered)" : oneLine(bad.said()));
        });
        check("umbrella chart: condition trevor.enabled=false renders no trevor objects", "parent chart with --set trevor.enabled=false", () -> {
            var r = helm.template(RELEASE, umbrella(), NAMESPACE, new Helm.Values(List.of(), List.of("trevor.enabled=false")));
            Report.expect(r.ok(), "the parent chart did not render: %s", oneLine(r.said()));
            var objs = Manifests.parse(r.out());
            Report.expect(objs.size() == 1 && UMBRELLA_MARKER.equals(objs.get(0).name()),
                    "expected only the parent's own ConfigMap/%s, found %s", UMBRELLA_MARKER, ids(objs));
        });

    }

    private Path umbrella;
    private static final String UMBRELLA_MARKER = "platform-marker";

    /**
     * A parent chart holding a copy of this chart under charts/ with `condition: trevor.enabled`,
     * as a platform repository would (no repository URL, so nothing to download), and one
     * object of its own so that a render without trevor is not empty.
     */
    private synchronized Path umbrella() throws IOException {
        if (umbrella != null) return umbrella;
        Path parent = suite.runner.scratch().resolve("umbrella").resolve("platform");
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
        umbrella = parent;
        return parent;
    }
}
