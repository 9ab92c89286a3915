//SOURCES ../tools/Exec.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/Manifests.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The database's Alembic revision, as the app's own image sees it: Alembic in that image asks
 * the database with the image's own migrations, so the answer holds in any cluster the chart
 * runs in (no psql, no address of the dev PostgreSQL). An image whose migrations do not know
 * the database's revision (the older image after a rollback) cannot run its migrations:
 * Alembic stops with "Can't locate revision identified by '0002'".
 */
final class DbRevision {
    private DbRevision() {}

    enum Kind {
        /** At a revision the image knows, and it is one of the image's heads. */
        HEAD,
        /** At a revision the image knows, older than its head: its migrations have not run. */
        BEHIND,
        /** No revision recorded: no alembic_version table, or an empty one (a new or emptied database). */
        EMPTY,
        /** At a revision the image's migrations do not know: its code is older than the schema. */
        UNKNOWN,
        /** Alembic failed for another reason (no database, bad URL…): the output says why. */
        UNREADABLE
    }

    record Reading(Kind kind, String revision, String output) {
        String describe() {
            return switch (kind) {
                case HEAD -> "at revision " + revision + ", the image's head";
                case BEHIND -> "at revision " + revision + ", older than the image's head";
                case EMPTY -> "empty: no Alembic revision recorded (no alembic_version table or no row in it)";
                case UNKNOWN -> "at revision " + revision + ", which the image's migrations do not know";
                case UNREADABLE -> "unreadable: " + Text.lastLines(output, 6);
            };
        }
    }

    private static final Pattern UNKNOWN_REVISION = Pattern.compile("Can't locate revision identified by '([^']+)'");
    /** What `alembic current` and `alembic heads` print per revision: "0002 (head)", "0001", "ae10 (effective head) (mergepoint)". */
    private static final Pattern REVISION_LINE = Pattern.compile("^([0-9A-Za-z_]+)((?: \\([a-z ]+\\))*)$");

    /** `alembic current`'s exit code and output (stdout and stderr together, as a pod's log). */
    static Reading parseCurrent(int exit, String output) {
        var m = UNKNOWN_REVISION.matcher(output);
        if (m.find()) return new Reading(Kind.UNKNOWN, m.group(1), output);
        if (exit != 0) return new Reading(Kind.UNREADABLE, null, output);
        var revs = revisionLines(output);
        if (revs.isEmpty()) return new Reading(Kind.EMPTY, null, output);
        var head = revs.stream().filter(l -> l[1].contains("(head)") || l[1].contains("(effective head)")).findFirst();
        return head.map(h -> new Reading(Kind.HEAD, h[0], output)).orElseGet(() -> new Reading(Kind.BEHIND, revs.get(0)[0], output));
    }

    /** `alembic heads`: the newest revisions the image's migrations carry (none when it failed). */
    static List<String> parseHeads(int exit, String output) {
        if (exit != 0) return List.of();
        return revisionLines(output).stream().map(l -> l[0]).toList();
    }

    private static List<String[]> revisionLines(String output) {
        var out = new ArrayList<String[]>();
        for (String l : output.split("\n")) {
            var m = REVISION_LINE.matcher(l.strip());
            if (m.matches()) out.add(new String[] {m.group(1), m.group(2)});
        }
        return out;
    }

    /**
     * The migration command with Alembic's subcommand replaced (e.g. `uv run alembic upgrade head`
     * → `uv run alembic current`), or null when the command does not run Alembic in a way that
     * can be rewritten: then nothing can be asked.
     */
    static List<String> alembic(List<String> migrationCommand, String... subcommand) {
        if (migrationCommand == null) return null;
        for (int i = 0; i < migrationCommand.size(); i++) {
            String t = migrationCommand.get(i);
            if (t.equals("alembic") || t.endsWith("/alembic")) {
                var out = new ArrayList<>(migrationCommand.subList(0, i + 1));
                // Global options before the subcommand (-c alembic.ini, -n name, -x key=value) stay.
                int j = i + 1;
                while (j + 1 < migrationCommand.size() && List.of("-c", "--config", "-n", "--name", "-x").contains(migrationCommand.get(j))) {
                    out.add(migrationCommand.get(j));
                    out.add(migrationCommand.get(j + 1));
                    j += 2;
                }
                out.addAll(List.of(subcommand));
                return out;
            }
        }
        return null;
    }

    /** The tag of an image reference ("trevor:2.0.0" → 2.0.0), or null for a digest or no tag. */
    static String tag(String image) {
        if (image == null || image.contains("@")) return null;
        int colon = image.lastIndexOf(':');
        return colon > image.lastIndexOf('/') ? image.substring(colon + 1) : null;
    }

    /** The flags that name this release for a printed command: the context always, namespace and release when not the defaults. */
    static String target(String context, String namespace, String release) {
        return "--context " + context + ("trevor".equals(namespace) ? "" : " -n " + namespace) + ("trevor".equals(release) ? "" : " --release " + release);
    }

    /**
     * The way out when {@code image}'s migrations do not know {@code revision}: go forward to an
     * image that knows it, or downgrade the database with Alembic from that image (migrate.java
     * runs the chart's migration Job with any command). newerImage/olderHead may be null (unknown).
     */
    static String wayOut(String target, String revision, String image, List<String> migrationCommand, String newerImage, String olderHead) {
        String newerTag = tag(newerImage);
        String tagArg = newerTag != null ? newerTag : "<a tag whose image knows " + revision + ">";
        String to = olderHead != null ? olderHead : "<a revision " + image + " knows>";
        var down = alembic(migrationCommand, "downgrade", to);
        String set = down == null ? "migrations.command={uv,run,alembic,downgrade," + to + "}" : "migrations.command={" + String.join(",", down) + "}";
        return "Either upgrade to " + (newerImage != null ? newerImage + " (the image that last migrated the database) or a newer one"
                        : "an image that knows " + revision)
                + " (./jbang scripts/upgrade.java " + target + " --tag " + tagArg + "), or downgrade the database to a revision " + image
                + " knows, with Alembic from " + (newerImage != null ? newerImage : "that newer image") + ": ./jbang scripts/migrate.java " + target
                + " --tag " + tagArg + " --set '" + set + "'";
    }

    /**
     * The newest original revision (never a rollback's copy) whose migration hook Job succeeded:
     * its image decides the schema. Null when none is on record.
     */
    static Release.Revision lastMigrated(Release rel, Release.State state) {
        var revs = state.revisions();
        for (int i = revs.size() - 1; i >= 0; i--) {
            var r = revs.get(i);
            if (origin(state, r) != r) continue;
            if (rel.hookRuns(r.number()).stream().anyMatch(h -> "Job".equals(h.kind()) && "Succeeded".equals(h.phase()))) return r;
        }
        return null;
    }

    /**
     * The revision whose contents a revision holds: Helm's rollback makes a new revision, "Rollback
     * to N", that copies N, hook records included, though it ran no hook.
     */
    static Release.Revision origin(Release.State state, Release.Revision r) {
        var seen = new HashSet<Integer>();
        while (seen.add(r.number())) {
            var m = Pattern.compile("^Rollback to (\\d+)").matcher(r.description());
            if (!m.find()) return r;
            int n = Integer.parseInt(m.group(1));
            var next = state.revisions().stream().filter(x -> x.number() == n).findFirst();
            if (next.isEmpty()) return r;
            r = next.get();
        }
        return r;
    }

    /** The API container's image in a revision's manifest, or null. */
    static String apiImage(Release rel, int revision) {
        var m = rel.manifest(revision);
        if (!m.ok()) return null;
        return Manifests.parse(m.out()).stream().filter(o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component")))
                .map(o -> Yaml.str(Yaml.maps(o.podSpec(), "containers").get(0), "image")).findFirst().orElse(null);
    }

    /** The image of the revision that last migrated the database, from Helm's records (null: none on record). */
    static String schemaImage(Release rel) {
        var r = lastMigrated(rel, rel.state());
        return r == null ? null : apiImage(rel, r.number());
    }

    /** The container's command line (command, then args). */
    static List<String> commandOf(Map<String, Object> container) {
        var out = new ArrayList<String>();
        Yaml.list(container, "command").forEach(o -> out.add(String.valueOf(o)));
        Yaml.list(container, "args").forEach(o -> out.add(String.valueOf(o)));
        return out;
    }

    /**
     * upgrade's and migrate's preflight: asks Alembic in the migration Job's own image for the
     * database's revision, and refuses (nothing changed) when the image does not know it. When
     * it cannot ask (kwok runs no container, the image does not start…) it says so and lets the
     * caller go on: only Alembic's own "Can't locate revision" refuses.
     */
    static Reading preflight(Release rel, Map<String, Object> job, String verb, Progress p) {
        var container = Yaml.maps(Yaml.at(job, "spec.template.spec"), "containers").get(0);
        String image = Yaml.str(container, "image");
        var command = commandOf(container);
        var current = alembic(command, "current");
        if (current == null) {
            p.info("INFO: database revision NOT checked: the migration command " + command + " does not run alembic, so it cannot be asked");
            return null;
        }
        var run = p.step("read the database's Alembic revision with " + image + " (" + String.join(" ", current) + " in a pod of the migration Job)",
                () -> runAsMigrationPod(rel.kube, rel.namespace, job, current, probeId(), PROBE_TIMEOUT));
        if (!run.ran()) {
            p.info("INFO: database revision NOT checked: " + run.why() + "; " + verb + " goes on without that check");
            return null;
        }
        var reading = parseCurrent(run.exit(), run.log());
        if (reading.kind() != Kind.UNKNOWN) {
            p.info("the database is " + reading.describe() + " (as " + image + " sees it)");
            return reading;
        }
        String head = p.step("read the newest revision " + image + " knows (alembic heads)", () -> headOf(rel, job));
        String newer = schemaImage(rel);
        throw new Problem.Refused(refusal(verb, reading.revision(), image, target(rel.kube.context, rel.namespace, rel.name), command,
                newer == null || newer.equals(image) ? null : newer, head));
    }

    /** The Job with its container running this image instead (null or "image unknown": as it is). */
    static Map<String, Object> withImage(Map<String, Object> job, String image) {
        if (image == null || image.equals("image unknown")) return job;
        var body = new LinkedHashMap<>(job);
        var spec = new LinkedHashMap<String, Object>(Yaml.map(body, "spec"));
        var template = new LinkedHashMap<String, Object>(Yaml.map(spec, "template"));
        var podSpec = new LinkedHashMap<String, Object>(Yaml.map(template, "spec"));
        var containers = new ArrayList<Map<String, Object>>();
        for (var c : Yaml.maps(podSpec, "containers")) containers.add(new LinkedHashMap<>(c));
        containers.get(0).put("image", image);
        podSpec.put("containers", containers);
        template.put("spec", podSpec);
        spec.put("template", template);
        body.put("spec", spec);
        return body;
    }

    /** The newest revision the migration Job's image carries (`alembic heads` reads no database), or null when it cannot be asked. */
    static String headOf(Release rel, Map<String, Object> job) {
        var container = Yaml.maps(Yaml.at(job, "spec.template.spec"), "containers").get(0);
        var heads = alembic(commandOf(container), "heads");
        if (heads == null) return null;
        var h = runAsMigrationPod(rel.kube, rel.namespace, job, heads, probeId(), PROBE_TIMEOUT);
        var found = h.ran() ? parseHeads(h.exit(), h.log()) : List.<String>of();
        return found.isEmpty() ? null : found.get(0);
    }

    /** The refusal, in full sentences, with both ways out. */
    static String refusal(String verb, String revision, String image, String target, List<String> command, String newerImage, String olderHead) {
        return verb + " refused before any change: the database is at Alembic revision " + revision + ", which the migrations of " + image
                + " do not know (Alembic: \"Can't locate revision identified by '" + revision + "'\"), as after a rollback to an older image. "
                + "Its migration would fail on every attempt, and its code is older than the schema. " + wayOut(target, revision, image, command, newerImage, olderHead) + ".";
    }

    /** How long a probe pod may stay in one state (its ceiling is four times that). */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(90);

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private static String probeId() { return String.format("%06x", RANDOM.nextInt(0x1000000)); }

    /**
     * status's check: asks Alembic inside a ready API pod (the running image, its env and
     * Secrets), so it holds in any cluster. Passes only at the image's head; the reading is
     * returned for status to show.
     */
    static Reading checkRunning(Release rel, List<String> migrationCommand) {
        var kube = rel.kube;
        var current = alembic(migrationCommand, "current");
        if (current == null) throw new Report.Skipped("the migration command " + migrationCommand + " does not run alembic: nothing to ask");
        var deps = kube.list(rel.namespace, "deployments", rel.selector("api"));
        String want = deps.isEmpty() ? null : Yaml.str(Yaml.maps(Yaml.at(deps.get(0), "spec.template.spec"), "containers").get(0), "image");
        var pods = kube.list(rel.namespace, "pods", rel.selector("api")).stream()
                .filter(pod -> Yaml.at(pod, "metadata.deletionTimestamp") == null && Kube.conditionTrue(pod, "Ready")).toList();
        Report.expect(!pods.isEmpty(), "cannot read the database's revision: no ready API pod of release %s to ask", rel.name);
        var pod = pods.stream().filter(x -> want == null || want.equals(containerOf(x).get("image"))).findFirst().orElse(pods.get(0));
        String name = Yaml.str(pod, "metadata.name");
        String node = Yaml.str(pod, "spec.nodeName");
        if (node != null && simulated(kube, node)) {
            throw new Report.Info("not observed: API pod " + name + " is on node " + node + ", which kwok simulates (no container runs there), "
                    + "so the database's Alembic revision cannot be read on this cluster; on a real node this check asks `alembic current` in the pod");
        }
        String container = String.valueOf(containerOf(pod).get("name"));
        String image = String.valueOf(containerOf(pod).get("image"));
        var r = exec(kube, rel.namespace, name, container, current);
        var reading = parseCurrent(r.exit(), r.out() + "\n" + r.err());
        String target = target(kube.context, rel.namespace, rel.name);
        switch (reading.kind()) {
            case HEAD -> { return reading; }
            case UNKNOWN -> {
                var h = exec(kube, rel.namespace, name, container, alembic(migrationCommand, "heads"));
                var heads = parseHeads(h.exit(), h.out());
                String newer = schemaImage(rel);
                Report.fail("the database is at Alembic revision %s, which the running image %s does not know (Alembic: \"Can't locate revision "
                                + "identified by '%s'\"), as after a rollback: its code is older than the schema, and upgrade.java and migrate.java "
                                + "refuse its migrations. %s", reading.revision(), image, reading.revision(),
                        wayOut(target, reading.revision(), image, migrationCommand, newer == null || newer.equals(image) ? null : newer,
                                heads.isEmpty() ? null : heads.get(0)));
            }
            case EMPTY -> Report.fail("the database is empty: no Alembic revision (alembic current in %s printed none: no alembic_version table), "
                    + "but %s runs against it. Its data was lost or never migrated (the dev PostgreSQL keeps its data in an emptyDir: a restart "
                    + "or drain of its pod empties it). Migrate it: ./jbang scripts/migrate.java %s", name, image, target);
            case BEHIND -> Report.fail("the database is at Alembic revision %s, older than the head of the running image %s: its migrations have "
                    + "not run. Migrate it: ./jbang scripts/migrate.java %s", reading.revision(), image, target);
            case UNREADABLE -> Report.fail("%s in pod %s failed (exit %d): %s", String.join(" ", current), name, r.exit(), Text.lastLines(r.out() + "\n" + r.err(), 8));
        }
        return reading;
    }

    private static Map<String, Object> containerOf(Map<String, Object> pod) {
        return Yaml.maps(Yaml.at(pod, "spec"), "containers").get(0);
    }

    static final Duration EXEC_TIMEOUT = Duration.ofMinutes(4);

    private static Exec.Result exec(Kube kube, String namespace, String pod, String container, List<String> command) {
        var args = new ArrayList<>(List.of("exec", pod, "-n", namespace, "-c", container, "--"));
        args.addAll(command);
        // alembic answers in seconds; a starved real node has taken over a minute to run it.
        return kube.run(EXEC_TIMEOUT, args.toArray(String[]::new));
    }

    // ---- asking the cluster ----

    /** What a short-lived pod of the image did. ran: it ran to its end (exit and log are its own); otherwise why not. */
    record Run(boolean ran, boolean simulated, int exit, String log, String why) {
        static Run simulated(String node) {
            return new Run(false, true, -1, "", "the pod went to node " + node + ", which kwok simulates: no container ran there, "
                    + "so the database's revision cannot be observed on this cluster");
        }
        static Run notRun(String why) { return new Run(false, false, -1, "", why); }
    }

    private static final Set<String> CANNOT_START = Set.of("ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError", "RunContainerError");
    static final String PROBE_LABEL = "trevor.dev/alembic-probe";

    /**
     * Runs {@code command} once as a bare pod made from the chart's migration Job {@code job}
     * (same image, env, Secrets, ServiceAccount, security context and labels, so the same
     * NetworkPolicies and Pod Security apply), reads its log and exit code, and deletes it.
     */
    static Run runAsMigrationPod(Kube kube, String namespace, Map<String, Object> job, List<String> command, String runId, Duration timeout) {
        var template = Yaml.map(Yaml.map(job, "spec"), "template");
        var podSpec = new LinkedHashMap<String, Object>(Yaml.map(template, "spec"));
        var containers = new ArrayList<Map<String, Object>>();
        for (var c : Yaml.maps(podSpec, "containers")) containers.add(new LinkedHashMap<>(c));
        containers.get(0).put("command", command);
        containers.get(0).remove("args");
        podSpec.put("containers", containers);
        podSpec.put("restartPolicy", "Never");
        podSpec.put("activeDeadlineSeconds", Math.max(30, timeout.multipliedBy(4).toSeconds()));
        String base = Yaml.str(job, "metadata.name");
        String name = (base.length() > 40 ? base.substring(0, 40) : base) + "-rev-" + runId;
        var labels = new LinkedHashMap<String, Object>(Yaml.strings(template, "metadata.labels"));
        labels.remove("trevor.dev/migration-run"); // migrate.java's diagnostics select its Job's pods by it
        labels.put(PROBE_LABEL, runId);
        var pod = new LinkedHashMap<String, Object>();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        pod.put("metadata", new LinkedHashMap<>(Map.of("name", name, "labels", labels)));
        pod.put("spec", podSpec);
        var created = kube.runWithInput(Yaml.dump(pod), "create", "-n", namespace, "-f", "-");
        if (!created.ok()) return Run.notRun("could not create pod " + name + ": " + created.said());
        try {
            return await(kube, namespace, name, timeout);
        } finally {
            kube.run("delete", "pod", name, "-n", namespace, "--wait=false", "--ignore-not-found");
        }
    }

    private static Run await(Kube kube, String namespace, String name, Duration timeout) {
        // The limit follows the pod: a starved node that pulls, creates and runs it slowly keeps
        // moving (phase, container state, node), and only a pod stuck in one state for a
        // whole stall, or one past the ceiling, counts as "did not finish".
        String[] checkedNode = {null};
        Run[] out = {null};
        try {
            Wait.whileMoving("probe pod " + name, timeout, timeout.multipliedBy(4), null, () -> {
                var pod = kube.get(namespace, "pod", name);
                if (pod == null) { out[0] = Run.notRun("pod " + name + " disappeared"); return null; }
                String node = Yaml.str(pod, "spec.nodeName");
                if (node != null && !node.equals(checkedNode[0])) {
                    if (simulated(kube, node)) { out[0] = Run.simulated(node); return null; }
                    checkedNode[0] = node;
                }
                String phase = Yaml.str(pod, "status.phase");
                var statuses = Yaml.maps(pod, "status.containerStatuses");
                if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                    String exit = statuses.isEmpty() ? null : Yaml.str(statuses.get(0), "state.terminated.exitCode");
                    var logs = kube.run("logs", name, "-n", namespace);
                    out[0] = exit == null ? Run.notRun("pod " + name + " ended " + phase + " without a container exit code: " + Yaml.at(pod, "status"))
                            : new Run(true, false, Integer.parseInt(exit), logs.out() + logs.err(), null);
                    return null;
                }
                String state = null;
                if (!statuses.isEmpty()) {
                    String reason = Yaml.str(statuses.get(0), "state.waiting.reason");
                    if (reason != null && CANNOT_START.contains(reason)) {
                        out[0] = Run.notRun("pod " + name + " cannot start: " + reason + ": " + Yaml.str(statuses.get(0), "state.waiting.message"));
                        return null;
                    }
                    state = reason != null ? reason : Yaml.at(statuses.get(0), "state.running") != null ? "running" : null;
                }
                var scheduled = Kube.condition(pod, "PodScheduled");
                return "phase " + phase + (node == null ? "" : " on " + node) + (state == null ? "" : ", container " + state)
                        + (scheduled != null && "False".equals(scheduled.get("status")) ? ", not scheduled: " + scheduled.get("message") : "");
            });
        } catch (Problem.Failed e) {
            return Run.notRun("pod " + name + " did not finish: " + e.getMessage());
        }
        return out[0];
    }

    /** A node kwok-controller plays: pods "run" there without a container. */
    static boolean simulated(Kube kube, String node) {
        var n = kube.get(null, "node", node);
        return n != null && "fake".equals(Yaml.strings(n, "metadata.annotations").get("kwok.x-k8s.io/node"));
    }
}
