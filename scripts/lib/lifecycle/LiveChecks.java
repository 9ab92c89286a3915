//SOURCES DbRevision.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Kube.java
//SOURCES PodTrouble.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The cluster half of the spec's test plan (steps 8–12) as named checks against a live
 * release: what the API server, the controllers and Helm report, never what we expect.
 */
final class LiveChecks {
    // The checks' names, in the order they run: what status prints and what the defects stage requires to fail by name.
    static final String RELEASE_DEPLOYED = "release: Helm reports the last revision deployed";
    static final String DRY_RUN = "plan 8: helm upgrade --install --dry-run=server of the release succeeds";
    static final String PODS_READY = "plan 9: every pod of the release is Running and Ready";
    static final String MIGRATION_JOB = "plan 10: the migration Job succeeded";
    static final String PDB_EXISTS = "plan 12: a PDB exists iff the API keeps more than one replica (HPA min included)";
    static final String PDB_HEALTHY = "PDB: the disruption controller reports the expected healthy pods";
    static final String HPA = "plan 4: an HPA exists iff autoscaling.enabled";
    static final String NETWORK_POLICIES = "plan 5: NetworkPolicies exist iff networkPolicy.enabled (stored, not proven enforced: netpol.java tries them)";
    static final String ENDPOINTS = "the API Service has a ready endpoint per ready API pod";
    static final String NOTES = "NOTES.txt: helm status shows how to reach the API";
    static final String POD_SECURITY = "the namespace enforces Pod Security restricted";
    static final String HPA_MINIMUM = "HPA: each autoscaled Deployment has at least minReplicas ready pods";
    static final String NODES_SCHEDULABLE = "nodes: no cordoned node keeps a pod of the release from being scheduled";
    /**
     * Not in NAMES, which the defects stage makes fail on kwok: there no container runs and this
     * check can only be INFO. Its defect is in the real e2e (RealE2e: an emptied database).
     */
    static final String DB_REVISION = "database: the Alembic revision is the running image's head (alembic current in an API pod)";
    /**
     * Not in NAMES either: a kwok cluster has no resource metrics API (no kubelet measures
     * anything), so there the check is INFO. It fails only where the metrics API is served and
     * the HPA still cannot compute; its defect is in the real e2e (an API container without a
     * CPU request).
     */
    static final String HPA_METRICS = "HPA: each HPA computes its metrics (no <unknown>, no FailedGetResourceMetric, ScalingActive)";
    /** How long a fresh HPA may take to get its first numbers: metrics-server scrapes every 15 s, the HPA syncs every 15 s. */
    static final Duration HPA_METRICS_WAIT = Duration.ofSeconds(75);
    /** Every check run() makes, in its order: what status --list prints and --only is held to. */
    static final java.util.List<String> ALL = java.util.List.of(RELEASE_DEPLOYED, DRY_RUN, PODS_READY, MIGRATION_JOB, DB_REVISION, PDB_EXISTS,
            PDB_HEALTHY, HPA, HPA_MINIMUM, HPA_METRICS, NETWORK_POLICIES, ENDPOINTS, NOTES, POD_SECURITY, NODES_SCHEDULABLE);
    /** The checks the defects stage makes fail on kwok: all but the two only a real node can fail (see above). */
    static final java.util.List<String> NAMES = ALL.stream().filter(n -> !n.equals(DB_REVISION) && !n.equals(HPA_METRICS)).toList();

    /** How long each wait may take at most; a wait says what it waits for, and every SAY_EVERY how far it got. */
    static final Duration PODS_WAIT = Duration.ofSeconds(60);
    static final Duration SHORT_WAIT = Duration.ofSeconds(30);
    static final Duration SAY_EVERY = Duration.ofSeconds(10);

    private final Release rel;
    private final Kube kube;
    private final Report report;
    private final String tag; // a label for check names, e.g. "after install"
    private java.util.function.Consumer<String> say = line -> {};
    private Duration atMost; // null: each wait's own bound


    LiveChecks(Release rel, Report report, String tag) {
        this.rel = rel;
        this.kube = rel.kube;
        this.report = report;
        this.tag = tag;
    }

    /** Where the waits say what they wait for, and how far they got (status: stderr). */
    LiveChecks saying(java.util.function.Consumer<String> say) {
        this.say = say;
        return this;
    }

    /**
     * Bounds every wait by max (status --timeout): a CI step that wants a verdict on the state as
     * it is now, or a test that makes a state that will not settle, need not sit through a minute.
     */
    LiveChecks waitingAtMost(Duration max) {
        this.atMost = max;
        return this;
    }

    /** The bound of a wait whose own is usual: usual, or the --timeout when that is shorter. */
    private Duration bound(Duration usual) { return atMost != null && atMost.compareTo(usual) < 0 ? atMost : usual; }

    /**
     * Waits until state returns null, saying first what it waits for and for how long at most,
     * then every SAY_EVERY what it sees; false when the time ran out.
     */
    private boolean waitSaying(String what, Duration usual, java.util.function.Supplier<String> state) {
        Duration max = bound(usual);
        long t0 = System.nanoTime();
        long said = t0;
        say.accept("waiting up to " + max.toSeconds() + " s for " + what);
        while (true) {
            String now = state.get();
            if (now == null) return true;
            long t = System.nanoTime();
            if (t - t0 > max.toNanos()) return false;
            if (t - said > SAY_EVERY.toNanos()) {
                said = t;
                say.accept(String.format(java.util.Locale.ROOT, "  %d s of %d s: %s", (t - t0) / 1_000_000_000, max.toSeconds(), now));
            }
            Wait.sleep(1000);
        }
    }

    private String name(String what) { return tag == null || tag.isEmpty() ? what : what + " (" + tag + ")"; }

    private String context() { return "release " + rel.name + " in " + rel.namespace + " on " + kube.context; }

    void run() {
        var values = rel.deployedValues();
        boolean hook = Boolean.TRUE.equals(Yaml.at(values, "migrations.hookEnabled"));
        boolean hpa = Boolean.TRUE.equals(Yaml.at(values, "autoscaling.enabled"));
        int minReplicas = Integer.parseInt(Yaml.str(values, hpa ? "autoscaling.minReplicas" : "replicaCount"));
        boolean pdbEnabled = !Boolean.FALSE.equals(Yaml.at(values, "podDisruptionBudget.enabled"));
        boolean netpol = Boolean.TRUE.equals(Yaml.at(values, "networkPolicy.enabled"));

        report.check(name(RELEASE_DEPLOYED), context(), () -> {
            var st = rel.state();
            var last = st.last();
            Report.expect(last != null, "no release %s in %s", rel.name, rel.namespace);
            Report.expect(last.status().equals("deployed"), "revision %d is %s: %s%s", last.number(), last.status(), last.description(),
                    last.pending() ? " (if no run is active, run install.java or upgrade.java with --recover)" : "");
        });
        report.check(name(DRY_RUN), context(), () -> {
            var dry = rel.dryRunServer(new Helm.Values(List.of(), List.of(), rel.userValues(null)));
            Report.expect(dry.ok(), "server-side dry run refused: %s", dry.said());
        });
        report.check(name(PODS_READY), context(), this::podsReady);
        report.check(name(MIGRATION_JOB), context(), () -> {
            if (!hook) throw new Report.Skipped("migrations.hookEnabled is false: migrations run as init containers");
            var run = migrationHook(rel);
            Report.expect("Succeeded".equals(run.phase()), "Helm recorded the migration hook %s as %s", run.name(), run.phase());
            // A Job kept by the delete policy must agree with Helm's record.
            var job = kube.get(rel.namespace, "job", run.name());
            if (job != null) {
                Report.expect(Kube.conditionTrue(job, "Complete") && "1".equals(Yaml.str(job, "status.succeeded")),
                        "Job %s is not Complete: %s", run.name(), Yaml.at(job, "status"));
            }
        });
        DbRevision.Reading[] db = {null};
        report.check(name(DB_REVISION), context(), () -> {
            boolean init = Boolean.TRUE.equals(Yaml.at(values, "migrations.enabled"));
            if (!hook && !init) throw new Report.Skipped("migrations are off (migrations.hookEnabled and migrations.enabled false)");
            var command = Yaml.list(values, "migrations.command").stream().map(String::valueOf).toList();
            db[0] = DbRevision.checkRunning(rel, command);
        });
        if (db[0] != null) report.note("the database is at Alembic revision " + db[0].revision() + ", the running image's head");
        report.check(name(PDB_EXISTS), context(), () -> {
            var pdbs = kube.list(rel.namespace, "poddisruptionbudgets", rel.selector("api"));
            boolean want = pdbEnabled && minReplicas > 1;
            Report.expect(pdbs.isEmpty() != want, "minimum API replicas %d: expected %s PDB, found %d", minReplicas,
                    want ? "a" : "no", pdbs.size());
        });
        report.check(name(PDB_HEALTHY), context(), () -> {
            var pdbs = kube.list(rel.namespace, "poddisruptionbudgets", "app.kubernetes.io/instance=" + rel.name);
            if (pdbs.isEmpty()) throw new Report.Skipped("no PDB in this release (single replicas)");
            for (var pdb : pdbs) {
                String n = Yaml.str(pdb, "metadata.name");
                String[] last = {""};
                boolean ok = waitSaying("PDB " + n + ": the disruption controller to count every pod it selects healthy", SHORT_WAIT, () -> {
                    var cur = kube.get(rel.namespace, "poddisruptionbudget", n);
                    var st = Yaml.map(cur, "status");
                    int expected = intOf(st.get("expectedPods"));
                    int desired = intOf(st.get("desiredHealthy"));
                    int current = intOf(st.get("currentHealthy"));
                    last[0] = "expectedPods " + expected + ", currentHealthy " + current + ", desiredHealthy " + desired
                            + ", disruptionsAllowed " + intOf(st.get("disruptionsAllowed"));
                    if (!String.valueOf(Yaml.at(cur, "metadata.generation")).equals(String.valueOf(st.get("observedGeneration")))) return "not observed yet";
                    return expected > 0 && current >= desired && current == expected ? null : last[0];
                });
                if (!ok) Report.fail("PDB %s: %s", n, last[0]);
            }
        });
        report.check(name(HPA), context(), () -> {
            var hpas = kube.list(rel.namespace, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name);
            Report.expect(hpas.isEmpty() != hpa, "autoscaling.enabled=%s but %d HPA(s) found", hpa, hpas.size());
            for (var h : hpas) {
                var api = kube.list(rel.namespace, "deployments", rel.selector("api"));
                Report.expect(!api.isEmpty() && Yaml.str(api.get(0), "metadata.name").equals(Yaml.str(h, "spec.scaleTargetRef.name")),
                        "HPA targets %s", Yaml.str(h, "spec.scaleTargetRef.name"));
            }
        });
        report.check(name(HPA_MINIMUM), context(), this::autoscaledMinimum);
        var hpaLines = new ArrayList<String>();
        report.check(name(HPA_METRICS), context(), () -> hpaMetrics(hpaLines));
        for (String l : hpaLines) report.note(l);
        report.check(name(NETWORK_POLICIES), context(), () -> {
            var nps = kube.list(rel.namespace, "networkpolicies", "app.kubernetes.io/instance=" + rel.name);
            Report.expect(nps.isEmpty() != netpol, "networkPolicy.enabled=%s but %d NetworkPolicies found", netpol, nps.size());
        });
        report.check(name(ENDPOINTS), context(), () -> {
            var pods = kube.list(rel.namespace, "pods", rel.selector("api")).stream().filter(LiveChecks::ready).count();
            String[] seen = {""};
            String svc = serviceName();
            boolean ok = waitSaying("Service " + svc + ": a ready endpoint per ready API pod (" + pods + ")", SHORT_WAIT, () -> {
                long ready = 0;
                for (var slice : kube.list(rel.namespace, "endpointslices", "kubernetes.io/service-name=" + svc)) {
                    for (var ep : Yaml.maps(slice, "endpoints")) if (!Boolean.FALSE.equals(Yaml.at(ep, "conditions.ready"))) ready++;
                }
                seen[0] = ready + " ready endpoints";
                return ready == pods && pods > 0 ? null : seen[0];
            });
            if (!ok) Report.fail("expected %d ready endpoints, found %s", pods, seen[0]);
        });
        report.check(name(NOTES), context(), () -> {
            var r = rel.status();
            Report.expect(r.ok(), "helm status failed: %s", r.said());
            Report.expect(r.out().contains("port-forward svc/") && r.out().contains("/health"), "NOTES missing from helm status:\n%s", r.out());
        });
        report.check(name(POD_SECURITY), context(), () -> {
            var ns = kube.get(null, "namespace", rel.namespace);
            Report.expect(ns != null, "namespace %s does not exist", rel.namespace);
            Report.expect("restricted".equals(Kube.labelsOf(ns).get("pod-security.kubernetes.io/enforce")),
                    "namespace %s labels: %s", rel.namespace, Kube.labelsOf(ns));
        });
        report.check(name(NODES_SCHEDULABLE), context(), this::cordonedNodes);
    }

    private String serviceName() {
        var svcs = kube.list(rel.namespace, "services", rel.selector("api"));
        Report.expect(svcs.size() == 1, "expected one API Service, found %d", svcs.size());
        return Yaml.str(svcs.get(0), "metadata.name");
    }

    void podsReady() {
        String[] last = {""};
        PodTrouble.Found[] trouble = {null};
        String[] failedJobPod = {null};
        boolean ok = waitSaying("every pod of release " + rel.name + " to be Running and Ready (migration Job pods: Succeeded)", PODS_WAIT, () -> {
            var pods = kube.list(rel.namespace, "pods", "app.kubernetes.io/instance=" + rel.name);
            var bad = new ArrayList<String>();
            int serving = 0;
            for (var p : pods) {
                if (Yaml.at(p, "metadata.deletionTimestamp") != null) continue; // on its way out after a rollout
                String phase = Yaml.str(p, "status.phase");
                boolean job = "migrate".equals(Kube.labelsOf(p).get("app.kubernetes.io/component"));
                if (job) {
                    if (!"Succeeded".equals(phase)) bad.add(Yaml.str(p, "metadata.name") + " " + phase);
                    // A Failed pod stays Failed: the check cannot pass by waiting.
                    if ("Failed".equals(phase) && failedJobPod[0] == null) failedJobPod[0] = Yaml.str(p, "metadata.name");
                } else if (!"Running".equals(phase) || !ready(p)) {
                    String why = PodTrouble.notReady(p);
                    bad.add(why != null ? why : Yaml.str(p, "metadata.name") + " " + phase + " not ready");
                    if (trouble[0] == null) trouble[0] = PodTrouble.classify(p);
                } else {
                    serving++;
                }
            }
            last[0] = bad.isEmpty() ? serving + " pods" : String.join("; ", bad);
            // A reason waiting cannot cure (PodTrouble) ends the wait at once.
            if (trouble[0] != null || failedJobPod[0] != null) return null;
            return bad.isEmpty() && serving > 0 ? null : last[0];
        });
        if (trouble[0] != null) Report.fail("%s (waiting would not change it); not ready: %s", trouble[0].describe(), last[0]);
        if (failedJobPod[0] != null) Report.fail("migration pod %s failed (waiting would not change it; its logs: kubectl logs -n %s %s); not ready: %s",
                failedJobPod[0], rel.namespace, failedJobPod[0], last[0]);
        if (!ok) Report.fail("not every pod is Running and Ready after %d s: %s", bound(PODS_WAIT).toSeconds(), last[0]);
    }

    /**
     * The HPA controller raises a Deployment below minReplicas to it on its next sync, metrics
     * API or not: fewer ready pods than that, for longer than a sync or two, is a release short
     * of the capacity its values promise (pods that cannot be scheduled, or never get ready).
     */
    private void autoscaledMinimum() {
        var hpas = kube.list(rel.namespace, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name);
        if (hpas.isEmpty()) throw new Report.Skipped("no HPA in this release");
        var shortOf = new ArrayList<String>();
        for (var h : hpas) {
            String target = Yaml.str(h, "spec.scaleTargetRef.name");
            int min = Yaml.at(h, "spec.minReplicas") instanceof Number n ? n.intValue() : 1;
            String[] last = {""};
            boolean ok = waitSaying("Deployment " + target + " to have " + min + " ready pods (HPA " + Yaml.str(h, "metadata.name") + " minReplicas)",
                    SHORT_WAIT, () -> {
                        var d = kube.get(rel.namespace, "deployment", target);
                        int ready = d == null ? 0 : intOf(Yaml.at(d, "status.readyReplicas"));
                        last[0] = d == null ? "no Deployment " + target : ready + " ready of spec.replicas " + Yaml.str(d, "spec.replicas");
                        return ready >= min ? null : last[0];
                    });
            if (!ok) shortOf.add("Deployment " + target + ": " + last[0] + ", HPA " + Yaml.str(h, "metadata.name") + " minReplicas " + min);
        }
        Report.expect(shortOf.isEmpty(), "fewer ready pods than the HPA's minimum: %s", String.join("; ", shortOf));
    }

    /**
     * Whether each HPA of the release can compute what it scales on. Without a resource metrics
     * API (metrics.k8s.io, e.g. metrics-server) in the cluster it cannot, for any workload: INFO,
     * saying so. With one, an HPA whose current metrics stay unknown, or whose ScalingActive
     * condition is False (FailedGetResourceMetric: a pod without a CPU request, pods without
     * metrics), fails with the controller's own words. lines gets each HPA's current and target.
     */
    private void hpaMetrics(List<String> lines) {
        var hpas = kube.list(rel.namespace, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name);
        if (hpas.isEmpty()) throw new Report.Skipped("no HPA in this release");
        if (!kube.run(Duration.ofSeconds(20), "get", "--raw", "/apis/metrics.k8s.io/v1beta1", "--request-timeout=10s").ok()) {
            for (var h : hpas) lines.add(hpaLine(h));
            throw new Report.Info("the cluster serves no resource metrics API (metrics.k8s.io: no metrics-server), so no HPA here can compute a "
                    + "utilisation and each stays at its current replicas; a cluster with a real node has one (cluster.java up --real-node)");
        }
        var trouble = new ArrayList<String>();
        for (var h : hpas) {
            String n = Yaml.str(h, "metadata.name");
            // Read from the Deployment at once: the HPA's own status may still be about the pods before a rollout.
            String target = Yaml.str(h, "spec.scaleTargetRef.name");
            var deployment = "Deployment".equals(Yaml.str(h, "spec.scaleTargetRef.kind")) && target != null
                    ? kube.get(rel.namespace, "deployment", target) : null;
            String missing = deployment == null ? null : missingRequests(h, deployment);
            if (missing != null) {
                lines.add(hpaLine(h));
                trouble.add("HPA " + n + ": " + missing);
                continue;
            }
            String[] last = {null};
            var seen = new java.util.concurrent.atomic.AtomicReference<>(h);
            boolean[] hopeless = {false};
            boolean ok = waitSaying("HPA " + n + " to compute its metrics (current values, ScalingActive True)", HPA_METRICS_WAIT, () -> {
                var cur = kube.get(rel.namespace, "horizontalpodautoscaler", n);
                if (cur == null) return last[0] = "HPA " + n + " is gone";
                seen.set(cur);
                last[0] = hpaTrouble(cur);
                // The controller's word that a pod lacks a request does not change by waiting.
                hopeless[0] = last[0] != null && last[0].contains("missing request for");
                return hopeless[0] ? null : last[0];
            });
            lines.add(hpaLine(seen.get()));
            if (!ok || hopeless[0]) trouble.add("HPA " + n + ": " + last[0]);
        }
        Report.expect(trouble.isEmpty(), "%s", String.join("; ", trouble));
    }

    /**
     * Why an HPA cannot compute its metrics, from its status, or null when it can: ScalingActive
     * False (the controller's reason and message), or a metric of its spec with no current value
     * (kubectl shows `<unknown>`).
     */
    static String hpaTrouble(Map<String, Object> hpa) {
        for (var c : Yaml.maps(hpa, "status.conditions")) {
            if ("ScalingActive".equals(c.get("type")) && "False".equals(String.valueOf(c.get("status")))) {
                return "ScalingActive False, " + c.get("reason") + ": " + c.get("message");
            }
        }
        var unknown = new ArrayList<String>();
        for (var m : Yaml.maps(hpa, "spec.metrics")) {
            String res = Yaml.str(m, "resource.name");
            if (res == null) continue; // only resource metrics are the chart's
            var cur = Yaml.maps(hpa, "status.currentMetrics").stream().filter(c -> res.equals(Yaml.str(c, "resource.name"))).findFirst();
            if (cur.isEmpty() || (Yaml.at(cur.get(), "resource.current.averageUtilization") == null
                    && Yaml.at(cur.get(), "resource.current.averageValue") == null)) unknown.add(res);
        }
        if (!unknown.isEmpty()) return "current " + String.join(", ", unknown) + " <unknown> (no value in status.currentMetrics yet)";
        return null;
    }

    /**
     * A container of the scale target's pod template without a request for a resource the HPA
     * scales on by utilisation (a share of the request), in the controller's words ("missing
     * request for cpu in container trevor"), or null. A limit alone counts: the API server makes
     * it the request. Read from the template, so it holds as soon as a rollout is done, before
     * the HPA's next sync says so itself (FailedGetResourceMetric).
     */
    static String missingRequests(Map<String, Object> hpa, Map<String, Object> deployment) {
        var missing = new ArrayList<String>();
        for (var m : Yaml.maps(hpa, "spec.metrics")) {
            String res = Yaml.str(m, "resource.name");
            if (res == null || !"Utilization".equals(Yaml.str(m, "resource.target.type"))) continue;
            for (var c : Yaml.maps(deployment, "spec.template.spec.containers")) {
                if (Yaml.at(c, "resources.requests." + res) == null && Yaml.at(c, "resources.limits." + res) == null) {
                    missing.add("missing request for " + res + " in container " + Yaml.str(c, "name"));
                }
            }
        }
        if (missing.isEmpty()) return null;
        return String.join(", ", missing) + " of Deployment " + Yaml.str(deployment, "metadata.name") + "'s pod template: the HPA computes "
                + "utilisation as a share of each container's request, so it cannot (FailedGetResourceMetric); set resources.requests";
    }

    /** One HPA as kubectl's TARGETS column says it, with its replicas: "trevor: cpu 12%/75%, replicas 1 (min 1, max 3)". */
    static String hpaLine(Map<String, Object> hpa) {
        var parts = new ArrayList<String>();
        for (var m : Yaml.maps(hpa, "spec.metrics")) {
            String res = Yaml.str(m, "resource.name");
            if (res == null) continue;
            Object target = Yaml.at(m, "resource.target.averageUtilization");
            var cur = Yaml.maps(hpa, "status.currentMetrics").stream().filter(c -> res.equals(Yaml.str(c, "resource.name"))).findFirst();
            Object now = cur.map(c -> Yaml.at(c, "resource.current.averageUtilization")).orElse(null);
            Object value = cur.map(c -> Yaml.at(c, "resource.current.averageValue")).orElse(null);
            parts.add(res + " " + (now == null ? "<unknown>" : now + "%") + "/" + (target == null ? Yaml.str(m, "resource.target.averageValue") : target + "%")
                    + (value == null ? "" : " (average " + value + ")"));
        }
        return "HPA " + Yaml.str(hpa, "metadata.name") + ": " + (parts.isEmpty() ? "no resource metrics" : String.join(", ", parts))
                + ", replicas " + Yaml.str(hpa, "status.currentReplicas") + " (desired " + Yaml.str(hpa, "status.desiredReplicas") + ", min "
                + Yaml.str(hpa, "spec.minReplicas") + ", max " + Yaml.str(hpa, "spec.maxReplicas") + ")";
    }

    /**
     * A cordoned node (kubectl cordon, a drain) places no new pod. While the release's pods run
     * on it, that is maintenance, which a staging cluster may be in on purpose: shown (info),
     * not failed. A pod of the release that the scheduler cannot place while a node is cordoned
     * is a release short of a pod: that fails, with the scheduler's words and the uncordon command.
     */
    private void cordonedNodes() {
        var cordoned = new ArrayList<String>();
        for (var n : kube.list(null, "nodes", null)) {
            if (Boolean.TRUE.equals(Yaml.at(n, "spec.unschedulable"))) cordoned.add(Yaml.str(n, "metadata.name"));
        }
        if (cordoned.isEmpty()) return;
        var pods = kube.list(rel.namespace, "pods", "app.kubernetes.io/instance=" + rel.name);
        var on = new ArrayList<String>();
        var blocked = new ArrayList<String>();
        for (var p : pods) {
            if (cordoned.contains(Yaml.str(p, "spec.nodeName"))) on.add(Yaml.str(p, "metadata.name") + " on " + Yaml.str(p, "spec.nodeName"));
            var f = PodTrouble.classify(p);
            if (f != null && f.kind() == PodTrouble.Kind.UNSCHEDULABLE && f.message() != null && f.message().contains("unschedulable")) {
                blocked.add(f.describe());
            }
        }
        String kubectl = "./jbang scripts/tools.java run kubectl" + (kube.kubeconfig == null ? "" : " --kubeconfig " + kube.kubeconfig)
                + " --context " + kube.context;
        String uncordon = String.join("; ", cordoned.stream().map(n -> kubectl + " uncordon " + n).toList());
        Report.expect(blocked.isEmpty(), "cordoned node(s) %s keep pods of the release from being scheduled: %s. When the maintenance is over: %s",
                String.join(", ", cordoned), String.join("; ", blocked), uncordon);
        if (!on.isEmpty()) {
            throw new Report.Info("cordoned node(s) " + String.join(", ", cordoned) + " (Ready,SchedulingDisabled) run pods of the release: "
                    + String.join(", ", on) + ". They run on, but a pod that goes there is replaced elsewhere. When the maintenance is over: " + uncordon);
        }
    }

    static boolean ready(Map<String, Object> pod) {
        return Kube.conditionTrue(pod, "Ready");
    }

    static int intOf(Object o) {
        return o == null ? 0 : Integer.parseInt(String.valueOf(o));
    }

    /**
     * Proof from the cluster that the upgrade's migration completed before the new API
     * ReplicaSet and its pods were created, and before their containers started: Helm's
     * record of the hook's completion (nanoseconds; kept even when the Job is deleted) against
     * the API server's timestamps, which have one-second resolution, so the comparison is to
     * the second.
     */
    static String migrationBeforeRollout(Release rel) {
        var kube = rel.kube;
        var run = migrationHook(rel);
        var rss = kube.list(rel.namespace, "replicasets", rel.selector("api"));
        var newest = rss.stream().max(Comparator.comparing(LiveChecks::revision));
        Report.expect(newest.isPresent(), "no API ReplicaSet found");
        String hash = Yaml.strings(newest.get(), "metadata.labels").get("pod-template-hash");
        return orderProof(run, newest.get(), kube.list(rel.namespace, "pods", rel.selector("api") + ",pod-template-hash=" + hash));
    }

    /**
     * The proof about this rollout: its pods, whichever ReplicaSet they belong to. A rollout to a
     * template seen before reuses that template's old ReplicaSet, created long before this
     * migration, so the ReplicaSet's age says nothing; its pods made after the hook started do.
     */
    static String orderProof(Release.HookRun run, Map<String, Object> rs, List<Map<String, Object>> rsPods) {
        Report.expect("Succeeded".equals(run.phase()) && run.completed() != null, "migration hook %s: %s", run.name(), run.phase());
        // The API server's timestamps have one-second resolution: equal seconds pass.
        Instant done = run.completed().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant hookStarted = run.started() == null ? null : run.started().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant rsCreated = Kube.time(rs, "metadata.creationTimestamp");
        String rsName = Yaml.str(rs, "metadata.name");
        boolean reused = hookStarted != null && rsCreated.isBefore(hookStarted);
        if (!reused) {
            Report.expect(!done.isAfter(rsCreated), "migration completed at %s, after ReplicaSet %s was created at %s", run.completed(), rsName, rsCreated);
        }
        // Pods made before the hook started belong to an earlier rollout of a reused ReplicaSet.
        var pods = rsPods.stream().filter(p -> hookStarted == null || !Kube.time(p, "metadata.creationTimestamp").isBefore(hookStarted)).toList();
        Report.expect(!pods.isEmpty(), "no pod of this rollout found in ReplicaSet %s (created after the migration hook started at %s)",
                rsName, run.started());
        Instant firstPod = pods.stream().map(p -> Kube.time(p, "metadata.creationTimestamp")).min(Comparator.naturalOrder()).orElseThrow();
        Instant firstStart = pods.stream().flatMap(p -> Yaml.maps(p, "status.containerStatuses").stream())
                .map(c -> Kube.time(c, "state.running.startedAt")).filter(java.util.Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
        Report.expect(!done.isAfter(firstPod), "migration completed at %s, after the first new pod of this rollout was created at %s",
                run.completed(), firstPod);
        Report.expect(firstStart == null || !done.isAfter(firstStart), "migration completed at %s, after the first new API container started at %s",
                run.completed(), firstStart);
        return "migration Job " + run.name() + " completed " + run.completed() + "; "
                + (reused ? "the rollout reused ReplicaSet " + rsName + " (created " + rsCreated + ")" : "ReplicaSet " + rsName + " created " + rsCreated)
                + "; the rollout's first pod " + firstPod + (firstStart == null ? "" : "; its first container started " + firstStart);
    }

    /** Helm's record of the latest revision's migration hook Job. */
    static Release.HookRun migrationHook(Release rel) {
        var jobs = rel.hookRuns().stream().filter(h -> "Job".equals(h.kind())).toList();
        Report.expect(jobs.size() == 1, "expected one migration hook Job in Helm's record of release %s, found %s", rel.name, jobs);
        return jobs.get(0);
    }

    /** A Deployment's revision of one of its ReplicaSets. */
    static int revision(Map<String, Object> rs) {
        return Integer.parseInt(Yaml.strings(rs, "metadata.annotations").getOrDefault("deployment.kubernetes.io/revision", "0"));
    }
}
