import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pod Security "restricted": a compliant pod passes, and each violation is found on its own
 * (the list must be exactly that violation, so no check hides behind another).
 */
class PodSecurityTest {

    /** Compliant: runAsNonRoot and seccomp only at pod level, the rest per container. */
    private static Map<String, Object> restrictedPod() {
        return Yaml.loadMap("""
                securityContext:
                  runAsNonRoot: true
                  runAsUser: 10001
                  seccompProfile: {type: RuntimeDefault}
                  sysctls:
                    - {name: net.ipv4.ip_unprivileged_port_start, value: "0"}
                initContainers:
                  - name: init
                    image: busybox
                    securityContext:
                      allowPrivilegeEscalation: false
                      capabilities: {drop: [ALL]}
                containers:
                  - name: app
                    image: app
                    ports:
                      - {containerPort: 8000, hostPort: 0}
                    securityContext:
                      allowPrivilegeEscalation: false
                      privileged: false
                      readOnlyRootFilesystem: true
                      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
                volumes:
                  - {name: tmp, emptyDir: {}}
                  - {name: config, configMap: {name: c}}
                  - {name: creds, secret: {secretName: s}}
                  - name: token
                    projected: {sources: []}
                  - {name: data, persistentVolumeClaim: {claimName: d}}
                """);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sc(Map<String, Object> pod, String container) {
        for (String list : List.of("initContainers", "containers")) {
            for (var c : Yaml.maps(pod, list)) {
                if (container.equals(c.get("name"))) return (Map<String, Object>) c.get("securityContext");
            }
        }
        throw new IllegalArgumentException(container);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> podSc(Map<String, Object> pod) { return (Map<String, Object>) pod.get("securityContext"); }

    private static List<String> check(Map<String, Object> pod) { return PodSecurity.restrictedViolations(pod); }

    @Test
    void aFullyRestrictedPodPasses() {
        assertEquals(List.of(), check(restrictedPod()));
    }

    @Test
    void privileged() {
        var pod = restrictedPod();
        sc(pod, "app").put("privileged", true);
        assertEquals(List.of("container app: privileged=true"), check(pod));
    }

    @Test
    void allowPrivilegeEscalationMissing() {
        var pod = restrictedPod();
        sc(pod, "app").remove("allowPrivilegeEscalation");
        assertEquals(List.of("container app: allowPrivilegeEscalation must be false"), check(pod));
    }

    @Test
    void allowPrivilegeEscalationTrue() {
        var pod = restrictedPod();
        sc(pod, "app").put("allowPrivilegeEscalation", true);
        assertEquals(List.of("container app: allowPrivilegeEscalation must be false"), check(pod));
    }

    @Test
    void capabilitiesWithoutDropAll() {
        var pod = restrictedPod();
        sc(pod, "app").put("capabilities", Yaml.loadMap("drop: [NET_RAW]"));
        assertEquals(List.of("container app: capabilities.drop must contain ALL"), check(pod));
        sc(pod, "app").remove("capabilities");
        assertEquals(List.of("container app: capabilities.drop must contain ALL"), check(pod));
    }

    @Test
    void addingACapabilityOtherThanNetBindService() {
        var pod = restrictedPod();
        sc(pod, "app").put("capabilities", Yaml.loadMap("drop: [ALL]\nadd: [NET_BIND_SERVICE, SYS_ADMIN]"));
        assertEquals(List.of("container app: capabilities.add SYS_ADMIN"), check(pod));
    }

    @Test
    void runAsNonRootMissingAtBothLevels() {
        var pod = restrictedPod();
        podSc(pod).remove("runAsNonRoot");
        assertEquals(List.of("container init: runAsNonRoot must be true (container or pod)",
                "container app: runAsNonRoot must be true (container or pod)"), check(pod));
    }

    @Test
    void runAsNonRootOnEachContainerInsteadOfThePodIsEnough() {
        var pod = restrictedPod();
        podSc(pod).remove("runAsNonRoot");
        sc(pod, "init").put("runAsNonRoot", true);
        sc(pod, "app").put("runAsNonRoot", true);
        assertEquals(List.of(), check(pod));
    }

    @Test
    void aContainerCannotOptOutOfThePodsRunAsNonRoot() {
        var pod = restrictedPod();
        sc(pod, "app").put("runAsNonRoot", false);
        assertEquals(List.of("container app: runAsNonRoot must be true (container or pod)"), check(pod));
    }

    @Test
    void runAsNonRootFalseOnThePod() {
        var pod = restrictedPod();
        podSc(pod).put("runAsNonRoot", false);
        assertTrue(check(pod).contains("pod securityContext.runAsNonRoot=false"), check(pod)::toString);
    }

    @Test
    void runAsUserZero() {
        var pod = restrictedPod();
        sc(pod, "app").put("runAsUser", 0);
        assertEquals(List.of("container app: runAsUser=0"), check(pod));
        pod = restrictedPod();
        podSc(pod).put("runAsUser", 0);
        assertEquals(List.of("pod: runAsUser=0"), check(pod));
    }

    @Test
    void seccompMissingAtBothLevels() {
        var pod = restrictedPod();
        podSc(pod).remove("seccompProfile");
        assertEquals(List.of("container init: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)",
                "container app: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)"), check(pod));
    }

    @Test
    void seccompOnEachContainerInsteadOfThePodIsEnough() {
        var pod = restrictedPod();
        podSc(pod).remove("seccompProfile");
        sc(pod, "init").put("seccompProfile", Yaml.loadMap("type: RuntimeDefault"));
        sc(pod, "app").put("seccompProfile", Yaml.loadMap("type: Localhost\nlocalhostProfile: p.json"));
        assertEquals(List.of(), check(pod));
    }

    @Test
    void seccompUnconfined() {
        var pod = restrictedPod();
        sc(pod, "app").put("seccompProfile", Yaml.loadMap("type: Unconfined"));
        assertEquals(List.of("container app: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)"), check(pod));
        pod = restrictedPod();
        podSc(pod).put("seccompProfile", Yaml.loadMap("type: Unconfined"));
        assertEquals(List.of("pod seccompProfile.type=Unconfined"), check(pod));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hostNetwork", "hostPID", "hostIPC"})
    void hostNamespaces(String field) {
        var pod = restrictedPod();
        pod.put(field, true);
        assertEquals(List.of(field + "=true"), check(pod));
        pod.put(field, false);
        assertEquals(List.of(), check(pod));
    }

    @Test
    void hostPathVolume() {
        var pod = restrictedPod();
        @SuppressWarnings("unchecked") var vols = (List<Object>) pod.get("volumes");
        vols.add(Yaml.loadMap("name: docker\nhostPath: {path: /var/run/docker.sock}"));
        assertEquals(List.of("volume docker has type hostPath"), check(pod));
    }

    @Test
    void hostPort() {
        var pod = restrictedPod();
        Yaml.maps(pod, "containers").get(0).put("ports", new ArrayList<>(List.of(Yaml.loadMap("containerPort: 8000\nhostPort: 8080"))));
        assertEquals(List.of("container app: hostPort 8080"), check(pod));
    }

    @Test
    void unsafeSysctl() {
        var pod = restrictedPod();
        podSc(pod).put("sysctls", Yaml.load("[{name: kernel.msgmax, value: '65536'}, {name: net.ipv4.tcp_syncookies, value: '1'}]"));
        assertEquals(List.of("unsafe sysctl kernel.msgmax"), check(pod));
    }

    @Test
    void procMountUnmasked() {
        var pod = restrictedPod();
        sc(pod, "app").put("procMount", "Unmasked");
        assertEquals(List.of("container app: procMount"), check(pod));
    }

    @Test
    void initContainersAreCheckedToo() {
        var pod = restrictedPod();
        sc(pod, "init").put("privileged", true);
        sc(pod, "init").put("allowPrivilegeEscalation", true);
        assertEquals(List.of("container init: privileged=true", "container init: allowPrivilegeEscalation must be false"), check(pod));
    }

    @Test
    void ephemeralContainersAreCheckedToo() {
        var pod = restrictedPod();
        pod.put("ephemeralContainers", Yaml.load("[{name: debug, image: busybox}]"));
        assertEquals(List.of("container debug: allowPrivilegeEscalation must be false",
                "container debug: capabilities.drop must contain ALL"), check(pod));
    }

    @Test
    void aContainerWithoutSecurityContextCollectsEveryContainerLevelViolation() {
        var pod = restrictedPod();
        podSc(pod).clear();
        Yaml.maps(pod, "containers").get(0).remove("securityContext");
        var v = check(pod);
        for (String want : List.of("container app: allowPrivilegeEscalation must be false", "container app: capabilities.drop must contain ALL",
                "container app: runAsNonRoot must be true (container or pod)",
                "container app: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)")) {
            assertTrue(v.contains(want), () -> "missing '" + want + "' in " + v);
        }
    }
}
