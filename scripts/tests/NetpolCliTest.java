import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * netpol.java's refusals, before any connection: the cluster it may act on is named
 * deliberately (--context) or is the current context of a local dev cluster, and the kubectl
 * it starts is never a PATH dispatcher that would contact the current context's server.
 * Every server here is a closed loopback port: nothing leaves this machine.
 */
@org.junit.jupiter.api.Tag("scripts") // starts whole scripts: test.java's scripts stage
class NetpolCliTest {
    /** A kubeconfig with a non-local current context prod-eks and a local-looking kwok-np16test, both on closed loopback ports. */
    static Path kubeconfig(Path dir) throws IOException {
        Path kc = dir.resolve("kubeconfig");
        Files.writeString(kc, """
                apiVersion: v1
                kind: Config
                current-context: prod-eks
                clusters:
                - name: prod-eks
                  cluster: {server: "https://127.0.0.1:9"}
                - name: kwok-np16test
                  cluster: {server: "https://127.0.0.1:9"}
                contexts:
                - name: prod-eks
                  context: {cluster: prod-eks, user: u}
                - name: kwok-np16test
                  context: {cluster: kwok-np16test, user: u}
                users:
                - name: u
                  user: {token: not-a-secret}
                """);
        return kc;
    }

    /** A kubectl first on PATH that logs each call and says it is a gcloud-style dispatcher build. */
    static Path dispatcher(Path dir, Path log) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("path"));
        Path k = bin.resolve("kubectl");
        Files.writeString(k, "#!/bin/sh\necho \"kubectl $*\" >> '" + log + "'\n"
                + "if [ \"$1\" = version ]; then echo '{\"clientVersion\":{\"gitVersion\":\"v1.35.2-dispatcher\"}}'; exit 0; fi\nexit 3\n");
        assertTrue(k.toFile().setExecutable(true));
        return bin;
    }

    static Exec.Result netpol(Path tmp, Path log, String... args) throws IOException {
        var env = Map.of("KUBECONFIG", kubeconfig(tmp).toString(), "PATH", dispatcher(tmp, log) + ":" + System.getenv("PATH"));
        return ScriptsCliTest.script("netpol.java", env, args);
    }

    /** The dispatcher was never started for anything but the version probe (which runs with an empty kubeconfig). */
    static void dispatcherNotUsed(Path log) throws IOException {
        var calls = Files.exists(log) ? Files.readAllLines(log) : List.<String>of();
        assertTrue(calls.stream().allMatch(c -> c.startsWith("kubectl version --client")), "the PATH kubectl ran as " + calls);
    }

    @Test
    void aCurrentContextThatIsNotATrevorClusterIsRefusedWithoutContextFlag(@TempDir Path tmp) throws IOException {
        Path log = tmp.resolve("kubectl.log");
        var r = netpol(tmp, log);
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("the current kube context 'prod-eks' is not a local dev cluster (its name is not k3d-* or kwok-*); "
                + "pass --context prod-eks to work on it deliberately"), r.err());
        assertFalse(r.said().contains("\tat "), "a stack trace: " + r.said());
        dispatcherNotUsed(log);
    }

    @Test
    void anUnknownContextIsNamedWithTheContextsThereAre(@TempDir Path tmp) throws IOException {
        Path log = tmp.resolve("kubectl.log");
        var r = netpol(tmp, log, "--context", "kwok-nope");
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("--context kwok-nope: no such context in the kubeconfig " + tmp.resolve("kubeconfig")), r.err());
        assertTrue(r.err().contains("its contexts: prod-eks, kwok-np16test"), r.err());
        assertFalse(r.said().contains("\tat "), "a stack trace: " + r.said());
        dispatcherNotUsed(log);
    }

    /** With a dispatcher first on PATH, the pinned kubectl asks the named cluster, which (a closed port) does not answer. */
    @Test
    void theDispatcherOnPathIsNeverTheKubectlThatAsksTheCluster(@TempDir Path tmp) throws IOException {
        Path log = tmp.resolve("kubectl.log");
        var r = netpol(tmp, log, "--context", "kwok-np16test");
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("the cluster of context 'kwok-np16test' does not answer"), r.err());
        assertTrue(Files.exists(log), "the PATH kubectl was not even asked its version: the test would prove nothing");
        dispatcherNotUsed(log);
    }
}
