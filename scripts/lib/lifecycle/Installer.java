//SOURCES Diagnostics.java
//SOURCES EnvFile.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES HookLogs.java
//SOURCES ../kube/InputFile.java
//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/Manifests.java
//SOURCES ../kube/Namespaces.java
//SOURCES PodTrouble.java
//SOURCES PodWatch.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ReleaseLock.java
//SOURCES Secrets.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Installs or upgrades the release with its prerequisites: a namespace that enforces Pod
 * Security "restricted" and the Secrets that envFromSecrets names. Every input (values, env
 * files, names, timeout, namespace policy, release state) is checked before the first change
 * to the cluster; the changes then run under the release's lock (a Lease), and an interrupt
 * leaves a state the next run can finish.
 */
final class Installer {
    private Installer() {}

    /** Helm stores a release, its values included, in one Secret of at most 1 MiB: a bigger values file can never deploy. */
    static final long VALUES_MAX = InputFile.MIB;
    static final String VALUES_WHY = "Helm keeps a release, values included, in one Secret of at most 1 MiB";

    /** What to do with an existing namespace whose Pod Security labels are not "restricted". */
    enum NamespaceLabels { REFUSE, RELABEL, KEEP }

    /** A Secret's contents from an env file; secret null: the one Secret envFromSecrets names. */
    record EnvSource(String secret, Path file) {
        /** "FILE" or "SECRET=FILE", as --env-file takes it. */
        static EnvSource parse(String arg) {
            int eq = arg.indexOf('=');
            if (eq > 0 && arg.substring(0, eq).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") && !Files.exists(Path.of(arg))) {
                return new EnvSource(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
            }
            return new EnvSource(null, Path.of(arg));
        }

        String describe() { return (secret == null ? "" : secret + "=") + file; }
    }

    /** What the user asked for. */
    record Options(List<Path> valuesFiles, List<String> sets, String tag, List<EnvSource> envFiles, boolean devSecrets,
                   Duration timeout, boolean rollback, NamespaceLabels namespaceLabels, boolean recover, String deployedValues) {
        static Options of(List<Path> valuesFiles, List<String> sets, Duration timeout) {
            return new Options(valuesFiles, sets, null, List.of(), true, timeout, true, NamespaceLabels.REFUSE, false, null);
        }

        Options withTag(String newTag) {
            return new Options(valuesFiles, sets, newTag, envFiles, devSecrets, timeout, rollback, namespaceLabels, recover, deployedValues);
        }

        /** These options with more --set values after their own. */
        Options withSets(List<String> more) {
            var s = new ArrayList<>(sets);
            s.addAll(more);
            return new Options(valuesFiles, List.copyOf(s), tag, envFiles, devSecrets, timeout, rollback, namespaceLabels, recover, deployedValues);
        }

        /** The values an upgrade keeps: what the release was installed with goes under the new ones. */
        Options onTopOf(String deployedYaml) {
            return new Options(valuesFiles, sets, tag, envFiles, devSecrets, timeout, rollback, namespaceLabels, recover, deployedYaml);
        }

        Options with(NamespaceLabels labels, boolean recoverStuck) {
            return new Options(valuesFiles, sets, tag, envFiles, devSecrets, timeout, rollback, labels, recoverStuck, deployedValues);
        }

        /**
         * Every file named is a regular file within its limit, checked before anything else
         * runs: a FIFO, /dev/zero or a directory would hang or exhaust a reader, and helm would
         * render a huge values file for minutes.
         */
        void checkFiles() {
            for (Path f : valuesFiles) InputFile.check("-f", f, VALUES_MAX, VALUES_WHY);
            for (var e : envFiles) InputFile.check("--env-file", e.file(), EnvFile.MAX_FILE_BYTES, EnvFile.FILE_WHY);
        }

        /**
         * The pod templates of the API and the worker carry a checksum of the Secrets they read:
         * new Secret contents change the template, so Kubernetes replaces the pods that read the old ones.
         */
        Options withSecretsChecksum(String checksum) {
            if (checksum == null) return this;
            var s = new ArrayList<>(sets);
            s.add("--set-string podAnnotations." + CHECKSUM_KEY + "=" + checksum);
            s.add("--set-string worker.podAnnotations." + CHECKSUM_KEY + "=" + checksum);
            return new Options(valuesFiles, s, tag, envFiles, devSecrets, timeout, rollback, namespaceLabels, recover, deployedValues);
        }

        /**
         * The tag goes in with --set-literal: a tag like 20240101 stays a string, and a comma
         * stays in the tag (with --set-string, `1.0,networkPolicy.enabled=false` would set two
         * values), so the schema's image.tag pattern, the one rule for tags, judges all of it.
         */
        Helm.Values values() {
            var s = new ArrayList<>(sets);
            if (tag != null) s.add("--set-literal image.tag=" + tag);
            return new Helm.Values(valuesFiles, s, deployedValues);
        }
    }

    /** A Secret the release needs, and where its contents come from. */
    record SecretPlan(String name, String source, Map<String, String> data) {
        /** Kept as it is in the cluster: no env file names it. */
        boolean keep() { return data == null; }
    }

    /** What preflight found: the rendered objects, the namespace to create or relabel, the Secrets. */
    record Plan(List<Manifests.Obj> objects, boolean createNamespace, Map<String, String> relabel, List<SecretPlan> secrets,
                Release.State state) {}

    /** Everything that can be wrong with the input or the release, found without changing anything. */
    static Plan preflight(Release rel, Options o) {
        for (Path f : o.valuesFiles()) {
            String text = InputFile.readString("-f", f, VALUES_MAX, VALUES_WHY);
            try {
                Yaml.loadMap(text);
            } catch (Yaml.Invalid e) {
                throw new Problem.BadInput("values file " + f + " is not valid YAML: " + e.getMessage());
            }
        }
        if (Namespaces.SYSTEM.contains(rel.namespace)) {
            throw new Problem.BadInput("namespace " + rel.namespace + " belongs to the cluster itself; trevor is never installed there. "
                    + "Pick a namespace of its own, e.g. -n trevor");
        }
        var fromFiles = new LinkedHashMap<EnvSource, Map<String, String>>();
        for (var src : o.envFiles()) fromFiles.put(src, EnvFile.read(src.file()));

        var render = rel.render(o.values());
        if (!render.ok()) throw new Problem.BadInput("the chart refuses these values (" + o.values().describe() + "):\n" + render.said());
        var objs = Manifests.parse(render.out());
        Set<String> needed = new LinkedHashSet<>();
        for (var obj : objs) {
            for (var c : obj.allContainers()) {
                for (var ef : Yaml.maps(c, "envFrom")) {
                    String name = Yaml.str(ef, "secretRef.name");
                    if (name != null && !Boolean.TRUE.equals(Yaml.at(ef, "secretRef.optional"))) needed.add(name);
                }
            }
        }
        var sourceOf = new LinkedHashMap<String, EnvSource>();
        for (var src : o.envFiles()) {
            String secret = src.secret();
            if (secret == null) {
                if (needed.size() != 1) {
                    throw new Problem.BadInput("--env-file " + src.file() + " does not say which Secret it is for, and envFromSecrets names "
                            + (needed.isEmpty() ? "none" : needed.size() + " (" + String.join(", ", needed) + ")")
                            + (needed.isEmpty() ? "" : ": pass --env-file SECRET=FILE for each"));
                }
                secret = needed.iterator().next();
            } else if (!needed.contains(secret)) {
                throw new Problem.BadInput("--env-file " + src.describe() + " is for Secret " + secret + ", which envFromSecrets does not name"
                        + (needed.isEmpty() ? "" : " (it names " + String.join(", ", needed) + ")"));
            }
            if (sourceOf.put(secret, src) != null) throw new Problem.BadInput("two --env-file options are for Secret " + secret);
        }

        var ns = rel.kube.get(null, "namespace", rel.namespace);
        Map<String, String> relabel = Map.of();
        if (ns != null) {
            var labels = Kube.labelsOf(ns);
            var differs = new LinkedHashMap<String, String>();
            Namespaces.POD_SECURITY.forEach((k, v) -> { if (!v.equals(labels.get(k))) differs.put(k, v); });
            if (!differs.isEmpty()) {
                var now = new ArrayList<String>();
                differs.keySet().forEach(k -> now.add(k + "=" + labels.getOrDefault(k, "(unset)")));
                var would = new ArrayList<String>();
                differs.forEach((k, v) -> would.add(k + "=" + v));
                switch (o.namespaceLabels()) {
                    case REFUSE -> throw new Problem.BadInput("namespace " + rel.namespace + " exists with Pod Security labels " + String.join(", ", now)
                            + "; install would change them to " + String.join(", ", would) + ". Nothing was changed. Pass --relabel-namespace to "
                            + "change them, or --keep-namespace-labels to install without touching them");
                    case RELABEL -> relabel = differs;
                    case KEEP -> { }
                }
            }
        }

        var state = rel.state();
        if (state.last() != null && state.last().pending()) {
            String holder = ReleaseLock.holder(rel.kube, rel.namespace, rel.name);
            if (holder != null) throw new Problem.Refused("release " + rel.name + " in " + rel.namespace + " is busy: " + holder);
            if (!o.recover()) throw new Problem.Refused(stuckMessage(rel, state));
        }

        var secrets = new ArrayList<SecretPlan>();
        for (String name : needed) {
            var src = sourceOf.get(name);
            if (src != null) {
                if (ns != null) Secrets.requireOpaque(rel.kube, rel.namespace, name, src.describe());
                secrets.add(new SecretPlan(name, "from " + src.file(), fromFiles.get(src)));
            } else if (ns != null && rel.kube.exists(rel.namespace, "secret", name)) {
                secrets.add(new SecretPlan(name, "exists: kept as it is (pass --env-file to update it)", null));
            } else if (o.devSecrets() && rel.kube.isLocal()) {
                secrets.add(new SecretPlan(name, "with dev defaults", Secrets.DEV));
            } else {
                String why = o.devSecrets() ? " (dev defaults are only for local dev clusters; " + rel.kube.context + ": " + rel.kube.localProblem() + ")" : "";
                throw new Problem.BadInput("Secret " + name + " (named by envFromSecrets) does not exist in namespace " + rel.namespace
                        + " on " + rel.kube.context + why + "; pass --env-file FILE with its KEY=VALUE lines, or create it first (kubectl -n "
                        + rel.namespace + " create secret generic " + name + " --from-env-file=FILE)");
            }
        }
        return new Plan(objs, ns == null, relabel, secrets, state);
    }

    static String stuckMessage(Release rel, Release.State state) {
        var last = state.last();
        var deployed = state.lastDeployed();
        String way = deployed != null
                ? "--recover rolls it back to revision " + deployed.number() + " (the last deployed one) and then carries on"
                : "--recover uninstalls the unfinished first install (and stops any migration Job it left running) and then installs";
        return "release " + rel.name + " in " + rel.namespace + " is stuck in " + last.status() + " (revision " + last.number() + ", since "
                + last.updated() + ": " + last.description() + "): the run that started it was interrupted before Helm finished, and no run "
                + "holds the release's lock now. Run again with --recover: " + way;
    }

    /** The pod annotation that holds the checksum of the Secrets the pods read. */
    static final String CHECKSUM_KEY = "checksum/env-secrets";

    /**
     * SHA-256 of every Secret the release reads, by name, key and value, as they are now in the
     * cluster or about to be; null when the release reads none.
     */
    static String secretsChecksum(Release rel, List<SecretPlan> secrets) {
        if (secrets.isEmpty()) return null;
        try {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            for (var s : secrets.stream().sorted(java.util.Comparator.comparing(SecretPlan::name)).toList()) {
                var data = s.keep() ? Secrets.read(rel.kube, rel.namespace, s.name()) : new java.util.TreeMap<>(s.data());
                sha.update((s.name() + "\0").getBytes(StandardCharsets.UTF_8));
                for (var e : new java.util.TreeMap<>(data).entrySet()) {
                    sha.update((e.getKey() + "\0" + e.getValue() + "\0").getBytes(StandardCharsets.UTF_8));
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Says whether the pods restart to read changed Secrets: a rotated Secret alone reaches no running pod. */
    private static void sayRestart(Release rel, Release.State state, String now, List<SecretPlan> secrets, Progress p) {
        if (state.lastDeployed() == null || now == null) return;
        Object before = Yaml.at(rel.computedValues(state.lastDeployed().number()), "podAnnotations");
        Object was = before instanceof Map<?, ?> m ? m.get(CHECKSUM_KEY) : null;
        String names = String.join(", ", secrets.stream().map(SecretPlan::name).toList());
        p.info(now.equals(was) ? "the Secrets the pods read (" + names + ") are unchanged: the pods that read them stay"
                : "the Secrets the pods read (" + names + ") changed: the API and worker pods restart to read them "
                        + "(pod annotation " + CHECKSUM_KEY + ", a checksum of their contents)");
    }

    /**
     * One migration at a time, whoever starts it: an on-demand migrate Job or a hook Job of
     * this release that still runs would race this install's migration on the database. A
     * hook Job left by a killed or interrupted run is --recover's to stop.
     */
    static void refuseIfMigrationRuns(Release rel, boolean recovering) {
        for (var j : rel.kube.list(rel.namespace, "jobs", rel.selector("migrate"))) {
            if (Kube.conditionTrue(j, "Complete") || Kube.conditionTrue(j, "Failed") || Yaml.at(j, "metadata.deletionTimestamp") != null) continue;
            boolean hook = !Yaml.strings(j, "metadata.labels").containsKey("trevor.dev/migration-run");
            if (hook && recovering) continue;
            String n = Yaml.str(j, "metadata.name");
            throw new Problem.Refused("migration Job " + n + " is still running (created " + Yaml.str(j, "metadata.creationTimestamp")
                    + "); a second migration would race it. Wait for it (kubectl -n " + rel.namespace + " wait --for=condition=Complete job/" + n
                    + "), or stop it (kubectl -n " + rel.namespace + " delete job " + n + ")"
                    + (hook ? "; --recover stops a hook Job that a killed or interrupted run left" : ""));
        }
    }

    /** What an install did: the migration hook's output (empty where no container runs, or without a hook). */
    record Outcome(List<String> migrationLog) {}

    /** Preflight, prerequisites, then helm upgrade --install; a failure explains itself from the cluster. */
    static Outcome install(Release rel, Options o, Progress p) {
        var plan = p.step("preflight (values, env files, render, namespace, release state, secrets)", () -> preflight(rel, o));
        boolean createdNamespace = false;
        if (plan.createNamespace()) {
            createdNamespace = p.step("namespace " + rel.namespace + " (Pod Security restricted)", () -> Namespaces.create(rel.kube, rel.namespace));
        } else if (!plan.relabel().isEmpty()) {
            p.step("namespace " + rel.namespace + ": set " + plan.relabel() + " (--relabel-namespace)", () -> Namespaces.relabel(rel.kube, rel.namespace, plan.relabel()));
        }
        try (var lock = p.step("take the release's lock (Lease " + ReleaseLock.leaseName(rel.name) + ")",
                () -> ReleaseLock.acquire(rel.kube, rel.namespace, rel.name, "install.java/upgrade.java " + rel.name))) {
            var state = rel.state();
            try {
                if (state.last() != null && state.last().pending() && !o.recover()) throw new Problem.Refused(stuckMessage(rel, state));
                refuseIfMigrationRuns(rel, o.recover());
                p.step("server-side dry run (the API server validates and admits every object; nothing is stored)",
                        () -> dryRun(rel, plan.objects()));
            } catch (Problem.BadInput | Problem.Refused e) {
                // Refused while holding the lock, with the namespace as this run's only change (the API server judges
                // objects only in a namespace that exists): leave the cluster as it was found, and wait until it is so.
                // A run refused the lock never deletes: the namespace is the holder's now.
                if (createdNamespace) {
                    var r = rel.kube.run(Duration.ofSeconds(90), "delete", "namespace", rel.namespace, "--wait=true", "--timeout=60s");
                    p.info(r.ok() ? "removed namespace " + rel.namespace + " again: nothing was installed"
                            : "could not remove namespace " + rel.namespace + " again (" + Kube.firstLine(r.said()) + "); it holds nothing");
                }
                throw e;
            }
            if (state.last() != null && state.last().pending()) recover(rel, state, o.timeout(), p);
            else if (o.recover()) stopHookJobs(rel, p::info); // a killed run's hook Job outlives its helm
            for (var s : plan.secrets()) {
                if (s.keep()) {
                    p.info("Secret " + s.name() + " " + s.source());
                    continue;
                }
                String what = p.step("Secret " + s.name() + " " + s.source(), () -> Secrets.apply(rel.kube, rel.namespace, s.name(), s.data()));
                p.info("Secret " + s.name() + ": " + what);
            }
            String checksum = secretsChecksum(rel, plan.secrets());
            sayRestart(rel, state, checksum, plan.secrets(), p);
            var log = helm(rel, o.withSecretsChecksum(checksum), state, p);
            awaitAutoscaledMinimum(rel, o.timeout(), p);
            return new Outcome(log);
        }
    }

    /**
     * With an HPA the Deployment renders no replicas: a first install creates 1 pod and helm's
     * wait is over when that one is ready, while prod wants minReplicas. The HPA controller
     * raises the count to minReplicas on its next sync (metrics API or not), so install waits
     * for that here, after helm, until the Deployment has minReplicas ready pods.
     * Why not render replicas=minReplicas on a first install only: an upgrade whose manifest
     * then drops the field makes Helm's three-way merge (and a server-side apply) remove it,
     * and the API server defaults a missing replicas to 1, scaling a running API down to one
     * pod until the HPA's next sync. Waiting changes no manifest.
     */
    static void awaitAutoscaledMinimum(Release rel, Duration timeout, Progress p) {
        for (var hpa : rel.kube.list(rel.namespace, "horizontalpodautoscalers", "app.kubernetes.io/instance=" + rel.name)) {
            if (!"Deployment".equals(Yaml.str(hpa, "spec.scaleTargetRef.kind"))) continue;
            String deployment = Yaml.str(hpa, "spec.scaleTargetRef.name");
            int min = Yaml.at(hpa, "spec.minReplicas") instanceof Number n ? n.intValue() : 1;
            String[] last = {""};
            String what = "Deployment " + deployment + " to have " + min + " ready pods (HPA " + Yaml.str(hpa, "metadata.name") + " minReplicas)";
            int[] ready = {readyReplicas(rel, deployment)};
            if (ready[0] >= min) continue;
            p.step("wait for " + what, () -> {
                long t0 = System.nanoTime();
                long said = t0;
                while (true) {
                    var d = rel.kube.get(rel.namespace, "deployment", deployment);
                    ready[0] = d == null ? 0 : intOf(Yaml.at(d, "status.readyReplicas"));
                    if (ready[0] >= min) return;
                    var pods = d == null ? List.<Map<String, Object>>of() : rel.kube.list(rel.namespace, "pods", apiSelector(rel, d));
                    var waiting = pods.stream().map(PodTrouble::notReady).filter(java.util.Objects::nonNull).toList();
                    last[0] = ready[0] + " of " + min + " ready, spec.replicas " + Yaml.str(d, "spec.replicas")
                            + (waiting.isEmpty() ? "" : "; not ready: " + String.join("; ", waiting));
                    long now = System.nanoTime();
                    if (now - t0 > timeout.toNanos()) {
                        throw new Problem.Failed("helm deployed release " + rel.name + " (" + rel.state().describe() + "), but " + what
                                + " did not happen in " + timeout.toSeconds() + " s: " + last[0] + ". The release stays deployed with fewer API pods than "
                                + "its minimum; `./jbang scripts/status.java " + targetArgs(rel) + "` shows why (HPA events: kubectl -n " + rel.namespace
                                + " describe hpa " + Yaml.str(hpa, "metadata.name") + ")");
                    }
                    if (now - said > PodWatch.SAY_EVERY.toNanos()) {
                        said = now;
                        p.info(String.format(java.util.Locale.ROOT, "  %d s of at most %d s: %s", (now - t0) / 1_000_000_000, timeout.toSeconds(), last[0]));
                    }
                    Wait.sleep(2000);
                }
            });
        }
    }

    private static int intOf(Object o) { return o == null ? 0 : Integer.parseInt(String.valueOf(o)); }

    private static int readyReplicas(Release rel, String deployment) {
        var d = rel.kube.get(rel.namespace, "deployment", deployment);
        return d == null ? 0 : intOf(Yaml.at(d, "status.readyReplicas"));
    }

    /** The Deployment's own pod selector (matchLabels), as a label selector string. */
    private static String apiSelector(Release rel, Map<String, Object> d) {
        var labels = Yaml.strings(d, "spec.selector.matchLabels");
        if (labels.isEmpty()) return rel.selector("api");
        return String.join(",", labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    /** What Helm ran: the migration hook's output, as its pods wrote it (none on a cluster without containers). */
    private static List<String> helm(Release rel, Options o, Release.State before, Progress p) {
        boolean upgrade = before.exists() && before.lastDeployed() != null;
        Exec.Result r;
        List<String> migrationLog;
        PodTrouble.Found stoppedFor;
        long waited;
        try (var logs = HookLogs.follow(rel, line -> p.info("  " + line));
             var watch = PodWatch.start(rel, o.timeout(), p::info);
             var stop = Interrupts.onStop("stop the migration Job that Helm left running", () -> {
            stopHookJobs(rel, System.err::println);
            var after = rel.state();
            if (after.lastDeployed() == null) removeHookLeftovers(rel, System.err::println);
            String lost = Interrupts.abortReason();
            System.err.println("stopping: release " + rel.name + " is now " + after.describe()
                    + (lost != null && after.last() != null && after.last().pending() ? ". This run lost its lock, so it leaves the release to "
                            + "the lock's holder; once no run holds the lock, run again with --recover"
                    : after.last() != null && after.last().pending() ? ". " + stuckMessage(rel, after) : ""));
        })) {
            r = p.step((upgrade ? "helm upgrade " : "helm install ") + rel.name + " (" + rel.helm.version + ", wait " + o.timeout().toSeconds() + " s)",
                    () -> rel.upgradeInstall(o.values(), o.timeout(), o.rollback(), line -> p.info("  helm: " + line)));
            watch.close();
            stoppedFor = watch.stoppedFor();
            waited = watch.elapsedSeconds();
            logs.close();
            migrationLog = logs.lines();
        }
        if (r.ok()) return migrationLog;
        var after = rel.state();
        String outcome;
        if (!after.exists()) {
            outcome = "the unfinished first install was removed (" + rel.helm.rollbackOnFailureFlag() + "): no revision of " + rel.name
                    + " is left; the namespace and its Secrets stay for the next run. Fix the cause and run install.java again; "
                    + "to remove what is left: ./jbang scripts/uninstall.java " + targetArgs(rel);
        } else if (o.rollback() && rolledBack(before, after)) {
            outcome = "rolled back to revision " + after.lastDeployed().number() + ": it runs as before this run, nothing to clean up; history:\n"
                    + rel.historyText();
        } else if (after.last() != null && after.last().pending()) {
            outcome = "not finished: " + stuckMessage(rel, after);
        } else {
            outcome = "not rolled back" + (o.rollback() ? "" : " (--no-rollback)") + ": the release is " + after.describe()
                    + ", its pods kept as they are to be looked at. To go back: "
                    + (after.lastDeployed() != null ? "./jbang scripts/rollback.java " + targetArgs(rel)
                            : "./jbang scripts/uninstall.java " + targetArgs(rel) + " (nothing was ever deployed)")
                    + "; or fix the cause and run again";
        }
        String job = Diagnostics.explainJob(rel.kube, rel.namespace, rel.selector("migrate"));
        if (after.lastDeployed() == null) {
            // Nothing was ever deployed: a hook Job that outlived helm's timeout would go on migrating for no release.
            var stopped = new ArrayList<String>();
            stopHookJobs(rel, stopped::add);
            removeHookLeftovers(rel, stopped::add);
            if (!stopped.isEmpty()) outcome += "\n" + String.join("\n", stopped);
        }
        String why = stoppedFor == null ? r.said()
                : stoppedWhy(waited, o.timeout().toSeconds(), stoppedFor.describe(), stoppedFor.advice(hasRealNode(rel)).replace("NAMESPACE", rel.namespace), r);
        throw new Problem.Failed((upgrade ? "upgrade" : "install") + " of " + rel.name + " failed: " + why
                + "\n\nmigration Job, from the cluster:\n" + job
                + (migrationLog.isEmpty() ? "" : "\n\nmigration output, as it ran:\n" + String.join("\n", migrationLog).indent(2))
                + "\n\n" + outcome);
    }

    /**
     * Why install stopped helm early (PodWatch's fail-fast): the pod and reason, what to do, and
     * helm's own error lines from both its streams (bounded: Helm.errorLines), not only its last.
     */
    static String stoppedWhy(long waited, long timeoutSeconds, String describe, String advice, Exec.Result helm) {
        return "stopped waiting after " + waited + " s (of at most " + timeoutSeconds + " s): " + describe
                + "\nwhat to do: " + advice
                + "\nhelm said:\n" + Helm.errorLines(helm).indent(2).stripTrailing();
    }

    /** The options that name this release on this cluster, as a command to run next takes them. */
    static String targetArgs(Release rel) {
        return "--context " + rel.kube.context + (rel.kube.kubeconfig == null ? "" : " --kubeconfig " + rel.kube.kubeconfig)
                + " -n " + rel.namespace + ("trevor".equals(rel.name) ? "" : " --release " + rel.name);
    }

    /** Whether the cluster runs a real node (scripts/cluster.java up --real-node): its images come from scripts/images.java. */
    static boolean hasRealNode(Release rel) {
        try {
            return !rel.kube.list(null, "nodes", "trevor.dev/node=real").isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Helm's rollback is a new revision, deployed, whose description says "Rollback to N". */
    static boolean rolledBack(Release.State before, Release.State after) {
        var last = after.last();
        int was = before.last() == null ? 0 : before.last().number();
        return last != null && last.number() > was && last.status().equals("deployed") && last.description().startsWith("Rollback to");
    }

    /** The way out of a pending-* state whose run is gone: back to the last deployed revision, or no release. */
    static void recover(Release rel, Release.State state, Duration timeout, Progress p) {
        stopHookJobs(rel, p::info);
        var deployed = state.lastDeployed();
        if (deployed != null) {
            var r = p.step("recover: roll back to revision " + deployed.number() + " (the last deployed)",
                    () -> rel.rollback(deployed.number(), timeout, line -> p.info("  helm: " + line)));
            if (!r.ok()) throw new Problem.Failed("helm rollback " + rel.name + " " + deployed.number() + " failed: " + r.said());
        } else {
            var r = p.step("recover: uninstall the unfinished first install", () -> rel.uninstall(timeout));
            if (!r.ok()) throw new Problem.Failed("helm uninstall " + rel.name + " failed: " + r.said());
        }
    }

    /**
     * Deletes the release's migration hook Jobs that still run: after an interrupted or
     * abandoned install their pods would go on migrating the database for a release that
     * is not deployed. Finished Jobs stay for their logs.
     */
    static void stopHookJobs(Release rel, java.util.function.Consumer<String> say) {
        for (var job : rel.kube.list(rel.namespace, "jobs", rel.hookJobSelector())) {
            if (Kube.conditionTrue(job, "Complete") || Kube.conditionTrue(job, "Failed")) continue;
            String name = Yaml.str(job, "metadata.name");
            var r = rel.kube.run("delete", "job", name, "-n", rel.namespace, "--cascade=background", "--wait=false");
            say.accept(r.ok() ? "stopped migration Job " + name + " (it was still running)"
                    : "migration Job " + name + " is still running and could not be deleted (" + Kube.firstLine(r.said())
                    + "): kubectl -n " + rel.namespace + " delete job " + name);
        }
    }

    /**
     * The migration hook's ServiceAccount and NetworkPolicy of a release with no deployed
     * revision (a first install interrupted in its hook): Helm uninstalls the release but
     * never the hook objects of a hook that did not succeed, and nothing else would remove them.
     */
    static void removeHookLeftovers(Release rel, java.util.function.Consumer<String> say) {
        for (String kind : List.of("serviceaccount", "networkpolicy")) {
            for (var o : rel.kube.list(rel.namespace, kind, rel.selector("migrate"))) {
                if (!Yaml.strings(o, "metadata.annotations").containsKey("helm.sh/hook")) continue;
                String name = Yaml.str(o, "metadata.name");
                var r = rel.kube.run("delete", kind, name, "-n", rel.namespace, "--wait=false", "--ignore-not-found");
                say.accept(r.ok() ? "removed the migration hook's " + kind + " " + name + " (the first install did not finish)"
                        : "could not remove the migration hook's " + kind + " " + name + " (" + Kube.firstLine(r.said()) + "): kubectl -n "
                        + rel.namespace + " delete " + kind + " " + name);
            }
        }
    }

    /**
     * The rendered objects through the API server with dryRun=All: schema, defaulting and
     * admission (Pod Security included) answer before Helm changes anything. A hook object
     * that exists already is left out: Helm deletes and recreates it. Test hooks never run here.
     */
    static void dryRun(Release rel, List<Manifests.Obj> objs) {
        var docs = new StringBuilder();
        for (var o : objs) {
            String hook = o.annotations().getOrDefault("helm.sh/hook", "");
            if (hook.contains("test")) continue;
            if (!hook.isEmpty() && rel.kube.exists(rel.namespace, o.kind().toLowerCase(), o.name())) continue;
            docs.append("---\n").append(Yaml.dump(o.body()));
        }
        var r = rel.kube.runWithInput(docs.toString(), "apply", "-n", rel.namespace, "--server-side", "--force-conflicts",
                "--field-manager=trevor-dry-run", "--dry-run=server", "-f", "-");
        var refused = new ArrayList<String>();
        if (!r.ok()) refused.add(r.said());
        r.err().lines().filter(l -> l.contains("would violate PodSecurity")).forEach(refused::add);
        if (!refused.isEmpty()) {
            throw new Problem.BadInput("the API server refuses this release (dry run, nothing was stored):\n" + String.join("\n", refused));
        }
    }


}
