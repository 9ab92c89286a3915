import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Splitting helm's multi-document output and the per-object helpers. */
class ManifestsTest {

    static final String RENDERED = """
            ---
            # Source: trevor/templates/serviceaccount.yaml
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: trevor
            ---
            # Source: trevor/templates/notes-only.yaml
            # everything in this template is switched off
            ---

            ---\t
            # Source: trevor/templates/configmap.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: trevor-config
            data:
              script: |
                echo start
                ---
                echo end
            --- \s
            # Source: trevor/templates/deployment.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: trevor-api
              labels:
                app.kubernetes.io/name: trevor
            spec:
              template:
                metadata:
                  labels:
                    app.kubernetes.io/component: api
                spec:
                  containers:
                    - name: api
                    - name: sidecar
                  initContainers:
                    - name: wait-for-db
                    - name: migrate
            ---
            # Source: trevor/templates/migration-job.yaml
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: trevor-migrate
              annotations:
                helm.sh/hook: pre-install,pre-upgrade
                helm.sh/hook-weight: "-5"
            spec:
              template:
                spec:
                  containers:
                    - name: migrate
            ---
            # Source: trevor/templates/service.yaml
            apiVersion: v1
            kind: Service
            metadata:
              name: trevor-api
            spec:
              ports:
                - port: 80
            """;

    @Test
    void splitsOnDashLinesSkipsEmptyAndCommentOnlyDocumentsAndRecordsSources() {
        var objs = Manifests.parse(RENDERED);
        assertEquals(List.of("ServiceAccount/trevor", "ConfigMap/trevor-config", "Deployment/trevor-api",
                "Job/trevor-migrate", "Service/trevor-api"), objs.stream().map(Manifests.Obj::id).toList());
        assertEquals(List.of("trevor/templates/serviceaccount.yaml", "trevor/templates/configmap.yaml",
                "trevor/templates/deployment.yaml", "trevor/templates/migration-job.yaml", "trevor/templates/service.yaml"),
                objs.stream().map(Manifests.Obj::source).toList());
    }

    @Test
    void anIndentedDashLineInsideABlockScalarDoesNotSplit() {
        var cm = Manifests.ofKind(Manifests.parse(RENDERED), "ConfigMap").get(0);
        assertEquals("echo start\n---\necho end\n", Yaml.str(cm.body(), "data.script"));
    }

    @Test
    void aDocumentWithoutSourceLineIsUnknownTemplate() {
        var objs = Manifests.parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n");
        assertEquals(1, objs.size());
        assertEquals("(unknown template)", objs.get(0).source());
    }

    @Test
    void emptyMappingsAndNullDocumentsAreSkipped() {
        assertTrue(Manifests.parse("---\n# Source: a.yaml\n{}\n---\n# Source: b.yaml\n~\n---\n").isEmpty());
        assertTrue(Manifests.parse("").isEmpty());
    }

    @Test
    void aBadDocumentNamesItsTemplate() {
        var e = assertThrows(Yaml.Invalid.class, () -> Manifests.parse("""
                ---
                # Source: trevor/templates/good.yaml
                kind: ConfigMap
                ---
                # Source: trevor/templates/broken.yaml
                kind: Secret
                data: [unclosed
                """));
        assertTrue(e.getMessage().startsWith("trevor/templates/broken.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains("(line "), e.getMessage());
    }

    @Test
    void aDuplicateKeyNamesTemplateKeyAndLine() {
        var e = assertThrows(Yaml.Invalid.class, () -> Manifests.parse("""
                ---
                # Source: trevor/templates/deployment.yaml
                kind: Deployment
                spec:
                  envFrom: []
                  envFrom: []
                """));
        assertTrue(e.getMessage().startsWith("trevor/templates/deployment.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains("duplicate key envFrom"), e.getMessage());
        assertTrue(e.getMessage().contains("(line 6)"), e.getMessage());
    }

    @Test
    void aListDocumentIsRefusedNamingItsTemplate() {
        var e = assertThrows(Yaml.Invalid.class, () -> Manifests.parse("# Source: trevor/templates/list.yaml\n- a\n- b\n"));
        assertEquals("trevor/templates/list.yaml: expected a mapping at the top, found list", e.getMessage());
    }

    @Test
    void objAccessors() {
        var dep = Manifests.ofKind(Manifests.parse(RENDERED), "Deployment").get(0);
        assertEquals("apps/v1", dep.apiVersion());
        assertEquals("Deployment", dep.kind());
        assertEquals("trevor-api", dep.name());
        assertEquals(Map.of("app.kubernetes.io/name", "trevor"), dep.labels());
        assertEquals(Map.of("app.kubernetes.io/component", "api"), dep.podLabels());
        assertTrue(dep.annotations().isEmpty());
    }

    @Test
    void podSpecOfWorkloadsAndNullForOtherKinds() {
        var objs = Manifests.parse(RENDERED);
        var dep = Manifests.ofKind(objs, "Deployment").get(0);
        assertEquals(2, Yaml.list(dep.podSpec(), "containers").size());
        assertEquals("migrate", Yaml.str(Yaml.maps(Manifests.ofKind(objs, "Job").get(0).podSpec(), "containers").get(0), "name"));
        assertNull(Manifests.ofKind(objs, "Service").get(0).podSpec());
        assertNull(Manifests.ofKind(objs, "ConfigMap").get(0).podSpec());
    }

    @Test
    void aBarePodIsAWorkloadWithItsOwnSpecAndLabels() {
        var pod = Manifests.parse("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: trevor-test
                  labels: {app.kubernetes.io/component: test}
                spec:
                  containers: [{name: test, image: trevor}]
                """).get(0);
        assertTrue(Manifests.isWorkload(pod));
        assertEquals(Map.of("app.kubernetes.io/component", "test"), pod.podLabels());
        assertEquals(List.of("test"), pod.allContainers().stream().map(c -> c.get("name")).toList());
    }

    @Test
    void allContainersListsInitContainersFirst() {
        var dep = Manifests.ofKind(Manifests.parse(RENDERED), "Deployment").get(0);
        assertEquals(List.of("wait-for-db", "migrate", "api", "sidecar"),
                dep.allContainers().stream().map(c -> c.get("name")).toList());
        assertTrue(Manifests.ofKind(Manifests.parse(RENDERED), "Service").get(0).allContainers().isEmpty());
    }

    @Test
    void isHookFollowsTheHelmHookAnnotation() {
        var objs = Manifests.parse(RENDERED);
        assertTrue(Manifests.ofKind(objs, "Job").get(0).isHook());
        assertFalse(Manifests.ofKind(objs, "Deployment").get(0).isHook());
        var withOtherAnnotation = Manifests.parse("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook-weight: \"1\"\n").get(0);
        assertFalse(withOtherAnnotation.isHook());
    }

    @Test
    void ofKindWhereAndIsWorkload() {
        var objs = Manifests.parse(RENDERED);
        assertEquals(List.of("trevor-api"), Manifests.ofKind(objs, "Service").stream().map(Manifests.Obj::name).toList());
        assertTrue(Manifests.ofKind(objs, "Ingress").isEmpty());
        assertEquals(List.of("Deployment/trevor-api", "Job/trevor-migrate"),
                Manifests.where(objs, Manifests::isWorkload).stream().map(Manifests.Obj::id).toList());
        assertEquals(List.of("Job/trevor-migrate"),
                Manifests.where(objs, Manifests.Obj::isHook).stream().map(Manifests.Obj::id).toList());
    }
}
