//SOURCES DbRevision.java
//SOURCES Diagnostics.java
//SOURCES ../kube/Helm.java
//SOURCES Installer.java
//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/Manifests.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ReleaseLock.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the migrations now, outside an install: the chart's own migration Job, rendered with
 * the values of the last deployed revision and running that revision's image (unless the
 * caller names another, e.g. migrate.java --tag), under a
 * unique name and without Helm's hook annotations. One at a time: never beside another
 * migration Job, and under the release's lock.
 */
final class Migrator {
    private Migrator() {}

    /** running: the Job had not finished when the wait ended. */
    record Outcome(String job, boolean succeeded, boolean running, String explanation) {}

    /** A failed run's Job stays this long for a look at it; a successful one is deleted once its logs are shown. */
    static final int KEEP_FAILED_SECONDS = 24 * 3600;

    static Outcome run(Release rel, List<String> extraSets, Duration timeout, Progress p) {
        var state = rel.state();
        if (!state.exists()) {
            throw new Problem.BadInput("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                    + "; install it first (jbang scripts/install.java)");
        }
        if (state.last().pending()) {
            String holder = ReleaseLock.holder(rel.kube, rel.namespace, rel.name);
            throw new Problem.Refused(holder != null ? "release " + rel.name + " is busy: " + holder : Installer.stuckMessage(rel, state));
        }
        var deployed = state.lastDeployed();
        if (deployed == null) throw new Problem.BadInput("release " + rel.name + " has no deployed revision (" + state.describe() + ")");
        if (deployed != state.last()) {
            p.info("the latest revision " + state.last().number() + " is " + state.last().status() + "; migrating with revision "
                    + deployed.number() + ", the last deployed one");
        }
        try (var lock = p.step("take the release's lock (Lease " + ReleaseLock.leaseName(rel.name) + ")",
                () -> ReleaseLock.acquire(rel.kube, rel.namespace, rel.name, "migrate.java " + rel.name))) {
            refuseIfRunning(rel);
            var m = p.step("render the migration Job of revision " + deployed.number(), () -> migration(rel, deployed, extraSets));
            var body = m.job();
            String name = Yaml.str(body, "metadata.name");
            String policy = m.policy() == null ? null : Yaml.str(m.policy(), "metadata.name");
            boolean[] created = {false};
            boolean[] owned = {false};
            var policyCleanup = Interrupts.onStop("remove the migration's NetworkPolicy", () -> {
                if (policy == null) return;
                if (!created[0]) {
                    System.err.println("stopping: " + removePolicy(rel, policy));
                    return;
                }
                if (!owned[0]) owned[0] = ownPolicy(rel, policy, name);
                System.err.println("stopping: NetworkPolicy " + policy + " stays while Job " + name + " runs"
                        + (owned[0] ? "; Kubernetes deletes it with the Job" : "; delete it after the Job: kubectl -n " + rel.namespace
                        + " delete networkpolicy " + policy));
            });
            try (policyCleanup) {
                // Before anything runs with the migration's labels (the preflight's probe pod, the Job): where the
                // chart isolates its hook Job, this run's pods are isolated the same way, and never without it.
                if (policy != null) {
                    p.step("create NetworkPolicy " + policy + " (the chart's hook policy for the migration pods, without its hook annotations)", () -> {
                        var r = rel.kube.runWithInput(Yaml.dump(m.policy()), "create", "-n", rel.namespace, "-f", "-");
                        if (!r.ok()) throw new Problem.Failed("could not create NetworkPolicy " + policy + ": " + r.said());
                    });
                }
                Outcome out = runJob(rel, body, timeout, p, () -> {
                    created[0] = true;
                    if (policy != null) owned[0] = ownPolicy(rel, policy, name);
                });
                if (policy != null) {
                    String note;
                    if (out.running()) {
                        note = "NetworkPolicy " + policy + " stays while Job " + name + " runs"
                                + (owned[0] ? "; Kubernetes deletes it with the Job" : "; delete it after the Job: kubectl -n " + rel.namespace
                                + " delete networkpolicy " + policy);
                    } else {
                        note = removePolicy(rel, policy);
                    }
                    p.info(note);
                }
                return out;
            } catch (RuntimeException e) {
                // Refused by the preflight, or the Job could not be created: nothing runs under the policy.
                if (policy != null && !created[0]) p.info(removePolicy(rel, policy));
                throw e;
            }
        }
    }

    /** Preflight, create, wait: the Job's part of run; onCreated runs once the Job exists. */
    private static Outcome runJob(Release rel, Map<String, Object> body, Duration timeout, Progress p, Runnable onCreated) {
        // An image whose migrations do not know the database's revision would only fail: refuse before creating anything.
        DbRevision.preflight(rel, body, "migrate", p);
        String name = Yaml.str(body, "metadata.name");
        String run = Yaml.strings(body, "metadata.labels").get("trevor.dev/migration-run");
        p.step("create Job " + name + " (image " + image(body) + ")", () -> {
            var r = rel.kube.runWithInput(Yaml.dump(body), "create", "-n", rel.namespace, "-f", "-");
            if (!r.ok()) throw new Problem.Failed("could not create Job " + name + ": " + r.said());
        });
        onCreated.run();
        String follow = "follow it with: kubectl -n " + rel.namespace + " logs -f job/" + name + "; stop it with: kubectl -n "
                + rel.namespace + " delete job " + name;
        boolean[] ok = {false};
        boolean[] done = {false};
        try (var stop = Interrupts.onStop("name the migration Job", () -> System.err.println(
                "stopping: migration Job " + name + " goes on running in the cluster; " + follow))) {
            p.step("wait for Job " + name + " (up to " + timeout.toSeconds() + " s)", () -> {
                // A watch, not a poll: a Job's first condition that turns True comes with its end
                // (Complete or Failed, or SuccessCriteriaMet/FailureTarget just before them).
                var w = rel.kube.run(timeout.plusSeconds(30), "wait", "job/" + name, "-n", rel.namespace,
                        "--for=jsonpath={.status.conditions[?(@.status==\"True\")].type}", "--timeout=" + timeout.toSeconds() + "s");
                Wait.until("Job " + name + " to be Complete or Failed", Duration.ofSeconds(w.ok() ? 15 : 1), () -> {
                    var j = rel.kube.get(rel.namespace, "job", name);
                    if (j == null) { done[0] = true; return null; }
                    if (Kube.conditionTrue(j, "Complete")) { ok[0] = true; done[0] = true; return null; }
                    if (Kube.conditionTrue(j, "Failed")) { done[0] = true; return null; }
                    return "active=" + Yaml.str(j, "status.active") + " failed=" + Yaml.str(j, "status.failed");
                });
            });
        } catch (IllegalStateException e) {
            p.info(e.getMessage());
        }
        String explanation = Diagnostics.explainJob(rel.kube, rel.namespace, "trevor.dev/migration-run=" + run);
        if (!done[0]) {
            explanation += "\n\nJob " + name + " is still running after " + timeout.toSeconds() + " s and goes on migrating; " + follow;
        } else if (ok[0]) {
            rel.kube.run("delete", "job", name, "-n", rel.namespace, "--cascade=background", "--wait=false");
            explanation += "\n\nJob " + name + " deleted now that its logs are shown";
        } else {
            explanation += "\n\nJob " + name + " is kept for " + KEEP_FAILED_SECONDS / 3600 + " h for a look at it";
        }
        return new Outcome(name, ok[0], !done[0], explanation);
    }

    /** Deletes this run's NetworkPolicy; says what happened, in a line for the user. */
    private static String removePolicy(Release rel, String policy) {
        var r = rel.kube.run("delete", "networkpolicy", policy, "-n", rel.namespace, "--ignore-not-found", "--wait=false");
        return r.ok() ? "NetworkPolicy " + policy + " deleted: no migration pod of this run runs any more"
                : "could not delete NetworkPolicy " + policy + " (" + Kube.firstLine(r.said()) + "): kubectl -n " + rel.namespace
                        + " delete networkpolicy " + policy;
    }

    /** Makes the Job the policy's owner, so that the policy goes with the Job (deleted, or by its TTL) whatever ends this run. */
    private static boolean ownPolicy(Release rel, String policy, String job) {
        var j = rel.kube.get(rel.namespace, "job", job);
        if (j == null) return false;
        String patch = "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"name\":\"" + job
                + "\",\"uid\":\"" + Yaml.str(j, "metadata.uid") + "\"}]}}";
        return rel.kube.run("patch", "networkpolicy", policy, "-n", rel.namespace, "--type", "merge", "-p", patch).ok();
    }

    /** A second migration beside a running one would race it on the database: the same refusal as install's and upgrade's. */
    private static void refuseIfRunning(Release rel) {
        Installer.refuseIfMigrationRuns(rel, false);
    }

    /** The chart's migration Job for this revision, as a plain Job of its own name. */
    private static Migration migration(Release rel, Release.Revision deployed, List<String> extraSets) {
        boolean imageAsked = extraSets.stream().anyMatch(s -> s.replaceFirst("^--set(-string|-literal)?[ =]", "").startsWith("image."));
        return migrationFor(rel, deployed, new Helm.Values(List.of(), extraSets, rel.userValues(deployed.number())), !imageAsked);
    }

    /**
     * The chart's migration Job for these values (whether they run it as a hook or as init
     * containers), under a name of its own, with the deployed API's ServiceAccount and, when
     * pinDeployedImage, the deployed API's image.
     */
    static Map<String, Object> jobFor(Release rel, Release.Revision deployed, Helm.Values values, boolean pinDeployedImage) {
        return migrationFor(rel, deployed, values, pinDeployedImage).job();
    }

    /**
     * The migration's objects, as migrate.java creates them: the Job, and the hook
     * NetworkPolicy that selects its pods (null when the values render none, policies off).
     * Without that policy an on-demand migration would run unisolated where the chart's hook
     * runs under it.
     */
    record Migration(Map<String, Object> job, Map<String, Object> policy) {}

    static Migration migrationFor(Release rel, Release.Revision deployed, Helm.Values values, boolean pinDeployedImage) {
        var sets = new ArrayList<>(values.sets());
        // After the caller's values: a hook Job renders whichever way these values migrate.
        sets.addAll(List.of("migrations.hookEnabled=true", "migrations.enabled=false"));
        var render = rel.render(new Helm.Values(values.files(), sets, values.stdin()));
        if (!render.ok()) throw new Problem.BadInput("the chart refuses these values: " + render.said());
        var selected = select(Manifests.parse(render.out()), runId(LocalDateTime.now()));
        var body = selected.job();
        var spec = new LinkedHashMap<String, Object>(Yaml.map(body, "spec"));
        var template = new LinkedHashMap<String, Object>(Yaml.map(spec, "template"));
        var podSpec = new LinkedHashMap<String, Object>(Yaml.map(template, "spec"));
        // The hook's own ServiceAccount exists only around hooks; the release's always does.
        var api = apiDeployment(rel, deployed);
        if (api != null) {
            podSpec.put("serviceAccountName", Yaml.str(api, "spec.template.spec.serviceAccountName"));
        }
        if (api != null && pinDeployedImage) {
            // The code that is deployed, whatever the chart in this checkout would default to.
            String image = Yaml.str(Yaml.maps(Yaml.at(api, "spec.template.spec"), "containers").get(0), "image");
            var containers = new ArrayList<Map<String, Object>>();
            for (var c : Yaml.maps(podSpec, "containers")) {
                var copy = new LinkedHashMap<>(c);
                copy.put("image", image);
                containers.add(copy);
            }
            podSpec.put("containers", containers);
        }
        template.put("spec", podSpec);
        spec.put("template", template);
        body.put("spec", spec);
        return new Migration(body, selected.policy());
    }

    /**
     * From a render with the hook on: the hook Job and the hook NetworkPolicies whose
     * podSelector selects its pods, each under a name of its own (NAME-RUN), labelled with the
     * run, and without Helm's hook annotations (Helm must not own or delete them). More than one
     * selecting policy is refused: migrate.java creates and removes exactly one.
     */
    static Migration select(List<Manifests.Obj> objs, String run) {
        var job = Manifests.ofKind(objs, "Job").stream().filter(Manifests.Obj::isHook).findFirst()
                .orElseThrow(() -> new Problem.Failed("the chart rendered no migration Job"));
        var podLabels = job.podLabels();
        var policies = Manifests.ofKind(objs, "NetworkPolicy").stream().filter(Manifests.Obj::isHook)
                .filter(np -> selects(np, podLabels)).toList();
        if (policies.size() > 1) {
            throw new Problem.Failed("the chart rendered " + policies.size() + " hook NetworkPolicies for the migration Job's pods ("
                    + String.join(", ", policies.stream().map(Manifests.Obj::name).toList()) + "); migrate.java applies one");
        }
        var body = asRun(job, run);
        var spec = new LinkedHashMap<String, Object>(Yaml.map(body, "spec"));
        spec.put("ttlSecondsAfterFinished", KEEP_FAILED_SECONDS);
        body.put("spec", spec);
        return new Migration(body, policies.isEmpty() ? null : asRun(policies.get(0), run));
    }

    /** Whether a NetworkPolicy's podSelector (matchLabels only, as the chart writes them) selects pods with these labels. */
    static boolean selects(Manifests.Obj policy, Map<String, String> podLabels) {
        if (Yaml.at(policy.body(), "spec.podSelector.matchExpressions") != null) return false;
        var match = Yaml.strings(policy.body(), "spec.podSelector.matchLabels");
        return match.entrySet().stream().allMatch(e -> e.getValue().equals(podLabels.get(e.getKey())));
    }

    /** A copy of a hook object as this run's own: NAME-RUN (the name cut to 42), the run's label, no hook annotations. */
    private static Map<String, Object> asRun(Manifests.Obj o, String run) {
        String base = o.name().length() > 42 ? o.name().substring(0, 42) : o.name();
        var body = new LinkedHashMap<>(o.body());
        var meta = new LinkedHashMap<String, Object>(Yaml.map(body, "metadata"));
        meta.put("name", base + "-" + run);
        meta.remove("annotations"); // not a hook: Helm must not own or delete it
        var labels = new LinkedHashMap<String, Object>(Yaml.map(meta, "labels"));
        labels.put("trevor.dev/migration-run", run);
        meta.put("labels", labels);
        body.put("metadata", meta);
        return body;
    }

    /** The API Deployment as the revision deployed it. */
    private static Map<String, Object> apiDeployment(Release rel, Release.Revision deployed) {
        var m = rel.manifest(deployed.number());
        if (!m.ok()) return null;
        return Manifests.parse(m.out()).stream().filter(o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component")))
                .map(Manifests.Obj::body).findFirst().orElse(null);
    }

    /** Unique to the run, with the year, and short enough for the job-name pod label (63): 20261127-141512-3fa9. */
    static String runId(LocalDateTime now) {
        // Random draws of 16 bits collide within a second (1 in 200 for 20 ids); a random start
        // and a counter cannot, for the 65,536 ids a process could ask for in one second.
        int n = (START + COUNTER.getAndIncrement()) & 0xffff;
        return now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + String.format("%04x", n);
    }

    private static final int START = new SecureRandom().nextInt(0x10000);
    private static final java.util.concurrent.atomic.AtomicInteger COUNTER = new java.util.concurrent.atomic.AtomicInteger();

    private static String image(Map<String, Object> job) {
        return Yaml.str(Yaml.maps(Yaml.at(job, "spec.template.spec"), "containers").get(0), "image");
    }
}
