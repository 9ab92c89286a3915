import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fields Kubernetes refuses to change in place, found before an upgrade: the old chart of
 * the spec ("what exists", a fixture) upgraded to the current chart, both rendered by real
 * helm, and synthetic objects for the kinds the chart does not render.
 */
class ImmutableFieldsTest {
    static Helm helm;
    static Path repo;
    static final Path FIXTURE = Path.of("scripts/tests/fixtures/trevor-chart-0.10.0");

    @BeforeAll
    static void tools() {
        repo = Repo.root();
        helm = Helm.at(Tools.helm(4, null));
    }

    private static List<Manifests.Obj> render(Path chart, String... sets) {
        var r = helm.template("trevor", chart, "trevor", new Helm.Values(List.of(), List.of(sets)));
        assertTrue(r.ok(), "helm template " + chart + ": " + r.said());
        return Manifests.parse(r.out());
    }

    @Test
    void upgradingTheOldChartHitsTheApiDeploymentSelector() {
        var old = render(repo.resolve(FIXTURE));
        var current = render(repo.resolve("helm/trevor"));
        var changes = ImmutableFields.changes(old, current, "trevor");
        assertEquals(1, changes.size(), changes.toString());
        var c = changes.get(0);
        assertEquals("Deployment/trevor", c.object());
        assertEquals("spec.selector", c.field());
        String m = c.message();
        assertTrue(m.startsWith("Deployment/trevor: spec.selector would change from matchLabels {app.kubernetes.io/instance=trevor, "
                + "app.kubernetes.io/name=trevor} to matchLabels {app.kubernetes.io/component=api, app.kubernetes.io/instance=trevor, "
                + "app.kubernetes.io/name=trevor}"), m);
        assertTrue(m.contains("field is immutable"), m);
        assertTrue(m.contains("install under a new release name"), m);
        assertTrue(m.contains("`kubectl -n trevor delete deployment trevor --cascade=orphan`"), m);
        assertTrue(m.contains("`kubectl -n trevor delete replicaset -l 'app.kubernetes.io/instance=trevor,app.kubernetes.io/name=trevor,!app.kubernetes.io/component'`"), m);
    }

    @Test
    void theOldChartInstallsInARestrictedNamespace() {
        var old = render(repo.resolve(FIXTURE));
        assertEquals(List.of("ServiceAccount/trevor", "Service/trevor", "Deployment/trevor"), old.stream().map(Manifests.Obj::id).toList());
        for (var o : old) {
            assertEquals(null, KubeSchema.problem(o), o.id());
            if (o.podSpec() != null) assertEquals(List.of(), PodSecurity.restrictedViolations(o.podSpec()), o.id());
        }
        var lint = helm.lint(repo.resolve(FIXTURE), Helm.Values.none());
        assertTrue(lint.ok(), lint.said());
    }

    @Test
    void upgradesWithinTheCurrentChartChangeNothingImmutable() {
        var current = render(repo.resolve("helm/trevor"));
        var prod = helm.template("trevor", repo.resolve("helm/trevor"), "trevor",
                new Helm.Values(List.of(repo.resolve("values/prod.yaml")), List.of()));
        assertTrue(prod.ok(), prod.said());
        assertEquals(List.of(), ImmutableFields.changes(current, Manifests.parse(prod.out()), "trevor"));
        assertEquals(List.of(), ImmutableFields.changes(current, render(repo.resolve("helm/trevor"), "replicaCount=3", "image.tag=2.0.0"), "trevor"));
    }

    private static List<Manifests.Obj> objs(String yaml) { return Manifests.parse(yaml); }

    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: SELECTOR}
              template: {metadata: {labels: LABELS}, spec: {containers: [{name: web, image: web}]}}
            """;

    @Test
    void aSelectorThatStillMatchesTheOldPodsNeedsNoCleanUp() {
        // The old pods already carry the new selector's labels: after the orphaning delete the
        // new Deployment adopts the old ReplicaSet and rolls it.
        var changes = ImmutableFields.changes(
                objs(DEPLOYMENT.replace("SELECTOR", "{app: web}").replace("LABELS", "{app: web, tier: front}")),
                objs(DEPLOYMENT.replace("SELECTOR", "{app: web, tier: front}").replace("LABELS", "{app: web, tier: front}")), "shop");
        assertEquals(1, changes.size());
        String m = changes.get(0).message();
        assertTrue(m.contains("`kubectl -n shop delete deployment web --cascade=orphan`") && m.contains("adopts the old pods' owner")
                && !m.contains("delete replicaset"), m);
    }

    @Test
    void aChangedSelectorValueIsExcludedFromTheCleanUpQuery() {
        var changes = ImmutableFields.changes(
                objs(DEPLOYMENT.replace("SELECTOR", "{app: web, tier: a}").replace("LABELS", "{app: web, tier: a}")),
                objs(DEPLOYMENT.replace("SELECTOR", "{app: web, tier: b}").replace("LABELS", "{app: web, tier: b}")), null);
        String m = changes.get(0).message();
        assertTrue(m.contains("`kubectl delete replicaset -l 'app=web,tier=a,tier!=b'`"), m);
    }

    @Test
    void aServiceThatStopsBeingHeadless() {
        var changes = ImmutableFields.changes(
                objs("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {clusterIP: None, ports: [{port: 5432}]}\n"),
                objs("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {ports: [{port: 5432}]}\n"), null);
        assertEquals(1, changes.size());
        assertEquals("spec.clusterIP", changes.get(0).field());
        assertTrue(changes.get(0).message().contains("from None to (unset)") && changes.get(0).message().contains("`kubectl delete service db`"),
                changes.get(0).message());
        assertEquals(List.of(), ImmutableFields.changes(
                objs("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {type: ClusterIP}\n"),
                objs("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {type: NodePort}\n"), null));
    }

    @Test
    void statefulSetFieldsOutsideTheMutableOnes() {
        String before = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: pg}
                spec:
                  replicas: 1
                  serviceName: pg
                  selector: {matchLabels: {app: pg}}
                  template: {metadata: {labels: {app: pg}}, spec: {containers: [{name: pg, image: "pg:16"}]}}
                  volumeClaimTemplates:
                    - metadata: {name: data}
                      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
                """;
        String after = before.replace("replicas: 1", "replicas: 3").replace("pg:16", "pg:17").replace("storage: 10Gi", "storage: 20Gi")
                .replace("serviceName: pg", "serviceName: pg-headless");
        var changes = ImmutableFields.changes(objs(before), objs(after), "db");
        assertEquals(List.of("spec.serviceName", "spec.volumeClaimTemplates"), changes.stream().map(ImmutableFields.Change::field).toList());
        assertTrue(changes.get(1).message().contains("`kubectl -n db delete statefulset pg --cascade=orphan`"), changes.get(1).message());
    }

    @Test
    void aClaimsSpecIsFixedButItsStorageMayGrow() {
        String pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n"
                + "spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: SIZE}}}\n";
        assertEquals(List.of(), ImmutableFields.changes(objs(pvc.replace("SIZE", "10Gi")), objs(pvc.replace("SIZE", "20Gi")), null));
        var changes = ImmutableFields.changes(objs(pvc.replace("SIZE", "10Gi")),
                objs(pvc.replace("SIZE", "5Gi").replace("fast", "slow")), null);
        assertEquals(List.of("spec.storageClassName", "spec.resources.requests.storage"),
                changes.stream().map(ImmutableFields.Change::field).toList());
    }

    @Test
    void aJobsTemplateAndAnImmutableConfigMapsData() {
        String job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: seed}\n"
                + "spec: {template: {spec: {restartPolicy: Never, containers: [{name: s, image: IMAGE}]}}}\n";
        var changes = ImmutableFields.changes(objs(job.replace("IMAGE", "a:1")), objs(job.replace("IMAGE", "a:2")), null);
        assertEquals(List.of("spec.template"), changes.stream().map(ImmutableFields.Change::field).toList());
        assertTrue(changes.get(0).message().contains("`kubectl delete job seed`"), changes.get(0).message());

        String cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: 'VALUE'}\n";
        assertEquals(List.of("data"), ImmutableFields.changes(objs(cm.replace("VALUE", "1")), objs(cm.replace("VALUE", "2")), null)
                .stream().map(ImmutableFields.Change::field).toList());
        String secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nimmutable: true\nstringData: {password: 'VALUE'}\n";
        var secretChange = ImmutableFields.changes(objs(secret.replace("VALUE", "old-secret")), objs(secret.replace("VALUE", "new-secret")), null);
        assertEquals(1, secretChange.size());
        assertTrue(!secretChange.get(0).message().contains("old-secret") && !secretChange.get(0).message().contains("new-secret"),
                "a Secret's values are not printed: " + secretChange.get(0).message());
        assertEquals(List.of(), ImmutableFields.changes(objs(cm.replace("VALUE", "1").replace("immutable: true\n", "")),
                objs(cm.replace("VALUE", "2").replace("immutable: true\n", "")), null));
    }

    @Test
    void hooksAndNewObjectsAreNotPatched() {
        String hook = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: m, annotations: {helm.sh/hook: pre-upgrade}}\n"
                + "spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: IMAGE}]}}}\n";
        assertEquals(List.of(), ImmutableFields.changes(objs(hook.replace("IMAGE", "a:1")), objs(hook.replace("IMAGE", "a:2")), null));
        assertEquals(List.of(), ImmutableFields.changes(List.of(),
                objs("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}}\n"), null));
    }
}
