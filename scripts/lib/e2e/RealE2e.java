//SOURCES ../node/WholeCluster.java
//SOURCES ../lifecycle/DevDeps.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Problem.java
//SOURCES Drain.java
//SOURCES E2e.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES HpaWatch.java
//SOURCES ../images/ImageBuild.java
//SOURCES ../images/Images.java
//SOURCES ../lifecycle/Installer.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES ../lifecycle/LiveChecks.java
//SOURCES LoadGen.java
//SOURCES ../lifecycle/Migrator.java
//SOURCES ../node/NetnsNode.java
//SOURCES NetpolMatrix.java
//SOURCES NetpolProbe.java
//SOURCES ../node/NodeMetrics.java
//SOURCES ../node/NodePolicies.java
//SOURCES ../report/Progress.java
//SOURCES ../node/RealNode.java
//SOURCES ../node/RealNodeDown.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../lifecycle/Rollback.java
//SOURCES ../lifecycle/Upgrader.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java
//SOURCES ZeroDowntime.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The chart's life on a real node: containers from images built here run under Pod Security
 * "restricted", PostgreSQL and Redis beside them, Alembic migrating for real. What the kwok
 * lifecycle can only claim (test plan steps 9-11), shown by the containers themselves:
 * container IDs, real probes, real logs, rows in the database.
 */
final class RealE2e extends E2e {
    /**
     * The ceiling of a migration Job, a helm test, an uninstall or pods getting ready: a pass
     * ends as soon as it is seen, and a loaded 2-core machine has needed more than 2 minutes.
     */
    static final Duration LIMIT = Duration.ofMinutes(5);

    static final String NAMESPACE = "trevor-real";

    /** How many real nodes: 1 (real-0) or 2 (real-0 and real-1, for the two-node step). */
    private final int nodes;

    RealE2e(Path repo, Helm helm, Path kubectl, String name, int nodes, Report report, Progress progress, Path diagDir, boolean keep) {
        super(repo, helm, kubectl, name, NAMESPACE, report, progress, diagDir, keep);
        this.nodes = nodes;
    }

    private Kube kube;

    @Override
    void lifecycle() throws IOException {
        kubeconfig = Files.createTempDirectory("trevor-e2e-real-kube").resolve("kubeconfig");
        Files.writeString(kubeconfig, "");
        // Always a new cluster: one left by an interrupted run would hold its old releases.
        WholeCluster.down(name, null, progress::info);
        var archives = stage("images built from pinned Debian and PyPI packages (cached by content)", true,
                () -> new ArrayList<>(ImageBuild.build(repo, List.of(), progress::info).values()));
        stage(nodes == 1 ? "cluster up with a real node (kubelet, containerd, runc), the images imported"
                : "cluster up with two real nodes (kubelet, containerd, runc; real-1 in a network namespace of its own), the images imported", true, () -> {
            WholeCluster.up(repo, name, kubeconfig, false, progress::info);
            return RealNode.up(repo, name, archives, false, nodes, progress::info);
        });
        kube = new Kube(kubectl, KwokCluster.context(name), kubeconfig);
        rel = new Release(helm, kube, RELEASE, NAMESPACE, repo.resolve("helm/trevor"));
        installValues = new Helm.Values(List.of(repo.resolve("values/real-node.yaml")), List.of("--set-string image.tag=1.0.0"));

        // The policies' release, in a namespace of its own, runs beside the first release's install, faults and
        // database stages: those time nothing, and the machine waits most of their time (pods starting, hooks, Alembic
        // in containers). Its HPA stages then run beside the load steps: a busier machine can only make a request fail
        // or a scale-up lag, never pass either check for it, and the HPA counts only its own release's pods. The drain
        // runs alone once both lanes are done.
        var policies = new Lane(this, "e2e policies");
        policies.start();
        boolean through = false;
        try {
            firstInstall();
            underway();
            zeroDowntime();
            through = true;
        } finally {
            if (!through) policies.halt();
            policies.join();
        }
        // Before the drain: on this 2-core machine the drain then moves the production release (and the
        // dependencies) only. --keep: the release stays, to look at.
        if (!keep) {
            stage("uninstall removes the release's pods from the real node", false, () -> {
                var r = rel.uninstall(LIMIT);
                Report.expect(r.ok(), "helm uninstall failed: %s", r.said());
                var gone = kube.run(LIMIT, "wait", "--for=delete", "pods", "-n", NAMESPACE, "-l",
                        "app.kubernetes.io/instance=" + RELEASE + ",app.kubernetes.io/component in (api,worker)", "--timeout=90s");
                Report.expect(gone.ok() || gone.said().contains("no matching resources"), "the release's pods did not go: %s", gone.said());
                return null;
            });
        }
        try {
            if (policies.release() != null) drainUnderLoad(policies.release());
        } finally {
            policies.remove();
        }
    }

    /** The first release: dev dependencies, the install and its hook migration, what the containers show, the live checks. */
    private void firstInstall() {
        stage("dev dependencies: PostgreSQL and Redis run on the real node (install.java --with-deps)", true, () -> {
            DevDeps.install(helm, kube, NAMESPACE, true, Duration.ofMinutes(3), progress);
            for (var pod : kube.list(NAMESPACE, "pods", "app.kubernetes.io/instance=" + DevDeps.RELEASE)) realAndReady(pod);
            return null;
        });

        List<String> firstMigration = stage("plan 9/10: first install, the hook migration running Alembic against PostgreSQL", true,
                () -> Installer.install(rel, real(List.of(), Duration.ofMinutes(4)).withTag("1.0.0"), progress).migrationLog());
        long failedBefore = report.failedHere();
        stage("plan 9: every trevor pod runs on the real node: Ready by its own probes, a containerd container, no restarts", false, () -> {
            var pods = kube.list(NAMESPACE, "pods", "app.kubernetes.io/instance=" + RELEASE + ",app.kubernetes.io/component in (api,worker)");
            Report.expect(pods.size() == 3, "expected 2 API pods and 1 worker pod, found %d", pods.size());
            for (var pod : pods) realAndReady(pod);
            return null;
        });
        stage("plan 10: the migration's own log shows Alembic upgrading to head", false, () -> {
            Report.expect(firstMigration.stream().anyMatch(l -> l.contains("Running upgrade  -> 0001")),
                    "no 'Running upgrade  -> 0001' in the migration pod's log:\n%s", String.join("\n", firstMigration));
            return null;
        });
        stage("plan 10: PostgreSQL holds the migration's revision (alembic_version 0001)", false, () -> {
            Report.expect("0001".equals(alembicVersion()), "alembic_version is %s", alembicVersion());
            return null;
        });
        stage("/health and /metrics answer through the API Service", false, () -> {
            String health = serviceGet("/health");
            Report.expect(health.contains("\"ok\"") && health.contains("1.0.0"), "/health answered: %s", health);
            Report.expect(serviceGet("/metrics").contains("# TYPE"), "/metrics does not look like Prometheus text");
            return null;
        });
        stage("helm test passes on the stand-in: values/real-node.yaml runs its request through uv", false, () -> {
            var t = rel.test(LIMIT);
            Report.expect(t.ok() && t.out().contains("Succeeded"), "helm test: %s", t.said());
            return null;
        });
        stage("the restricted context is real: the app runs as uid 1000 and cannot write outside /tmp", false, () -> {
            String pod = Yaml.str(kube.list(NAMESPACE, "pods", rel.selector("api")).get(0), "metadata.name");
            var id = exec(pod, "/app/.venv/bin/python", "-c", "import os; print(os.getuid(), os.getgid())");
            Report.expect(id.ok() && id.out().strip().equals("1000 1000"), "uid/gid in the container: %s", id.said());
            var write = exec(pod, "/app/.venv/bin/python", "-c", "open('/app/written-by-e2e', 'w')");
            Report.expect(!write.ok() && write.said().contains("Read-only file system"), "writing /app: %s", write.said());
            var tmp = exec(pod, "/app/.venv/bin/python", "-c", "open('/tmp/written-by-e2e', 'w').write('ok')");
            Report.expect(tmp.ok(), "writing /tmp failed: %s", tmp.said());
            return null;
        });
        new LiveChecks(rel, report, "real node").run();
        stopIfFailed("checks after the first install", failedBefore);
    }

    /** What the first release goes through next: broken migrations, an upgrade, the database's states. */
    private void underway() throws IOException {
        faults();
        stage("plan 11: upgrade to 2.0.0: its migration finished before any new API container started", true, () -> {
            var out = Upgrader.upgrade(rel, real(List.of(), Duration.ofMinutes(4)).withTag("2.0.0"), progress);
            Report.expect(out.rolled() && out.ordering().startsWith("migration Job"), "no ordering proof: %s", out.ordering());
            Report.expect(out.ordering().contains("first container started"), "the proof does not use container start times: %s", out.ordering());
            Report.expect(out.migrationLog().stream().anyMatch(l -> l.contains("Running upgrade 0001 -> 0002")),
                    "no 'Running upgrade 0001 -> 0002' in the migration log:\n%s", String.join("\n", out.migrationLog()));
            Report.expect("0002".equals(alembicVersion()), "alembic_version is %s after the upgrade", alembicVersion());
            String health = serviceGet("/health");
            Report.expect(health.contains("2.0.0"), "after the upgrade /health says: %s", health);
            return null;
        });
        database();
    }

    /**
     * The policies' stages on a thread of their own: the same report, a progress of their own
     * (its lines say "e2e policies"), diagnostics of the policies' release. A fatal failure of
     * the main lifecycle halts it at its next stage, and is joined before the cluster goes.
     */
    private static final class Lane {
        private final RealE2e lane;
        private final java.util.concurrent.atomic.AtomicBoolean halt = new java.util.concurrent.atomic.AtomicBoolean();
        private final java.util.concurrent.CompletableFuture<Release> done = new java.util.concurrent.CompletableFuture<>();
        private Path tmp;

        Lane(RealE2e main, String tool) {
            this.lane = new RealE2e(main.repo, main.helm, main.kubectl, main.name, main.nodes, main.report, new Progress(tool, System.out),
                    main.diagDir, main.keep);
            lane.kube = main.kube;
            lane.kubeconfig = main.kubeconfig;
            lane.halted = halt;
            lane.rel = new Release(main.helm, main.kube, RELEASE, POLICY_NS, main.repo.resolve("helm/trevor"));
            lane.installValues = new Helm.Values(List.of(main.repo.resolve("values/prod.yaml"), main.repo.resolve("values/real-node.yaml")),
                    List.of("--set-string image.tag=1.0.0"));
        }

        void start() {
            var t = new Thread(() -> {
                try {
                    tmp = Files.createTempDirectory("trevor-netpol-defects");
                    done.complete(lane.policies(tmp) ? lane.rel : null);
                } catch (Stop e) {
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            }, "e2e-policies");
            t.setDaemon(true);
            t.start();
        }

        /** The main lifecycle is stopping: the lane stops at its next stage. */
        void halt() { halt.set(true); }

        /** Waits for the lane to end. */
        void join() {
            try {
                done.join();
            } catch (java.util.concurrent.CompletionException e) {
                var cause = e.getCause();
                lane.report.check("policies: the lane of the policies' stages ran to its end", null, () -> {
                    throw new Report.Failure("it stopped outside a stage: " + Problem.rootMessage(cause));
                });
            }
            lane.progress.printTimings();
        }

        /** The policies' release, ready for the drain, or null when it is not (a stage before failed, or one real node). */
        Release release() { return done.isCompletedExceptionally() ? null : done.getNow(null); }

        /** The policies' release and namespace, and the lane's temporary charts. */
        void remove() throws IOException {
            if (tmp != null) Dirs.deleteTree(tmp);
            lane.rel.uninstall(LIMIT);
            lane.kube.run("delete", "namespace", POLICY_NS, "--wait=false");
        }
    }

    /** What the simulation cannot show: failures the containers themselves report. */
    private void faults() throws IOException {
        stage("a failing migration (3.0.0-broken) exits non-zero for real; the upgrade and the database roll back, 1.0.0 keeps serving", false, () -> {
            try {
                Upgrader.upgrade(rel, real(List.of("migrations.backoffLimit=0"), Duration.ofMinutes(3)).withTag("3.0.0-broken"), progress);
                Report.fail("the upgrade to 3.0.0-broken succeeded");
            } catch (Problem.Failed e) {
                Report.expect(e.getMessage().contains("invalid input syntax"), "the failure does not show PostgreSQL's own error:\n%s", e.getMessage());
                Report.expect(e.getMessage().contains("rolled back to revision"), "not rolled back:\n%s", e.getMessage());
            }
            // Alembic ran 0002 and 0003 in one transaction on PostgreSQL: 0003 failed, so nothing of the upgrade stayed.
            Report.expect("0001".equals(alembicVersion()), "alembic_version is %s after the failed migration, expected 0001 (rolled back)",
                    alembicVersion());
            String health = serviceGet("/health");
            Report.expect(health.contains("1.0.0"), "after the rollback /health says: %s", health);
            return null;
        });
        stage("migrate.java: a failing migration prints the container's own log lines and exits non-zero", false, () -> {
            var out = Migrator.run(rel, List.of("--set-string image.tag=3.0.0-broken", "migrations.backoffLimit=0"), LIMIT, progress);
            Report.expect(!out.succeeded() && !out.running(), "the broken migration Job %s did not fail", out.job());
            Report.expect(out.explanation().contains("invalid input syntax") && out.explanation().contains("Running upgrade 0002 -> 0003"),
                    "the explanation does not show Alembic's and PostgreSQL's own lines:\n%s", out.explanation());
            kube.run("delete", "job", out.job(), "-n", NAMESPACE, "--wait=false");
            return null;
        });
        stage("the chart without its /tmp emptyDir fails on the real node with the container's own error", false, () -> {
            Path tmp = Files.createTempDirectory("trevor-no-tmp");
            try {
                Path chart = chartWithoutTmpMount(tmp);
                var defective = new Release(helm, kube, "notmp", "trevor-real-notmp", chart);
                try {
                    Installer.install(defective, real(List.of("migrations.backoffLimit=0"), Duration.ofSeconds(90)).withTag("1.0.0"), progress);
                    Report.fail("the chart without /tmp installed and ran");
                } catch (Problem.Failed e) {
                    Report.expect(e.getMessage().contains("Read-only file system"), "the failure does not show the container's own error:\n%s",
                            e.getMessage());
                    progress.info("failed as expected, in the container's words: "
                            + e.getMessage().lines().filter(l -> l.contains("Read-only file system")).findFirst().orElse("").strip());
                }
            } finally {
                Dirs.deleteTree(tmp);
                kube.run("delete", "namespace", "trevor-real-notmp", "--wait=false");
            }
            return null;
        });
    }

    /**
     * The scripts know the database (issue 15, rows 3 and 7): after a rollback the older image
     * is refused before any change, the printed way out works, and status fails by name on an
     * emptied database until migrate.java runs.
     */
    private void database() throws IOException {
        stage("rollback to 1.0.0 leaves the database at 0002, and says in full that upgrade and migrate refuse 1.0.0 until it is downgraded", true, () -> {
            var out = Rollback.run(rel, null, false, Duration.ofMinutes(3), progress);
            Report.expect(out.imageAfter().endsWith(":1.0.0"), "rolled back to %s", out.imageAfter());
            Report.expect(out.migrations().contains("upgrade.java and migrate.java refuse") && out.migrations().contains("./jbang scripts/migrate.java")
                    && out.migrations().strip().endsWith("."), "the rollback's message about the database: %s", out.migrations());
            Report.expect("0002".equals(alembicVersion()), "alembic_version is %s after the rollback", alembicVersion());
            return null;
        });
        stage("after the rollback, an upgrade that keeps 1.0.0 is refused before any change: no new revision, no hook ran", false, () -> {
            int revision = rel.state().last().number();
            var jobsBefore = migrationJobs();
            long t0 = System.nanoTime();
            try {
                Upgrader.upgrade(rel, real(List.of("env.LOG_LEVEL=debug"), Duration.ofMinutes(3)).withTag("1.0.0"), progress);
                Report.fail("the upgrade that keeps 1.0.0 against a 0002 database went ahead");
            } catch (Problem.Refused e) {
                progress.info("refused as expected in " + (System.nanoTime() - t0) / 1_000_000_000 + " s: " + e.getMessage());
                Report.expect(e.getMessage().contains("Can't locate revision identified by '0002'") && e.getMessage().contains("trevor:1.0.0"),
                        "the refusal does not name the revision and the image: %s", e.getMessage());
                Report.expect(e.getMessage().contains("--tag 2.0.0 --set 'migrations.command={uv,run,alembic,downgrade,0001}'"),
                        "the refusal does not give the downgrade command: %s", e.getMessage());
            }
            Report.expect(rel.state().last().number() == revision, "the release moved from revision %d to %d", revision, rel.state().last().number());
            Report.expect(migrationJobs().equals(jobsBefore), "a migration Job ran: before %s, after %s", jobsBefore, migrationJobs());
            return null;
        });
        stage("migrate.java with the deployed 1.0.0 is refused before it creates its Job; status fails the database check by name", false, () -> {
            var jobsBefore = migrationJobs();
            try {
                Migrator.run(rel, List.of(), LIMIT, progress);
                Report.fail("migrate.java ran 1.0.0's migrations against a 0002 database");
            } catch (Problem.Refused e) {
                Report.expect(e.getMessage().startsWith("migrate refused before any change"), "migrate.java's refusal: %s", e.getMessage());
            }
            Report.expect(migrationJobs().equals(jobsBefore), "a migration Job was created: before %s, after %s", jobsBefore, migrationJobs());
            String db = statusLine("^database");
            Report.expect(db.startsWith("FAIL  " + LiveChecks.DB_REVISION) && db.contains("does not know"), "status said: %s", db);
            return null;
        });
        stage("the way out the refusal prints: Alembic from 2.0.0 downgrades the database to 0001; 1.0.0 then passes the check", false, () -> {
            var out = Migrator.run(rel, List.of("--set-string image.tag=2.0.0", "migrations.command={uv,run,alembic,downgrade,0001}"),
                    LIMIT, progress);
            Report.expect(out.succeeded(), "the downgrade failed:\n%s", out.explanation());
            Report.expect("0001".equals(alembicVersion()), "alembic_version is %s after the downgrade", alembicVersion());
            String db = statusLine("^database");
            Report.expect(db.startsWith("PASS  " + LiveChecks.DB_REVISION), "status said: %s", db);
            return null;
        });
        stage("an emptied database (its tables dropped, as a drained emptyDir) fails status's database check by name; migrate.java fixes it", false, () -> {
            var pg = kube.list(NAMESPACE, "pods", "app.kubernetes.io/instance=" + DevDeps.RELEASE + ",app.kubernetes.io/name=postgres");
            var drop = kube.run("exec", Yaml.str(pg.get(0), "metadata.name"), "-n", NAMESPACE, "--", "psql", "-h", "/run/postgresql", "-U", "trevor",
                    "-d", "trevor", "-c", "DROP TABLE alembic_version; DROP TABLE items;");
            Report.expect(drop.ok(), "psql: %s", drop.said());
            String empty = statusLine("^database");
            Report.expect(empty.startsWith("FAIL  " + LiveChecks.DB_REVISION) && empty.contains("the database is empty"), "status said: %s", empty);
            var out = Migrator.run(rel, List.of(), LIMIT, progress);
            Report.expect(out.succeeded(), "migrate.java failed:\n%s", out.explanation());
            String db = statusLine("^database");
            Report.expect(db.startsWith("PASS  " + LiveChecks.DB_REVISION), "after migrate.java status said: %s", db);
            return null;
        });
    }

    /**
     * Zero downtime under load (issue 17 items 2-3), to run after the upgrade to 2.0.0 with the
     * release on values/real-node.yaml (2 API replicas, preStop 5 s): load through the API
     * Service during an upgrade that replaces every API pod, rollback.java, and a scale-down
     * from 2 to 1, each the named check "load: 0 failed requests during …"; then the same
     * upgrade with ZeroDowntime.UNPROTECTED values must fail that check, with the failed
     * requests counted. Runs after database(), which leaves the release on 1.0.0 with its schema.
     */
    void zeroDowntime() throws IOException {
        // Every upgrade names the tag: values/real-node.yaml, passed again on top, says 1.0.0.
        var fourMinutes = Duration.ofMinutes(4);
        underLoad("upgrade.java replacing every API pod (a new ReplicaSet)", true,
                () -> Upgrader.upgrade(rel, real(List.of("--set-string podAnnotations.e2e-roll=1"), fourMinutes).withTag("2.0.0"), progress));
        underLoad("rollback.java to the revision before", true, () -> Rollback.run(rel, null, false, fourMinutes, progress));
        underLoad("a scale-down of the API from 2 pods to 1 (upgrade --set replicaCount=1)", true,
                () -> Upgrader.upgrade(rel, real(List.of("replicaCount=1"), fourMinutes).withTag("2.0.0"), progress));
        // One upgrade, not two: nothing is measured on the way to the unprotected values.
        stage("the API back to 2 pods on the unprotected values (no preStop, grace 1 s, no readiness probe), not measured", true,
                () -> Upgrader.upgrade(rel, real(concat(List.of("replicaCount=2"), ZeroDowntime.UNPROTECTED), fourMinutes).withTag("2.0.0"), progress));
        underLoad("upgrade.java replacing every API pod on the unprotected values", false,
                () -> Upgrader.upgrade(rel, real(concat(ZeroDowntime.UNPROTECTED, List.of("--set-string podAnnotations.e2e-roll=2")), fourMinutes).withTag("2.0.0"), progress));
        // Nothing later measures this release (the uninstall follows); --keep leaves it as a user would want to find it.
        if (keep) stage("the API back on the protected values", true, () -> Upgrader.upgrade(rel, real(ZeroDowntime.PROTECTED, fourMinutes).withTag("2.0.0"), progress));
    }

    /**
     * Load through the API Service's ClusterIP from this machine (kube-proxy's rules route it
     * onto the real node's bridge) while action runs. protectedValues: the check must hold;
     * otherwise it must fail (the measure can fail), and this stage passes only when it did.
     */
    private void underLoad(String during, boolean protectedValues, ZeroDowntime.Action action) {
        String check = protectedValues ? LoadGen.checkName(during) : LoadGen.checkName(during) + " fails, with the failed requests counted";
        stage(check, false, () -> {
            var url = ZeroDowntime.serviceUrl(kube.list(NAMESPACE, "services", rel.selector("api")).get(0), "/health");
            var settings = LoadGen.Settings.of(url).withRate(25).withDuration(Duration.ofMinutes(5)).withMaxRequests(25 * 300);
            // The tail follows the old pods' termination (preStop, then SIGTERM within the grace period):
            // the load goes on until no API pod is terminating, then 2 s more; at most 35 s.
            var run = ZeroDowntime.during(settings, Duration.ofSeconds(3), TAIL_MIN, TAIL_MAX, () -> noneTerminating(rel), action);
            var load = run.load();
            progress.info("load during " + during + ": " + load.summary());
            if (diagDir != null && !load.failures().isEmpty()) {
                Files.createDirectories(diagDir);
                Path file = diagDir.resolve("load-" + during.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "") + ".tsv");
                load.writeFailures(file);
                progress.info("each failed request, with its time: " + file);
            }
            Report.expect(run.actionFailure() == null, "the action failed: %s", run.actionFailure() == null ? "" : run.actionFailure().getMessage());
            Report.expect(run.covered(), "the load stopped at its bounds before the action ended (%s): %s", run.actionEnded(), load.summary());
            if (protectedValues) {
                Report.expect(load.problem() == null, "%s; %s", load.problem(), load.summary());
            } else {
                Report.expect(load.problem() != null && !load.failures().isEmpty(),
                        "no request failed without preStop, grace period and readiness probe, so the load does not measure what they protect: %s", load.summary());
                progress.info("as it must: FAIL  " + LoadGen.checkName(during) + " — " + load.problem());
            }
            return null;
        });
    }

    /** The load's tail after an action: at least this, and until no API pod is terminating, at most TAIL_MAX (grace 30 s + 5 s). */
    static final Duration TAIL_MIN = Duration.ofSeconds(2), TAIL_MAX = Duration.ofSeconds(35);

    /** No pod of the release's API is terminating (the replaced ones are gone). */
    private boolean noneTerminating(Release r) {
        var pods = kube.list(r.namespace, "pods", r.selector("api"));
        return pods.stream().noneMatch(p -> Yaml.str(p, "metadata.deletionTimestamp") != null);
    }

    /**
     * The e2e's autoscaling overlay (local, on top of values/prod.yaml and values/real-node.yaml): from 1 to 3 API pods,
     * so that this 2-core machine holds them; CPU target 80 % of the 50m request; the chart's
     * behavior with a 15 s scale-down window instead of the 300 s default, so the way down fits the run.
     */
    static final List<String> HPA_VALUES = List.of("autoscaling.enabled=true", "autoscaling.minReplicas=1", "autoscaling.maxReplicas=3",
            "autoscaling.targetCPUUtilizationPercentage=80", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds=15");
    static final int HPA_WINDOW_SECONDS = 15;
    /**
     * The load that drives the CPU: each request burns 10 ms of CPU in an API pod, 10 per second (about 150m with uvicorn's
     * own work, 3 times the 80 % target of the 50m request: the HPA wants 3 pods). 20 ms (about 250m) starved the one API
     * pod on this 2-core machine while a CI run took the CPU (the node's containers run at nice 10): /health queued behind
     * the burns, the liveness probe restarted the pod three times, and the HPA never saw a sample (2026-12-07, 11:40).
     */
    static final String BURN_PATH = "/burn?ms=10";
    static final Duration HPA_UP_WITHIN = Duration.ofMinutes(3), HPA_DOWN_WITHIN = Duration.ofMinutes(3);
    /** From what the release ran to the HPA's minimum: the window, a scrape, a sync, and the old pods' preStop. */
    static final Duration HPA_MIN_WITHIN = Duration.ofSeconds(HPA_WINDOW_SECONDS + 45);

    /**
     * The HPA on real metrics (issue 17 item 6): metrics-server serves the real node's numbers,
     * the API's HPA computes a utilisation, scales up under CPU load through the Service and back
     * down after it by the chart's behavior; an API container without a CPU request makes status
     * fail by name. values gives the release's options with the autoscaling overlay on top; the
     * overlay's HPA first brings the API to its minimum of 1 pod. The release is left on the defective chart.
     */
    void autoscaling(java.util.function.Function<List<String>, Installer.Options> values) throws IOException {
        String ns = rel.namespace;
        boolean served = stage("metrics: the resource metrics API serves real CPU and memory of the node and the API pods (kubectl top)", false, () -> {
            var node = kube.run("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/" + RealNode.NODE_NAME);
            Report.expect(node.ok(), "GET /apis/metrics.k8s.io/v1beta1/nodes/%s: %s", RealNode.NODE_NAME, node.said());
            var usage = NodeMetrics.usage(Yaml.loadMap(node.out()));
            // Pods the step before replaced have no sample until metrics-server has scraped them twice (every RESOLUTION):
            // wait for that, saying so, at most four scrapes.
            long t0 = System.nanoTime();
            var max = NodeMetrics.RESOLUTION.multipliedBy(4);
            var top = kube.run("top", "pods", "-n", ns, "-l", rel.selector("api"));
            while (!(top.ok() && top.out().matches("(?s).*\\d+m\\s+\\d+Mi.*")) && System.nanoTime() - t0 < max.toNanos()) {
                progress.info("waiting up to " + max.toSeconds() + " s for metrics-server's first samples of the API pods (it scrapes every "
                        + NodeMetrics.RESOLUTION.toSeconds() + " s; a new pod needs two): " + (System.nanoTime() - t0) / 1_000_000_000 + " s, kubectl top pods: "
                        + Kube.firstLine(top.said()));
                Wait.sleep(5000);
                top = kube.run("top", "pods", "-n", ns, "-l", rel.selector("api"));
            }
            Report.expect(top.ok() && top.out().matches("(?s).*\\d+m\\s+\\d+Mi.*"), "kubectl top pods after %d s: %s",
                    (System.nanoTime() - t0) / 1_000_000_000, top.said());
            progress.info("node " + RealNode.NODE_NAME + ": " + usage + "; kubectl top pods:\n" + top.out().strip());
            return true;
        }) != null;
        if (!served) return;
        boolean on = stage("HPA: autoscaling on (1-3 API pods, CPU target 80%): status's HPA metrics check passes with a real utilisation", false, () -> {
            Upgrader.upgrade(rel, values.apply(HPA_VALUES), progress);
            String st = statusLine("^HPA: each HPA computes");
            Report.expect(st.startsWith("PASS  " + LiveChecks.HPA_METRICS) && st.matches("(?s).*cpu \\d+%/80%.*"), "status said: %s", st);
            return true;
        }) != null;
        if (on) {
            var url = ZeroDowntime.serviceUrl(kube.list(ns, "services", rel.selector("api")).get(0), BURN_PATH);
            var hpas = kube.list(ns, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name);
            String hpaName = hpas.isEmpty() ? rel.name : Yaml.str(hpas.get(0), "metadata.name");
            // Prod's HPA left 3 API pods, and a Deployment under an HPA keeps the count it has (the chart renders no
            // replicas). Turning the HPA off with replicaCount=1 first raced: the old HPA's last sync could scale the
            // Deployment back to 3 before helm deleted it (CI, 2026-12-08 00:31). The overlay's HPA itself brings it down.
            stage("HPA: the HPA brings the API down to its minimum, 1 pod, before the load (within " + HPA_MIN_WITHIN.toSeconds() + " s)",
                    false, () -> {
                var down = HpaWatch.watch(kube, ns, hpaName, HPA_MIN_WITHIN, s -> s.replicas() == 1 && s.desired() == 1 && s.ready() == 1,
                        l -> progress.info("to the minimum: " + l));
                Report.expect(down.reached(), "after %d s:%s", down.seconds(), down.describe());
                return null;
            });
            HpaWatch.Timeline[] up = {null};
            stage("HPA: under CPU load (" + BURN_PATH + " through the Service, 10/s) the API scales up from 1 to 3 ready pods within "
                    + HPA_UP_WITHIN.toSeconds() + " s", false, () -> {
                var settings = LoadGen.Settings.of(url).withRate(10).withDuration(HPA_UP_WITHIN.plusSeconds(30)).withMaxRequests(10 * 240)
                        .withTimeout(Duration.ofSeconds(5));
                var run = ZeroDowntime.during(settings, Duration.ZERO, Duration.ZERO, () -> up[0] = HpaWatch.watch(kube, ns, hpaName,
                        HPA_UP_WITHIN, s -> s.replicas() == 3 && s.ready() == 3, l -> progress.info("scale-up: " + l)));
                progress.info("load on " + BURN_PATH + ": " + run.load().summary());
                Report.expect(up[0] != null && up[0].reached(), "after %d s: %s%s", up[0] == null ? 0 : up[0].seconds(),
                        up[0] == null ? "no timeline" : "not 3 ready pods", up[0] == null ? "" : up[0].describe());
                // From 1, or the check saw no scale-up at all: a release that already ran 3 pods would pass at its first look.
                Report.expect(up[0].samples().get(0).replicas() == 1, "the API ran %d pods when the load began, not 1:%s",
                        up[0].samples().get(0).replicas(), up[0].describe());
                progress.info("scaled up 1 → 3 in " + up[0].seconds() + " s:" + up[0].describe());
                return null;
            });
            stage("HPA: after the load the API scales back down to 1, not before the chart's behavior allows (scale-down window "
                    + HPA_WINDOW_SECONDS + " s), within " + HPA_DOWN_WITHIN.toSeconds() + " s", false, () -> {
                Report.expect(up[0] != null && up[0].reached(), "the API never scaled up (the step before failed): nothing to scale down from");
                var down = HpaWatch.watch(kube, ns, hpaName, HPA_DOWN_WITHIN, s -> s.replicas() == 1, l -> progress.info("scale-down: " + l));
                Report.expect(down.reached(), "after %d s:%s", down.seconds(), down.describe());
                long firstDrop = down.samples().stream().filter(s -> s.replicas() < 3).mapToLong(HpaWatch.Sample::second).min().orElse(0);
                Report.expect(firstDrop >= HPA_WINDOW_SECONDS, "the HPA scaled down %d s after the load, inside its %d s window:%s", firstDrop,
                        HPA_WINDOW_SECONDS, down.describe());
                progress.info("scaled down 3 → 1 in " + down.seconds() + " s (first step after " + firstDrop + " s):" + down.describe());
                return null;
            });
            Path tmp = Files.createTempDirectory("trevor-no-cpu-request");
            try {
                stage("HPA: the chart without the API's CPU request fails status's HPA check by name (FailedGetResourceMetric)", false, () -> {
                    var defective = new Release(helm, kube, rel.name, ns, chartWithoutCpuRequest(tmp));
                    Upgrader.upgrade(defective, values.apply(HPA_VALUES), progress);
                    String st = statusLine("^HPA: each HPA computes");
                    Report.expect(st.startsWith("FAIL  " + LiveChecks.HPA_METRICS) && st.contains("missing request for cpu"), "status said: %s", st);
                    progress.info("failed as expected: " + st);
                    return null;
                });
            } finally {
                Dirs.deleteTree(tmp);
            }
        }
    }

    /** status's lines for the checks matching only (status --only PATTERN), with their notes. */
    private String statusLine(String only) {
        var buf = new java.io.ByteArrayOutputStream();
        var r = new Report("status", new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8), only, false);
        new LiveChecks(rel, r, null).run();
        String out = buf.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
        // Indented: status's own FAIL lines are what this step looks at, not this run's verdicts.
        progress.info("status --only '" + only + "':\n" + out.indent(2).stripTrailing());
        return out;
    }

    /** The migration Jobs there are, by name and creation time. */
    private List<String> migrationJobs() {
        return kube.list(NAMESPACE, "jobs", rel.selector("migrate")).stream()
                .map(j -> Yaml.str(j, "metadata.name") + "@" + Yaml.str(j, "metadata.creationTimestamp")).sorted().toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    static final String POLICY_NS = "trevor-real-prod";

    /**
     * Production's NetworkPolicies, enforced: values/prod.yaml with values/real-node.yaml on
     * top, the dev dependencies with their own policies, in a namespace of their own. The app
     * has to work through the policies (DNS, PostgreSQL, Redis, helm test), and the matrix
     * derived from them has to hold connection by connection; the two real nodes; then two
     * defects the simulation cannot see: a chart without its DNS egress rule, and one whose API
     * admits every namespace. This lane's release is rel; true when it is back on the chart
     * itself and the drain can follow.
     */
    private boolean policies(Path tmp) throws IOException {
        boolean enforced = stage("policies: the real node enforces NetworkPolicies (kube-network-policies, its queue rules and nfqueue)",
                false, () -> {
                    String st = RealNode.policyStatus(name);
                    Report.expect(st.startsWith("NetworkPolicies: enforced"), "%s; without enforcement the policy checks below would prove nothing", st);
                    return true;
                }) != null;
        if (!enforced) return false;
        var prel = rel;
        boolean up = stage("policies: dev dependencies with their NetworkPolicies (PostgreSQL admits only trevor's pods, Redis only its API and worker)",
                false, () -> {
                    DevDeps.install(helm, kube, POLICY_NS, true, List.of("networkPolicy.enabled=true", "networkPolicy.trevorRelease=" + RELEASE),
                            Duration.ofMinutes(3), progress);
                    return true;
                }) != null;
        return policiesIn(prel, up, tmp);
    }

    private boolean policiesIn(Release prel, boolean depsUp, Path tmp) throws IOException {
        boolean up = depsUp;
        // The install's migration Job holds, once migrated, until the matrix has tried its rows from the Job's own pod, under
        // its hook NetworkPolicy (NetpolProbe.holdingCommand). Later upgrades put the chart's own command back.
        Path holding = tmp.resolve("holding-migration.yaml");
        Path unheld = tmp.resolve("chart-migration.yaml");
        @SuppressWarnings("unchecked")
        var chartCommand = (List<String>) Yaml.at(Yaml.loadMap(Files.readString(repo.resolve("helm/trevor/values.yaml"))), "migrations.command");
        Files.writeString(holding, Yaml.json(Map.of("migrations", Map.of("command", NetpolProbe.holdingCommand(chartCommand, 150)))));
        Files.writeString(unheld, Yaml.json(Map.of("migrations", Map.of("command", chartCommand))));
        var prodHolding = Installer.Options.of(List.of(repo.resolve("values/prod.yaml"), repo.resolve("values/real-node.yaml"), holding),
                List.of("migrations.backoffLimit=0"), Duration.ofMinutes(4)).withTag("1.0.0");
        var prodUpgrade = Installer.Options.of(List.of(repo.resolve("values/prod.yaml"), repo.resolve("values/real-node.yaml"), unheld),
                List.of("migrations.backoffLimit=0"), Duration.ofMinutes(4)).withTag("1.0.0");
        List<NetpolProbe.Observed> migrationRows = new ArrayList<>();
        String[] heldProblem = {null};
        if (up) up = stage("policies: values/prod.yaml + values/real-node.yaml with NetworkPolicies enforced: the hook migration reaches "
                + "PostgreSQL through them, every pod Ready", false, () -> {
                    var install = java.util.concurrent.CompletableFuture.supplyAsync(() -> Installer.install(prel, prodHolding, progress));
                    try {
                        migrationRows.addAll(NetpolProbe.duringMigration(prel, RealNode.GATEWAY, Images.TREVOR_1, Duration.ofMinutes(3),
                                () -> !install.isDone(), progress::info));
                    } catch (RuntimeException e) {
                        heldProblem[0] = e.getMessage();
                    }
                    Installer.Outcome out;
                    try {
                        out = install.join();
                    } catch (java.util.concurrent.CompletionException e) {
                        if (e.getCause() instanceof RuntimeException re) throw re;
                        throw e;
                    }
                    Report.expect(out.migrationLog().stream().anyMatch(l -> l.contains("Running upgrade  -> 0001")),
                            "no 'Running upgrade  -> 0001' in the migration log:\n%s", String.join("\n", out.migrationLog()));
                    var pods = kube.list(POLICY_NS, "pods", "app.kubernetes.io/instance=" + RELEASE + ",app.kubernetes.io/component in (api,worker)");
                    // The API's count is the HPA's (3 once it acted); the 2 workers are fixed.
                    Report.expect(pods.size() >= 3, "expected API pods and 2 workers, found %d pods", pods.size());
                    for (var pod : pods) realAndReady(pod);
                    return true;
                }) != null;
        if (depsUp) stage("policies: the migration Job's own pod, held under its hook NetworkPolicy during the real migration, gives the matrix "
                + "its rows: → PostgreSQL allowed, and denied ones", false, () -> {
            Report.expect(heldProblem[0] == null, "%s", heldProblem[0]);
            Report.expect(migrationRows.stream().anyMatch(o -> o.row().allowed() && o.row().dest().display().contains("postgres")),
                    "no allowed row from the migration Job to PostgreSQL among: %s", migrationRows.stream().map(o -> o.row().describe()).toList());
            Report.expect(migrationRows.stream().anyMatch(o -> !o.row().allowed()),
                    "no denied row from the migration Job among: %s", migrationRows.stream().map(o -> o.row().describe()).toList());
            return null;
        });
        if (!up) return false;
        stage("policies: /health answers through the API Service, helm test passes through the test pod's policy", false, () -> {
            String health = serviceGet(POLICY_NS, "/health");
            Report.expect(health.contains("\"ok\""), "/health answered: %s", health);
            var t = prel.test(LIMIT);
            Report.expect(t.ok() && t.out().contains("Succeeded"), "helm test: %s", t.said());
            return null;
        });
        var matrix = stage("policies: the connectivity matrix derived from the rendered NetworkPolicies, each row a real connection", false, () -> {
            var rows = NetpolProbe.derive(prel, RealNode.GATEWAY);
            long allowed = rows.stream().filter(NetpolMatrix.Row::allowed).count();
            Report.expect(rows.size() >= 10 && allowed >= 4 && rows.size() - allowed >= 4,
                    "the matrix has %d rows, %d allowed: expected at least 10, 4 allowed and 4 denied", rows.size(), allowed);
            var main = NetpolProbe.run(kube, rows, Images.TREVOR_1, progress::info);
            // One canary (the main run's) first, then the migration Job's rows, then the rest.
            var observed = new ArrayList<>(main.stream().filter(NetpolProbe::isCanary).toList());
            observed.addAll(migrationRows.stream().filter(o -> !NetpolProbe.isCanary(o)).toList());
            observed.addAll(main.stream().filter(o -> !NetpolProbe.isCanary(o)).toList());
            progress.info("the matrix (the migration Job's rows were tried during the install's migration):\n" + NetpolProbe.table(observed).indent(2));
            return observed;
        });
        if (matrix != null) NetpolProbe.report(report, matrix);
        else if (!migrationRows.isEmpty()) NetpolProbe.report(report, migrationRows);
        contextAlias(tmp);
        boolean twoReady = twoNodes(prel);

        stage("policies: the chart without its DNS egress rule fails on the real node with the app's own error", false, () -> {
            try {
                Upgrader.upgrade(new Release(helm, kube, RELEASE, POLICY_NS, chartWithoutDnsEgress(tmp)), prodUpgrade, progress);
                Report.fail("the chart without its DNS egress rule upgraded and its migration ran");
            } catch (Problem.Failed e) {
                Report.expect(resolveFailure(e.getMessage()) != null, "the failure does not show the app's own name-resolution error:\n%s",
                        e.getMessage());
                progress.info("failed as expected, in the app's words: " + resolveFailure(e.getMessage()));
            }
            return null;
        });
        stage("policies: the chart whose API admits every namespace fails the matrix on \"another namespace → API (denied)\"", false, () -> {
            var open = new Release(helm, kube, RELEASE, POLICY_NS, chartAdmittingEveryNamespace(tmp));
            Upgrader.upgrade(open, prodUpgrade, progress);
            var rows = NetpolProbe.derive(open, RealNode.GATEWAY);
            var observed = NetpolProbe.run(kube, rows, Images.TREVOR_1, progress::info);
            progress.info("the matrix of the defective chart:\n" + NetpolProbe.table(observed).indent(2));
            var other = observed.stream().filter(o -> o.row().source().namespace().equals(NetpolMatrix.OTHER_NAMESPACE)
                    && o.row().dest().display().equals(POLICY_NS + "/" + RELEASE)).toList();
            Report.expect(!other.isEmpty(), "no \"another namespace → API\" row");
            Report.expect(other.stream().noneMatch(NetpolProbe.Observed::pass), "the row passed: %s", other.get(0));
            progress.info("failed as expected: " + other.get(0).row().describe() + " observed " + other.get(0).observed() + " ("
                    + other.get(0).row().why() + ")");
            return null;
        });
        autoscaling(prodUpgrade::withSets);
        if (!twoReady) return false;
        // The drain, later and alone, is of the release as production has it: the chart itself, its policies, 3 API pods.
        return stage("policies: the release back on the chart itself, for the drain", false, () -> {
            Upgrader.upgrade(prel, prodUpgrade, progress);
            return true;
        }) != null;
    }

    static final String ALIAS_CONTEXT = "trevor-real-alias";
    /** netpol.java --only for the alias: the rows from the worker's pod (DNS, PostgreSQL and Redis allowed, the listener denied). */
    static final String ALIAS_ROWS = "^netpol: " + POLICY_NS + "/" + RELEASE + "-worker → ";

    /**
     * netpol.java as a user runs it against a cluster named with --context: this cluster under a
     * second context name (not kwok-*, so only --context may choose it), in a kubeconfig of its
     * own whose current context is another one. The worker's rows of the matrix (allowed and
     * denied, tried from the worker's own pod) must pass, canary first: what is proven here is
     * the context, the whole matrix was just tried on this release.
     */
    private void contextAlias(Path tmp) {
        stage("policies: netpol.java --context " + ALIAS_CONTEXT + " (this cluster under a second context name) passes the worker's rows of the "
                + "matrix, canary first", false, () -> {
            var config = Yaml.loadMap(Files.readString(kubeconfig));
            var ctx = new java.util.LinkedHashMap<String, Object>(Yaml.maps(config, "contexts").get(0));
            ctx.put("name", ALIAS_CONTEXT);
            var contexts = new ArrayList<Object>(Yaml.maps(config, "contexts"));
            contexts.add(ctx);
            var alias = new java.util.LinkedHashMap<String, Object>(config);
            alias.put("contexts", contexts);
            Path file = tmp.resolve("alias-kubeconfig");
            Files.writeString(file, Yaml.json(alias));
            var cmd = List.of(repo.resolve("jbang").toString(), repo.resolve("scripts/netpol.java").toString(), "--kubeconfig", file.toString(),
                    "--context", ALIAS_CONTEXT, "-n", POLICY_NS, "--release", RELEASE, "--helm", helm.binary.toString(),
                    "--only", ALIAS_ROWS);
            var r = Exec.run(cmd, repo, Map.of(), Duration.ofMinutes(8), null);
            progress.info("netpol.java --context " + ALIAS_CONTEXT + " (exit " + r.exit() + "):\n" + r.out().strip());
            Report.expect(r.exit() == 0, "exit %d: %s", r.exit(), r.said().lines().filter(l -> l.startsWith("FAIL") || l.contains("netpol:")).toList());
            Report.expect(r.out().contains("on " + ALIAS_CONTEXT + ":") && r.out().contains("canary (deny-all policy)"),
                    "the output does not name the context and the canary: %s", r.out());
            var rows = r.out().lines().filter(l -> l.startsWith("PASS  netpol: " + POLICY_NS + "/" + RELEASE + "-worker → ")).toList();
            Report.expect(rows.stream().anyMatch(l -> l.endsWith(" allowed")) && rows.stream().anyMatch(l -> l.endsWith(" denied")),
                    "no allowed and denied row of the worker passed: %s", r.out());
            return null;
        });
    }

    /** The app's own line about a name that did not resolve, or null. */
    static String resolveFailure(String said) {
        return said.lines().filter(l -> l.contains("could not translate host name") || l.contains("Temporary failure in name resolution")
                || l.contains("Name or service not known")).findFirst().map(String::strip).orElse(null);
    }

    /** values/real-node.yaml plus these. */
    private Installer.Options real(List<String> sets, Duration timeout) {
        return options(repo.resolve("values/real-node.yaml"), sets, timeout);
    }

    /**
     * Two real nodes (issue 17 item 4), on the release of values/prod.yaml + values/real-node.yaml
     * with its NetworkPolicies enforced: both nodes Ready and enforcing; the API's replicas spread
     * over both (prod's hostname spread, maxSkew 1); pods of the two nodes reach each other, a
     * Service and the cluster DNS from both. True when the drain (drainUnderLoad) can follow.
     */
    private boolean twoNodes(Release prel) {
        if (this.nodes < 2) {
            stage("two real nodes: spread, cross-node reach, a drain under load with the PDB refusing", false, () -> {
                throw new Report.Skipped("this run has one real node (real-0, --real-nodes 1): drains and topology spread need two; run e2e --real without --real-nodes 1");
            });
            return false;
        }
        var nodes = RealNode.nodeNames(RealNode.MAX_NODES);
        boolean ready = stage("two real nodes: real-0 and real-1 Ready, each enforcing NetworkPolicies with its own kube-network-policies", false, () -> {
            for (String n : nodes) Report.expect(RealNode.nodeReady(kube, n), "node %s is not Ready", n);
            String st = RealNode.policyStatus(name);
            Report.expect(st.startsWith("NetworkPolicies: enforced"), "real-0: %s", st);
            Report.expect(NetnsNode.queueBound(name), "real-1: its %s is not bound to nfqueue %d in %s", NodePolicies.DAEMON, NodePolicies.QUEUE, NetnsNode.NETNS);
            return true;
        }) != null;
        if (!ready) return false;
        String api = prel.selector("api");
        stage("topology spread: values/prod.yaml's API replicas run on both real nodes (hostname, maxSkew 1)", false, () -> {
            waitApiReady(prel, null, LIMIT);
            var podNodes = apiPodNodes(prel);
            progress.info("API pods by node: " + podNodes);
            String problem = Drain.spreadProblem(podNodes, nodes, 1);
            Report.expect(problem == null, "%s", problem);
            return null;
        });
        stage("two real nodes: pods on each reach the other node's pods, a Service by its DNS name, through the enforced policies", false, () -> {
            var pg = kube.list(POLICY_NS, "pods", "app.kubernetes.io/instance=" + DevDeps.RELEASE + ",app.kubernetes.io/name=postgres");
            var pgSvc = kube.list(POLICY_NS, "services", "app.kubernetes.io/instance=" + DevDeps.RELEASE + ",app.kubernetes.io/name=postgres");
            Report.expect(!pg.isEmpty() && !pgSvc.isEmpty(), "no PostgreSQL pod or Service in %s", POLICY_NS);
            String pgIp = Yaml.str(pg.get(0), "status.podIP");
            String pgNode = Yaml.str(pg.get(0), "spec.nodeName");
            String dns = Yaml.str(pgSvc.get(0), "metadata.name") + "." + POLICY_NS + ".svc.cluster.local";
            var fromNodes = new java.util.TreeSet<String>();
            boolean crossed = false;
            for (var pod : kube.list(POLICY_NS, "pods", api)) {
                if (Yaml.str(pod, "metadata.deletionTimestamp") != null) continue;
                String p = Yaml.str(pod, "metadata.name"), node = Yaml.str(pod, "spec.nodeName");
                for (String target : List.of(pgIp, dns)) {
                    var r = kube.run("exec", p, "-n", POLICY_NS, "--", "/bin/busybox", "sh", "-c",
                            "/bin/busybox nc -w 5 " + target + " 5432 </dev/null 2>&1; echo rc=$?");
                    Report.expect(r.ok() && r.out().strip().endsWith("rc=0"), "%s on %s → %s:5432 (PostgreSQL on %s): %s", p, node, target, pgNode, r.said());
                }
                progress.info(p + " on " + node + " → PostgreSQL on " + pgNode + " (" + pgIp + " and " + dns + "): connected");
                fromNodes.add(node);
                crossed |= !node.equals(pgNode);
            }
            Report.expect(fromNodes.size() == nodes.size(), "API pods ran only on %s", fromNodes);
            Report.expect(crossed, "no API pod ran on another node than PostgreSQL (%s)", pgNode);
            return null;
        });
        return true;
    }

    /**
     * The drain (issue 17 item 4), through the eviction API, of the real node with the most API
     * pods of the policies' release, while the load runs through its API Service: every API pod
     * moves to the other node, the PDB refuses at least one eviction (HTTP 429) while replicas
     * are short, and no request fails. The node is uncordoned afterwards.
     */
    private void drainUnderLoad(Release prel) {
        var nodes = RealNode.nodeNames(RealNode.MAX_NODES);
        String api = prel.selector("api");
        var podNodes = apiPodNodes(prel);
        String node = nodes.stream().max(java.util.Comparator.comparingLong(n -> podNodes.values().stream().filter(n::equals).count())).orElseThrow();
        String other = nodes.stream().filter(n -> !n.equals(node)).findFirst().orElseThrow();
        var apiBefore = podNodes.entrySet().stream().filter(e -> e.getValue().equals(node)).map(e -> POLICY_NS + "/" + e.getKey()).toList();
        String during = "a drain of " + node + " through the eviction API (" + apiBefore.size() + " API pods on it)";
        Drain.Result[] drained = {null};
        try {
            stage(LoadGen.checkName(during), false, () -> {
                var url = ZeroDowntime.serviceUrl(kube.list(POLICY_NS, "services", api).get(0), "/health");
                var settings = LoadGen.Settings.of(url).withRate(25).withDuration(Duration.ofMinutes(5)).withMaxRequests(25 * 300);
                var run = ZeroDowntime.during(settings, Duration.ofSeconds(3), TAIL_MIN, TAIL_MAX, () -> noneTerminating(prel), () -> {
                    drained[0] = Drain.drain(kube, node, Duration.ofMinutes(4), progress::info);
                    waitApiReady(prel, node, LIMIT);
                });
                var load = run.load();
                progress.info("load during " + during + ": " + load.summary());
                if (drained[0] != null) progress.info(drained[0].summary());
                if (diagDir != null && !load.failures().isEmpty()) {
                    Files.createDirectories(diagDir);
                    load.writeFailures(diagDir.resolve("load-drain.tsv"));
                }
                Report.expect(run.actionFailure() == null, "the drain failed: %s", run.actionFailure() == null ? "" : run.actionFailure().getMessage());
                Report.expect(run.covered(), "the load stopped at its bounds before the drain ended (%s): %s", run.actionEnded(), load.summary());
                Report.expect(load.problem() == null, "%s; %s", load.problem(), load.summary());
                return null;
            });
            stage("drain: every API pod moved from " + node + " to " + other + " and is Ready; the node holds none of the evicted pods", false, () -> {
                Report.expect(drained[0] != null, "the drain did not finish");
                var after = apiPodNodes(prel);
                progress.info("API pods by node after the drain: " + after);
                Report.expect(!after.isEmpty() && after.values().stream().allMatch(other::equals), "API pods by node after draining %s: %s", node, after);
                Report.expect(Drain.evictable(kube, node, true).isEmpty(), "pods still on %s", node);
                return null;
            });
            stage("drain: the PDB refused an API eviction (HTTP 429) while API replicas were short", false, () -> {
                Report.expect(drained[0] != null, "the drain did not finish");
                String problem = Drain.refusalProblem(drained[0], apiBefore);
                Report.expect(problem == null, "%s", problem);
                drained[0].refusals().stream().filter(f -> apiBefore.contains(f.pod())).findFirst()
                        .ifPresent(f -> progress.info("refused as the PDB must: " + f.describe()));
                return null;
            });
        } finally {
            stage("drain: " + node + " is uncordoned afterwards", false, () -> {
                Drain.cordon(kube, node, false);
                return null;
            });
        }
    }

    /** The release's API pods (not terminating) and their nodes. */
    private Map<String, String> apiPodNodes(Release r) {
        var out = new java.util.TreeMap<String, String>();
        for (var pod : kube.list(r.namespace, "pods", r.selector("api"))) {
            if (Yaml.str(pod, "metadata.deletionTimestamp") == null) out.put(Yaml.str(pod, "metadata.name"), String.valueOf(Yaml.str(pod, "spec.nodeName")));
        }
        return out;
    }

    /** Waits until the API Deployment has all its replicas Ready (and, with notOn, none of them on that node). */
    private void waitApiReady(Release r, String notOn, Duration max) {
        Wait.until("the API's replicas Ready" + (notOn == null ? "" : " off " + notOn), max, () -> {
            var deps = kube.list(r.namespace, "deployments", r.selector("api"));
            if (deps.isEmpty()) return "no API Deployment";
            var d = deps.get(0);
            String want = Yaml.str(d, "spec.replicas"), ready = Yaml.str(d, "status.readyReplicas"), updated = Yaml.str(d, "status.replicas");
            var pods = apiPodNodes(r);
            if (want == null || !want.equals(ready) || !want.equals(updated) || pods.size() != Integer.parseInt(want)) {
                return "replicas " + want + ", ready " + ready + ", pods " + pods;
            }
            if (notOn != null && pods.containsValue(notOn)) return "API pods still on " + notOn + ": " + pods;
            return null;
        });
    }

    /** A pod runs on a real node, in a container containerd started, Ready by its probes, never restarted. */
    private static void realAndReady(Map<String, Object> pod) {
        String name = Yaml.str(pod, "metadata.name");
        Report.expect(RealNode.nodeNames(RealNode.MAX_NODES).contains(Yaml.str(pod, "spec.nodeName")), "%s runs on %s", name, Yaml.str(pod, "spec.nodeName"));
        Report.expect(LiveChecks.ready(pod), "%s is not Ready: %s", name, Yaml.at(pod, "status.conditions"));
        for (var c : Yaml.maps(pod, "status.containerStatuses")) {
            Report.expect(String.valueOf(Yaml.str(c, "containerID")).startsWith("containerd://"), "%s/%s: container ID %s", name,
                    Yaml.str(c, "name"), Yaml.str(c, "containerID"));
            Report.expect(Boolean.TRUE.equals(Yaml.at(c, "started")) && Boolean.TRUE.equals(Yaml.at(c, "ready")), "%s/%s: started %s, ready %s",
                    name, Yaml.str(c, "name"), Yaml.at(c, "started"), Yaml.at(c, "ready"));
            Report.expect("0".equals(Yaml.str(c, "restartCount")), "%s/%s restarted %s times", name, Yaml.str(c, "name"), Yaml.str(c, "restartCount"));
        }
    }

    /** GET through the API Service, by the API server's service proxy (no port on this machine opens). */
    private String serviceGet(String path) { return serviceGet(NAMESPACE, path); }

    private String serviceGet(String namespace, String path) {
        var svc = kube.list(namespace, "services", rel.selector("api")).get(0);
        var r = kube.run("get", "--raw", "/api/v1/namespaces/" + namespace + "/services/" + Yaml.str(svc, "metadata.name") + ":http/proxy" + path);
        Report.expect(r.ok(), "GET %s through the Service: %s", path, r.said());
        return r.out();
    }

    private Exec.Result exec(String pod, String... cmd) {
        var args = new ArrayList<>(List.of("exec", pod, "-n", NAMESPACE, "--"));
        args.addAll(List.of(cmd));
        return kube.run(args.toArray(String[]::new));
    }

    /** What Alembic recorded in the database, asked inside the PostgreSQL pod. */
    private String alembicVersion() {
        var pg = kube.list(NAMESPACE, "pods", "app.kubernetes.io/instance=" + DevDeps.RELEASE + ",app.kubernetes.io/name=postgres");
        Report.expect(!pg.isEmpty(), "no PostgreSQL pod");
        var r = kube.run("exec", Yaml.str(pg.get(0), "metadata.name"), "-n", NAMESPACE, "--", "psql", "-h", "/run/postgresql", "-U", "trevor",
                "-d", "trevor", "-tAc", "select version_num from alembic_version");
        Report.expect(r.ok(), "psql: %s", r.said());
        return r.out().strip();
    }

    /**
     * The final down check, one named check per kind of thing a real node leaves on the
     * machine, so that a leftover fails the check that names its kind; what fits no kind
     * (the kwok cluster's ports, folders, files) stays under the general check.
     */
    static final Map<String, List<String>> DOWN_KINDS = downKinds();

    private static Map<String, List<String>> downKinds() {
        var m = new java.util.LinkedHashMap<String, List<String>>();
        m.put("down: no process left (control plane, kubelets, containerd and shims, containers, daemons in real-1's namespace)", List.of("process "));
        m.put("down: no mount left (the nodes' folders, /run/netns)", List.of("mount "));
        m.put("down: no network interface left (bridges, veth pairs)", List.of("network interface "));
        m.put("down: no network namespace left (" + NetnsNode.NETNS + ")", List.of("network namespace "));
        m.put("down: no iptables or nftables rule left (KUBE chains, the nodes' own chains, kube-network-policies' table and queue)",
                List.of("iptables", "ip6tables", "nftables ", "nfqueue "));
        m.put("down: no cgroup left (kubepods, the nodes' roots)", List.of("cgroup "));
        m.put("down: no kernel setting, host file or host folder changed or left", List.of("kernel setting ", "host file ", "host folder "));
        return m;
    }

    /** Sorts what down left into {@link #DOWN_KINDS}; the rest goes under the general check. */
    static Map<String, List<String>> byKind(String general, List<String> left) {
        var out = new java.util.LinkedHashMap<String, List<String>>();
        DOWN_KINDS.keySet().forEach(k -> out.put(k, new ArrayList<>()));
        out.put(general, new ArrayList<>());
        for (String l : left) {
            String kind = DOWN_KINDS.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(l::startsWith)).map(Map.Entry::getKey)
                    .findFirst().orElse(general);
            out.get(kind).add(l);
        }
        return out;
    }

    @Override
    Map<String, List<String>> downChecks(String check, List<String> left) { return byKind(check, left); }

    @Override
    java.util.List<String> down() {
        var node = RealNodeDown.down(name, progress::info);
        var left = new ArrayList<>(RealNodeDown.leftovers(node));
        left.addAll(super.down());
        return left;
    }
}
