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
 * The matrix's canary on a cluster whose CNI enforces nothing, played by a fake kubectl: every
 * pod runs on an ordinary node and every connection connects. The canary must fail, and so
 * must a denied row, whose reason names the missing enforcement. Where the fake drops the
 * canary's connection (an enforcing CNI), the same denied row passes.
 */
class NetpolCanaryTest {
    /**
     * A kubectl that answers what NetpolProbe.run asks. The canary pod is at 10.244.0.7, every
     * other pod at 10.244.0.9; exec prints `canaryOut` for a connection to the canary and
     * `otherOut` for any other (rc=0: connected, rc=1: no answer).
     */
    static Kube fakeCluster(Path dir, String canaryOut, String otherOut) throws IOException {
        Path k = dir.resolve("kubectl");
        Files.writeString(k, """
                #!/bin/bash
                shift  # --context=…
                case "$1 $2" in
                  "get namespace") exit 0 ;;
                  "get pod") ip=10.244.0.9; [ "$3" = netpol-canary ] && ip=10.244.0.7
                             echo '{"metadata":{"name":"'"$3"'"},"spec":{"nodeName":"node-a"},"status":{"phase":"Running","podIP":"'"$ip"'"}}' ;;
                  "get node") echo '{"metadata":{"name":"node-a","annotations":{}}}' ;;
                  "apply -f") cat >/dev/null ;;
                  exec*) case "$*" in *10.244.0.7*) echo '%s' ;; *) echo '%s' ;; esac ;;
                  *) exit 0 ;;
                esac
                """.formatted(canaryOut, otherOut));
        assertTrue(k.toFile().setExecutable(true));
        return new Kube(k, "fake", null);
    }

    static NetpolMatrix.Row deniedRow() {
        return new NetpolMatrix.Row(NetpolMatrix.Peer.probe("ns-a", Map.of()), NetpolMatrix.listener(), NetpolMatrix.LISTENER_PORT,
                NetpolMatrix.Kind.TCP, false, "a port no egress rule lists");
    }

    /** The denied row gets no answer (for whatever reason): where the canary connects, it must fail all the same. */
    @Test
    void onACniThatEnforcesNothingTheCanaryAndEveryDeniedRowFailNamingIt(@TempDir Path tmp) throws IOException {
        var out = NetpolProbe.run(fakeCluster(tmp, "rc=0", "rc=1"), List.of(deniedRow()), "img", s -> {});
        assertEquals(2, out.size(), out.toString());
        var canary = out.get(0);
        assertTrue(NetpolProbe.isCanary(canary), canary.toString());
        assertFalse(canary.pass(), canary.toString());
        assertEquals("connected", canary.observed());
        assertTrue(canary.detail().contains("this cluster's CNI does not enforce NetworkPolicies"), canary.detail());
        var row = out.get(1);
        assertEquals("no answer", row.observed());
        assertFalse(row.pass(), "a denied row passed on a cluster whose canary connected: " + row);
        assertTrue(row.detail().startsWith("NetworkPolicies are not shown to be enforced on this cluster (canary: connected"), row.detail());
    }

    @Test
    void whereTheCanaryIsDroppedADeniedRowThatGetsNoAnswerPasses(@TempDir Path tmp) throws IOException {
        var out = NetpolProbe.run(fakeCluster(tmp, "rc=1", "rc=1"), List.of(deniedRow()), "img", s -> {});
        assertTrue(out.get(0).pass(), out.get(0).toString());
        assertTrue(out.get(1).pass(), out.get(1).toString());
        assertEquals("no answer", out.get(1).observed());
    }
}
