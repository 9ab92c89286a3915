//SOURCES ../cluster/KwokCluster.java
//SOURCES RealNodeDown.java

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A kwok cluster with its real nodes, for every caller above the node wing: down takes the
 * real nodes first, while the API answers (their kubelets stop the pods), and so does the
 * teardown inside up (--recreate, a failed create). KwokCluster cannot name the node wing: a
 * //SOURCES loop across folders sends JBang's build into an endless recursion.
 */
final class WholeCluster {
    private WholeCluster() {}

    static final KwokCluster.NodesDown REAL_NODES = (cluster, progress) -> {
        var footprint = RealNodeDown.down(cluster, progress);
        return () -> RealNodeDown.leftovers(footprint);
    };

    static KwokCluster.Info up(Path repo, String name, Path kubeconfig, boolean recreate, Consumer<String> progress) {
        return KwokCluster.up(repo, name, kubeconfig, recreate, null, REAL_NODES, progress);
    }

    static KwokCluster.Info up(Path repo, String name, Path kubeconfig, boolean recreate, String deleteHealthy, Consumer<String> progress) {
        return KwokCluster.up(repo, name, kubeconfig, recreate, deleteHealthy, REAL_NODES, progress);
    }

    /**
     * What down removed: the control plane's processes, ports and folder, and the real nodes'
     * footprint (none when the cluster had no real node), each for its own leftovers.
     */
    record Removed(KwokCluster.Footprint cluster, RealNodeDown.Footprint nodes) {}

    /**
     * Stops every process of the cluster and its real nodes and removes their state; returns what
     * both held. The nodes' teardown runs once, under the cluster's lock, and its footprint comes
     * back out so a caller proves it gone without a second teardown.
     */
    static Removed down(String name, Path kubeconfig, Consumer<String> progress) {
        var nodes = new AtomicReference<RealNodeDown.Footprint>();
        var cluster = KwokCluster.down(name, kubeconfig, (c, p) -> {
            nodes.set(RealNodeDown.down(c, p));
            return () -> RealNodeDown.leftovers(nodes.get());
        }, progress);
        return new Removed(cluster, nodes.get());
    }
}
