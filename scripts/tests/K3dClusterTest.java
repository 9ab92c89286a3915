import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The k3d dev cluster's commands, as `cluster.java up --provider k3d --dry-run` prints them. */
class K3dClusterTest {
    @Test
    void upCreatesRegistryClusterWithAgentsAndTraefikPortsThenImports() {
        var cmds = K3dCluster.upCommands("trevor", 2, "trevor:dev", false);
        assertEquals(List.of("k3d", "registry", "create", "trevor-registry.localhost", "--port", "5111"), cmds.get(0));
        var create = String.join(" ", cmds.get(1));
        assertTrue(create.startsWith("k3d cluster create trevor "), create);
        assertTrue(create.contains("--agents 2"), create);
        assertTrue(create.contains("--registry-use k3d-trevor-registry.localhost:5111"), create);
        assertTrue(create.contains("--port 80:80@loadbalancer"), "Traefik on the host's port 80 serves *.localhost: " + create);
        assertTrue(create.contains("--kubeconfig-switch-context"), create);
        assertEquals(List.of("k3d", "image", "import", "trevor:dev", "--cluster", "trevor"), cmds.get(2));
        assertEquals("k3d-trevor", K3dCluster.context("trevor"));
    }

    @Test
    void upOnAnExistingClusterOnlyImportsTheImage() {
        assertEquals(List.of(List.of("k3d", "image", "import", "trevor:dev", "--cluster", "trevor")),
                K3dCluster.upCommands("trevor", 2, "trevor:dev", true));
        assertTrue(K3dCluster.upCommands("trevor", 2, null, true).isEmpty());
    }

    @Test
    void downRemovesClusterAndRegistry() {
        assertEquals(List.of(List.of("k3d", "cluster", "delete", "dev"), List.of("k3d", "registry", "delete", "k3d-dev-registry.localhost")),
                K3dCluster.downCommands("dev", true));
    }
}
