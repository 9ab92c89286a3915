//SOURCES ../tools/Dirs.java
//SOURCES ../report/Report.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A copy of a checkout with defects put back, one exact text edit each, as ChartDefectsTest
 * does for the chart: scripts with guards taken out, run through safety.java's --scripts-from,
 * and a checkout whose scripts and chart both carry defects, whose own e2e.java runs on it.
 * Each case or check that claims the behaviour must then fail by name, saying why. A guard
 * whose text moved makes the copy fail loudly, so the defect is updated instead of silently
 * proving nothing.
 */
final class ScriptDefects {
    /**
     * One guard taken out: in file (under scripts/), find becomes replace; the case that must
     * then fail, and what its failure must say (so that it fails for this reason, not another).
     */
    record Guard(String what, String file, String find, String replace, List<Expect> fails) {
        Guard(String what, String file, String find, String replace, String mustFail, String says) {
            this(what, file, find, replace, List.of(new Expect(mustFail, says)));
        }

        /** The same guard taken out makes this case fail too, saying says. */
        Guard also(String mustFail, String says) {
            var more = new java.util.ArrayList<>(fails);
            more.add(new Expect(mustFail, says));
            return new Guard(what, file, find, replace, List.copyOf(more));
        }

        Defect defect() { return new Defect(what, "scripts/" + file, find, replace, fails); }
    }

    /** A check that must fail, and what its failure must say. */
    record Expect(String check, String says) {}

    /** One edit in a file of the checkout (path from its root: scripts/…, helm/…), and the checks it must make fail. */
    record Defect(String what, String file, String find, String replace, List<Expect> fails) {}

    private ScriptDefects() {}

    // safety.java's case names, as it prints them
    static final String ROW_4 = "row 4: two installs at once: one holds the lock, the other exits 2 naming it; the Secret holds the winner's file";
    static final String ROW_5 = "row 5: system namespaces are refused and left as they were";
    static final String ROW_6 = "row 6: status reports a failed last revision and exits 1";
    static final String ROW_12 = "row 12: bad input is refused with exit 2 before anything is created";
    static final String ROWS_8_13 = "rows 8, 13: Ctrl-C during an upgrade's hook rolls back, stops the hook Job and leaves no values file";
    static final String ROWS_5_16 = "rows 5, 16: an existing namespace's Pod Security labels change only when a flag says so; refused with exit 2";
    static final String ROW_7_IMAGE = "row 7: migrate runs the last deployed revision's image, not the failed one's";
    static final String NO_SECRET = "no secret value appears in any output, report or diagnostics file";
    static final String ROW_1 = "row 1: cluster up from a shell without the cluster's context reuses it and deletes nothing";
    static final String ROW_2 = "row 2: a kwok-* context whose server is not on this machine is not local: refused, and never given dev Secrets";
    static final String ROW_7_SECOND = "row 7: a migrate that times out says the Job still runs and how to stop it; a second one is refused meanwhile";
    static final String R2_ROWS_5_7 = "round 2 rows 5-7: a remote current context kwok-prod is refused with no connection and no exec plugin run, whatever kubectl is first on PATH";
    static final String R2_ROW_6 = "round 2 row 6: a kwok-* context with proxy-url is not local: refused without a request, and never given dev Secrets";
    static final String R2_ROW_7 = "round 2 row 7: prod.localhost and 127.000.000.001 are not loopback: refused, nothing sent to HTTPS_PROXY";
    static final String R2_ROW_5 = "round 2 row 5: a kwok-* context whose user has an exec or auth-provider plugin is not local; the plugin never runs";
    static final String R2_ROW_8 = "round 2 row 8: --set and --set-string cannot smuggle --set-file, --set-json or --set-literal; no file content reaches the cluster";
    static final String I14_ROW_3 = "issue 14 row 3: up --recreate refuses a running, whole cluster (exit 2, naming what it holds) unless "
            + "--yes-delete-healthy-cluster names it";
    static final String I14_ROW_10 = "issue 14 row 10: a run whose lock is taken from it stops at once, stops its helm and hook Job, and says what it left";
    static final String I14_ROW_11 = "issue 14 row 11: a Lease renewed 'in 2099' is refused and explained, with the command that deletes it";
    static final String I14_ROW_12 = "issue 14 row 12: two --env-file Secrets, the second of a wrong type: exit 2 and the first untouched";
    static final String I14_ROW_13 = "issue 14 row 13: upgrade --env-file rotates the Secret and restarts the pods that read it, and says so";
    static final String I14_ROW_14 = "issue 14 row 14: rollback refuses a failed revision, and names the migrations that ran from original revisions";
    static final String I14_ROW_15 = "issue 14 row 15: upgrade refuses while an on-demand migration Job runs, as migrate does";
    static final String I14_ROW_16 = "issue 14 row 16: Ctrl-C in the pre-install hook removes the hook Job's ServiceAccount and NetworkPolicy too";
    static final String I15_ROW_8 = "issue 15 row 8: uninstall.java removes the release, its migration Jobs, the Secrets install wrote and the lock";
    static final String ROW_8_HUP = "row 8: a hang-up during the pre-install hook stops helm cleanly and the hook Job with it";
    static final String ROW_10 = "row 10: two cluster ups with one name: the second waits its turn or exits 2; the cluster stays whole";
    static final String TWO_UPS = "two cluster ups of different names at once both come up whole (kwokctl picks ports one create at a time)";
    static final String ROWS_3_11 = "rows 3, 11: --env-file makes an existing Secret match, names keys only, and keeps y/n/0o17 as strings";
    static final String ROW_8_STUCK = "row 8: a release left pending by a killed run is named as stuck, and --recover gets it out";
    static final String ROW_14 = "row 14: upgrade takes --env-file; a BOM file is read like kubectl, a Latin-1 file is refused by line";
    static final String ROWS_9_13 = "rows 9, 13: Ctrl-C during cluster up leaves no process or folder, and status says so";
    static final String R2_ROW_2 = "round 2 row 2: env-file keys and values stay strings (YAML 1.1 booleans, null, octal, hex, dates, <<, case twins); "
            + "a rerun changes nothing";
    static final String R2_ROW_18 = "round 2 row 18: hostile files (FIFO, /dev/zero, a directory, 50 MB, /proc/nope) are refused at once: exit 2, one line, "
            + "the limit named";
    static final String I14_ROW_4 = "issue 14 row 4: down leaves alone a process that a dead cluster's stale pid file names, and says whose it is";
    static final String I14_ROW_17 = "issue 14 row 17: status names a dead kube-scheduler (exit 1); up refuses the cluster that is not whole (exit 2), "
            + "and up --recreate makes it whole";
    static final String I14_ROW_19 = "issue 14 row 19: Ctrl-C of cluster up in its phase '%s' leaves no process, port or folder";
    static final String I14_ROWS_1_9 = "issue 14 rows 1, 9: kill -9 of install while its helm runs on: no false 'stuck', and --recover does not take over";
    static final String I15_ROW_2 = "issue 15 row 2: install without -f on a cluster with a real node takes values/real-node.yaml, not dev.yaml's trevor:dev";
    static final String I15_FAIL_FAST = "issue 15 fail fast: install stops within seconds on an Unschedulable API pod, with the scheduler's message and the "
            + "release's state";
    static final String I15_ROW_6 = "issue 15 row 6: a cordoned node is reported by cluster status (exit 1, uncordon command) and by status (info while "
            + "pods just run there)";
    static final String I15_ROW_6_WAITS = "issue 15 row 6, issue 17 item 5: status says what it waits for and why, and fails by name while the API is short of "
            + "the HPA's minReplicas";

    /** KwokCluster.PHASES, as safety.java loops over them for issue 14 row 19. */
    static final List<String> UP_PHASES = List.of("control plane", "stages", "nodes", "nodes ready");

    /**
     * safety.java's cases that no guard here makes fail, each with the reason. The defects stage
     * fails on a case that has neither a guard nor a line here, and on a line here whose case is gone.
     */
    static final java.util.Map<String, String> SAFETY_EXEMPT = java.util.Map.of(
            "cluster down leaves no process, port or folder behind",
            "safety.java records it from its own WholeCluster.down (ClusterChecks.down, in safety.java's JVM): a --scripts-from copy "
                    + "is reached only through the scripts it runs, never through safety.java's own lib, so no guard taken out of the copy "
                    + "can reach it; the same down is judged by the e2e part's 'cluster down leaves no process, port, mount, interface, "
                    + "rule or folder behind', which its defect (down leaves the cluster's folder) fails by name");

    /**
     * The safety runs of the defects stage, each a copy of the scripts with its guards taken
     * out together. Guards that interact (one case would fail because of another's guard, or
     * one guard's effect hides another's) are in different runs; a run costs a cluster up, so
     * there are as few as that allows.
     */
    static List<List<Guard>> safetyRuns() { return List.of(safetyGuards(), safetyGuardsApart(), safetyGuardsFirstDay()); }

    /** The first run's guards: they do not interact, so one safety run shows each case failing. */
    static List<Guard> safetyGuards() {
        return List.of(
                new Guard("the lock of a live holder is taken over", "lib/lifecycle/ReleaseLock.java",
                        "if (renewed != null && renewed.plus(DURATION).isAfter(now)) {", "if (false) {", ROW_4, "expected exit 2 naming the holder"),
                new Guard("the cluster's own namespaces are not refused", "lib/lifecycle/Installer.java",
                        "if (Namespaces.SYSTEM.contains(rel.namespace)) {", "if (false) {", ROW_5, "-n kube-system: expected exit 2"),
                new Guard("an env file key '.' is accepted", "lib/lifecycle/EnvFile.java",
                        "if (key.equals(\".\")) return \"must not be '.'\";", "", ROW_12, "must not be '.'"),
                new Guard("the updated Secret's manifest is written to a temp file", "lib/lifecycle/Secrets.java",
                        "var r = kube.runWithInput(Yaml.json(secret), \"replace\", \"-f\", \"-\");",
                        "try { java.nio.file.Files.writeString(java.nio.file.Files.createTempFile(\"trevor-defect-secret-\", \".json\"), Yaml.json(secret)); }"
                                + " catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }\n"
                                + "        var r = kube.runWithInput(Yaml.json(secret), \"replace\", \"-f\", \"-\");", ROWS_8_13, "files left holding a secret or values marker"),
                new Guard("an existing namespace's Pod Security labels are not compared", "lib/lifecycle/Installer.java",
                        "Namespaces.POD_SECURITY.forEach((k, v) -> { if (!v.equals(labels.get(k))) differs.put(k, v); });", "", ROWS_5_16, "expected exit 2 naming the flag"),
                new Guard("a changed Secret key is printed with its value", "lib/lifecycle/Secrets.java",
                        "else if (!current.get(k).equals(v)) changed.add(k);", "else if (!current.get(k).equals(v)) changed.add(k + \"=\" + v);", NO_SECRET, "a secret value was printed"),
                new Guard("a running, whole cluster is not reused", "lib/cluster/KwokCluster.java",
                        "if (health == Health.READY && !recreate) {", "if (false) {", ROW_1, "exit 2"),
                new Guard("a context whose server is not on this machine counts as local", "lib/kube/KubeConfig.java",
                        "if (!isLoopbackHost(host)) {", "if (false) {", ROW_2, "as the current context: expected exit 2 saying it is not a local dev cluster"),
                new Guard("a cluster with proxy-url counts as local", "lib/kube/KubeConfig.java",
                        "if (proxy != null && !String.valueOf(proxy).isBlank()) return", "if (false) return", R2_ROW_6,
                        "as the current context: expected exit 2 naming proxy-url"),
                new Guard("a user with an exec credential plugin counts as local", "lib/kube/KubeConfig.java",
                        "if (user != null && user.get(\"exec\") != null) return", "if (false) return", R2_ROW_5,
                        "exec credential plugin: expected exit 2 naming it"),
                new Guard("--set and --set-string pass a value starting with '-' on to helm", "lib/cli/ValueOptions.java",
                        "if (value.startsWith(\"-\")) {", "if (false) {", R2_ROW_8, "expected exit 2 naming --set"),
                new Guard("a Lease renewed far ahead of now is taken as a live holder's", "lib/lifecycle/ReleaseLock.java",
                        "if (renewed != null && renewed.isAfter(now.plus(DURATION))) {", "if (false) {", I14_ROW_11,
                        "naming the impossible renewTime"),
                new Guard("the Secrets' types are not checked before the first one is written", "lib/lifecycle/Secrets.java",
                        "throw new Problem.BadInput(\"Secret \" + name + \" in namespace \" + namespace + \" is of type \"",
                        "if (false) throw new Problem.BadInput(\"Secret \" + name + \" in namespace \" + namespace + \" is of type \"", I14_ROW_12,
                        "was changed before the refusal"),
                new Guard("a Lease that names another holder is not taken as lost", "lib/lifecycle/ReleaseLock.java",
                        "if (!holder.equals(now)) return", "if (false) return", I14_ROW_10, "did not say it lost its lock to"),
                new Guard("install and upgrade do not look for a running migration Job", "lib/lifecycle/Installer.java",
                        "refuseIfMigrationRuns(rel, o.recover());", "", I14_ROW_15, "upgrade beside a running migration: expected exit 2"),
                new Guard("rollback takes a failed revision without --force", "lib/lifecycle/Rollback.java",
                        "if (target.status().equals(\"failed\") && !force) {", "if (false) {", I14_ROW_14, "expected exit 2 naming --force"),
                new Guard("an interrupted first install leaves its hook's ServiceAccount and NetworkPolicy", "lib/lifecycle/Installer.java",
                        "if (after.lastDeployed() == null) removeHookLeftovers(rel, System.err::println);", "", I14_ROW_16,
                        "the hook's serviceaccounts are left"),
                new Guard("an env file's checksum no longer reaches the API pods' template", "lib/lifecycle/Installer.java",
                        "s.add(\"--set-string podAnnotations.\" + CHECKSUM_KEY + \"=\" + checksum);", "", I14_ROW_13, "kept its pod template"),
                new Guard("an env file's UTF-8 BOM is kept as part of its first key", "lib/lifecycle/EnvFile.java",
                        "if (i == 0 && line.startsWith(\"\\uFEFF\")) line = line.substring(1);", "", ROW_14, "a BOM env file"),
                new Guard("down kills the process a stale pid file names without asking whose it is", "lib/cluster/KwokCluster.java",
                        "disownForeignPidFiles(name, progress);", "", I14_ROW_4, "not the cluster's"),
                new Guard("a dead run's helm that still runs is not looked for: its release counts as stuck", "lib/lifecycle/LockHolder.java",
                        "if (helmPid > 0 && sameProcess(helmPid, helmStart)) {", "if (false) {", I14_ROWS_1_9, "row 9: expected exit 2 naming the helm that still runs"));
    }

    /**
     * The third run's guards, on a cluster of their own beside the other two, so that no run
     * takes much longer than the others (most of a case's time is waiting): issue 15's first-day
     * cases, rows 6 and 7 on their failed release, row 8's hang-up (its guard lets helm run on for
     * the 120 s grace time; no other case of this run interrupts helm), and the two ups of
     * different names (their guard drops the machine's ports lock; no other case of this run
     * brings a cluster up, so no other up meets another run's create).
     */
    static List<Guard> safetyGuardsFirstDay() {
        return List.of(
                new Guard("status does not judge the release's last revision", "lib/lifecycle/LiveChecks.java",
                        "Report.expect(last.status().equals(\"deployed\"),", "Report.expect(true,", ROW_6, "status does not report the failed revision"),
                new Guard("migrate takes the latest revision, failed or not", "lib/lifecycle/Migrator.java",
                        "var deployed = state.lastDeployed();", "var deployed = state.last();", ROW_7_IMAGE, "migrate"),
                new Guard("uninstall leaves the migration Jobs", "uninstall.java",
                        "remove(kube, rel.namespace, \"jobs,serviceaccounts,networkpolicies\",", "remove(kube, rel.namespace, \"serviceaccounts,networkpolicies\",",
                        I15_ROW_8, "left in the namespace after uninstall"),
                new Guard("install ignores a real node and takes values/dev.yaml", "install.java",
                        "if (hasRealNode(rel)) {", "if (false) {", I15_ROW_2, "install did not say which values it chose"),
                new Guard("install waits out its timeout on an Unschedulable pod", "lib/lifecycle/PodWatch.java",
                        "if (found != null && helm != null && helm.isAlive() && !closed) {", "if (false) {", I15_FAIL_FAST, "instead of stopping at the Unschedulable pod"),
                new Guard("cluster status does not report a cordoned node", "cluster.java",
                        "if (state.contains(\"SchedulingDisabled\")) {", "if (false) {", I15_ROW_6, "expected exit 1, 'node kwok-node-0: Ready,SchedulingDisabled'"),
                new Guard("status waits without saying what for", "lib/lifecycle/LiveChecks.java",
                        "say.accept(\"waiting up to \" + max.toSeconds() + \" s for \" + what);", "", I15_ROW_6_WAITS,
                        "status did not say what it waits for"),
                // helm runs in a session of its own, so a hang-up reaches only the script: the script must pass it on.
                new Guard("helm is not told to stop when the script is (no SIGTERM on a hang-up): it runs on until the grace time ends",
                        "lib/tools/Interrupts.java", "p.destroy(); // SIGTERM: helm cancels, rolls back with --atomic/--rollback-on-failure, and exits", "",
                        ROW_8_HUP, "helm was not told to stop"),
                // In this run, where no other case brings a cluster up: without the ports lock, this run's ups could meet
                // the other runs' creates.
                // The case holds the machine's ports lock itself, as an up binding its ports does: both ups must wait for it.
                new Guard("cluster up does not wait for the machine's ports lock before kwokctl picks ports", "lib/cluster/KwokCluster.java",
                        "try (var ports = portsLock(progress)) {", "try (var ports = (Held) () -> {}) {", TWO_UPS,
                        "did not wait for the ports lock"));
    }

    /**
     * The second run's guards, apart from the first's: its remote-server guard would refuse
     * row 7's spellings itself, and with its exec guard too, rows 5-7 would fail for another
     * reason than the kubeconfig merge; row 7's second migrate and row 7's image guard each
     * make the other case fail. Row 3's guard recreates the run's own cluster, so nothing
     * after it in this run needs that cluster. Row 10 holds the cluster's lock itself; this
     * run's other ups run one at a time, each with the machine's ports lock.
     */
    static List<Guard> safetyGuardsApart() {
        return List.of(
                new Guard("a second migration does not look for a running one", "lib/lifecycle/Migrator.java",
                        "Installer.refuseIfMigrationRuns(rel, false);", "", ROW_7_SECOND, "a second migrate: expected exit 2"),
                new Guard("the loopback test trusts a spelling (prod.localhost, 127.000.000.001, LOCALHOST, 127.1)", "lib/kube/KubeConfig.java",
                        "return host.equals(\"localhost\") || host.equals(\"::1\") || host.equals(\"0.0.0.0\") || LOOPBACK_V4.matcher(host).matches();",
                        "return host.toLowerCase(Locale.ROOT).endsWith(\"localhost\") || host.equals(\"::1\") || host.equals(\"0.0.0.0\") || host.startsWith(\"127.\");",
                        R2_ROW_7, "expected exit 2 saying it is not on this machine"),
                new Guard("the kubeconfig files of KUBECONFIG are merged last-wins, unlike kubectl", "lib/kube/KubeConfig.java",
                        "into.putIfAbsent(String.valueOf(m.get(\"name\")), b);", "into.put(String.valueOf(m.get(\"name\")), b);", R2_ROWS_5_7,
                        "KUBECONFIG=prod:shadow, a dispatcher-like kubectl first on PATH: expected exit 2 refusing kwok-prod"),
                new Guard("the Secret keeps the keys an env file no longer has", "lib/lifecycle/Secrets.java",
                        "if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) return",
                        "removed.forEach(k -> encoded.put(k, Base64.getEncoder().encodeToString(current.get(k).getBytes(StandardCharsets.UTF_8))));\n"
                                + "        removed.clear();\n        if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) return",
                        ROWS_3_11, "after --env-file b.env the Secret still holds"),
                new Guard("an env file's quotes are dropped from its values, as a shell's dotenv would", "lib/lifecycle/EnvFile.java",
                        "String value = eq < 0 ? nonNull(environment.apply(key)) : line.substring(eq + 1);",
                        "String value = eq < 0 ? nonNull(environment.apply(key)) : line.substring(eq + 1).replace(\"'\", \"\").replace(\"\\\"\", \"\");",
                        R2_ROW_2, "keys missing, extra or changed"),
                new Guard("a FIFO or device is read as an input file", "lib/kube/InputFile.java",
                        "if (!a.isRegularFile()) {", "if (false) {", R2_ROW_18, "expected exit 2 with one line naming --env-file"),
                new Guard("a release left pending is not seen as stuck", "lib/kube/Release.java",
                        "boolean pending() { return status.startsWith(\"pending-\"); }", "boolean pending() { return false; }", ROW_8_STUCK,
                        "expected exit 2 naming the stuck state and --recover"),
                ctrlCDuringUp(),
                new Guard("cluster status and up do not look at the control plane's processes and health endpoints", "lib/cluster/KwokCluster.java",
                        "static List<String> missingParts(String name) {", "static List<String> missingParts(String name) {\n        if (true) return new ArrayList<String>();",
                        I14_ROW_17, "status with a dead scheduler: expected exit 1 naming kube-scheduler"),
                new Guard("up --recreate deletes a running, whole cluster without --yes-delete-healthy-cluster", "lib/cluster/KwokCluster.java",
                        "if (health == Health.READY && deleteHealthy == null) {", "if (false) {", I14_ROW_3,
                        "up --recreate of a healthy cluster: expected exit 2"),
                // The case holds the cluster's lock itself, as a first up does: no race decides whether the second up sees it.
                new Guard("cluster up does not take the cluster's lock", "lib/cluster/KwokCluster.java",
                        "try (var lock = ClusterLock.take(name, \"cluster up\")) {", "{", ROW_10,
                        "an up while this run holds the cluster's lock: expected exit 2"));
    }

    /** Rows 9, 13 and issue 14 row 19 (once per phase of up) all interrupt cluster up: one guard, five cases. */
    private static Guard ctrlCDuringUp() {
        var g = new Guard("Ctrl-C during cluster up leaves the half-built cluster running", "lib/cluster/KwokCluster.java",
                "var left = leftovers(down(name, kubeconfig, nodes, System.err::println));", "var left = List.<String>of();", ROWS_9_13,
                "left behind after Ctrl-C");
        for (String phase : UP_PHASES) g = g.also(String.format(I14_ROW_19, phase), "left behind after Ctrl-C in phase '" + phase + "'");
        return g;
    }

    // e2e.java's (kwok) check names, as it prints them
    static final String E2E_NOT_DELIBERATE = "refuses a cluster it was not pointed at deliberately (current context prod-eks)";
    static final String E2E_UNREACHABLE = "refuses an unreachable cluster, naming the context";
    static final String E2E_FAILING_UPGRADE = "a failing migration fails the upgrade, shows the Job, and rolls back";
    static final String E2E_HOOK_SA = "the spec's hook-ServiceAccount defect fails the first install, naming the ServiceAccount";
    static final String E2E_MIGRATE_FAILS = "migrate.java: a failing migration reports failure with the Job's status";
    static final String E2E_ROLLBACK = "rollback.java returns to the previous revision and says which migrations stay applied";
    static final String E2E_ROLLBACK_MISSING = "rollback.java refuses a revision that does not exist, changing nothing";
    static final String E2E_OLD_CHART = "upgrading from the 0.10.0 chart is refused before any change, naming the selector and the way out";
    static final String E2E_UNINSTALL = "uninstall leaves nothing of the release: no workload, hook Job, ServiceAccount, policy, budget or lock";
    static final String E2E_BAD_VALUES = "refuses a bad values file, naming the key";
    static final String E2E_MISSING_SECRET = "refuses a missing Secret, naming it and the fix";
    static final String E2E_DRY_RUN = "refuses what the API server refuses (server-side dry run), before any change";
    static final String E2E_MISSING_TOOL = "refuses a missing tool, naming the variable to set";
    static final String E2E_MIGRATE_OK = "migrate.java: on-demand migration Job succeeds";
    static final String E2E_DRAIN = "draining a node respects the PDB (the eviction API refuses)";
    static final String E2E_SPREAD = "topology spread: prod's 3 API pods all schedule beside a tainted node (nodeTaintsPolicy Honor); Kubernetes' default "
            + "leaves some Pending";
    static final String E2E_BY_VALUES = "upgrade.java by values alone (worker.replicaCount=3) succeeds: no new API pods, so no order to prove";
    static final String E2E_NUMERIC_TAG = "upgrade.java --tag 20240101: a numeric tag stays a string, and migrations run before the new pods";
    static final String E2E_WAY_OUT = "the README's way out of the 0.10.0 selector change works: orphan, upgrade, clean up";
    static final String E2E_DOWN = "cluster down leaves no process, port, mount, interface, rule or folder behind";
    static final String E2E_NETPOL_KWOK = "netpol matrix on kwok's simulated nodes: the canary cannot be tried, and every denied row fails naming the "
            + "simulated node";

    /**
     * e2e.java's (kwok) checks that no defect here makes fail, each with the reason. The defects
     * stage fails on a check that has neither a defect nor a line here, and on a line here whose
     * check is gone.
     */
    static final java.util.Map<String, String> E2E_EXEMPT = java.util.Map.of();

    static final String E2E_UP = "cluster up (kwok, real control plane built from Go modules)";
    static final String E2E_FIRST_INSTALL = "plan 9/10: first install with values/prod.yaml runs the pre-install migration hook";
    static final String E2E_UPGRADE = "plan 11: upgrade to a new tag runs the migration Job before new API pods";

    /**
     * Defects of the e2e's fatal stages, one e2e run each: a fatal stage's failure ends the
     * lifecycle (E2e.stage throws Stop, and only the cluster's removal follows), so such a
     * defect cannot share a run, and its run is short: up to the stage that fails. Each
     * run must fail exactly that stage, saying why, and stop there.
     */
    static List<Defect> e2eStops() {
        return List.of(
                new Defect("kwokctl is not told to enable kwok's Stage CRD, so up cannot apply the Stages", "scripts/lib/cluster/KwokCluster.java",
                        "options.put(\"enableCRDs\", List.of(\"Stage\"));", "",
                        // kubectl says it two ways, as its discovery cache knows the kind or not: "(post
                        // stages.kwok.x-k8s.io)" or "no matches for kind "Stage" in version "kwok.x-k8s.io/v1alpha1"".
                        List.of(new Expect(E2E_UP, "kwok.x-k8s.io"))),
                new Defect("the migration Job is a pre-upgrade hook only: a first install starts the API on an unmigrated database",
                        "helm/trevor/templates/migration-job.yaml",
                        "    \"helm.sh/hook\": pre-install,pre-upgrade\n    \"helm.sh/hook-weight\": \"-5\"",
                        "    \"helm.sh/hook\": pre-upgrade\n    \"helm.sh/hook-weight\": \"-5\"",
                        List.of(new Expect(E2E_FIRST_INSTALL, "the pre-install migration hook did not run"))),
                new Defect("the migration Job is a pre-install hook only: an upgrade's new API pods start on the old schema",
                        "helm/trevor/templates/migration-job.yaml",
                        "    \"helm.sh/hook\": pre-install,pre-upgrade\n    \"helm.sh/hook-weight\": \"-5\"",
                        "    \"helm.sh/hook\": pre-install\n    \"helm.sh/hook-weight\": \"-5\"",
                        List.of(new Expect(E2E_UPGRADE, "migration hook trevor-migrate"))));
    }

    /**
     * The kwok e2e's defects, in one checkout and one e2e run: each breaks a check that does not
     * stop the lifecycle, and none changes what a later check starts from. The first two meet:
     * prod-eks, no longer refused for its name, is then not refused as unreachable either, so
     * both refusals fail the same way (install goes on and exits 1); each is needed for its own.
     */
    static List<Defect> e2eDefects() {
        return List.of(
                new Defect("a context is not refused for its name (prod-eks)", "scripts/lib/kube/KubeConfig.java",
                        "if (!LOCAL_CONTEXT.matcher(context).matches()) return \"its name is not k3d-* or kwok-*\";", "",
                        List.of(new Expect(E2E_NOT_DELIBERATE, "expected exit code 2"))),
                new Defect("a cluster that does not answer is not refused", "scripts/lib/kube/Kube.java",
                        "throw new Problem.Refused(\"the cluster of context '\" + context + \"' does not answer: \"",
                        "if (false) throw new Problem.Refused(\"the cluster of context '\" + context + \"' does not answer: \"",
                        List.of(new Expect(E2E_UNREACHABLE, "expected exit code 2"))),
                new Defect("a failed install or upgrade does not show the migration Job from the cluster", "scripts/lib/lifecycle/Installer.java",
                        "+ \"\\n\\nmigration Job, from the cluster:\\n\" + job", "",
                        List.of(new Expect(E2E_FAILING_UPGRADE, "does not explain the migration Job"),
                                new Expect(E2E_HOOK_SA, "does not name the missing ServiceAccount"))),
                new Defect("migrate.java does not show the Job's status", "scripts/lib/lifecycle/Migrator.java",
                        "String explanation = Diagnostics.explainJob(rel.kube, rel.namespace, \"trevor.dev/migration-run=\" + run);",
                        "String explanation = \"\";", List.of(new Expect(E2E_MIGRATE_FAILS, "does not show the failure"))),
                new Defect("rollback finds no migration that ran", "scripts/lib/lifecycle/DbRevision.java",
                        "if (rel.hookRuns(r.number()).stream().anyMatch(h -> \"Job\".equals(h.kind()) && \"Succeeded\".equals(h.phase()))) return r;", "",
                        List.of(new Expect(E2E_ROLLBACK, "does not say the 20240101 migrations stay"))),
                // Still refused, so the way out below starts from the release the refusal left: a defect that let the upgrade
                // go ahead would change what the way out starts from, and hide the way out's own defect.
                new Defect("the refusal's way out deletes a Deployment with its pods (no --cascade=orphan)", "scripts/lib/lifecycle/ImmutableFields.java",
                        "+ \" --cascade=orphan` (its pods keep running) and upgrade again\";", "+ \"` and upgrade again\";",
                        List.of(new Expect(E2E_OLD_CHART, "does not name the selector and the way out"))),
                new Defect("upgrade judges immutable fields on Helm's record, not on what still exists: a Deployment deleted with "
                        + "--cascade=orphan still blocks it", "scripts/lib/lifecycle/Upgrader.java",
                        ".stream().filter(c -> rel.kube.exists(rel.namespace,", ".stream().filter(c -> true || rel.kube.exists(rel.namespace,",
                        List.of(new Expect(E2E_WAY_OUT, "refuses to change in place"))),
                new Defect("rollback takes a revision that does not exist for the one deployed now", "scripts/lib/lifecycle/Rollback.java",
                        ".orElseThrow(() -> new Problem.BadInput(\"release \" + rel.name + \" has no revision \" + revision + \"; its revisions: \" + list(state)));",
                        ".orElse(current);", List.of(new Expect(E2E_ROLLBACK_MISSING, "does not name the revision"))),
                new Defect("the chart keeps the migration hook Job that succeeded", "helm/trevor/values.yaml",
                        "hookDeletePolicy: before-hook-creation,hook-succeeded", "hookDeletePolicy: before-hook-creation",
                        List.of(new Expect(E2E_UNINSTALL, "job.batch/trevor-migrate "))),
                new Defect("the schema lets replicaCount be a string", "helm/trevor/values.schema.json",
                        "\"replicaCount\": {\n      \"type\": \"integer\",", "\"replicaCount\": {\n      \"type\": [\"integer\", \"string\"],",
                        List.of(new Expect(E2E_BAD_VALUES, "does not say 'replicaCount'"))),
                new Defect("a missing Secret's refusal does not name the Secret", "scripts/lib/lifecycle/Installer.java",
                        "throw new Problem.BadInput(\"Secret \" + name + \" (named by envFromSecrets) does not exist in namespace \"",
                        "throw new Problem.BadInput(\"a Secret (named by envFromSecrets) does not exist in namespace \"",
                        List.of(new Expect(E2E_MISSING_SECRET, "does not say 'Secret trevor-env'"))),
                new Defect("the dry run's refusal does not say that the API server refused the release", "scripts/lib/lifecycle/Installer.java",
                        "throw new Problem.BadInput(\"the API server refuses this release (dry run, nothing was stored):\\n\"",
                        "throw new Problem.BadInput(\"dry run failed:\\n\"",
                        List.of(new Expect(E2E_DRY_RUN, "does not say 'the API server refuses this release'"))),
                new Defect("a missing tool's refusal does not name the variable that points at it", "scripts/lib/tools/Tools.java",
                        "throw new Problem.ToolMissing(s.envVar() + \"=\" + v + \" but that file does not exist. Fix: point \"\n"
                                + "                        + s.envVar() + \" at a \" + s.display() + \" binary (e.g. \" + s.envVar() + \"=/usr/local/bin/\"",
                        "throw new Problem.ToolMissing(v + \" does not exist. Fix: point it at a \" + s.display() + \" binary (e.g. /usr/local/bin/\"",
                        List.of(new Expect(E2E_MISSING_TOOL, "does not say 'TREVOR_HELM'"))),
                new Defect("migrate.java reads a Complete Job as not succeeded", "scripts/lib/lifecycle/Migrator.java",
                        "if (Kube.conditionTrue(j, \"Complete\")) { ok[0] = true;", "if (Kube.conditionTrue(j, \"Complete\")) { ok[0] = false;",
                        List.of(new Expect(E2E_MIGRATE_OK, "did not succeed"))),
                new Defect("prod's API PDB allows as many disruptions as a node holds API pods (minAvailable 1)", "values/prod.yaml",
                        "  minAvailable: 2\n", "  minAvailable: 1\n", List.of(new Expect(E2E_DRAIN, "nothing to refuse"))),
                // Both are needed: values/prod.yaml says Honor itself, and the chart adds it where values do not.
                new Defect("the chart does not add nodeTaintsPolicy Honor to a hostname spread rule", "helm/trevor/templates/_helpers.tpl",
                        "{{- if not (hasKey $c \"nodeTaintsPolicy\") }}{{ $_ := set $c \"nodeTaintsPolicy\" \"Honor\" }}{{ end }}", "", List.of()),
                new Defect("values/prod.yaml's hostname spread rule counts tainted nodes (no nodeTaintsPolicy Honor), nor does the chart add it",
                        "values/prod.yaml", "    nodeTaintsPolicy: Honor\n", "", List.of(new Expect(E2E_SPREAD, "expected 3 scheduled"))),
                new Defect("the API pods' template carries a checksum of every value, so any values change rolls them",
                        "helm/trevor/templates/deployment.yaml", "{{- $annotations := .Values.podAnnotations | default dict }}",
                        "{{- $annotations := merge (dict \"checksum/values\" (.Values | toJson | sha256sum)) (.Values.podAnnotations | default dict) }}",
                        List.of(new Expect(E2E_BY_VALUES, "the API Deployment rolled"))),
                // Both are needed: kwokctl delete removes the folder itself, and down removes what kwokctl left.
                new Defect("cluster down does not run kwokctl delete (it stops the processes itself)", "scripts/lib/cluster/KwokCluster.java",
                        "if (Files.isExecutable(kwokctl)) {", "if (false) {", List.of()),
                new Defect("cluster down leaves the cluster's folder, nor does kwokctl remove it", "scripts/lib/cluster/KwokCluster.java",
                        "        Dirs.deleteTree(clusterDir(name));\n        return footprint;", "        return footprint;",
                        List.of(new Expect(E2E_DOWN, "folder "))),
                // All five are needed: with --set a numeric tag reaches helm as a number, which the schema would refuse and the
                // string functions of the templates could not print; taken together the upgrade goes ahead with a number.
                new Defect("upgrade passes --tag to helm with --set (a number stays a number)", "scripts/lib/lifecycle/Installer.java",
                        "s.add(\"--set-literal image.tag=\" + tag);", "s.add(\"--set image.tag=\" + tag);", List.of()),
                new Defect("the schema takes a number for image.tag", "helm/trevor/values.schema.json",
                        "\"tag\": {\n          \"type\": \"string\",", "\"tag\": {\n          \"type\": [\"string\", \"integer\"],", List.of()),
                new Defect("the version label takes a number for image.tag", "helm/trevor/templates/_helpers.tpl",
                        "(.ctx.Values.image.tag | default .ctx.Chart.AppVersion | trunc 63", "(.ctx.Values.image.tag | default .ctx.Chart.AppVersion | toString | trunc 63",
                        List.of()),
                new Defect("the image reference takes a number for image.tag", "helm/trevor/templates/_helpers.tpl",
                        "{{- $tag := .Values.image.tag | default .Chart.AppVersion }}", "{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}",
                        List.of()),
                new Defect("OTEL's service.version takes a number for image.tag, so a numeric tag is deployed as a number", "helm/trevor/templates/_helpers.tpl",
                        "service.version=%s\" (.Values.image.tag", "service.version=%v\" (.Values.image.tag",
                        List.of(new Expect(E2E_NUMERIC_TAG, "expected the string 20240101"))),
                new Defect("the matrix tries its canary on a simulated node as if a container ran there", "scripts/lib/e2e/NetpolProbe.java",
                        "if (simulated != null) {", "if (false) {",
                        List.of(new Expect(E2E_NETPOL_KWOK, "failed without naming the simulated node"))));
    }

    /** checkout's scripts, charts and values copied to dest, with every guard taken out. */
    static Path copyWithout(Path checkout, Path dest, List<Guard> guards) throws IOException {
        return copyWith(checkout, dest, guards.stream().map(Guard::defect).toList());
    }

    /** checkout's launcher, scripts, charts and values copied to dest, with every defect put in. */
    static Path copyWith(Path checkout, Path dest, List<Defect> defects) throws IOException {
        // "images": a checkout from before the images' inputs moved under scripts/.
        for (String part : List.of("scripts", "helm", "values", "images")) {
            if (Files.isDirectory(checkout.resolve(part))) Dirs.copyTree(checkout.resolve(part), dest.resolve(part));
        }
        // The e2e runs scripts of the copy through the copy's own launcher.
        if (Files.isRegularFile(checkout.resolve("jbang"))) Files.copy(checkout.resolve("jbang"), dest.resolve("jbang"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        for (var d : defects) {
            Path f = dest.resolve(d.file());
            String text = Files.readString(f);
            Report.expect(text.contains(d.find()), "%s: %s no longer holds the guard's text; update this defect", d.what(), d.file());
            Files.writeString(f, text.replace(d.find(), d.replace()));
        }
        return dest;
    }
}
