import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installer's order of steps, on a fake kubectl and helm (FakeCluster): no cluster, no process. */
class InstallerTest {
    /** What `helm template` renders here: the API reads Secret trevor-env; a migration hook Job. */
    static final String RENDER = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: trevor-api
              labels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: api}
            spec:
              selector: {matchLabels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: api}}
              template:
                metadata: {labels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: api}}
                spec:
                  containers:
                  - name: api
                    image: trevor:1.2.3
                    envFrom: [{secretRef: {name: trevor-env}}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: trevor-migrate
              labels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: migrate}
              annotations: {helm.sh/hook: pre-install,pre-upgrade}
            spec:
              template:
                metadata: {labels: {app.kubernetes.io/instance: trevor, app.kubernetes.io/component: migrate}}
                spec:
                  containers:
                  - name: migrate
                    image: trevor:1.2.3
                    command: [sh, -c, echo migrated]
                    envFrom: [{secretRef: {name: trevor-env}}]
            """;

    static final String NOT_FOUND = "Error: release: not found";

    /** A fake on which a first install goes through: nothing exists yet, helm answers as it would. */
    static FakeCluster firstInstall() {
        return new FakeCluster()
                .on("helm template", 0, RENDER, "")
                .on("helm history", 1, "", NOT_FOUND)
                .on("kubectl apply", 0, "", "")
                .on("helm upgrade --install", 0, "Release \"trevor\" has been installed.", "");
    }

    static Installer.Options options(Path envFile, String tag) {
        return new Installer.Options(List.of(), List.of(), tag, List.of(new Installer.EnvSource(null, envFile)), false,
                Duration.ofSeconds(30), true, Installer.NamespaceLabels.REFUSE, false, null);
    }

    static Path envFile(Path dir) throws Exception {
        return Files.writeString(dir.resolve("trevor.env"), "DATABASE_URL=postgresql://db/trevor\n");
    }

    static Progress quiet(ByteArrayOutputStream sink) { return new Progress("install", new PrintStream(sink, true, StandardCharsets.UTF_8)); }

    /**
     * The calls that change something, in order, each named by its verb and (for kubectl create)
     * the kind it creates: what a person would list as "the steps".
     */
    static List<String> changes(FakeCluster fake) {
        var out = new ArrayList<String>();
        for (var c : fake.calls) {
            String verb = c.args().get(0);
            if (c.tool().equals("kubectl") && List.of("create", "replace").contains(verb)) {
                out.add("kubectl " + verb + " " + Yaml.str(Yaml.loadMap(c.stdin()), "kind"));
            } else if (c.tool().equals("kubectl") && verb.equals("apply")) {
                out.add("kubectl apply" + (c.args().contains("--dry-run=server") ? " --dry-run=server" : ""));
            } else if (c.tool().equals("kubectl") && List.of("delete", "patch", "label").contains(verb)) {
                out.add("kubectl " + verb + " " + c.args().get(1));
            } else if (c.tool().equals("helm") && List.of("upgrade", "rollback", "uninstall").contains(verb)) {
                out.add("helm " + verb);
            }
        }
        return out;
    }

    @Test
    void aFirstInstallChecksEverythingThenMakesTheNamespaceTakesTheLockDryRunsWritesSecretsAndOnlyThenRunsHelm(@TempDir Path dir) throws Exception {
        var fake = firstInstall();
        Installer.install(fake.release(), options(envFile(dir), "1.2.3"), quiet(new ByteArrayOutputStream()));
        assertEquals(List.of("kubectl create Namespace", "kubectl create Lease", "kubectl apply --dry-run=server", "kubectl create Secret",
                "helm upgrade", "kubectl delete lease"), changes(fake));
        // Preflight read everything before the first change: the render, the namespace, the release's history.
        var lines = fake.calls.stream().map(FakeCluster.Call::line).toList();
        int firstChange = lines.indexOf(fake.lines("kubectl create").get(0));
        assertTrue(lines.indexOf(fake.lines("helm template").get(0)) < firstChange, lines.toString());
        assertTrue(lines.indexOf(fake.lines("kubectl get namespace trevor").get(0)) < firstChange, lines.toString());
        assertTrue(lines.indexOf(fake.lines("helm history").get(0)) < firstChange, lines.toString());
        // The tag reached helm as one literal string, and the pods carry the checksum of the Secret they read.
        var helm = fake.lines("helm upgrade --install").get(0);
        assertTrue(helm.contains("--set-literal image.tag=1.2.3") && helm.contains("--set-string podAnnotations.checksum/env-secrets="), helm);
        assertTrue(fake.get("lease", "trevor", "trevor-lifecycle-lock") == null, "the lock is released at the end");
    }

    @Test
    void aBadTagReachesHelmAsOneValueAndHelmsRefusalChangesNothing(@TempDir Path dir) throws Exception {
        // The one tag rule is image.tag's pattern in the chart's schema: helm's render refuses it.
        var fake = firstInstall().on("helm template", 1, "", "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
                + "trevor:\n- image.tag: Does not match pattern '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'");
        var e = FakeCluster.nothingChanged(() -> Installer.install(fake.release(), options(envFile(dir), "1.2.3,networkPolicy.enabled=false"),
                quiet(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("image.tag: Does not match pattern"), e.getMessage());
        // One value, never split at its comma into a second one that would switch the policies off.
        var render = fake.lines("helm template");
        assertTrue(render.size() == 1 && render.get(0).contains("--set-literal image.tag=1.2.3,networkPolicy.enabled=false"), String.valueOf(render));
        assertEquals(List.of(), changes(fake));
    }

    @Test
    void aDryRunTheAPIServerRefusesRemovesTheNamespaceThisRunMadeReleasesTheLockAndNeverRunsHelm(@TempDir Path dir) throws Exception {
        var fake = firstInstall().on("kubectl apply", 1, "", "Error from server (Forbidden): pods \"x\" is forbidden: violates PodSecurity");
        var e = FakeCluster.nothingChanged(() -> Installer.install(fake.release(), options(envFile(dir), "1.2.3"), quiet(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("the API server refuses this release"), e.getMessage());
        assertEquals(List.of("kubectl create Namespace", "kubectl create Lease", "kubectl apply --dry-run=server", "kubectl delete namespace",
                "kubectl delete lease"), changes(fake));
    }

    @Test
    void aReleaseAnotherRunHoldsIsRefusedInPreflightWithoutAnyChange(@TempDir Path dir) throws Exception {
        var fake = firstInstall().on("helm history", 0,
                "[{\"revision\":1,\"status\":\"deployed\",\"description\":\"Install complete\",\"updated\":\"2026-12-07T10:00:00Z\"},"
                        + "{\"revision\":2,\"status\":\"pending-upgrade\",\"description\":\"Preparing upgrade\",\"updated\":\"2026-12-07T10:01:00Z\"}]", "");
        fake.put(Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", "trevor", "labels", Namespaces.POD_SECURITY)));
        fake.put(ReleaseLockTest.lease("upgrade.java trevor (pid 1 on elsewhere, user ci)", Instant.now().minusSeconds(3), Map.of()));
        var e = FakeCluster.nothingChanged(() -> Installer.install(fake.release(), options(envFile(dir), "1.2.3"), quiet(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("is busy: upgrade.java trevor (pid 1 on elsewhere, user ci) holds its lock"), e.getMessage());
        assertEquals(List.of(), changes(fake));
    }
}
