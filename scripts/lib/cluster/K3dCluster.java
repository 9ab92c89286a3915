//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The dev loop's real-pods cluster: k3d (k3s in Docker) with agents, a local registry,
 * Traefik on *.localhost and the locally built trevor image imported. Needs a Docker engine
 * and k3d on PATH; every command can be shown instead of run (--dry-run).
 */
final class K3dCluster {
    private K3dCluster() {}

    static final int REGISTRY_PORT = 5111;

    static String registryName(String cluster) { return cluster + "-registry.localhost"; }

    /** Whether a Docker engine answers, and if not, why (for "which provider and why"). */
    static String dockerProblem() {
        try {
            var r = Exec.run(List.of("docker", "info", "--format", "{{.ServerVersion}}"), Duration.ofSeconds(10));
            return r.ok() && !r.out().isBlank() ? null : "docker info: " + Kube.firstLine(r.said());
        } catch (Problem.ToolMissing e) {
            return "no docker client on PATH";
        }
    }

    /** Whether k3d already has this cluster (then `up` reuses it); false without k3d. */
    static boolean exists(String name) {
        try {
            return Exec.run(List.of("k3d", "cluster", "get", name), Duration.ofSeconds(30)).ok();
        } catch (Problem.ToolMissing e) {
            return false;
        }
    }

    /** The commands `up` runs, in order; for an existing cluster only the image import. */
    static List<List<String>> upCommands(String name, int agents, String image, boolean exists) {
        var cmds = new ArrayList<List<String>>();
        if (exists) {
            if (image != null) cmds.add(List.of("k3d", "image", "import", image, "--cluster", name));
            return cmds;
        }
        cmds.add(List.of("k3d", "registry", "create", registryName(name), "--port", String.valueOf(REGISTRY_PORT)));
        cmds.add(List.of("k3d", "cluster", "create", name,
                "--agents", String.valueOf(agents),
                "--registry-use", "k3d-" + registryName(name) + ":" + REGISTRY_PORT,
                // k3s's bundled Traefik serves the Ingress on the host's port 80: http://trevor.localhost
                "--port", "80:80@loadbalancer",
                "--port", "443:443@loadbalancer",
                "--wait", "--timeout", "180s",
                "--kubeconfig-update-default", "--kubeconfig-switch-context"));
        if (image != null) cmds.add(List.of("k3d", "image", "import", image, "--cluster", name));
        return cmds;
    }

    /** The cluster, then its registry when k3d has one (an interrupted up may not have made it). */
    static List<List<String>> downCommands(String name, boolean dryRun) {
        var cmds = new ArrayList<List<String>>();
        cmds.add(List.of("k3d", "cluster", "delete", name));
        String registry = "k3d-" + registryName(name);
        if (dryRun || Exec.run(List.of("k3d", "registry", "get", registry), Duration.ofSeconds(30)).ok()) {
            cmds.add(List.of("k3d", "registry", "delete", registry));
        }
        return cmds;
    }

    static String context(String name) { return "k3d-" + name; }

    /** Runs (or with dryRun, only prints) the commands; the first failure stops them and is exit code 1. */
    static void run(List<List<String>> cmds, boolean dryRun, Consumer<String> progress) {
        for (var cmd : cmds) {
            progress.accept((dryRun ? "would run: " : "running: ") + String.join(" ", cmd));
            if (dryRun) continue;
            var r = Exec.run(cmd, null, java.util.Map.of(), Duration.ofMinutes(10), line -> progress.accept("  " + line));
            if (!r.ok()) throw new Problem.Failed(String.join(" ", cmd) + " failed: " + r.said());
        }
    }

    /** `k3d` must be on PATH for the k3d provider; say how to get it otherwise. */
    static void requireK3d() {
        try {
            var r = Exec.run(List.of("k3d", "version"), Duration.ofSeconds(20));
            if (!r.ok()) throw new Problem.Refused("k3d version failed: " + r.said());
        } catch (Problem.ToolMissing e) {
            throw new Problem.Refused("k3d is not on PATH; install k3d v5 (k3d.io) on a machine with Docker, or use --provider kwok");
        }
    }
}
