//SOURCES ../cluster/ControlPlane.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Repo.java
//SOURCES ../tools/Tools.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The real node's own binaries, built from pinned Go modules the way {@link ControlPlane}
 * builds the control plane: the kubelet and kube-proxy from the same k8s wrapper module
 * (scripts/controlplane/k8s), CoreDNS from scripts/controlplane/coredns, kube-network-policies
 * (NetworkPolicy enforcement) from scripts/controlplane/netpol, metrics-server (the resource
 * metrics API the HPA reads, {@link NodeMetrics}) from scripts/controlplane/metrics. Cached by version
 * under the tool cache; a build goes to a temporary folder that gets its `complete` marker
 * last and is then renamed into place, under a file lock, so two builds never race and a
 * killed build never leaves a folder that looks complete.
 *
 * <p>Why the kubelet is 1.36 (the control plane's own minor), on this machine: it runs on
 * cgroup v1 once its KubeletConfiguration says failCgroupV1: false, and it runs pods with
 * Debian 12's containerd 1.6.20 although Kubernetes 1.36 officially wants containerd 2.0:
 * containerd 1.6 serves the CRI v1 API, which is all this kubelet calls; the one RPC 1.6
 * lacks (RuntimeConfig) only makes the kubelet keep its configured cgroup driver, and both
 * sides are set to cgroupfs. One version for the whole cluster means one module and no
 * version skew to reason about. If a later pairing breaks, the fallbacks are a 1.35 kubelet
 * (a new wrapper module at v1.35.x; kubelets may be three minors older than the apiserver)
 * or containerd v2 built from github.com/containerd/containerd/v2.
 */
final class NodeBinaries {
    private NodeBinaries() {}

    static final String KUBE_VERSION = ControlPlane.KUBE_VERSION;
    static final String COREDNS_VERSION = "v1.15.0";
    /** NetworkPolicy enforcement ({@link NodePolicies}); pinned in scripts/controlplane/netpol/go.mod. */
    static final String NETPOL_VERSION = "v0.8.0";
    /**
     * The resource metrics API ({@link NodeMetrics}); pinned in scripts/controlplane/metrics/go.mod,
     * which takes metrics-server's own k8s.io libraries (v0.33): it is a separate binary and
     * shares no process with the control plane, as kube-network-policies does not.
     */
    static final String METRICS_SERVER_VERSION = "v0.8.0";

    static final List<ControlPlane.Binary> BINARIES = List.of(
            new ControlPlane.Binary("kubelet", "k8s", "k8s.io/kubernetes/cmd/kubelet"),
            new ControlPlane.Binary("kube-proxy", "k8s", "k8s.io/kubernetes/cmd/kube-proxy"),
            new ControlPlane.Binary("coredns", "coredns", "."),
            new ControlPlane.Binary("kube-network-policies", "netpol", "."),
            new ControlPlane.Binary("metrics-server", "metrics", "sigs.k8s.io/metrics-server/cmd/metrics-server"));

    static Path home() {
        return Tools.cacheDir().resolve("kwok").resolve("node-k8s-" + KUBE_VERSION + "-coredns-" + COREDNS_VERSION + "-knp-" + NETPOL_VERSION
                + "-ms-" + METRICS_SERVER_VERSION);
    }

    static Path bin(String name) { return home().resolve("bin").resolve(name); }

    /** The marker and every binary: a folder that lost one (or was made incomplete) is not a build. */
    static boolean built() {
        if (!Files.isRegularFile(home().resolve("complete"))) return false;
        for (var b : BINARIES) if (!Files.isRegularFile(bin(b.name()))) return false;
        // The wrappers' own code (CoreDNS's and kube-network-policies' main packages) is not in the
        // versions of the folder's name: a build of other wrapper code is stale.
        Path repo = Repo.root();
        if (repo == null) return true;
        try {
            return Files.readString(home().resolve("complete")).contains(" wrappers " + wrapperDigest(repo));
        } catch (IOException e) {
            return false;
        }
    }

    /** SHA-256 (12 hex digits) of the files of the wrapper modules whose own Go code goes into a binary. */
    static String wrapperDigest(Path repo) throws IOException {
        var md = sha256();
        for (String module : List.of("coredns", "netpol", "metrics")) {
            Path dir = repo.resolve("scripts/controlplane").resolve(module);
            try (var files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    md.update(repo.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    md.update((byte) 0);
                    md.update(Files.readAllBytes(f));
                }
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The k8s binaries get the control plane's version; metrics-server its own, where its Makefile puts it (else it says v0.0.0-master). */
    static String ldflags(ControlPlane.Binary b) {
        return switch (b.module()) {
            case "k8s" -> ControlPlane.versionLdflags();
            case "metrics" -> "-s -w -X k8s.io/client-go/pkg/version.gitVersion=" + METRICS_SERVER_VERSION;
            default -> "-s -w";
        };
    }

    /** Staging folders of this version's builds only: builds of other versions run under other locks at the same time. */
    private static String stagingPrefix() { return home().getFileName() + ".build-"; }

    /** Builds what is missing (a few minutes the first time) and returns the bin folder. */
    static Path ensureBuilt(Path repo, Consumer<String> progress) {
        if (built()) return home().resolve("bin");
        Path lockFile = home().resolveSibling(home().getFileName() + ".lock");
        try {
            Files.createDirectories(home().getParent());
            try (var ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                var lock = ch.tryLock();
                if (lock == null) {
                    progress.accept("another process is building the node binaries into " + home() + "; waiting for it");
                    lock = ch.lock();
                }
                try {
                    if (!built()) build(repo, progress);
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return home().resolve("bin");
    }

    private static void build(Path repo, Consumer<String> progress) throws IOException {
        Path go = Tools.go(progress);
        Path src = repo.resolve("scripts/controlplane");
        // Leftovers of a killed build of this version (we hold its lock): never complete, never renamed into place.
        // Another version's staging folder is another build's, running now under its own lock: never touch it.
        try (var old = Files.list(home().getParent())) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith(stagingPrefix())).toList()) Dirs.deleteTree(p);
        }
        if (Files.exists(home())) Dirs.deleteTree(home()); // an incomplete build in place
        Path staging = Files.createTempDirectory(home().getParent(), stagingPrefix());
        try {
            Files.createDirectories(staging.resolve("bin"));
            progress.accept("building the real node's binaries (kubelet and kube-proxy " + KUBE_VERSION + ", CoreDNS " + COREDNS_VERSION
                    + ", kube-network-policies " + NETPOL_VERSION + ", metrics-server " + METRICS_SERVER_VERSION + ") from Go modules into " + home() + "; a few minutes the first time on 2 cores, later none");
            for (var b : BINARIES) {
                long t0 = System.nanoTime();
                progress.accept("go build " + b.name() + " …");
                var cmd = new ArrayList<>(List.of(go.toString(), "build", "-mod=readonly", "-trimpath",
                        "-ldflags=" + ldflags(b),
                        "-o", staging.resolve("bin").resolve(b.name()).toString(), b.pkg()));
                var r = Exec.run(cmd, src.resolve(b.module()), Map.of("CGO_ENABLED", "0", "GOFLAGS", "-mod=readonly -buildvcs=false",
                        "GOROOT", ControlPlane.gorootOf(go), "GOTOOLCHAIN", "local"), Duration.ofMinutes(60), null);
                if (!r.ok()) {
                    throw new Problem.ToolMissing("go build " + b.pkg() + " failed (" + r.said().lines().reduce((a, c) -> c).orElse("")
                            + "); the module proxy must serve the versions pinned in " + src.resolve(b.module()).resolve("go.mod"));
                }
                progress.accept(String.format("go build %s: %.0f s", b.name(), (System.nanoTime() - t0) / 1e9));
            }
            Files.writeString(staging.resolve("complete"), KUBE_VERSION + " " + COREDNS_VERSION + " " + NETPOL_VERSION + " " + METRICS_SERVER_VERSION + " wrappers " + wrapperDigest(repo) + "\n");
            Files.move(staging, home(), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Dirs.deleteTree(staging);
        }
    }
}
