//SOURCES Helm.java
//SOURCES Kube.java
//SOURCES Release.java
//SOURCES Report.java
//SOURCES Yaml.java

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
    static final java.util.List<String> NAMES = java.util.List.of(RELEASE_DEPLOYED, DRY_RUN, PODS_READY, MIGRATION_JOB, PDB_EXISTS, PDB_HEALTHY, HPA, NETWORK_POLICIES, ENDPOINTS, NOTES, POD_SECURITY);

    private final Release rel;
    private final Kube kube;
    private final Report report;
    private final String tag; // a label for check names, e.g. "after install"

    LiveChecks(Release rel, Report report, String tag) {
        this.rel = rel;
        this.kube = rel.kube;
        this.report = report;
        this.tag = tag;
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
                try {
                    Kube.waitFor("PDB " + n + " status", Duration.ofSeconds(30), () -> {
                        var cur = kube.get(rel.namespace, "poddisruptionbudget", n);
                        var st = Yaml.map(cur, "status");
                        last[0] = String.valueOf(st);
                        if (!String.valueOf(Yaml.at(cur, "metadata.generation")).equals(String.valueOf(st.get("observedGeneration")))) return "not observed yet";
                        int expected = intOf(st.get("expectedPods"));
                        int desired = intOf(st.get("desiredHealthy"));
                        int current = intOf(st.get("currentHealthy"));
                        return expected > 0 && current >= desired && current == expected ? null : "status " + st;
                    });
                } catch (IllegalStateException e) {
                    Report.fail("PDB %s: %s", n, last[0]);
                }
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
        report.check(name(NETWORK_POLICIES), context(), () -> {
            var nps = kube.list(rel.namespace, "networkpolicies", "app.kubernetes.io/instance=" + rel.name);
            Report.expect(nps.isEmpty() != netpol, "networkPolicy.enabled=%s but %d NetworkPolicies found", netpol, nps.size());
        });
        report.check(name(ENDPOINTS), context(), () -> {
            var pods = kube.list(rel.namespace, "pods", rel.selector("api")).stream().filter(LiveChecks::ready).count();
            String[] seen = {""};
            try {
                Kube.waitFor("endpoints", Duration.ofSeconds(30), () -> {
                    long ready = 0;
                    for (var slice : kube.list(rel.namespace, "endpointslices", "kubernetes.io/service-name=" + serviceName())) {
                        for (var ep : Yaml.maps(slice, "endpoints")) if (!Boolean.FALSE.equals(Yaml.at(ep, "conditions.ready"))) ready++;
                    }
                    seen[0] = ready + " ready endpoints";
                    return ready == pods && pods > 0 ? null : seen[0];
                });
            } catch (IllegalStateException e) {
                Report.fail("expected %d ready endpoints, found %s", pods, seen[0]);
            }
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
    }

    private String serviceName() {
        var svcs = kube.list(rel.namespace, "services", rel.selector("api"));
        Report.expect(svcs.size() == 1, "expected one API Service, found %d", svcs.size());
        return Yaml.str(svcs.get(0), "metadata.name");
    }

    private void podsReady() {
        String[] last = {""};
        try {
            Kube.waitFor("pods", Duration.ofSeconds(60), () -> {
                var pods = kube.list(rel.namespace, "pods", "app.kubernetes.io/instance=" + rel.name);
                var bad = new ArrayList<String>();
                int serving = 0;
                for (var p : pods) {
                    if (Yaml.at(p, "metadata.deletionTimestamp") != null) continue; // on its way out after a rollout
                    String phase = Yaml.str(p, "status.phase");
                    boolean job = "migrate".equals(Kube.labelsOf(p).get("app.kubernetes.io/component"));
                    if (job) {
                        if (!"Succeeded".equals(phase)) bad.add(Yaml.str(p, "metadata.name") + " " + phase);
                    } else if (!"Running".equals(phase) || !ready(p)) {
                        bad.add(Yaml.str(p, "metadata.name") + " " + phase + (ready(p) ? "" : " not ready"));
                    } else {
                        serving++;
                    }
                }
                last[0] = bad.isEmpty() ? serving + " pods" : String.join(", ", bad);
                return bad.isEmpty() && serving > 0 ? null : last[0];
            });
        } catch (IllegalStateException e) {
            Report.fail("not every pod is Running and Ready: %s", last[0]);
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
