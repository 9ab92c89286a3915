//SOURCES ../kube/Helm.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/Namespaces.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ReleaseLock.java
//SOURCES ../tools/Repo.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * trevor's dev dependencies (helm/trevor-dev-deps: PostgreSQL, Redis and, where their images
 * can run, SeaweedFS, Keycloak and an OpenTelemetry collector) installed next to trevor on a
 * local cluster, so that values/dev.yaml and the dev Secret point at Services that exist.
 */
final class DevDeps {
    private DevDeps() {}

    static final String RELEASE = "trevor-dev-deps";
    static final String CHART = "helm/trevor-dev-deps";
    /** Inside the chart folder: the images scripts/images.java builds, for the real node. */
    static final String REAL_NODE_VALUES = "values-real-node.yaml";

    /** Said after every dev-deps install: nobody should learn it from a lost database. */
    static final String EPHEMERAL = "WARNING: the dev PostgreSQL keeps its data in an emptyDir: it is EPHEMERAL. A restart, drain or deletion of "
            + "its pod, uninstall --with-deps and cluster down empty the database; status.java then fails its database check "
            + "(no Alembic revision), and ./jbang scripts/migrate.java migrates it again from the start.";

    static Path chart(Path repo) { return repo.resolve(CHART); }

    /** Default values (official images), or the real node's locally built images. */
    static Helm.Values values(Path repo, boolean localImages) {
        return localImages ? new Helm.Values(List.of(chart(repo).resolve(REAL_NODE_VALUES)), List.of()) : Helm.Values.none();
    }

    /**
     * helm upgrade --install of the chart into {@code namespace} (created with Pod Security
     * "restricted" when missing), waiting until every dependency is Ready and the bucket Job has
     * run, under the lock of its own release. Local dev clusters only (name and server, as
     * Kube.isLocal): the chart holds development passwords.
     * A failure is a {@link Problem.Failed} that shows helm's error and the pods.
     */
    static void install(Helm helm, Kube kube, String namespace, boolean localImages, Duration timeout, Progress p) {
        install(helm, kube, namespace, localImages, List.of(), timeout, p);
    }

    /** The same, with --set values on top (e2e --real: networkPolicy.enabled=true). */
    static void install(Helm helm, Kube kube, String namespace, boolean localImages, List<String> sets, Duration timeout, Progress p) {
        Path repo = Repo.root();
        if (repo == null || !Files.isRegularFile(chart(repo).resolve("Chart.yaml"))) {
            throw new Problem.BadInput("no " + CHART + " chart: run me from inside the trevor repository");
        }
        if (!kube.isLocal()) {
            throw new Problem.BadInput("the dev dependencies are for local dev clusters only, and " + kube.context + " is not one ("
                    + kube.localProblem() + "): they run with development passwords");
        }
        if (Namespaces.SYSTEM.contains(namespace)) {
            throw new Problem.BadInput("namespace " + namespace + " belongs to the cluster itself; pick a namespace of its own, e.g. -n trevor");
        }
        var base = values(repo, localImages);
        var values = new Helm.Values(base.files(), java.util.stream.Stream.concat(base.sets().stream(), sets.stream()).toList());
        var rel = new Release(helm, kube, RELEASE, namespace, chart(repo));
        if (kube.get(null, "namespace", namespace) == null) {
            p.step("namespace " + namespace + " (Pod Security restricted)", () -> Namespaces.create(kube, namespace));
        }
        try (var lock = ReleaseLock.acquire(kube, namespace, RELEASE, "install.java --with-deps")) {
            p.step("dev dependencies (" + CHART + (localImages ? " with " + REAL_NODE_VALUES : "") + ")", () -> {
                var r = rel.upgradeInstall(values, timeout, false, null);
                if (!r.ok()) {
                    var pods = kube.run("-n", namespace, "get", "pods", "-l", "app.kubernetes.io/part-of=" + RELEASE, "-o", "wide");
                    throw new Problem.Failed("helm upgrade --install " + RELEASE + " failed: " + r.said() + "\n\npods:\n"
                            + (pods.ok() ? pods.out() : pods.said()));
                }
            });
        }
        p.info(EPHEMERAL);
    }
}
