//SOURCES ../cluster/KwokCluster.java
//SOURCES RealNodeDown.java

import java.nio.file.Path;
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

    /** Stops every process of the cluster and its real nodes and removes their state; returns what the control plane held. */
    static KwokCluster.Footprint down(String name, Path kubeconfig, Consumer<String> progress) {
        return KwokCluster.down(name, kubeconfig, REAL_NODES, progress);
    }
}
