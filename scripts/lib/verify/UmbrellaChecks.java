//SOURCES ChartChecks.java
//SOURCES ChartFixtures.java
//SOURCES ChartGroup.java
//SOURCES ../kube/Helm.java
//SOURCES ../report/Report.java

import java.nio.file.Path;
import java.util.List;

/** The chart as a dependency of a parent chart (condition: trevor.enabled), as a platform repository holds it. */
final class UmbrellaChecks extends ChartGroup {
    UmbrellaChecks(ChartChecks suite) { super(suite); }

    void define() {
        Path platform = suite.runner.fixture("umbrella/platform", chart, ChartFixtures::platform);
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
            Report.expect(objs.size() == 1 && ChartFixtures.PLATFORM_MARKER.equals(objs.get(0).name()),
                    "expected only the parent's own ConfigMap/%s, found %s", ChartFixtures.PLATFORM_MARKER, ids(objs));
        });
    }
}
