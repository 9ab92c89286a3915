///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/node/WholeCluster.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/images/ImageBuild.java
//SOURCES lib/cluster/K3dCluster.java
//SOURCES lib/cluster/KwokCluster.java
//SOURCES lib/node/NodePrereqs.java
//SOURCES lib/report/Progress.java
//SOURCES lib/node/RealNode.java
//SOURCES lib/node/RealNodeDown.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

@Command(name = "cluster", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "A local cluster for trevor: k3d (real pods, needs Docker) or kwok (real control plane, simulated kubelet, no Docker).",
        subcommands = {cluster.Up.class, cluster.Prepare.class, cluster.Down.class, cluster.Status.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:up, prepare or down failed, or status found the cluster missing, not whole, or with a node NotReady or cordoned",
                "2:bad option, missing tool"})
public class cluster implements Callable<Integer> {
    @Option(names = "--name", scope = ScopeType.INHERIT, defaultValue = "trevor", description = "Cluster name; the kube context is k3d-NAME or kwok-NAME (default: ${DEFAULT-VALUE}).")
    String name;

    public static void main(String[] args) { System.exit(Cli.execute(new cluster(), args)); }

    @Override public Integer call() throws Exception {
        System.err.println("cluster: say up, prepare, down or status (see --help)");
        return 2;
    }

    /** The provider to create a cluster with, and why; printed so nobody wonders which cluster they got. */
    static String provider(String provider, Progress p) {
        if (provider != null) return explicitProvider(provider, p);
        String why = K3dCluster.dockerProblem();
        if (why == null) {
            p.info("provider k3d: a Docker engine answers");
            return "k3d";
        }
        p.info("provider kwok: no Docker engine (" + why + ")");
        return "kwok";
    }

    private static String explicitProvider(String provider, Progress p) {
        if (!provider.equals("k3d") && !provider.equals("kwok")) throw new Problem.BadInput("--provider must be k3d or kwok, not " + provider);
        p.info("provider " + provider + " (--provider)");
        return provider;
    }

    /**
     * The provider of the cluster that exists under this name (down, status): decided by
     * what is there, not by whether Docker answers. Null when neither has one.
     */
    String existingProvider(String provider, Progress p) {
        if (provider != null) return explicitProvider(provider, p);
        boolean kwok = java.nio.file.Files.isDirectory(KwokCluster.clusterDir(name));
        boolean k3d = K3dCluster.dockerProblem() == null && K3dCluster.exists(name);
        if (kwok && k3d) throw new Problem.BadInput("both a kwok and a k3d cluster are named " + name + "; say which with --provider");
        if (kwok) p.info("provider kwok: its state folder " + KwokCluster.clusterDir(name) + " exists");
        if (k3d) p.info("provider k3d: k3d lists a cluster " + name);
        return kwok ? "kwok" : k3d ? "k3d" : null;
    }

    @Command(name = "up", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Create the cluster, or reuse it when it runs.")
    static class Up implements Callable<Integer> {
        @ParentCommand cluster parent;

        @Option(names = "--provider", paramLabel = "k3d|kwok", description = "Default: k3d when a Docker engine answers, else kwok.")
        String provider;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "kwok: the kubeconfig to add the cluster's context to (default: "
                + "$KUBECONFIG or ~/.kube/config). k3d always adds its context to that default and makes it current.")
        Path kubeconfig;

        @Option(names = "--dry-run", description = "k3d: print the k3d commands instead of running them (refused for kwok, whose steps run in-process).")
        boolean dryRun;

        @Option(names = "--agents", defaultValue = "2", description = "k3d agent nodes (default: ${DEFAULT-VALUE}).")
        int agents;

        @Option(names = "--image", paramLabel = "IMAGE", description = "k3d: a locally built image to import, e.g. trevor:dev.")
        String image;

        @Option(names = "--recreate", description = "Delete and recreate a kwok cluster of this name that is half-built, not whole (a control-plane "
                + "process missing or unhealthy) or does not answer (without it, up never deletes anything). A running, whole cluster is refused "
                + "(exit 2, naming how many namespaces and releases it holds) unless --yes-delete-healthy-cluster names it too.")
        boolean recreate;

        @Option(names = "--yes-delete-healthy-cluster", paramLabel = "NAME", description = "With --recreate: delete the cluster NAME even when it "
                + "runs and is whole, with everything in it. NAME must be the cluster's name (--name).")
        String deleteHealthy;

        @Option(names = "--real-node", description = "kwok: add a real node (kubelet, containerd, runc, CNI, kube-proxy, CoreDNS) where real containers run; needs root.")
        boolean realNode;

        @Option(names = "--real-nodes", paramLabel = "N", description = "With --real-node: how many real nodes, 1 (real-0) or 2 (real-0, and real-1 "
                + "in a network namespace of its own, for drains and topology spread); implies --real-node. Default: 1.")
        Integer realNodes;

        @Option(names = "--require-network-policies", description = "With --real-node: refuse (exit 2, naming what the kernel lacks) when "
                + "this kernel cannot enforce NetworkPolicies, instead of a node that does not enforce them.")
        boolean requirePolicies;

        @Option(names = "--image-archive", paramLabel = "TAR", description = "With --real-node: docker-archive to import into the node's containerd "
                + "(repeatable). Default: every image scripts/images.java builds (pause, PostgreSQL, Redis, the trevor stand-in), built or taken from its cache.")
        java.util.List<Path> imageArchives = new java.util.ArrayList<>();

        @Override public Integer call() throws Exception {
            var p = new Progress("cluster", System.out);
            KwokCluster.checkName(parent.name);
            if (realNodes != null) realNode = true;
            if (!realNode && !imageArchives.isEmpty()) throw new Problem.BadInput("--image-archive goes with --real-node");
            if (!realNode && requirePolicies) throw new Problem.BadInput("--require-network-policies goes with --real-node");
            if (realNodes != null && (realNodes < 1 || realNodes > RealNode.MAX_NODES)) {
                throw new Problem.BadInput("--real-nodes " + realNodes + " is out of range: give 1 (real-0) or 2 (real-0 and real-1)");
            }
            int nodes = realNodes == null ? 1 : realNodes;
            if (cluster.provider(provider, p).equals("k3d")) {
                if (recreate || deleteHealthy != null) throw new Problem.BadInput("--recreate is for kwok clusters; 'cluster.java down' then 'up' recreates a k3d one");
                if (realNode) throw new Problem.BadInput("--real-node is for kwok (--provider kwok); k3d's nodes run real containers already");
                if (!dryRun) K3dCluster.requireK3d();
                boolean exists = !dryRun && K3dCluster.exists(parent.name);
                if (exists) p.info("k3d cluster " + parent.name + " exists; reusing it");
                p.step("k3d cluster " + parent.name, () -> K3dCluster.run(K3dCluster.upCommands(parent.name, agents, image, exists),
                        dryRun, p::info));
                p.info("context " + K3dCluster.context(parent.name) + "; ingress at http://trevor.localhost; next: ./jbang scripts/install.java");
            } else {
                if (dryRun) throw new Problem.BadInput("--dry-run is for k3d; kwok's commands run in-process");
                Path repo = Repo.root();
                if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository");
                var info = p.step("kwok cluster " + parent.name, () -> WholeCluster.up(repo, parent.name, kubeconfig, recreate, deleteHealthy, p::info));
                if (realNode) {
                    var archives = imageArchives.isEmpty()
                            ? p.step("images (scripts/images.java build)", () -> new java.util.ArrayList<>(ImageBuild.build(repo, java.util.List.of(), p::info).values()))
                            : imageArchives;
                    p.step(nodes == 1 ? "real node" : "real nodes", () -> RealNode.up(repo, parent.name, archives, requirePolicies, nodes, p::info));
                }
                p.info("context " + info.context() + "; next: ./jbang scripts/install.java" + (realNode ? " --with-deps (values/real-node.yaml, "
                        + "chosen on a cluster with a real node)" : ""));
            }
            p.printTimings();
            return 0;
        }
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
            description = "Build and install what a kwok cluster's up needs, and start nothing: the control plane; with --real-node also "
                    + "the real node's host packages (apt, as root), its binaries and the images. Each part says how long it took; "
                    + "'nothing to build' when all are there. Safe beside a running up: each part is built once, under its own lock.")
    static class Prepare implements Callable<Integer> {
        @Option(names = "--real-node", description = "Also what up --real-node (and e2e.java --real) needs: containerd, runc, the CNI plugins, "
                + "iptables and nftables from Debian; the kubelet, kube-proxy, CoreDNS, kube-network-policies and metrics-server; the images.")
        boolean realNode;

        @Override public Integer call() {
            var p = new Progress("cluster", System.out);
            Path repo = Repo.root();
            if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository");
            var parts = new java.util.ArrayList<>(NodePrereqs.controlPlane(repo));
            if (realNode) {
                RealNode.requireLinux();
                parts.addAll(NodePrereqs.realNode(repo));
            }
            var failed = NodePrereqs.prepare(parts, p);
            if (!failed.isEmpty()) throw new Problem.Failed("could not build or install: " + String.join("; ", failed));
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Remove the cluster, and its real node if it has one: no process, port, mount, interface, rule or state folder stays. Only processes proved the cluster's are "
            + "signalled (their executable under the control plane's folder, their command line naming the cluster's); a stale pid file naming "
            + "another process is reported and that process left alone.")
    static class Down implements Callable<Integer> {
        @ParentCommand cluster parent;

        @Option(names = "--provider", paramLabel = "k3d|kwok", description = "Which cluster to remove when both kinds have one of this name "
                + "(default: the kind that has a cluster of this name, whatever Docker says).")
        String provider;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "kwok: the kubeconfig to remove the cluster's context from (default: "
                + "$KUBECONFIG or ~/.kube/config). k3d removes its context from that default.")
        Path kubeconfig;

        @Option(names = "--dry-run", description = "k3d: print the k3d commands instead of running them (refused for kwok).")
        boolean dryRun;

        @Override public Integer call() throws Exception {
            var p = new Progress("cluster", System.out);
            KwokCluster.checkName(parent.name);
            String provider = parent.existingProvider(this.provider, p);
            if (provider == null) {
                p.info("no kwok or k3d cluster " + parent.name + "; nothing to remove");
                return 0;
            }
            if (provider.equals("k3d")) {
                if (!dryRun) K3dCluster.requireK3d();
                K3dCluster.run(K3dCluster.downCommands(parent.name, dryRun), dryRun, p::info);
                return 0;
            }
            // A dry run that went on to remove the cluster would be the worst surprise of all.
            if (dryRun) throw new Problem.BadInput("--dry-run is for k3d; a kwok cluster's removal runs in-process, so nothing was removed");
            boolean withNode = RealNode.exists(parent.name);
            var removed = p.step("remove kwok cluster " + parent.name + (withNode ? " and its real node" : ""),
                    () -> WholeCluster.down(parent.name, kubeconfig, p::info));
            var footprint = removed.cluster();
            var left = new java.util.ArrayList<>(KwokCluster.leftovers(footprint));
            if (withNode) left.addAll(RealNodeDown.leftovers(removed.nodes()));
            if (!left.isEmpty()) {
                System.err.println("cluster: left behind: " + String.join("; ", left));
                return 1;
            }
            p.info("nothing left behind (" + footprint.pids().size() + " processes, ports " + footprint.ports() + ")");
            if (withNode) p.info("real node: nothing left behind (" + RealNodeDown.describe(removed.nodes()) + ")");
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Say whether the cluster runs, is whole and answers (exit 0 only then): every control-plane process "
            + "(etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok-controller) runs, the controller-manager's and scheduler's "
            + "/healthz say ok, and every node is Ready and not cordoned (a cordoned node shows as Ready,SchedulingDisabled, with the "
            + "uncordon command); exit 1 names what is missing. k3d: what `k3d cluster list NAME` says.")
    static class Status implements Callable<Integer> {
        @ParentCommand cluster parent;

        @Option(names = "--provider", paramLabel = "k3d|kwok", description = "Which cluster to report when both kinds have one of this name "
                + "(default: the kind that has a cluster of this name).")
        String provider;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Not needed: status asks a kwok cluster through the cluster's own "
                + "kubeconfig. Accepted so that up, status and down take the same options.")
        Path kubeconfig;

        @Override public Integer call() throws Exception {
            var p = new Progress("cluster", System.err);
            KwokCluster.checkName(parent.name);
            String provider = parent.existingProvider(this.provider, p);
            if (provider == null) {
                System.out.println("no kwok or k3d cluster " + parent.name);
                return 1;
            }
            if (provider.equals("k3d")) {
                K3dCluster.run(java.util.List.of(java.util.List.of("k3d", "cluster", "list", parent.name)), false, p::info);
                System.out.println("NetworkPolicies: enforced by k3d's own CNI (k3s's network policy controller), unless k3s runs with --disable-network-policy");
                return 0;
            }
            String s = KwokCluster.status(parent.name);
            System.out.println(s);
            boolean running = s.contains(": running, ");
            if (RealNode.exists(parent.name)) System.out.println(RealNode.status(parent.name));
            else System.out.println("NetworkPolicies: NOT enforced (kwok's simulated nodes run no pods and no network; only a real node enforces them: cluster.java up --real-node)");
            if (!running) return 1;
            // Whole means every node takes pods too: a cordoned or NotReady node is a cluster that cannot place them.
            var nodes = KwokCluster.nodeStates(parent.name);
            var problems = new java.util.ArrayList<String>();
            nodes.forEach((node, state) -> {
                System.out.println("node " + node + ": " + state);
                if (state.contains("SchedulingDisabled")) {
                    problems.add("node " + node + " is cordoned (no new pod is placed there); when its maintenance is over: "
                            + "./jbang scripts/tools.java run kubectl --kubeconfig " + KwokCluster.ownKubeconfig(parent.name) + " uncordon " + node);
                } else if (!state.startsWith("Ready")) {
                    problems.add("node " + node + " is " + state);
                }
            });
            problems.forEach(m -> System.err.println("cluster: " + m));
            return problems.isEmpty() ? 0 : 1;
        }
    }
}
