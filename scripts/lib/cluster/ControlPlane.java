//SOURCES ../tools/BuildLock.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Tools.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The binaries of a Docker-free control plane, built from Go modules through the module
 * proxy (the only source this project may download from), pinned by the go.mod/go.sum
 * files under scripts/controlplane, and cached by version.
 */
final class ControlPlane {
    private ControlPlane() {}

    static final String KUBE_VERSION = "v1.36.3";
    static final String ETCD_VERSION = "v3.6.8";
    static final String KWOK_VERSION = "v0.8.0";

    /** Binary name → (wrapper module folder, Go package). */
    record Binary(String name, String module, String pkg) {}

    static final List<Binary> BINARIES = List.of(
            new Binary("kube-apiserver", "k8s", "k8s.io/kubernetes/cmd/kube-apiserver"),
            new Binary("kube-controller-manager", "k8s", "k8s.io/kubernetes/cmd/kube-controller-manager"),
            new Binary("kube-scheduler", "k8s", "k8s.io/kubernetes/cmd/kube-scheduler"),
            new Binary("etcd", "etcd", "."),
            new Binary("kwok", "kwok", "sigs.k8s.io/kwok/cmd/kwok"),
            new Binary("kwokctl", "kwok", "sigs.k8s.io/kwok/cmd/kwokctl"));

    /** kwok's own stage sets, copied from its module at build time: nodes Ready, pods Running, Job pods Succeeded. */
    static final List<String> STAGES = List.of("node/fast", "node/heartbeat-with-lease", "pod/fast");

    private static final java.util.concurrent.ScheduledExecutorService HEARTBEAT =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                var t = new Thread(r, "build-heartbeat");
                t.setDaemon(true);
                return t;
            });

    static Path home() {
        return Tools.cacheDir().resolve("kwok").resolve("k8s-" + KUBE_VERSION + "-etcd-" + ETCD_VERSION + "-kwok-" + KWOK_VERSION);
    }

    static Path bin(String name) { return home().resolve("bin").resolve(name); }

    static Path stages() { return home().resolve("stages"); }

    static boolean built() { return Files.isRegularFile(home().resolve("complete")); }

    /**
     * Builds what is missing (minutes the first time, on 2 cores) and returns the bin folder.
     * One build at a time (BuildLock); a killed build's staging folder is removed by the next.
     */
    static Path ensureBuilt(Path repo, Consumer<String> progress) {
        BuildLock.once(home().getParent(), "control-plane-" + KUBE_VERSION, "build-control-plane-", ControlPlane::built, () -> build(repo, progress), progress);
        return home().resolve("bin");
    }

    private static void build(Path repo, Consumer<String> progress) {
        Path go = Tools.go(progress); // on PATH when it fits, else the pinned toolchain from the Go module proxy
        Path src = repo.resolve("scripts/controlplane");
        Path staging;
        try {
            Files.createDirectories(home().getParent());
            staging = Files.createTempDirectory(home().getParent(), "build-control-plane-");
            Files.createDirectories(staging.resolve("bin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        progress.accept("building the control plane (Kubernetes " + KUBE_VERSION + ", etcd " + ETCD_VERSION + ", kwok " + KWOK_VERSION
                + ") from Go modules into " + home() + "; the first build takes 10-20 minutes on 2 cores, later ones none");
        try {
            String ldflags = versionLdflags();
            for (var b : BINARIES) {
                long t0 = System.nanoTime();
                progress.accept("go build " + b.name() + " …");
                var cmd = new ArrayList<>(List.of(go.toString(), "build", "-mod=readonly", "-trimpath",
                        "-ldflags=" + (b.module().equals("k8s") ? ldflags : "-s -w"), "-o", staging.resolve("bin").resolve(b.name()).toString(), b.pkg()));
                // go prints a line per module it downloads (hundreds): say instead, twice a
                // minute, that the build goes on and how many modules came in.
                int[] downloads = {0};
                var beat = HEARTBEAT.scheduleAtFixedRate(() -> progress.accept(String.format("  still building %s: %.0f s, %d modules downloaded",
                        b.name(), (System.nanoTime() - t0) / 1e9, downloads[0])), 30, 30, java.util.concurrent.TimeUnit.SECONDS);
                Exec.Result r;
                try {
                    r = Exec.run(cmd, src.resolve(b.module()), Map.of("CGO_ENABLED", "0", "GOFLAGS", "-mod=readonly -buildvcs=false",
                            "GOROOT", gorootOf(go), "GOTOOLCHAIN", "local"),
                            Duration.ofMinutes(60), line -> { if (line.startsWith("go: downloading")) downloads[0]++; });
                } finally {
                    beat.cancel(false);
                }
                if (!r.ok()) {
                    throw new Problem.ToolMissing("go build " + b.pkg() + " failed (" + r.said().lines().reduce((a, c) -> c).orElse("")
                            + "); the module proxy must serve the versions pinned in " + src.resolve(b.module()).resolve("go.mod"));
                }
                progress.accept(String.format("go build %s: %.0f s", b.name(), (System.nanoTime() - t0) / 1e9));
            }
            copyStages(go, src.resolve("kwok"), staging.resolve("stages"));
            Files.writeString(staging.resolve("complete"), KUBE_VERSION + " " + ETCD_VERSION + " " + KWOK_VERSION + "\n");
            try {
                Files.move(staging, home(), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!built()) throw e; // another process finished first: its copy is as good
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Dirs.deleteTree(staging);
        }
    }

    /** -X flags so the binaries report their real version (kwokctl and clients check it). */
    static String versionLdflags() {
        String minor = KUBE_VERSION.split("\\.")[1];
        var sb = new StringBuilder("-s -w");
        for (String p : List.of("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")) {
            sb.append(" -X ").append(p).append(".gitVersion=").append(KUBE_VERSION)
                    .append(" -X ").append(p).append(".gitMajor=1")
                    .append(" -X ").append(p).append(".gitMinor=").append(minor)
                    .append(" -X ").append(p).append(".gitTreeState=clean")
                    .append(" -X ").append(p).append(".buildDate=1970-01-01T00:00:00Z");
        }
        return sb.toString();
    }

    /** The stage kustomizations live in the kwok module itself; keep a copy beside the binaries. */
    private static void copyStages(Path go, Path kwokModule, Path dest) throws IOException {
        var r = Exec.run(List.of(go.toString(), "list", "-mod=readonly", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"), kwokModule,
                Map.of("GOROOT", gorootOf(go), "GOTOOLCHAIN", "local"), Duration.ofMinutes(5), null);
        if (!r.ok()) throw new Problem.ToolMissing("go list sigs.k8s.io/kwok failed: " + r.said());
        Path root = Path.of(r.out().strip()).resolve("kustomize/stage");
        for (String s : STAGES) {
            Dirs.copyTree(root.resolve(s), dest.resolve(s));
        }
    }

    /**
     * GOROOT of the go that builds: set explicitly, so a GOROOT exported in the user's shell
     * for another Go cannot mix two toolchains.
     */
    static String gorootOf(Path go) {
        try {
            return go.toRealPath().getParent().getParent().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
