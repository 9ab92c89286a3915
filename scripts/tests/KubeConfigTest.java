import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard's view of a kubeconfig: merged as kubectl merges it, and local only when nothing in it reaches beyond this machine. */
class KubeConfigTest {
    @TempDir Path tmp;

    private Path file(String name, String context, String server, String clusterMore, String user) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, "apiVersion: v1\nkind: Config\n" + (context == null ? "" : "current-context: " + context + "\n")
                + "clusters:\n- name: c-" + name + "\n  cluster:\n    server: " + server + "\n" + clusterMore
                + "contexts:\n- name: " + (context == null ? "kwok-other" : context) + "\n  context:\n    cluster: c-" + name + "\n    user: u-" + name + "\n"
                + "users:\n- name: u-" + name + "\n  user:\n" + (user.isEmpty() ? "    token: t\n" : user));
        return f;
    }

    private String notLocal(String server, String clusterMore, String user) throws IOException {
        Path f = file("one", "kwok-a", server, clusterMore, user);
        return KubeConfig.load(f, null, tmp.resolve("none")).notLocal("kwok-a");
    }

    @Test
    void literalLoopbackSpellingsAreLocal() throws IOException {
        for (String s : new String[] {"https://127.0.0.1:6443", "https://localhost:1", "https://[::1]:6443", "https://0.0.0.0:6550", "https://127.4.5.6:443"}) {
            assertNull(notLocal(s, "", ""), s);
        }
    }

    @Test
    void namesGoHandsToAProxyOrToDnsAreNotLocal() throws IOException {
        for (String s : new String[] {"https://prod.localhost:6443", "https://127.000.000.001:6443", "https://127.1:6443", "https://LOCALHOST:6443",
                "https://localhost.:6443", "https://[::ffff:127.0.0.1]:6443", "https://203.0.113.10:6443", "unix:///run/k.sock", "127.0.0.1:6443"}) {
            String why = notLocal(s, "", "");
            assertTrue(why != null && why.contains(s.startsWith("https://") ? "is not on this machine" : "not an http(s) URL"), s + ": " + why);
        }
    }

    @Test
    void proxyUrlExecAndAuthProviderAreNotLocal() throws IOException {
        assertTrue(notLocal("https://127.0.0.1:6443", "    proxy-url: http://10.0.0.1:3128\n", "").contains("proxy-url http://10.0.0.1:3128"));
        assertTrue(notLocal("https://127.0.0.1:6443", "", "    exec:\n      command: /bin/true\n      apiVersion: client.authentication.k8s.io/v1\n")
                .contains("exec credential plugin"));
        assertTrue(notLocal("https://127.0.0.1:6443", "", "    auth-provider:\n      name: oidc\n").contains("auth-provider"));
    }

    @Test
    void aNameTheScriptsDoNotGiveIsNotLocal() throws IOException {
        Path f = file("one", "prod-eks", "https://127.0.0.1:6443", "", "");
        assertEquals("its name is not k3d-* or kwok-*", KubeConfig.load(f, null, tmp.resolve("none")).notLocal("prod-eks"));
    }

    /** kubectl: the first KUBECONFIG file that sets current-context or names a context wins; missing files are skipped. */
    @Test
    void kubeconfigFilesMergeFirstWins() throws IOException {
        Path remote = file("remote", "kwok-prod", "https://203.0.113.10:6443", "", "");
        Path local = file("local", "kwok-prod", "https://127.0.0.1:6443", "", "");
        var merged = KubeConfig.load(null, remote + "::" + tmp.resolve("missing") + ":" + local, tmp.resolve("none"));
        assertEquals("kwok-prod", merged.currentContext);
        assertTrue(merged.notLocal("kwok-prod").contains("203.0.113.10"), merged.notLocal("kwok-prod"));
        var other = KubeConfig.load(null, local + ":" + remote, tmp.resolve("none"));
        assertNull(other.notLocal("kwok-prod"));
        // --kubeconfig alone counts, whatever KUBECONFIG says
        assertNull(KubeConfig.load(local, remote.toString(), tmp.resolve("none")).notLocal("kwok-prod"));
        // without KUBECONFIG: ~/.kube/config
        assertEquals("kwok-prod", KubeConfig.load(null, "", remote).currentContext);
        assertNull(KubeConfig.load(null, "", tmp.resolve("none")).currentContext);
    }

    @Test
    void aCurrentContextFromALaterFileCountsWhenEarlierOnesSetNone() throws IOException {
        Path noCurrent = file("first", null, "https://203.0.113.10:6443", "", "");
        Path second = file("second", "kwok-b", "https://127.0.0.1:6443", "", "");
        assertEquals("kwok-b", KubeConfig.load(null, noCurrent + ":" + second, tmp.resolve("none")).currentContext);
    }

    @Test
    void aHostileKubeconfigIsOneLineAndExitCode2() throws IOException {
        Path big = tmp.resolve("big");
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) { f.setLength(KubeConfig.MAX_BYTES + 1); }
        var e = assertThrows(Problem.class, () -> KubeConfig.load(big, null, tmp.resolve("none")));
        assertEquals(Problem.NOTHING_CHANGED, e.exitCode);
        assertTrue(e.getMessage().contains("4 MiB"), e.getMessage());
        var dir = assertThrows(Problem.class, () -> KubeConfig.load(tmp, null, tmp.resolve("none")));
        assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
        Path bad = tmp.resolve("bad");
        Files.writeString(bad, "clusters: {a: b}\n");
        var invalid = assertThrows(Problem.class, () -> KubeConfig.load(bad, null, tmp.resolve("none")));
        assertTrue(invalid.getMessage().contains("'clusters' is not a list"), invalid.getMessage());
        assertFalse(invalid.getMessage().contains("\n"));
    }
}
