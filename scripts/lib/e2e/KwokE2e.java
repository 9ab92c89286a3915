//SOURCES ../node/WholeCluster.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Problem.java
//SOURCES E2e.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES ../lifecycle/Installer.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES ../lifecycle/LiveChecks.java
//SOURCES ../kube/Manifests.java
//SOURCES ../lifecycle/Migrator.java
//SOURCES NetpolProbe.java
//SOURCES PreviousChart.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../lifecycle/Rollback.java
//SOURCES SpreadProof.java
//SOURCES ../lifecycle/Upgrader.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The chart's whole life on a kwok cluster (real kube-apiserver, controllers and scheduler;
 * simulated kubelet): refusals, install, live checks, migrations, upgrades, faults, drain,
 * rollback, upgrades from charts users already run, uninstall. The fast path: no container runs.
 */
final class KwokE2e extends E2e {
    static final String NAMESPACE = "trevor-e2e";
    private final String upgradeFrom;

    KwokE2e(Path repo, Helm helm, Path kubectl, String name, Report report, Progress progress, Path diagDir, boolean keep, String upgradeFrom) {
        super(repo, helm, kubectl, name, NAMESPACE, report, progress, diagDir, keep);
        this.upgradeFrom = upgradeFrom;
    }

    @Override
    void lifecycle() throws IOException {
        kubeconfig = Files.createTempDirectory("trevor-e2e-kube").resolve("kubeconfig");
        // Always a new cluster: one left by an interrupted run would hold its old release.
        WholeCluster.down(name, null, progress::info);
        var cluster = stage("cluster up (kwok, real control plane built from Go modules)", true,
                () -> WholeCluster.up(repo, name, kubeconfig, false, progress::info));
        var kube = new Kube(kubectl, cluster.context(), cluster.kubeconfig());
        rel = new Release(helm, kube, RELEASE, NAMESPACE, repo.resolve("helm/trevor"));
        installValues = new Helm.Values(List.of(repo.resolve("values/prod.yaml")), List.of("image.tag=1.0.0"));

        refusals(cluster);

        stage("plan 9/10: first install with values/prod.yaml runs the pre-install migration hook", true, () -> {
            Installer.install(rel, options(List.of("image.tag=1.0.0"), Duration.ofMinutes(3)), progress);
            // What the check claims, from Helm's record (the Job itself is gone: hook-succeeded): the hook ran, and succeeded.
            var hook = LiveChecks.migrationHook(rel);
            Report.expect("Succeeded".equals(hook.phase()) && hook.completed() != null,
                    "the pre-install migration hook did not run: Helm's record of Job %s says phase %s", hook.name(), hook.phase());
            return null;
        });
        long failedBefore = report.failedHere();
        new LiveChecks(rel, report, "after install").run();
        stopIfFailed("live checks after install", failedBefore);
        policiesNotEnforced();

        stage("migrate.java: on-demand migration Job succeeds", false, () -> {
            var out = Migrator.run(rel, List.of(), Duration.ofMinutes(2), progress);
            Report.expect(out.succeeded(), "Job %s did not succeed:\n%s", out.job(), out.explanation());
            return null;
        });
        stage("plan 11: upgrade to a new tag runs the migration Job before new API pods", true, () -> {
            var out = Upgrader.upgrade(rel, options(List.of(), Duration.ofMinutes(3)).withTag("2.0.0"), progress);
            Report.expect(out.revisionAfter() == out.revisionBefore() + 1, "revision %d → %d", out.revisionBefore(), out.revisionAfter());
            Report.expect(out.diff().contains("image: trevor:2.0.0"), "the shown diff does not contain the new image:\n%s", out.diff());
            return null;
        });
        failedBefore = report.failedHere();
        new LiveChecks(rel, report, "after upgrade").run();
        stopIfFailed("live checks after upgrade", failedBefore);

        faults();
        spreadBesideTaintedNode();
        missingTmpUnseen();
        policyDefectsUnseen();
        upgradesAndRollback();
        previousReleases();

        if (keep) return; // --keep: the release stays, to look at
        stage("uninstall leaves nothing of the release: no workload, hook Job, ServiceAccount, policy, budget or lock", false, () -> {
            var r = rel.uninstall(Duration.ofMinutes(2));
            Report.expect(r.ok(), "helm uninstall failed: %s", r.said());
            String kinds = "deployments,replicasets,pods,services,jobs,serviceaccounts,networkpolicies,poddisruptionbudgets,"
                    + "horizontalpodautoscalers,ingresses,leases,configmaps";
            String sel = "app.kubernetes.io/instance=" + RELEASE;
            // Objects go one by one as their controllers and finalizers let them: the list shrinking is progress.
            Wait.whileMoving("the release's objects in " + NAMESPACE + " to be deleted", KwokCluster.STALL, KwokCluster.CEILING, progress::info, () -> {
                var now = kube.run("get", kinds, "-n", NAMESPACE, "-l", sel, "-o", "name");
                return now.ok() && now.out().isBlank() ? null : (now.ok() ? now.out() : now.said()).strip().replace('\n', ' ');
            });
            var left = kube.run("get", kinds, "-n", NAMESPACE, "-l", sel, "-o", "name");
            Report.expect(left.ok() && left.out().isBlank(), "left behind after helm uninstall: %s",
                    (left.ok() ? left.out() : left.said()).strip().replace('\n', ' '));
            return null;
        });
    }

    /** Upgrades that do not roll the API, numeric tags, and going back. */
    private void upgradesAndRollback() {
        stage("upgrade.java by values alone (worker.replicaCount=3) succeeds: no new API pods, so no order to prove", false, () -> {
            var out = Upgrader.upgrade(rel, options(List.of("worker.replicaCount=3"), Duration.ofMinutes(3)), progress);
            Report.expect(!out.rolled(), "the API Deployment rolled: %s", out.ordering());
            Report.expect(out.ordering().contains("no migration-before-pods order to prove"), "the upgrade says: %s", out.ordering());
            Report.expect(rel.kube.list(NAMESPACE, "pods", rel.selector("worker")).stream().filter(LiveChecks::ready).count() == 3,
                    "expected 3 ready worker pods");
            return null;
        });
        stage("upgrade.java --tag 20240101: a numeric tag stays a string, and migrations run before the new pods", false, () -> {
            var out = Upgrader.upgrade(rel, options(List.of(), Duration.ofMinutes(3)).withTag("20240101"), progress);
            Report.expect(out.rolled(), "the API did not roll to the new tag: %s", out.ordering());
            Report.expect(out.diff().contains("image: trevor:20240101"), "the diff does not show the new image:\n%s", out.diff());
            Report.expect(out.ordering().startsWith("migration Job"), "no ordering proof: %s", out.ordering());
            Object tag = Yaml.at(rel.deployedValues(), "image.tag");
            Report.expect("20240101".equals(tag), "image.tag is %s (%s), expected the string 20240101", tag, Yaml.typeName(tag));
            return null;
        });
        stage("rollback.java returns to the previous revision and says which migrations stay applied", false, () -> {
            var out = Rollback.run(rel, null, false, Duration.ofMinutes(2), progress);
            Report.expect(out.imageBefore().endsWith(":20240101") && out.imageAfter().endsWith(":2.0.0"), "rolled back from %s to %s",
                    out.imageBefore(), out.imageAfter());
            Report.expect(out.migrations().contains("not rolled back") && out.migrations().contains("trevor:20240101"),
                    "the rollback does not say the 20240101 migrations stay: %s", out.migrations());
            var api = rel.kube.list(NAMESPACE, "deployments", rel.selector("api")).get(0);
            String image = Yaml.str(Yaml.maps(Yaml.at(api, "spec.template.spec"), "containers").get(0), "image");
            Report.expect(image.endsWith(":2.0.0"), "the API Deployment runs %s after the rollback", image);
            Report.expect("deployed".equals(rel.state().last().status()), "the release is %s", rel.state().describe());
            return null;
        });
        stage("rollback.java refuses a revision that does not exist, changing nothing", false, () -> {
            int before = rel.state().last().number();
            try {
                Rollback.run(rel, 99, false, Duration.ofMinutes(1), progress);
                Report.fail("rolled back to revision 99");
            } catch (Problem.BadInput e) {
                Report.expect(e.getMessage().contains("no revision 99"), "the refusal does not name the revision: %s", e.getMessage());
            }
            Report.expect(rel.state().last().number() == before, "a revision was added: %s", rel.state().describe());
            return null;
        });
    }

    /**
     * Upgrades from charts users already run: the previous chart release from git history
     * (chart-testing's upgrade test), and the spec's old chart, whose API selector lacks the
     * component label and so cannot be upgraded in place.
     */
    private void previousReleases() throws IOException {
        var kube = rel.kube;
        Path tmp = Files.createTempDirectory("trevor-previous");
        try {
            String[] from = {null};
            PreviousChart.Found[] previous = {null};
            // A step that finds, not a check that judges: what it found is shown as INFO (never a PASS), a git error fails it,
            // and the upgrade from it is the check.
            stage("find the previous chart release in git history", false, () -> {
                previous[0] = PreviousChart.extract(repo, upgradeFrom, tmp.resolve("previous"));
                from[0] = previous[0].describe();
                progress.info("previous release: " + from[0]);
                throw new Report.Info("found " + from[0] + "; the next check upgrades from it");
            });
            var found = previous[0];
            if (found != null) {
                stage("upgrade from the previous chart release (" + from[0] + ") to this chart keeps the release serving", false, () -> {
                    var old = new Release(rel.helm, kube, RELEASE, "trevor-previous", found.chart());
                    // Its users run it with its own values/prod.yaml; this one may set keys that chart does not know.
                    Path oldValues = PreviousChart.file(repo, found.commit(), "values/prod.yaml", tmp.resolve("previous-values"));
                    var oldOptions = oldValues == null ? options(List.of(), Duration.ofMinutes(3)) : options(oldValues, List.of(), Duration.ofMinutes(3));
                    Installer.install(old, oldOptions.withTag("1.0.0"), progress);
                    var now = new Release(rel.helm, kube, RELEASE, "trevor-previous", repo.resolve("helm/trevor"));
                    var out = Upgrader.upgrade(now, options(List.of(), Duration.ofMinutes(3)).withTag("2.0.0"), progress);
                    Report.expect(out.revisionAfter() == 2 && "deployed".equals(now.state().last().status()), "the release is %s", now.state().describe());
                    var ready = kube.list("trevor-previous", "pods", now.selector("api")).stream().filter(LiveChecks::ready).count();
                    Report.expect(ready > 0, "no ready API pod after the upgrade");
                    now.uninstall(Duration.ofMinutes(1));
                    return null;
                });
            } else {
                // Not run is not passed: shown as skipped, so a count of the checks sees it.
                stage("upgrade from the previous chart release to this chart keeps the release serving", false, () -> {
                    throw new Report.Skipped("no previous chart release was found (see the step before)");
                });
            }
            var fixture = repo.resolve("scripts/tests/fixtures/trevor-chart-0.10.0");
            var old = new Release(rel.helm, kube, RELEASE, "trevor-old", fixture);
            var now = new Release(rel.helm, kube, RELEASE, "trevor-old", repo.resolve("helm/trevor"));
            stage("upgrading from the 0.10.0 chart is refused before any change, naming the selector and the way out", false, () -> {
                Installer.install(old, Installer.Options.of(List.of(), List.of(), Duration.ofMinutes(2)).withTag("1.0.0"), progress);
                try {
                    Upgrader.upgrade(now, Installer.Options.of(List.of(), List.of(), Duration.ofMinutes(2)).withTag("2.0.0"), progress);
                    Report.fail("the upgrade from 0.10.0 went ahead");
                } catch (Problem.BadInput e) {
                    Report.expect(e.getMessage().contains("Deployment/trevor: spec.selector") && e.getMessage().contains("--cascade=orphan"),
                            "the refusal does not name the selector and the way out: %s", e.getMessage());
                }
                Report.expect(now.state().last().number() == 1, "a revision was added: %s", now.state().describe());
                Report.expect(kube.list("trevor-old", "jobs", null).isEmpty(), "a migration Job ran although the upgrade was refused");
                return null;
            });
            stage("the README's way out of the 0.10.0 selector change works: orphan, upgrade, clean up", false, () -> {
                // Exactly the commands README gives, with this release's names.
                String sel = "app.kubernetes.io/instance=" + RELEASE + ",app.kubernetes.io/name=trevor,!app.kubernetes.io/component";
                for (var args : List.of(
                        List.of("label", "pods", "-n", "trevor-old", "-l", sel, "app.kubernetes.io/component=api"),
                        List.of("delete", "deployment", "trevor", "-n", "trevor-old", "--cascade=orphan"))) {
                    var r = kube.run(args.toArray(String[]::new));
                    Report.expect(r.ok(), "kubectl %s: %s", String.join(" ", args), r.said());
                }
                var out = Upgrader.upgrade(now, Installer.Options.of(List.of(), List.of(), Duration.ofMinutes(2)).withTag("2.0.0"), progress);
                Report.expect("deployed".equals(now.state().last().status()), "the upgrade after orphaning: %s (%s)", now.state().describe(), out.ordering());
                var r = kube.run("delete", "replicaset", "-n", "trevor-old", "-l", sel);
                Report.expect(r.ok(), "deleting the orphaned ReplicaSet: %s", r.said());
                Wait.whileMoving("only new, ready API pods in trevor-old", KwokCluster.STALL, KwokCluster.CEILING, progress::info, () -> {
                    var pods = kube.list("trevor-old", "pods", now.selector("api")).stream().filter(pd -> Yaml.at(pd, "metadata.deletionTimestamp") == null).toList();
                    boolean allNew = !pods.isEmpty() && pods.stream().allMatch(pd -> Yaml.str(Yaml.maps(Yaml.at(pd, "spec"), "containers").get(0), "image").endsWith(":2.0.0"));
                    if (allNew && pods.stream().allMatch(LiveChecks::ready)) return null;
                    // Each pod's name, image and readiness: a pod going or coming is progress.
                    return pods.stream().map(pd -> Yaml.str(pd, "metadata.name") + " " + Yaml.str(Yaml.maps(Yaml.at(pd, "spec"), "containers").get(0), "image")
                            + (LiveChecks.ready(pd) ? " ready" : " not ready")).sorted().toList().toString();
                });
                now.uninstall(Duration.ofMinutes(1));
                return null;
            });
        } finally {
            Dirs.deleteTree(tmp);
            kube.run("delete", "namespace", "trevor-previous", "trevor-old", "--wait=false", "--ignore-not-found");
        }
    }

    /** Bad input is refused with exit code 2, a message naming the fix, and no change to the cluster. */
    private void refusals(KwokCluster.Info cluster) throws IOException {
        Path work = Files.createTempDirectory("trevor-e2e");
        try {
            Path badValues = work.resolve("bad.yaml");
            Files.writeString(badValues, "replicaCount: three\nservce:\n  port: 1\n");
            // Sidecars are rendered as given, so only the API server judges their fields (the
            // chart's schema and validate.yaml catch what they can, label values included).
            Path serverOnly = work.resolve("server-only.yaml");
            Files.writeString(serverOnly, "sidecars:\n  - name: proxy\n    image: trevor:1.0.0\n    ports:\n      - containerPort: 70000\n");
            // A kubeconfig whose current context is not a local dev cluster.
            Path prodConfig = work.resolve("prod-kubeconfig");
            Files.writeString(prodConfig, foreignKubeconfig("prod-eks", "https://127.0.0.1:1"));
            var local = new ArrayList<String>(List.of("--context", cluster.context()));
            if (cluster.kubeconfig() != null) local.addAll(List.of("--kubeconfig", cluster.kubeconfig().toString()));
            var cases = List.of(
                    new Refusal("refuses a bad values file, naming the key", concat(local, "-f", badValues.toString()), Map.of(), "replicaCount"),
                    new Refusal("refuses a missing Secret, naming it and the fix", concat(local, "--no-dev-secrets"), Map.of(), "Secret trevor-env"),
                    new Refusal("refuses what the API server refuses (server-side dry run), before any change",
                            concat(local, "-f", serverOnly.toString()), Map.of(), "the API server refuses this release"),
                    new Refusal("refuses a missing tool, naming the variable to set", local,
                            Map.of("TREVOR_HELM" + rel.helm.major, "/nonexistent/helm"), "TREVOR_HELM"),
                    new Refusal("refuses a cluster it was not pointed at deliberately (current context prod-eks)",
                            List.of("--kubeconfig", prodConfig.toString()), Map.of(), "not a local dev cluster"),
                    new Refusal("refuses an unreachable cluster, naming the context",
                            List.of("--kubeconfig", prodConfig.toString(), "--context", "prod-eks"), Map.of(), "does not answer"));
            // Each case is a JVM of its own: run them side by side, report them in order. JBang's
            // build cache is not safe against parallel first builds, so build install.java once.
            var build = Exec.run(List.of(repo.resolve("jbang").toString(), "build", repo.resolve("scripts/install.java").toString()),
                    repo, Map.of(), Duration.ofMinutes(5), null);
            if (!build.ok()) progress.info("jbang build scripts/install.java: " + build.said());
            var runs = cases.stream().map(c -> java.util.concurrent.CompletableFuture.supplyAsync(() -> runInstall(c))).toList();
            // Every case ends before any is judged: one that creates the namespace and removes it again
            // (the dry-run refusal) must not be seen half-way by another's "no namespace left" check.
            var results = runs.stream().map(java.util.concurrent.CompletableFuture::join).toList();
            for (int i = 0; i < cases.size(); i++) {
                var c = cases.get(i);
                var r = results.get(i);
                stage(c.check(), false, () -> {
                    Report.expect(r.exit() == 2, "expected exit code 2, got %d: %s", r.exit(), r.said());
                    Report.expect(r.err().contains(c.mustSay()), "the message does not say '%s': %s", c.mustSay(), r.said());
                    Report.expect(!r.err().contains("\tat "), "a stack trace was printed: %s", r.said());
                    Report.expect(!rel.kube.exists(null, "namespace", NAMESPACE), "namespace %s was created: the refusal was half-applied", NAMESPACE);
                    return null;
                });
            }
        } finally {
            Dirs.deleteTree(work);
        }
    }

    record Refusal(String check, List<String> args, Map<String, String> env, String mustSay) {}

    private Exec.Result runInstall(Refusal c) {
        var cmd = new ArrayList<String>(List.of(repo.resolve("jbang").toString(), repo.resolve("scripts/install.java").toString(),
                "-n", NAMESPACE, "--helm-major", String.valueOf(rel.helm.major), "-f", repo.resolve("values/prod.yaml").toString()));
        cmd.addAll(c.args());
        return Exec.run(cmd, repo, c.env(), Duration.ofMinutes(3), null);
    }

    private static List<String> concat(List<String> a, String... more) {
        var out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private void faults() throws IOException {
        stage("a failing migration fails the upgrade, shows the Job, and rolls back", false, () -> {
            try {
                Upgrader.upgrade(rel, options(List.of(KwokCluster.FAIL_LABEL_SET, "migrations.backoffLimit=0"), Duration.ofSeconds(90))
                        .withTag("3.0.0"), progress);
                Report.fail("the upgrade with a failing migration succeeded");
            } catch (Problem.Failed e) {
                Report.expect(e.getMessage().contains("migration Job"), "the failure does not explain the migration Job: %s", e.getMessage());
                progress.info("refused as expected: " + Kube.firstLine(e.getMessage()));
            }
            var values = rel.deployedValues();
            Report.expect("2.0.0".equals(Yaml.str(values, "image.tag")), "after the rollback the release has image.tag %s, expected 2.0.0",
                    Yaml.str(values, "image.tag"));
            var last = rel.state().last();
            Report.expect("deployed".equals(last.status()), "last revision is %s", rel.state().describe());
            var api = rel.kube.list(NAMESPACE, "deployments", rel.selector("api")).get(0);
            String image = String.valueOf(Yaml.maps(Yaml.at(api, "spec.template.spec"), "containers").get(0).get("image"));
            Report.expect(image.endsWith(":2.0.0"), "the API Deployment runs %s after the rollback", image);
            // The previous release keeps serving: every API pod ready, all behind the Service.
            Report.expect(String.valueOf(Yaml.at(api, "status.replicas")).equals(String.valueOf(Yaml.at(api, "status.readyReplicas"))),
                    "API Deployment: %s of %s replicas ready", Yaml.at(api, "status.readyReplicas"), Yaml.at(api, "status.replicas"));
            var ready = rel.kube.list(NAMESPACE, "pods", rel.selector("api")).stream().filter(LiveChecks::ready).toList();
            Report.expect(!ready.isEmpty() && ready.stream().allMatch(pod -> String.valueOf(Yaml.maps(Yaml.at(pod, "spec"), "containers")
                    .get(0).get("image")).endsWith(":2.0.0")), "ready API pods do not all run 2.0.0");
            return null;
        });

        stage("migrate.java: a failing migration reports failure with the Job's status", false, () -> {
            var out = Migrator.run(rel, List.of(KwokCluster.FAIL_LABEL_SET, "migrations.backoffLimit=0"), Duration.ofSeconds(90), progress);
            try {
                Report.expect(!out.succeeded(), "the failing migration Job %s succeeded", out.job());
                Report.expect(out.explanation().contains("Failed"), "the explanation does not show the failure:\n%s", out.explanation());
            } finally {
                // A failed run's Job is kept for a day for a look; this test has looked. Removed even when
                // this check fails, so that uninstall's check later is judged on what uninstall leaves.
                rel.kube.run("delete", "job", out.job(), "-n", NAMESPACE, "--wait=false");
            }
            return null;
        });

        stage("draining a node respects the PDB (the eviction API refuses)", false, () -> {
            drainAgainstPdb();
            return null;
        });

        stage("the spec's hook-ServiceAccount defect fails the first install, naming the ServiceAccount", false, () -> {
            Path tmp = Files.createTempDirectory("trevor-defect");
            try {
                Path chart = tmp.resolve("trevor");
                Dirs.copyTree(repo.resolve("helm/trevor"), chart);
                Path job = chart.resolve("templates/migration-job.yaml");
                String text = Files.readString(job);
                String fixed = "serviceAccountName: {{ include \"trevor.migrationServiceAccountName\" . }}";
                Report.expect(text.contains(fixed), "the chart no longer has the fixed line; update this check");
                Files.writeString(job, text.replace(fixed, "serviceAccountName: {{ include \"trevor.serviceAccountName\" . }}"));
                var defective = new Release(rel.helm, rel.kube, "defect", "trevor-defect", chart);
                try {
                    Installer.install(defective, options(List.of("image.tag=1.0.0"), Duration.ofSeconds(15)), progress);
                    Report.fail("the first install with the defect succeeded");
                } catch (Problem.Failed e) {
                    Report.expect(e.getMessage().contains("serviceaccount") && e.getMessage().contains("not found"),
                            "the failure does not name the missing ServiceAccount:\n%s", e.getMessage());
                    progress.info("failed as expected; the cause, from the cluster: " + causeLine(e.getMessage()));
                }
                rel.kube.run("delete", "namespace", "trevor-defect", "--wait=false");
            } finally {
                Dirs.deleteTree(tmp);
            }
            return null;
        });
    }

    /**
     * Issue 17: prod's hostname spread rule (DoNotSchedule) beside a node the pods cannot use.
     * With Kubernetes' default (nodeTaintsPolicy Ignore) the tainted node counts as a domain
     * with 0 pods, so the second and third pods would raise the skew and stay Pending; the
     * chart renders Honor. Both are run, so the proof shows the trap it guards against.
     */
    private void spreadBesideTaintedNode() {
        stage("topology spread: prod's 3 API pods all schedule beside a tainted node (nodeTaintsPolicy Honor); Kubernetes' default leaves some Pending",
                false, () -> {
            var r = helm.template(RELEASE, repo.resolve("helm/trevor"), NAMESPACE, new Helm.Values(List.of(repo.resolve("values/prod.yaml")), List.of()));
            Report.expect(r.ok(), "helm template with values/prod.yaml: %s", r.said());
            var api = Manifests.where(Manifests.parse(r.out()),
                    o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component"))).get(0);
            var constraints = Yaml.maps(api.podSpec(), "topologySpreadConstraints");
            String ns = NAMESPACE + "-spread";
            try {
                var now = SpreadProof.schedule(rel.kube, ns, "honor", constraints, 3, Duration.ofSeconds(90));
                var before = SpreadProof.schedule(rel.kube, ns, "ignore", SpreadProof.withoutPolicies(constraints), 3, Duration.ofSeconds(90));
                progress.info("beside a tainted node, the chart's constraints: " + now + "; without nodeTaintsPolicy/nodeAffinityPolicy: " + before);
                Report.expect(now.scheduled() == 3 && now.pending() == 0, "with the chart's constraints %s, expected 3 scheduled", now);
                Report.expect(before.pending() > 0, "without Honor every pod scheduled too (%s): the proof does not show the trap", before);
            } finally {
                rel.kube.run("delete", "namespace", ns, "--wait=false", "--ignore-not-found");
            }
            return null;
        });
    }

    /** The other half of RealE2e's /tmp check: what the simulation cannot see, shown, so nobody trusts it for that. */
    private void missingTmpUnseen() {
        stage("kwok cannot see a missing /tmp mount: the defective chart installs on simulated nodes (e2e --real refuses it)", false, () -> {
            Path tmp = Files.createTempDirectory("trevor-no-tmp");
            try {
                var defective = new Release(helm, rel.kube, "notmp", "trevor-notmp", chartWithoutTmpMount(tmp));
                Installer.install(defective, options(List.of(), Duration.ofMinutes(2)).withTag("2.0.0"), progress);
                defective.uninstall(Duration.ofMinutes(1));
                // Nothing is asserted here, so this must never read as a PASS: it shows a limit of the simulation.
                throw new Report.Info("the chart without its /tmp mount installed on simulated nodes; only e2e --real can refuse it");
            } finally {
                Dirs.deleteTree(tmp);
                rel.kube.run("delete", "namespace", "trevor-notmp", "--wait=false");
            }
        });
    }

    /**
     * The matrix (netpol.java) on simulated nodes: nothing enforces NetworkPolicies and no
     * container runs, so it must not pass a denied row. Its canary cannot be tried, and every
     * denied row fails with the reason, naming the simulated node.
     */
    private void policiesNotEnforced() {
        stage("netpol matrix on kwok's simulated nodes: the canary cannot be tried, and every denied row fails naming the simulated node",
                false, () -> {
            var observed = NetpolProbe.run(rel.kube, NetpolProbe.derive(rel, null), "trevor:1.0.0", progress::info);
            progress.info("the matrix on simulated nodes:\n" + NetpolProbe.table(observed).indent(2));
            var denied = observed.stream().filter(o -> !o.row().allowed()).toList();
            Report.expect(denied.size() >= 2, "expected the canary and the release's denied rows, found %d denied rows", denied.size());
            for (var o : denied) {
                Report.expect(!o.pass() && o.detail().contains("kwok's simulated node"), "%s %s: %s", o.row().describe(),
                        o.pass() ? "PASSED" : "failed without naming the simulated node", o.detail());
            }
            progress.info("as it must: FAIL  " + denied.get(denied.size() - 1).row().describe() + " — " + denied.get(denied.size() - 1).detail());
            return null;
        });
    }

    /** The other half of RealE2e's policy defects: on simulated nodes nothing is enforced, so both charts install and "work". */
    private void policyDefectsUnseen() {
        stage("kwok cannot see NetworkPolicy defects: the charts without DNS egress and admitting every namespace install on simulated "
                + "nodes (e2e --real refuses both)", false, () -> {
            Path tmp = Files.createTempDirectory("trevor-netpol-defects");
            try {
                for (Path chart : List.of(chartWithoutDnsEgress(tmp), chartAdmittingEveryNamespace(tmp))) {
                    var defective = new Release(helm, rel.kube, "netpol", "trevor-netpol-defect", chart);
                    Installer.install(defective, options(List.of(), Duration.ofMinutes(2)).withTag("2.0.0"), progress);
                    defective.uninstall(Duration.ofMinutes(1));
                }
                throw new Report.Info("both defective charts installed and went Ready on simulated nodes; only e2e --real refuses them");
            } finally {
                Dirs.deleteTree(tmp);
                rel.kube.run("delete", "namespace", "trevor-netpol-defect", "--wait=false");
            }
        });
    }

    private static String causeLine(String msg) {
        return msg.lines().filter(l -> l.contains("serviceaccount")).findFirst().orElse("").strip();
    }

    /**
     * Cordons every node so no replacement pod can start, then drains the node holding the
     * most API pods: the first eviction is allowed, the next would break minAvailable and the
     * eviction API refuses it.
     */
    private void drainAgainstPdb() {
        var kube = rel.kube;
        var pods = kube.list(NAMESPACE, "pods", rel.selector("api"));
        var byNode = new java.util.HashMap<String, Integer>();
        for (var p : pods) byNode.merge(Yaml.str(p, "spec.nodeName"), 1, Integer::sum);
        var node = byNode.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        var pdb = kube.list(NAMESPACE, "poddisruptionbudgets", rel.selector("api"));
        Report.expect(!pdb.isEmpty(), "no API PDB to drain against");
        int allowed = LiveChecks.intOf(Yaml.at(pdb.get(0), "status.disruptionsAllowed"));
        Report.expect(byNode.get(node) > allowed, "node %s holds %d API pods, the PDB allows %d disruptions: nothing to refuse",
                node, byNode.get(node), allowed);
        var nodes = kube.list(null, "nodes", null).stream().map(n -> Yaml.str(n, "metadata.name")).toList();
        try {
            for (String n : nodes) kube.run("cordon", n);
            var r = kube.run(Duration.ofSeconds(60), "drain", node, "--ignore-daemonsets", "--delete-emptydir-data",
                    "--pod-selector=" + rel.selector("api"), "--timeout=5s");
            Report.expect(!r.ok(), "the drain of %s succeeded although the PDB allows only %d disruption(s)", node, allowed);
            Report.expect((r.out() + r.err()).contains("disruption budget"), "the drain failed, but not because of the PDB: %s", r.said());
            var ready = kube.list(NAMESPACE, "pods", rel.selector("api")).stream()
                    .filter(p -> Yaml.at(p, "metadata.deletionTimestamp") == null && LiveChecks.ready(p)).count();
            int minAvailable = LiveChecks.intOf(Yaml.at(pdb.get(0), "spec.minAvailable"));
            Report.expect(ready >= minAvailable, "only %d API pods ready during the drain, minAvailable is %d", ready, minAvailable);
        } finally {
            for (String n : nodes) kube.run("uncordon", n);
        }
        String api = Yaml.str(kube.list(NAMESPACE, "deployments", rel.selector("api")).get(0), "metadata.name");
        String want = String.valueOf(pods.size());
        Wait.whileMoving("the " + want + " API pods of deployment/" + api + " to be ready again after the drain", KwokCluster.STALL, KwokCluster.CEILING,
                progress::info, () -> {
                    var r = kube.run("get", "deployment/" + api, "-n", NAMESPACE, "-o", "jsonpath={.status.readyReplicas}/{.status.replicas}");
                    if (!r.ok()) return "cannot read it: " + Kube.firstLine(r.said());
                    return r.out().strip().startsWith(want + "/") ? null : "ready/replicas " + r.out().strip();
                });
    }

    private Installer.Options options(List<String> sets, Duration timeout) {
        return options(repo.resolve("values/prod.yaml"), sets, timeout);
    }


    static String foreignKubeconfig(String context, String server) {
        return "apiVersion: v1\nkind: Config\ncurrent-context: " + context + "\nclusters:\n- name: " + context + "\n  cluster:\n    server: "
                + server + "\ncontexts:\n- name: " + context + "\n  context:\n    cluster: " + context + "\n    user: " + context
                + "\nusers:\n- name: " + context + "\n  user:\n    token: not-a-real-token\n";
    }
}
