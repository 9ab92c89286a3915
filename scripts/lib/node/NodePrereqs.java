//SOURCES ../cluster/ControlPlane.java
//SOURCES ../images/HostPackages.java
//SOURCES ../images/ImageBuild.java
//SOURCES ../tools/Interrupts.java
//SOURCES NodeBinaries.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES RealNode.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What a kwok cluster and its real node need built or installed before `cluster.java up`
 * starts anything, made as a step of its own (`cluster.java prepare`): the control plane, and
 * for a real node (`up --real-node`, `e2e.java --real`) its host packages, its binaries and the
 * images. Each part is made by the very call `up` and `e2e --real` make, so what a prepare made
 * they find cached; each such call takes its own file lock, so a prepare and an `up` at the same
 * moment make each part once.
 */
final class NodePrereqs {
    private NodePrereqs() {}

    /** One part: a short name, what it holds, whether it is there already (quick: builds nothing), and how to make it. */
    record Part(String name, String holds, BooleanSupplier ready, Consumer<Consumer<String>> make) {}

    /** What every kwok cluster needs: the control plane, built from Go modules. */
    static List<Part> controlPlane(Path repo) {
        return List.of(new Part("control plane", "kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok from Go modules",
                ControlPlane::built, p -> ControlPlane.ensureBuilt(repo, p)));
    }

    /** What a real node needs beyond the control plane, in the order they are made. */
    static List<Part> realNode(Path repo) {
        return List.of(
                new Part("host packages", String.join(" ", RealNode.PACKAGES.stream().map(HostPackages.Pkg::pinned).toList()) + " (apt)",
                        () -> HostPackages.missing(RealNode.PACKAGES).isEmpty(), p -> HostPackages.ensure("the real node", RealNode.PACKAGES, p)),
                new Part("node binaries", "kubelet, kube-proxy, CoreDNS, kube-network-policies and metrics-server from Go modules",
                        NodeBinaries::built, p -> NodeBinaries.ensureBuilt(repo, p)),
                new Part("images", "every image scripts/images.java builds, from pinned Debian and PyPI packages",
                        () -> ImageBuild.status(repo, List.of()).stream().allMatch(ImageBuild.Status::cached), p -> ImageBuild.build(repo, List.of(), p)));
    }

    /** The parts that are not there yet, in their order. */
    static List<Part> missing(List<Part> parts) {
        return parts.stream().filter(p -> !p.ready().getAsBoolean()).toList();
    }

    /**
     * Makes each part that is missing, in order, each a timed step; says "nothing to build" at
     * once when none is. A part that fails is named with why, and the next is still made (a host
     * without root can still build the Go binaries). Returns the failures, one line each.
     */
    static List<String> prepare(List<Part> parts, Progress progress) {
        var todo = missing(parts);
        var names = String.join(", ", parts.stream().map(Part::name).toList());
        if (todo.isEmpty()) {
            progress.info("nothing to build: all there already (" + names + ")");
            return List.of();
        }
        progress.info("to build: " + String.join("; ", todo.stream().map(p -> p.name() + " (" + p.holds() + ")").toList()));
        var failed = new ArrayList<String>();
        for (Part part : todo) {
            if (Interrupts.stopping()) break;
            try {
                progress.step(part.name(), () -> part.make().accept(progress::info));
            } catch (Problem.Interrupted e) {
                throw e;
            } catch (RuntimeException e) {
                failed.add(part.name() + ": " + Problem.rootMessage(e));
            }
        }
        progress.printTimings();
        return failed;
    }
}
