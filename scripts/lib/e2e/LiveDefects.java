//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES ../lifecycle/Installer.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES ../lifecycle/LiveChecks.java
//SOURCES ../kube/Manifests.java
//SOURCES ../lifecycle/PodTrouble.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../lifecycle/Upgrader.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * States of a live release that the live checks exist to catch, made for real on a cluster:
 * objects deleted or changed by hand, a hook Job left running, a stuck rollout, a failed and a
 * pending revision. Each state names the check of LiveChecks it must make fail; states that do
 * not interact share one release, so one status run covers several.
 */
final class LiveDefects {
    /** One state and the live check it must make fail, by name. */
    record Defect(String state, String check) {}

    interface Breaker { void apply(Release rel, Progress p) throws Exception; }

    /**
     * States made together on the release in namespace. failing: every check that must then
     * fail (a state can fail more than one, e.g. a failed migration); every other check must pass.
     */
    record Group(String namespace, String what, List<Defect> defects, List<String> alsoFailing, Breaker breaker, boolean alone) {
        Group(String namespace, String what, List<Defect> defects, List<String> alsoFailing, Breaker breaker) {
            this(namespace, what, defects, alsoFailing, breaker, false);
        }

        Set<String> failing() {
            var out = new LinkedHashSet<String>();
            defects.forEach(d -> out.add(d.check()));
            out.addAll(alsoFailing);
            return out;
        }
    }

    private final Path repo;

    LiveDefects(Path repo) { this.repo = repo; }

    List<Group> groups() {
        return List.of(
                new Group("defects-objects", "objects deleted or changed by hand, a hook Job left running, a chart without NOTES.txt", List.of(
                        new Defect("the release upgraded to a copy of the chart without templates/NOTES.txt", LiveChecks.NOTES),
                        new Defect("the API PDB deleted", LiveChecks.PDB_EXISTS),
                        new Defect("the worker PDB's selector changed to match no pod", LiveChecks.PDB_HEALTHY),
                        new Defect("the release's HPAs deleted", LiveChecks.HPA),
                        new Defect("every NetworkPolicy of the release deleted", LiveChecks.NETWORK_POLICIES),
                        new Defect("the API Service's selector changed to match no pod", LiveChecks.ENDPOINTS),
                        new Defect("the namespace relabelled pod-security.kubernetes.io/enforce=baseline", LiveChecks.POD_SECURITY),
                        new Defect("the migration hook's Job created again, left running", LiveChecks.MIGRATION_JOB)),
                        List.of(), this::objects),
                new Group("defects-pods", "a stuck rollout and a worker scaled to 0", List.of(
                        new Defect("the API Deployment's new pods cannot be scheduled (nodeSelector of a node that does not exist)", LiveChecks.PODS_READY),
                        new Defect("the worker Deployment scaled to 0", LiveChecks.PDB_HEALTHY)),
                        List.of(), this::pods),
                new Group("defects-failed", "a failed revision", List.of(
                        new Defect("an upgrade whose migration fails, without rollback: the last revision is failed", LiveChecks.RELEASE_DEPLOYED)),
                        // the same failure, seen by Helm's hook record and by the failed Job's pod that stays for a look
                        List.of(LiveChecks.MIGRATION_JOB, LiveChecks.PODS_READY), this::failedRevision),
                new Group("defects-pending", "a run killed mid-upgrade", List.of(
                        new Defect("helm killed (SIGKILL) during an upgrade's migration hook: the last revision is pending-upgrade", LiveChecks.DRY_RUN)),
                        List.of(LiveChecks.RELEASE_DEPLOYED, LiveChecks.MIGRATION_JOB), this::pendingRevision),
                new Group("defects-short", "an API pod that stays running but not ready", List.of(
                        new Defect("one of the HPA's minReplicas (3) API pods not ready (kwok Stage trevor-pod-unready): 2 ready", LiveChecks.HPA_MINIMUM)),
                        // the same pod, seen by the pods check and by the API PDB's count
                        List.of(LiveChecks.PODS_READY, LiveChecks.PDB_HEALTHY), this::apiPodUnready),
                // A cordon is the whole cluster's: made after the other groups, so it places none of their pods.
                new Group("defects-cordon", "every node cordoned and an API pod deleted", List.of(
                        new Defect("every node cordoned and one API pod deleted: its replacement cannot be scheduled",
                                LiveChecks.NODES_SCHEDULABLE)),
                        // the Pending replacement, the API short of its minimum, the PDB's count
                        List.of(LiveChecks.PODS_READY, LiveChecks.HPA_MINIMUM, LiveChecks.PDB_HEALTHY), this::cordonEveryNode, true));
    }

    /** Live checks no state here makes fail (empty when every one has its defect). */
    List<String> uncovered() {
        var covered = new LinkedHashSet<String>();
        for (var g : groups()) g.defects().forEach(d -> covered.add(d.check()));
        var out = new ArrayList<>(LiveChecks.NAMES);
        out.removeAll(covered);
        return out;
    }

    Installer.Options installOptions() {
        return Installer.Options.of(List.of(repo.resolve("values/prod.yaml")), List.of(), Duration.ofMinutes(3)).withTag("1.0.0");
    }

    private void objects(Release rel, Progress p) throws IOException {
        var kube = rel.kube;
        Path tmp = Files.createTempDirectory("trevor-defects");
        try {
            Path chart = tmp.resolve("trevor");
            Dirs.copyTree(rel.chart, chart);
            Files.delete(chart.resolve("templates/NOTES.txt"));
            // First, as Helm would put back what the kubectl edits below take away.
            var up = new Release(rel.helm, kube, rel.name, rel.namespace, chart)
                    .upgradeInstall(new Helm.Values(List.of(), List.of(), rel.userValues(null)), Duration.ofMinutes(3), true, line -> {});
            Report.expect(up.ok(), "the upgrade to the chart without NOTES.txt failed: %s", up.said());
        } finally {
            Dirs.deleteTree(tmp);
        }
        String ns = rel.namespace;
        String none = "{\"spec\":{\"selector\":{\"matchLabels\":{\"trevor.test/none\":\"true\"}}}}";
        must(kube.run("delete", "pdb", "-n", ns, "-l", rel.selector("api")));
        must(kube.run("patch", "-n", ns, only(rel, "poddisruptionbudgets", "worker"), "--type=merge", "-p", none));
        must(kube.run("delete", "hpa", "-n", ns, "-l", "app.kubernetes.io/instance=" + rel.name));
        must(kube.run("delete", "networkpolicy", "-n", ns, "-l", "app.kubernetes.io/instance=" + rel.name));
        must(kube.run("patch", "-n", ns, only(rel, "services", "api"), "--type=merge",
                "-p", "{\"spec\":{\"selector\":{\"trevor.test/none\":\"true\"}}}"));
        must(kube.run("label", "namespace", ns, "pod-security.kubernetes.io/enforce=baseline", "--overwrite"));
        // The hook Job as Helm rendered it, under its own name, with the kwok label that keeps its pod running.
        var job = hookJob(rel);
        Yaml.map(job, "metadata").remove("annotations");
        var podMeta = Yaml.map(job, "spec.template.metadata");
        @SuppressWarnings("unchecked") var labels = (Map<String, Object>) podMeta.computeIfAbsent("labels", k -> new java.util.LinkedHashMap<String, Object>());
        labels.put("trevor.test/hang", "true");
        must(kube.runWithInput(Yaml.dump(job), "create", "-n", ns, "-f", "-"));
    }

    private void pods(Release rel, Progress p) {
        var kube = rel.kube;
        must(kube.run("patch", "-n", rel.namespace, only(rel, "deployments", "api"), "--type=merge",
                "-p", "{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"no-such-node\"}}}}}"));
        must(kube.run("scale", "-n", rel.namespace, only(rel, "deployments", "worker"), "--replicas=0"));
    }

    private void apiPodUnready(Release rel, Progress p) {
        var kube = rel.kube;
        var pods = kube.list(rel.namespace, "pods", rel.selector("api"));
        Report.expect(!pods.isEmpty(), "no API pod in %s", rel.namespace);
        String pod = Yaml.str(pods.get(0), "metadata.name");
        must(kube.run("label", "pod", pod, "-n", rel.namespace, "trevor.test/unready=true"));
        String deployment = only(rel, "deployments", "api");
        Wait.until(deployment + " to count pod " + pod + " not ready", Duration.ofSeconds(60), () -> {
            var d = kube.get(rel.namespace, "deployment", deployment.substring(deployment.indexOf('/') + 1));
            return LiveChecks.intOf(Yaml.at(d, "status.readyReplicas")) < 3 ? null : "readyReplicas " + Yaml.str(d, "status.readyReplicas");
        });
    }

    /**
     * Every node cordoned (the group runs alone, after the others), then one API pod deleted:
     * its replacement has nowhere to go, and the scheduler says the cordon is why. Cordoning one
     * node would not do: the chart spreads with nodeTaintsPolicy Honor, so a cordoned (tainted)
     * node stops counting and the replacement fits on the other.
     */
    private void cordonEveryNode(Release rel, Progress p) {
        var kube = rel.kube;
        for (var n : kube.list(null, "nodes", null)) must(kube.run("cordon", Yaml.str(n, "metadata.name")));
        var pods = kube.list(rel.namespace, "pods", rel.selector("api"));
        Report.expect(!pods.isEmpty(), "no API pod in %s", rel.namespace);
        must(kube.run("delete", "pod", Yaml.str(pods.get(0), "metadata.name"), "-n", rel.namespace, "--wait=true"));
        Wait.until("an API pod that cannot be scheduled because of the cordon", Duration.ofSeconds(60), () -> {
            for (var pod : kube.list(rel.namespace, "pods", rel.selector("api"))) {
                var f = PodTrouble.classify(pod);
                if (f != null && f.message() != null && f.message().contains("unschedulable")) return null;
            }
            return "none yet";
        });
    }

    private void failedRevision(Release rel, Progress p) {
        var o = installOptions();
        var noRollback = new Installer.Options(o.valuesFiles(), List.of(KwokCluster.FAIL_LABEL_SET, "migrations.backoffLimit=0"), "1.0.1",
                o.envFiles(), o.devSecrets(), Duration.ofSeconds(90), false, o.namespaceLabels(), false, o.deployedValues());
        try {
            Upgrader.upgrade(rel, noRollback, p);
            Report.fail("the upgrade with a failing migration succeeded");
        } catch (Problem.Failed e) {
            p.info(rel.namespace + ": the upgrade failed, as it should: " + Kube.firstLine(e.getMessage()));
        }
        Report.expect("failed".equals(rel.state().last().status()), "the last revision is %s", rel.state().describe());
    }

    /** helm upgrade started with a migration that hangs, then killed outright, as in a power cut. */
    private void pendingRevision(Release rel, Progress p) throws Exception {
        var cmd = new ArrayList<>(List.of(rel.helm.binary.toString(), "upgrade", rel.name, rel.chart.toString(), "--namespace", rel.namespace,
                "--kube-context", rel.kube.context, rel.helm.waitFlag(), "--timeout", "300s", "-f", repo.resolve("values/prod.yaml").toString(),
                "--set-string", "image.tag=1.0.2", "--set-string", "migrations.podLabels.trevor\\.test/hang=true"));
        if (rel.kube.kubeconfig != null) cmd.addAll(List.of("--kubeconfig", rel.kube.kubeconfig.toString()));
        var helm = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Wait.until("the hanging migration Job of " + rel.namespace, Duration.ofSeconds(90), () -> {
                if (!helm.isAlive()) throw new IllegalStateException("helm upgrade ended with exit " + helm.exitValue());
                return rel.kube.list(rel.namespace, "jobs", "app.kubernetes.io/component=migrate").isEmpty() ? "no Job yet" : null;
            });
        } finally {
            helm.destroyForcibly().waitFor();
        }
        // Its Job would keep a pod running for ten minutes; the state under test is Helm's record alone.
        rel.kube.run("delete", "jobs", "-n", rel.namespace, "-l", "app.kubernetes.io/component=migrate", "--wait=true", "--timeout=60s");
        Report.expect(rel.state().last().pending(), "the last revision is %s, not pending", rel.state().describe());
    }

    private static Map<String, Object> hookJob(Release rel) {
        var hooks = rel.hooks();
        Report.expect(hooks.ok(), "helm get hooks: %s", hooks.said());
        for (var doc : Manifests.parse(hooks.out())) {
            if ("Job".equals(doc.body().get("kind"))) return doc.body();
        }
        throw new Report.Failure("no hook Job in helm get hooks of " + rel.name);
    }

    /** The one object of kind of a component, as kind/name. */
    private static String only(Release rel, String kind, String component) {
        var items = rel.kube.list(rel.namespace, kind, rel.selector(component));
        Report.expect(items.size() == 1, "expected one %s of component %s in %s, found %d", kind, component, rel.namespace, items.size());
        return kind + "/" + Yaml.str(items.get(0), "metadata.name");
    }

    private static void must(Exec.Result r) {
        Report.expect(r.ok(), "%s: %s", String.join(" ", r.command().subList(1, r.command().size())), r.said());
    }
}
