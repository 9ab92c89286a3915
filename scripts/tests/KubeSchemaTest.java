import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Offline validation against the Kubernetes client's model classes. */
class KubeSchemaTest {

    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: trevor-api
              labels: {app: trevor}
            spec:
              replicas: 2
              revisionHistoryLimit: 3
              selector:
                matchLabels: {app: trevor}
              template:
                metadata:
                  labels: {app: trevor}
                spec:
                  terminationGracePeriodSeconds: 30
                  securityContext:
                    runAsNonRoot: true
                    seccompProfile: {type: RuntimeDefault}
                  containers:
                    - name: api
                      image: ghcr.io/x/trevor:1.0
                      ports:
                        - name: http
                          containerPort: PORT
                      env:
                        - {name: A, value: "1"}
                      resources:
                        requests: {cpu: 100m, memory: 128Mi}
                        limits: {cpu: 1, memory: 512Mi}
                      readinessProbe:
                        httpGet: {path: /healthz, port: http}
                      securityContext:
                        allowPrivilegeEscalation: false
                        capabilities: {drop: [ALL]}
                  volumes:
                    - {name: tmp, emptyDir: {}}
            """;

    static Stream<Arguments> validObjects() {
        return Stream.of(
                Arguments.of("Deployment", DEPLOYMENT.replace("PORT", "8000")),
                Arguments.of("Service", """
                        apiVersion: v1
                        kind: Service
                        metadata: {name: trevor-api}
                        spec:
                          type: ClusterIP
                          selector: {app: trevor}
                          ports:
                            - {name: http, port: 80, targetPort: http, protocol: TCP}
                            - {name: metrics, port: 9090, targetPort: 9090}
                        """),
                Arguments.of("Job", """
                        apiVersion: batch/v1
                        kind: Job
                        metadata:
                          name: trevor-migrate
                          annotations: {helm.sh/hook: pre-install}
                        spec:
                          backoffLimit: 2
                          ttlSecondsAfterFinished: 600
                          template:
                            spec:
                              restartPolicy: Never
                              containers:
                                - {name: migrate, image: x, command: [migrate, up]}
                        """),
                Arguments.of("HorizontalPodAutoscaler", """
                        apiVersion: autoscaling/v2
                        kind: HorizontalPodAutoscaler
                        metadata: {name: trevor-api}
                        spec:
                          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: trevor-api}
                          minReplicas: 2
                          maxReplicas: 10
                          metrics:
                            - type: Resource
                              resource:
                                name: cpu
                                target: {type: Utilization, averageUtilization: 70}
                        """),
                Arguments.of("PodDisruptionBudget", """
                        apiVersion: policy/v1
                        kind: PodDisruptionBudget
                        metadata: {name: trevor-api}
                        spec:
                          minAvailable: 1
                          selector:
                            matchLabels: {app: trevor}
                        """),
                Arguments.of("NetworkPolicy", """
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: trevor-api}
                        spec:
                          podSelector:
                            matchLabels: {app: trevor}
                          policyTypes: [Ingress, Egress]
                          ingress:
                            - ports: [{port: http, protocol: TCP}]
                          egress:
                            - to:
                                - namespaceSelector: {}
                                  podSelector:
                                    matchLabels: {k8s-app: kube-dns}
                              ports: [{port: 53, protocol: UDP}]
                        """),
                Arguments.of("Ingress", """
                        apiVersion: networking.k8s.io/v1
                        kind: Ingress
                        metadata: {name: trevor}
                        spec:
                          ingressClassName: nginx
                          tls:
                            - {hosts: [trevor.example.com], secretName: trevor-tls}
                          rules:
                            - host: trevor.example.com
                              http:
                                paths:
                                  - path: /
                                    pathType: Prefix
                                    backend:
                                      service: {name: trevor-api, port: {number: 80}}
                        """));
    }

    private static Manifests.Obj obj(String yaml) { return Manifests.parse(yaml).get(0); }

    @ParameterizedTest(name = "a valid {0} passes")
    @MethodSource("validObjects")
    void validObjectsPass(String kind, String yaml) {
        var o = obj(yaml);
        assertEquals(kind, o.kind());
        assertNull(KubeSchema.problem(o));
    }

    @Test
    void unknownTopLevelFieldIsNamedWithItsModelClass() {
        String p = KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "8000").replace("kind: Deployment\n", "kind: Deployment\nreplicas: 2\n")));
        assertNotNull(p);
        assertTrue(p.contains("`replicas`") && p.contains("V1Deployment"), p);
        assertTrue(!p.contains("io.kubernetes.client.openapi.models.") && !p.contains("{\""), "shortened, without the JSON: " + p);
    }

    @Test
    void unknownFieldInAContainerIsNamedWithItsModelClass() {
        String p = KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "8000").replace("image: ghcr.io/x/trevor:1.0\n",
                "image: ghcr.io/x/trevor:1.0\n          terminationGracePeriodSeconds: 30\n")));
        assertNotNull(p);
        assertTrue(p.contains("`terminationGracePeriodSeconds`") && p.contains("V1Container"), p);
    }

    @Test
    void aMisplacedPodFieldIsReported() {
        String p = KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "8000")
                .replace("terminationGracePeriodSeconds: 30", "terminationGracePeriod: 30")));
        assertNotNull(p);
        assertTrue(p.contains("`terminationGracePeriod`") && p.contains("V1PodSpec"), p);
    }

    @Test
    void aMissingRequiredFieldIsReported() {
        String p = KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "8000").replace("- name: api\n", "- \n")));
        assertNotNull(p);
        assertTrue(p.contains("required field `name`"), p);
    }

    @Test
    void aQuotedIntegerIsReportedWithItsPath() {
        assertEquals("spec.template.spec.containers[0].ports[0].containerPort: expected a number, found string \"8000\"",
                KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "\"8000\""))));
    }

    @Test
    void aQuotedBooleanIsReportedWithItsPath() {
        assertEquals("spec.template.spec.securityContext.runAsNonRoot: expected a boolean, found string \"true\"",
                KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "8000").replace("runAsNonRoot: true", "runAsNonRoot: \"true\""))));
    }

    @Test
    void aNonNumericStringInAnIntFieldIsReported() {
        String p = KubeSchema.problem(obj(DEPLOYMENT.replace("PORT", "http")));
        assertNotNull(p);
        assertTrue(p.startsWith("wrong type: ") && p.contains("\"http\""), p);
    }

    @Test
    void anUnquotedNumberWhereAStringBelongsIsReported() {
        // The classic unquoted {{ .Values.x }}: the API server refuses a number in a string field.
        assertEquals("metadata.labels.tier: expected a string, found number 3 (quote it)", KubeSchema.problem(obj("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: c, labels: {tier: 3}}
                data: {a: b}
                """)));
        assertEquals("data.enabled: expected a string, found boolean true (quote it)", KubeSchema.problem(obj("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: c}
                data: {enabled: true}
                """)));
    }

    @Test
    void aBareNumberIsAValidQuantity() {
        assertNull(KubeSchema.problem(obj("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  containers:
                    - name: c
                      image: i
                      resources: {requests: {cpu: 1, memory: 1024}, limits: {cpu: 2}}
                  volumes: [{name: t, emptyDir: {sizeLimit: 1000}}]
                """)));
    }

    @Test
    void aNamedPortWhereIntOrStringBelongsIsFine() {
        // targetPort and probe ports are IntOrString: both forms are valid, and a quoted number stays a string.
        assertNull(KubeSchema.problem(obj("""
                apiVersion: v1
                kind: Service
                metadata: {name: s}
                spec:
                  ports: [{port: 80, targetPort: "8000"}]
                """)));
    }

    @Test
    void anUnknownKindHasNoSchema() {
        assertEquals("no schema for monitoring.coreos.com/v1 PodMonitor in the Kubernetes client model",
                KubeSchema.problem(obj("apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: m}\n")));
        assertEquals("no schema for apps/v1 Frobnicator in the Kubernetes client model",
                KubeSchema.problem(obj("apiVersion: apps/v1\nkind: Frobnicator\n")));
        assertNull(KubeSchema.validatedBy(obj("apiVersion: apps/v1\nkind: Frobnicator\n")));
    }

    static final String SERVICE_MONITOR = """
            apiVersion: monitoring.coreos.com/v1
            kind: ServiceMonitor
            metadata:
              name: trevor
              labels: {release: prometheus}
            spec:
              selector:
                matchLabels: {app.kubernetes.io/name: trevor, app.kubernetes.io/component: api}
              namespaceSelector:
                matchNames: [trevor]
              endpoints:
                - port: http
                  path: /metrics
                  interval: 30s
                  scrapeTimeout: 10s
                  relabelings:
                    - {sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node, action: replace}
            """;

    @Test
    void aServiceMonitorIsCheckedAgainstItsPinnedStructure() {
        var sm = obj(SERVICE_MONITOR);
        assertNull(KubeSchema.problem(sm));
        assertTrue(KubeSchema.validatedBy(sm).contains("prometheus-operator v0.84.1"), KubeSchema.validatedBy(sm));
        assertTrue(KubeSchema.validatedBy(obj(DEPLOYMENT.replace("PORT", "8000"))).contains("V1Deployment"));
    }

    @ParameterizedTest(name = "a ServiceMonitor with {0} is refused")
    @CsvSource(delimiter = '|', value = {
            "a misspelt endpoint field|port: http|portt: http|spec.endpoints[0].portt: unknown field",
            "a bad duration|interval: 30s|interval: 30 seconds|spec.endpoints[0].interval: \"30 seconds\" does not match",
            "an unknown scheme|path: /metrics|scheme: tcp|spec.endpoints[0].scheme: expected one of [http, https], found tcp",
            "no selector|  selector:|  selectorx:|spec.selector: required field missing",
            "a bad relabel action|action: replace|action: rewrite|spec.endpoints[0].relabelings[0].action",
            "a bad selector|matchLabels: {app|matchLabelz: {app|spec.selector: ",
    })
    void aBrokenServiceMonitorIsRefused(String what, String find, String replace, String expected) {
        String p = KubeSchema.problem(obj(SERVICE_MONITOR.replace(find, replace)));
        assertNotNull(p, what);
        assertTrue(p.startsWith(expected) && p.contains("not a core kind: checked against") && p.contains("v0.84.1"), p);
    }

    @Test
    void aMissingApiVersionOrKindHasNoSchema() {
        String p = KubeSchema.problem(obj("kind: Deployment\nmetadata: {name: d}\n"));
        assertNotNull(p);
        assertTrue(p.startsWith("no schema for null Deployment"), p);
        p = KubeSchema.problem(obj("apiVersion: v1\nmetadata: {name: d}\n"));
        assertNotNull(p);
        assertTrue(p.startsWith("no schema for v1 null"), p);
    }

    @ParameterizedTest(name = "{0} {1} → {2}")
    @CsvSource({
            "apps/v1, Deployment, V1Deployment",
            "autoscaling/v2, HorizontalPodAutoscaler, V2HorizontalPodAutoscaler",
            "v1, Service, V1Service",
            "batch/v1, Job, V1Job",
            "policy/v1, PodDisruptionBudget, V1PodDisruptionBudget",
            "networking.k8s.io/v1, NetworkPolicy, V1NetworkPolicy",
            "v1beta1, Widget, V1beta1Widget",
    })
    void modelClassName(String apiVersion, String kind, String simpleName) {
        assertEquals("io.kubernetes.client.openapi.models." + simpleName, KubeSchema.modelClassName(apiVersion, kind));
    }
}
