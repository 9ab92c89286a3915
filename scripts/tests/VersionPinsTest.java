import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Versions kept in step by hand: a constant in Java names the version a build folder is
 * cached under and the one its messages print, while the wrapper module's go.mod decides what
 * is really compiled. When they drift, the cache folder says v1.36.3 and holds something else.
 * Each pair is checked by name, so a drifted one says which constant and which file disagree.
 */
class VersionPinsTest {
    static final Path CONTROLPLANE = Repo.root().resolve("scripts/controlplane");

    /** One hand-kept pair: the constant's name and value, the go.mod (under scripts/controlplane) and its module. */
    record Pin(String constant, String version, String module, String goModule) {}

    static List<Pin> pins() {
        return List.of(
                new Pin("ControlPlane.KUBE_VERSION", ControlPlane.KUBE_VERSION, "k8s", "k8s.io/kubernetes"),
                new Pin("ControlPlane.ETCD_VERSION", ControlPlane.ETCD_VERSION, "etcd", "go.etcd.io/etcd/server/v3"),
                new Pin("ControlPlane.KWOK_VERSION", ControlPlane.KWOK_VERSION, "kwok", "sigs.k8s.io/kwok"),
                new Pin("NodeBinaries.COREDNS_VERSION", NodeBinaries.COREDNS_VERSION, "coredns", "github.com/coredns/coredns"),
                new Pin("NodeBinaries.NETPOL_VERSION", NodeBinaries.NETPOL_VERSION, "netpol", "sigs.k8s.io/kube-network-policies"),
                new Pin("NodeBinaries.METRICS_SERVER_VERSION", NodeBinaries.METRICS_SERVER_VERSION, "metrics", "sigs.k8s.io/metrics-server"));
    }

    /**
     * Every disagreement between the Java pins and the go.mod files under this folder, one line
     * each, naming the constant, the file and both versions. Empty when they agree.
     */
    static List<String> drifts(Path controlplane) {
        var out = new ArrayList<String>();
        for (var p : pins()) {
            Path gomod = controlplane.resolve(p.module()).resolve("go.mod");
            String required = required(read(gomod), p.goModule());
            if (!p.version().equals(required)) {
                out.add(p.constant() + " is " + p.version() + " but scripts/controlplane/" + p.module() + "/go.mod requires " + p.goModule()
                        + " " + (required == null ? "(not at all)" : required) + ": set both to the same version");
            }
        }
        // Kubernetes' staging modules are replaced to v0.<minor>.<patch> of the same release: one version for the whole cluster.
        Matcher kv = Pattern.compile("v1\\.(\\d+)\\.(\\d+)").matcher(ControlPlane.KUBE_VERSION);
        if (kv.matches()) {
            String staging = "v0." + kv.group(1) + "." + kv.group(2);
            Matcher r = Pattern.compile("(?m)^\\s*(k8s\\.io/[-a-z0-9]+) => \\S+ (v\\S+)$").matcher(read(controlplane.resolve("k8s/go.mod")));
            int n = 0;
            while (r.find()) {
                n++;
                if (!r.group(2).equals(staging)) {
                    out.add("scripts/controlplane/k8s/go.mod replaces " + r.group(1) + " with " + r.group(2) + " but ControlPlane.KUBE_VERSION "
                            + ControlPlane.KUBE_VERSION + " needs " + staging);
                }
            }
            if (n == 0) out.add("scripts/controlplane/k8s/go.mod replaces no k8s.io staging module (expected them at " + staging + ")");
            if (ToolPins.CONTROL_PLANE_MINOR != Integer.parseInt(kv.group(1))) {
                out.add("ToolPins.CONTROL_PLANE_MINOR is " + ToolPins.CONTROL_PLANE_MINOR + " but ControlPlane.KUBE_VERSION is "
                        + ControlPlane.KUBE_VERSION + ": a PATH kubectl would be judged against the wrong minor");
            }
        } else {
            out.add("ControlPlane.KUBE_VERSION " + ControlPlane.KUBE_VERSION + " is not v1.<minor>.<patch>");
        }
        // The pinned kubectl must be one a user's PATH kubectl of the same version would be allowed to be (skew ±1 minor).
        String kubectl = ToolPins.spec("kubectl").version();
        if (!ToolPins.spec("kubectl").fit().fits(kubectl)) {
            out.add("the kubectl pin " + kubectl + " (ToolPins) is not within one minor of the control plane's v1." + ToolPins.CONTROL_PLANE_MINOR);
        }
        String skew = kubectlSkew(kubectl, ControlPlane.KUBE_VERSION);
        if (skew != null) out.add(skew);
        // Every wrapper module's `go` line must be buildable by the go the scripts accept and by the one they pin.
        String goPin = ToolPins.spec("go").version();
        try (var dirs = Files.list(controlplane)) {
            for (Path d : dirs.sorted().toList()) {
                Path gomod = d.resolve("go.mod");
                if (!Files.isRegularFile(gomod)) continue;
                Matcher g = Pattern.compile("(?m)^go 1\\.(\\d+)").matcher(read(gomod));
                if (!g.find()) continue;
                int minor = Integer.parseInt(g.group(1));
                if (minor > ToolPins.GO_MIN_MINOR) {
                    out.add("scripts/controlplane/" + d.getFileName() + "/go.mod says go 1." + minor + " but ToolPins.GO_MIN_MINOR accepts go 1."
                            + ToolPins.GO_MIN_MINOR + " from PATH");
                }
                if (minor > Integer.parseInt(goPin.split("\\.")[1])) {
                    out.add("scripts/controlplane/" + d.getFileName() + "/go.mod says go 1." + minor + " but the pinned go is " + goPin);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The kubectl pin against the control plane it talks to, read from ControlPlane.KUBE_VERSION
     * itself (not ToolPins' copy of its minor): kubectl's skew policy allows one minor either way.
     * Null when it fits; otherwise a line naming both versions.
     */
    static String kubectlSkew(String kubectl, String kubeVersion) {
        Matcher k = Pattern.compile("v?1\\.(\\d+)\\.\\d+").matcher(kubectl);
        Matcher c = Pattern.compile("v1\\.(\\d+)\\.\\d+").matcher(kubeVersion);
        if (!k.matches() || !c.matches()) return "the kubectl pin " + kubectl + " or ControlPlane.KUBE_VERSION " + kubeVersion + " is not 1.<minor>.<patch>";
        int off = Integer.parseInt(k.group(1)) - Integer.parseInt(c.group(1));
        if (Math.abs(off) <= 1) return null;
        return "the kubectl pin " + kubectl + " (ToolPins) is " + Math.abs(off) + " minors " + (off < 0 ? "behind" : "ahead of")
                + " ControlPlane.KUBE_VERSION " + kubeVersion + ": kubectl supports one minor of skew; pin a kubectl 1." + (Integer.parseInt(c.group(1)) - 1)
                + " to 1." + (Integer.parseInt(c.group(1)) + 1);
    }

    /** The version a go.mod's require block gives this module, or null. */
    static String required(String gomod, String module) {
        Matcher m = Pattern.compile("(?m)^(?:require\\s+|\\s+)" + Pattern.quote(module) + " (v\\S+)").matcher(gomod);
        return m.find() ? m.group(1) : null;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    @Test
    void theJavaVersionPinsAgreeWithTheWrapperModules() {
        var d = drifts(CONTROLPLANE);
        assertTrue(d.isEmpty(), "versions kept in step by hand have drifted:\n" + String.join("\n", d));
    }

    /** The check can fail: a copy of the modules with one version moved fails by the constant's and the file's names. */
    @Test
    void aDriftedCopyFailsByName(@TempDir Path tmp) throws IOException {
        for (String m : List.of("k8s", "etcd", "kwok", "coredns", "netpol", "metrics")) {
            Files.createDirectories(tmp.resolve(m));
            Files.copy(CONTROLPLANE.resolve(m).resolve("go.mod"), tmp.resolve(m).resolve("go.mod"));
        }
        assertEquals(List.of(), drifts(tmp));

        Path k8s = tmp.resolve("k8s/go.mod");
        String moved = "v1.36.4".equals(ControlPlane.KUBE_VERSION) ? "v1.36.5" : "v1.36.4";
        Files.writeString(k8s, Files.readString(k8s).replace("k8s.io/kubernetes " + ControlPlane.KUBE_VERSION, "k8s.io/kubernetes " + moved)
                .replace("k8s.io/api => k8s.io/api v0.", "k8s.io/api => k8s.io/api v0.99."));
        Path netpol = tmp.resolve("netpol/go.mod");
        Files.writeString(netpol, Files.readString(netpol).replace("sigs.k8s.io/kube-network-policies " + NodeBinaries.NETPOL_VERSION,
                "sigs.k8s.io/kube-network-policies v0.9.0"));
        Path kwok = tmp.resolve("kwok/go.mod");
        Files.writeString(kwok, Files.readString(kwok).replaceFirst("(?m)^go 1\\.\\d+\\.\\d+", "go 1.99.0"));

        var d = drifts(tmp);
        assertEquals(5, d.size(), String.join("\n", d));
        assertEquals("ControlPlane.KUBE_VERSION is " + ControlPlane.KUBE_VERSION + " but scripts/controlplane/k8s/go.mod requires k8s.io/kubernetes "
                + moved + ": set both to the same version", d.get(0));
        assertTrue(d.get(1).startsWith("NodeBinaries.NETPOL_VERSION is " + NodeBinaries.NETPOL_VERSION
                + " but scripts/controlplane/netpol/go.mod requires sigs.k8s.io/kube-network-policies v0.9.0"), d.get(1));
        assertTrue(d.get(2).startsWith("scripts/controlplane/k8s/go.mod replaces k8s.io/api with v0.99."), d.get(2));
        assertTrue(d.get(3).startsWith("scripts/controlplane/kwok/go.mod says go 1.99 but ToolPins.GO_MIN_MINOR"), d.get(3));
        assertTrue(d.get(4).startsWith("scripts/controlplane/kwok/go.mod says go 1.99 but the pinned go is "), d.get(4));
    }

    /** The kubectl pin is tied to the control plane's minor: a pin two minors away fails, naming both versions. */
    @Test
    void aKubectlPinOutsideTheControlPlanesSkewFailsByName() {
        assertEquals(null, kubectlSkew("1.35.2", "v1.36.3"));
        assertEquals(null, kubectlSkew("1.37.0", "v1.36.3"));
        assertEquals("the kubectl pin 1.34.1 (ToolPins) is 2 minors behind ControlPlane.KUBE_VERSION v1.36.3: kubectl supports one minor "
                + "of skew; pin a kubectl 1.35 to 1.37", kubectlSkew("1.34.1", "v1.36.3"));
        assertEquals("the kubectl pin 1.35.2 (ToolPins) is 2 minors ahead of ControlPlane.KUBE_VERSION v1.33.0: kubectl supports one minor "
                + "of skew; pin a kubectl 1.32 to 1.34", kubectlSkew("1.35.2", "v1.33.0"));
    }

    /** The metrics-server pin is one of the pairs: a go.mod that moved it fails by the constant's and the file's names. */
    @Test
    void aDriftedMetricsServerFailsByName(@TempDir Path tmp) throws IOException {
        for (String m : List.of("k8s", "etcd", "kwok", "coredns", "netpol", "metrics")) {
            Files.createDirectories(tmp.resolve(m));
            Files.copy(CONTROLPLANE.resolve(m).resolve("go.mod"), tmp.resolve(m).resolve("go.mod"));
        }
        Path metrics = tmp.resolve("metrics/go.mod");
        Files.writeString(metrics, Files.readString(metrics).replace("sigs.k8s.io/metrics-server " + NodeBinaries.METRICS_SERVER_VERSION,
                "sigs.k8s.io/metrics-server v0.7.2"));
        assertEquals(List.of("NodeBinaries.METRICS_SERVER_VERSION is " + NodeBinaries.METRICS_SERVER_VERSION
                + " but scripts/controlplane/metrics/go.mod requires sigs.k8s.io/metrics-server v0.7.2: set both to the same version"), drifts(tmp));
    }

    @Test
    void aModuleMissingFromItsGoModIsNamed() {
        assertEquals("v1.36.3", required("module x\n\nrequire (\n\tk8s.io/kubernetes v1.36.3 // indirect\n)\n", "k8s.io/kubernetes"));
        assertEquals("v3.6.8", required("module x\n\nrequire go.etcd.io/etcd/server/v3 v3.6.8\n", "go.etcd.io/etcd/server/v3"));
        assertEquals(null, required("module x\n\nrequire (\n\tk8s.io/kubernetes-extra v1.0.0\n)\n", "k8s.io/kubernetes"));
    }
}
