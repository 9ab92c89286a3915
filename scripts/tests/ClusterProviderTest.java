import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cluster.java down and status on a Docker host, with docker and k3d stand-ins on PATH: the
 * provider follows the cluster that exists, and k3d's failures are the script's failures.
 */
@org.junit.jupiter.api.Tag("scripts") // starts whole scripts: test.java's scripts stage
class ClusterProviderTest {
    @TempDir Path bin;

    private Map<String, String> path(String k3dBody) throws IOException {
        write("docker", "if [ \"$1\" = info ]; then echo 28.2.2; exit 0; fi; exit 1");
        write("k3d", k3dBody);
        return Map.of("PATH", bin + ":" + System.getenv("PATH"));
    }

    private void write(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void downRemovesTheKwokClusterThatExistsThoughDockerAnswers() throws IOException {
        String name = "prov-test-" + ProcessHandle.current().pid();
        Path dir = Files.createDirectories(KwokCluster.clusterDir(name));
        var env = path("case \"$1 $2\" in 'version ') exit 0;; 'cluster get') echo \"no cluster $3\" >&2; exit 1;; *) echo \"unexpected: $*\" >&2; exit 1;; esac");
        var r = ScriptsCliTest.script("cluster.java", env, "down", "--name", name);
        Dirs.deleteTree(dir);
        assertEquals(0, r.exit(), r.said());
        assertTrue(r.out().contains("provider kwok"), "down did not pick kwok: " + r.out());
        assertFalse(r.out().contains("k3d cluster delete"), "down ran k3d: " + r.out());
    }

    @Test
    void aFailedK3dDownOrStatusExits1() throws IOException {
        var env = path("case \"$1 $2\" in 'version ') exit 0;; 'cluster get') exit 0;; 'cluster delete') echo boom >&2; exit 1;;"
                + " 'cluster list') echo boom >&2; exit 1;; *) exit 1;; esac");
        var down = ScriptsCliTest.script("cluster.java", env, "down", "--name", "prov-k3d", "--provider", "k3d");
        assertEquals(1, down.exit(), "down: " + down.said());
        assertTrue(down.err().contains("k3d cluster delete prov-k3d failed: boom"), down.err());
        var status = ScriptsCliTest.script("cluster.java", env, "status", "--name", "prov-k3d", "--provider", "k3d");
        assertEquals(1, status.exit(), "status: " + status.said());
    }

    @Test
    void aDryRunDownOfAKwokClusterRemovesNothing() throws IOException {
        String name = "prov-dry-" + ProcessHandle.current().pid();
        Path dir = Files.createDirectories(KwokCluster.clusterDir(name));
        try {
            var r = ScriptsCliTest.script("cluster.java", Map.of(), "down", "--name", name, "--provider", "kwok", "--dry-run");
            assertEquals(2, r.exit(), r.said());
            assertTrue(r.err().contains("--dry-run is for k3d") && r.err().contains("nothing was removed"), r.err());
            assertTrue(Files.isDirectory(dir), "the cluster's folder was removed by a dry run");
        } finally {
            Dirs.deleteTree(dir);
        }
    }

    @Test
    void everyHelpTextSaysWhatTheOptionDoesForThatSubcommand() {
        var up = ScriptsCliTest.script("cluster.java", Map.of(), "up", "--help").out();
        var down = ScriptsCliTest.script("cluster.java", Map.of(), "down", "--help").out();
        var status = ScriptsCliTest.script("cluster.java", Map.of(), "status", "--help").out();
        assertTrue(up.replaceAll("\\s+", " ").contains("kubeconfig to add the cluster's context to"), up);
        assertTrue(down.replaceAll("\\s+", " ").contains("kubeconfig to remove the cluster's context from"), down);
        assertFalse(down.contains("to add the context to"), down);
        assertTrue(down.replaceAll("\\s+", " ").contains("(refused for kwok)"), down);
        assertFalse(status.contains("--dry-run"), status);
    }
}
