//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pod Security Standards, "restricted" profile (and with it "baseline"), as the admission
 * plugin checks them, for a pod spec that has not reached a cluster yet.
 */
final class PodSecurity {
    private PodSecurity() {}

    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
            "ephemeral", "persistentVolumeClaim", "projected", "secret");
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");

    /** Violations of "restricted" in a pod spec; empty when the pod would be admitted. */
    static List<String> restrictedViolations(Map<String, Object> pod) {
        var v = new ArrayList<String>();
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (Boolean.TRUE.equals(Yaml.at(pod, host))) v.add(host + "=true");
        }
        var psc = Yaml.map(pod, "securityContext");
        for (var vol : Yaml.maps(pod, "volumes")) {
            var types = new ArrayList<>(vol.keySet());
            types.remove("name");
            for (String t : types) {
                if (!RESTRICTED_VOLUMES.contains(t)) v.add("volume " + vol.get("name") + " has type " + t);
            }
        }
        for (Object s : Yaml.list(psc, "sysctls")) {
            String name = Yaml.str(s, "name");
            if (!SAFE_SYSCTLS.contains(name)) v.add("unsafe sysctl " + name);
        }
        Object podRunAsNonRoot = Yaml.at(psc, "runAsNonRoot");
        String podSeccomp = Yaml.str(psc, "seccompProfile.type");
        checkUser(v, "pod", psc);
        if (Boolean.FALSE.equals(podRunAsNonRoot)) v.add("pod securityContext.runAsNonRoot=false");
        if (podSeccomp != null && !isAllowedSeccomp(podSeccomp)) v.add("pod seccompProfile.type=" + podSeccomp);

        var containers = new ArrayList<Map<String, Object>>();
        containers.addAll(Yaml.maps(pod, "initContainers"));
        containers.addAll(Yaml.maps(pod, "containers"));
        containers.addAll(Yaml.maps(pod, "ephemeralContainers"));
        for (var c : containers) {
            String who = "container " + c.get("name");
            var sc = Yaml.map(c, "securityContext");
            if (Boolean.TRUE.equals(Yaml.at(sc, "privileged"))) v.add(who + ": privileged=true");
            if (!Boolean.FALSE.equals(Yaml.at(sc, "allowPrivilegeEscalation"))) {
                v.add(who + ": allowPrivilegeEscalation must be false");
            }
            var drop = Yaml.list(sc, "capabilities.drop");
            if (drop.stream().noneMatch(x -> "ALL".equals(String.valueOf(x)))) v.add(who + ": capabilities.drop must contain ALL");
            for (Object add : Yaml.list(sc, "capabilities.add")) {
                if (!"NET_BIND_SERVICE".equals(String.valueOf(add))) v.add(who + ": capabilities.add " + add);
            }
            Object runAsNonRoot = Yaml.at(sc, "runAsNonRoot");
            if (Boolean.FALSE.equals(runAsNonRoot) || (runAsNonRoot == null && !Boolean.TRUE.equals(podRunAsNonRoot))) {
                v.add(who + ": runAsNonRoot must be true (container or pod)");
            }
            checkUser(v, who, sc);
            String seccomp = Yaml.str(sc, "seccompProfile.type");
            if (seccomp == null ? podSeccomp == null : !isAllowedSeccomp(seccomp)) {
                v.add(who + ": seccompProfile.type must be RuntimeDefault or Localhost (container or pod)");
            }
            if (Yaml.at(sc, "procMount") != null && !"Default".equals(Yaml.str(sc, "procMount"))) v.add(who + ": procMount");
            for (var p : Yaml.maps(c, "ports")) {
                if (p.get("hostPort") != null && !"0".equals(String.valueOf(p.get("hostPort")))) v.add(who + ": hostPort " + p.get("hostPort"));
            }
        }
        return v;
    }

    private static void checkUser(List<String> v, String who, Map<String, Object> sc) {
        Object uid = Yaml.at(sc, "runAsUser");
        if (uid != null && "0".equals(String.valueOf(uid))) v.add(who + ": runAsUser=0");
    }

    private static boolean isAllowedSeccomp(String type) {
        return "RuntimeDefault".equals(type) || "Localhost".equals(type);
    }
}
