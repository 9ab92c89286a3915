///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/node/WholeCluster.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/cli/SuiteOptions.java
//SOURCES lib/e2e/ClusterChecks.java
//SOURCES lib/cluster/ClusterLock.java
//SOURCES lib/cluster/Daemons.java
//SOURCES lib/tools/Dirs.java
//SOURCES lib/tools/Exec.java
//SOURCES lib/e2e/ForeignLease.java
//SOURCES lib/kube/Helm.java
//SOURCES lib/cli/HelmOptions.java
//SOURCES lib/tools/Interrupts.java
//SOURCES lib/kube/Kube.java
//SOURCES lib/lifecycle/LiveChecks.java
//SOURCES lib/e2e/LoggingProxy.java
//SOURCES lib/cluster/KwokCluster.java
//SOURCES lib/report/Progress.java
//SOURCES lib/kube/Release.java
//SOURCES lib/lifecycle/ReleaseLock.java
//SOURCES lib/e2e/ReleaseTraces.java
//SOURCES lib/tools/Repo.java
//SOURCES lib/report/Report.java
//SOURCES lib/report/ScriptRunner.java
//SOURCES lib/report/SecretMarker.java
//SOURCES lib/tools/Text.java
//SOURCES lib/tools/Tools.java
//SOURCES lib/tools/Wait.java
//SOURCES lib/tools/Yaml.java

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "safety", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "The trust guarantees, tried the way real users and bad inputs try them, on a kwok cluster of its own: "
                + "no cluster lost, no secret leaked or ignored, nothing touched that was not named, every interruption recoverable.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed", "1:a check failed (diagnostics folder printed)", "2:bad option or missing tool"},
        footerHeading = "%n",
        footer = {"With --only each case runs on its own: one that builds on an earlier case's release makes it when it is not there.",
                "--list prints one line 'CASE  name' per case and makes no cluster."})
public class safety implements Callable<Integer> {
    @Mixin HelmOptions helmOptions;

    @Option(names = "--name", defaultValue = "trevor-safety", description = "kwok cluster name (default: ${DEFAULT-VALUE}); NAME-int is used too.")
    String name;

    @Mixin SuiteOptions.Junit junit = new SuiteOptions.Junit();

    @Mixin SuiteOptions.DiagnosticsDir diagnostics = new SuiteOptions.DiagnosticsDir();

    @Mixin SuiteOptions.Only only = new SuiteOptions.Only();

    @Option(names = "--scripts-from", paramLabel = "DIR", description = "Run the lifecycle scripts of another checkout (to see how an older version fails these checks).")
    Path scriptsFrom;

    @Mixin SuiteOptions.Listing listing = new SuiteOptions.Listing();

    static final String NO_SECRET = "no secret value appears in any output, report or diagnostics file";

    private Path repo;
    private Path scripts;
    private Path work;
    private Path kubeconfig;
    private Kube kube;
    private Report report;
    private Progress progress;
    private SecretMarker secrets;
    private ScriptRunner runner;
    private ReleaseTraces traces;
    private ClusterChecks checks;
    private Path diagDir;
    private Helm helm;

    public static void main(String[] args) { System.exit(Cli.execute(new safety(), args)); }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        repo = Repo.root();
        if (repo == null) {
            System.err.println("safety: run me from inside the trevor repository");
            return 2;
        }
        scripts = (scriptsFrom != null ? scriptsFrom : repo).toAbsolutePath().normalize();
        only.checkPattern();
        if (listing.list) {
            only.requireAnyOf(listed(System.out), "safety");
            return 0;
        }
        // A selection that matches no case is refused before any cluster is made, not after them.
        if (only.pattern != null) only.requireAnyOf(listed(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())), "safety");
        junit.checkTarget();
        diagDir = diagnostics.or(repo.resolve("build/safety-diagnostics"));
        progress = new Progress("safety", System.out);
        helm = helmOptions.resolve(progress::info);
        report = new Report("safety (helm " + helm.major + ")", System.out, only.pattern, false);
        work = Files.createTempDirectory("trevor-safety");
        secrets = new SecretMarker(work);
        runner = new ScriptRunner(repo, scripts);
        kubeconfig = work.resolve("kubeconfig");
        Files.writeString(kubeconfig, "");
        checks = new ClusterChecks("safety", List.of(name, name + "-int", name + "-p1", name + "-p2"), report, progress, diagDir, runner::transcript);
        try {
            kube = checks.up(repo, kubeconfig);
            traces = new ReleaseTraces(kube);
            secrets.writeEnvFiles();
            cases();
            concurrentClusters();
            firstDay();
        } finally {
            checks.down();
        }
        progress.printTimings();
        checks.check(NO_SECRET, () -> {
            var where = secrets.printedIn(runner.transcript(), report.results(), diagDir);
            Report.expect(where.isEmpty(), "a secret value was printed: %s", String.join("; ", where));
        });
        junit.write(report, (System.nanoTime() - t0) / 1_000_000);
        Dirs.deleteTree(work);
        System.out.printf("safety: total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return report.finish("safety");
    }

    // ---------------------------------------------------------------- the cases, one per row of issue 10

    private void cases() throws Exception {
        checks.check("row 1: cluster up from a shell without the cluster's context reuses it and deletes nothing", () -> {
            kube.run("create", "namespace", "safety-keep");
            Path empty = work.resolve("empty-kubeconfig");
            Files.writeString(empty, "");
            var up = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", name, "--kubeconfig", empty.toString()));
            Report.expect(up.ok(), "exit %d: %s", up.exit(), tail(up));
            Report.expect(up.out().contains("reusing"), "up did not say it reuses the cluster: %s", tail(up));
            Report.expect(kube.exists(null, "namespace", "safety-keep"), "namespace safety-keep is gone: the cluster was recreated");
            var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", name, "--kubeconfig", work.resolve("other").toString()));
            Report.expect(st.ok() && st.out().contains(": running"), "status from another shell: exit %d: %s", st.exit(), tail(st));
        });

        checks.check("row 2: a kwok-* context whose server is not on this machine is not local: refused, and never given dev Secrets", () -> {
            // The "remote" server is a documentation address that nothing ever dials: kubectl reaches it only
            // through a proxy on 127.0.0.1 that records the request and tunnels it to this kwok cluster.
            try (var proxy = new LoggingProxy(kwokPort())) {
                Path remote = work.resolve("remote-kubeconfig");
                Files.writeString(remote, LoggingProxy.kubeconfig("kwok-prod", "https://" + LoggingProxy.REMOTE + ":6443",
                        KwokCluster.ownKubeconfig(name), "", ""));
                var env = withPinnedKubectl(proxy.environment());
                var implicit = runner.run("install.java", concat(concat(List.of("--kubeconfig", remote.toString(), "-n", "safety-remote"),
                        "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new)), env, Duration.ofMinutes(3));
                Report.expect(implicit.exit() == 2 && implicit.err().contains("not a local dev cluster"),
                        "as the current context: expected exit 2 saying it is not a local dev cluster, got %d: %s", implicit.exit(), tail(implicit));
                Report.expect(proxy.requests().isEmpty(), "as the current context it was contacted: %s", proxy.requests());
                var named = runner.run("install.java", concat(concat(List.of("--kubeconfig", remote.toString(), "--context", "kwok-prod",
                        "-n", "safety-remote", "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new))),
                        env, Duration.ofMinutes(3));
                Report.expect(named.exit() == 2 && named.err().contains("dev defaults are only for local dev clusters"),
                        "with --context: expected exit 2 refusing dev Secrets, got %d: %s", named.exit(), tail(named));
                Report.expect(!kube.exists(null, "namespace", "safety-remote"), "namespace safety-remote was created on the 'remote' cluster");
            }
        });

        checks.check("rows 3, 11: --env-file makes an existing Secret match, names keys only, and keeps y/n/0o17 as strings", () -> {
            var first = install("safety-secrets", List.of("--env-file", secrets.env("a.env").toString()));
            Report.expect(first.ok(), "first install: exit %d: %s", first.exit(), tail(first));
            Report.expect(traces.secretData("safety-secrets", "trevor-env").equals(secrets.envA()), "after the first install the Secret holds %s",
                    traces.secretData("safety-secrets", "trevor-env").keySet());
            var second = install("safety-secrets", List.of("--env-file", secrets.env("b.env").toString()));
            Report.expect(second.ok(), "second install: exit %d: %s", second.exit(), tail(second));
            Report.expect(traces.secretData("safety-secrets", "trevor-env").equals(secrets.envB()), "after --env-file b.env the Secret still holds %s",
                    traces.secretData("safety-secrets", "trevor-env").keySet());
            for (String said : List.of("added EXTRA", "changed DATABASE_URL", "removed OLD_TOKEN")) {
                Report.expect(second.out().contains(said), "the output does not say '%s': %s", said, tail(second));
            }
        });

        checks.check("row 4: two installs at once: one holds the lock, the other exits 2 naming it; the Secret holds the winner's file", () -> {
            var first = install("safety-race", List.of("--env-file", secrets.env("plain1.env").toString()));
            Report.expect(first.ok(), "the first install: exit %d: %s", first.exit(), tail(first));
            int revision = release("safety-race").state().last().number();
            // The lock is held on purpose, by a live run on another machine, so the refusal cannot depend on who wins a race.
            try (var held = new ForeignLease(kube, "safety-race", "trevor")) {
                var a = CompletableFuture.supplyAsync(() -> install("safety-race", List.of("--env-file", secrets.env("plain2.env").toString())));
                var b = CompletableFuture.supplyAsync(() -> install("safety-race", List.of("--env-file", secrets.env("plain2.env").toString())));
                for (var r : List.of(a.join(), b.join())) {
                    Report.expect(r.exit() == 2 && r.err().contains("holds its lock") && r.err().contains(ForeignLease.HOLDER),
                            "while another run holds the lock: expected exit 2 naming the holder (%s), got %d: %s", ForeignLease.HOLDER, r.exit(), tail(r));
                    Report.expect(!r.err().contains("\tat "), "a stack trace was printed: %s", tail(r));
                }
                Report.expect(held.stillHeld(), "the Lease no longer names its holder: a refused run took it over");
            }
            Report.expect(traces.secretData("safety-race", "trevor-env").equals(secrets.plain(1)),
                    "a refused run changed the Secret: it no longer holds plain1.env, the winner's file");
            Report.expect(release("safety-race").state().last().number() == revision, "a refused run added a revision: %s",
                    release("safety-race").state().describe());
            var next = install("safety-race", List.of("--env-file", secrets.env("plain2.env").toString()));
            Report.expect(next.ok(), "once the lock was released, the next install: exit %d: %s", next.exit(), tail(next));
            Report.expect(traces.secretData("safety-race", "trevor-env").equals(secrets.plain(2)), "after the lock was released, the Secret does not hold plain2.env");
        });

        checks.check("row 5: system namespaces are refused and left as they were", () -> {
            for (String ns : List.of("kube-system", "default")) {
                var before = Kube.labelsOf(kube.get(null, "namespace", ns));
                var r = install(ns, List.of());
                Report.expect(r.exit() == 2 && r.err().contains("belongs to the cluster itself"), "-n %s: expected exit 2, got %d: %s", ns, r.exit(), tail(r));
                Report.expect(Kube.labelsOf(kube.get(null, "namespace", ns)).equals(before), "-n %s: its labels changed", ns);
            }
        });

        checks.check("rows 5, 16: an existing namespace's Pod Security labels change only when a flag says so; refused with exit 2", () -> {
            kube.run("create", "namespace", "safety-priv");
            kube.run("label", "namespace", "safety-priv", "pod-security.kubernetes.io/enforce=privileged");
            var refused = install("safety-priv", List.of());
            Report.expect(refused.exit() == 2 && refused.err().contains("--relabel-namespace"), "expected exit 2 naming the flag, got %d: %s",
                    refused.exit(), tail(refused));
            Report.expect("privileged".equals(Kube.labelsOf(kube.get(null, "namespace", "safety-priv")).get("pod-security.kubernetes.io/enforce")),
                    "the namespace's enforce label changed");
            var kept = install("safety-priv", List.of("--keep-namespace-labels"));
            Report.expect(kept.ok(), "--keep-namespace-labels: exit %d: %s", kept.exit(), tail(kept));
            Report.expect("privileged".equals(Kube.labelsOf(kube.get(null, "namespace", "safety-priv")).get("pod-security.kubernetes.io/enforce")),
                    "--keep-namespace-labels changed the enforce label");
        });

        checks.check("row 6: status reports a failed last revision and exits 1", () -> {
            failedRelease();
            var st = runner.run("status.java", target("safety-failed"));
            Report.expect(st.exit() == 1, "status exited %d on a failed release: %s", st.exit(), tail(st));
            Report.expect(st.out().contains("FAIL  release: Helm reports the last revision deployed") && st.out().contains(" is failed: "),
                    "status does not report the failed revision: %s", tail(st));
        });

        checks.check("row 7: migrate runs the last deployed revision's image, not the failed one's", () -> {
            failedRelease();
            var m = runner.run("migrate.java", concat(target("safety-failed"), "--timeout", "60s"));
            Report.expect(m.ok(), "migrate: exit %d: %s", m.exit(), tail(m));
            Report.expect(m.out().contains("image trevor:1.0.0") && !m.out().contains("trevor:9.9.9"),
                    "migrate did not run the deployed image trevor:1.0.0: %s", tail(m));
        });

        checks.check("row 7: a migrate that times out says the Job still runs and how to stop it; a second one is refused meanwhile", () -> {
            failedRelease();
            var slow = runner.run("migrate.java", concat(concat(target("safety-failed"), "--timeout", "5s"), testLabel("hang")));
            Report.expect(slow.exit() == 1 && (slow.out() + slow.err()).contains("still running") && slow.out().contains("delete job"),
                    "expected exit 1 saying the Job still runs and how to stop it, got %d: %s", slow.exit(), tail(slow));
            var second = runner.run("migrate.java", concat(target("safety-failed"), "--timeout", "30s"));
            Report.expect(second.exit() == 2 && second.err().contains("is still running"), "a second migrate: expected exit 2, got %d: %s",
                    second.exit(), tail(second));
            kube.run("delete", "jobs", "-n", "safety-failed", "-l", "trevor.dev/migration-run", "--wait=false");
        });

        checks.check("row 8: a hang-up during the pre-install hook stops helm cleanly and the hook Job with it", () -> {
            // helm's own timeout is longer than the script's grace time (Interrupts.GRACE_SECONDS): only the script's
            // SIGTERM can end helm's wait for the hanging hook in time, so a helm nobody told to stop shows every time.
            var p = runner.start("install.java", concat(concat(target("safety-hup"), "-f", repo.resolve("values/prod.yaml").toString(), "--timeout", "600s",
                    "--env-file", secrets.env("plain1.env").toString()), testLabel("hang")));
            traces.awaitMigrationJob("safety-hup", Duration.ofSeconds(60), p);
            runner.signal(p, "HUP");
            var r = p.await(Duration.ofMinutes(4));
            Report.expect(r.exit() != 0, "the interrupted install exited 0");
            Report.expect(!r.err().contains("did not stop in"), "helm was not told to stop: it ran on through the %d s grace time and was killed: %s",
                    Interrupts.GRACE_SECONDS, tail(r));
            var state = release("safety-hup").state();
            Report.expect(state.last() == null || !state.last().pending(), "the release is left %s", state.describe());
            Report.expect(traces.activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs("safety-hup"));
            Report.expect(kube.get("safety-hup", "lease", ReleaseLock.leaseName("trevor")) == null, "the release's lock is still held");
            var again = install("safety-hup", List.of("-f", repo.resolve("values/prod.yaml").toString()));
            Report.expect(again.ok(), "the next install: exit %d: %s", again.exit(), tail(again));
            Report.expect(!again.out().contains("rolled back"), "the next install says it rolled back: %s", tail(again));
        });

        checks.check("row 8: a release left pending by a killed run is named as stuck, and --recover gets it out", () -> {
            deployed("safety-hup", null);
            var p = runner.start("upgrade.java", concat(concat(target("safety-hup"), "--tag", "2.0.0", "--timeout", "120s"), testLabel("hang")));
            traces.awaitMigrationJob("safety-hup", Duration.ofSeconds(60), p);
            // The hard way: the script and its helm die at once, as in a power cut.
            var helmPids = ScriptRunner.descendants(p.pid());
            runner.signal(p, "KILL");
            for (long pid : helmPids) Exec.run(List.of("kill", "-KILL", String.valueOf(pid)), Duration.ofSeconds(10));
            p.await(Duration.ofSeconds(30));
            var killed = release("safety-hup").state();
            Report.expect(killed.last() != null && killed.last().pending(), "the kill did not leave the release pending: %s", killed.describe());
            awaitLockExpired("safety-hup", Duration.ofSeconds(2)); // the dead run's lock expires
            var stuck = runner.run("upgrade.java", concat(target("safety-hup"), "--tag", "2.0.0"));
            Report.expect(stuck.exit() == 2 && stuck.err().contains("stuck in pending-upgrade") && stuck.err().contains("--recover"),
                    "expected exit 2 naming the stuck state and --recover, got %d: %s", stuck.exit(), tail(stuck));
            var recovered = runner.run("upgrade.java", concat(target("safety-hup"), "--tag", "2.0.0", "--recover"));
            Report.expect(recovered.ok(), "--recover: exit %d: %s", recovered.exit(), tail(recovered));
            var state = release("safety-hup").state();
            Report.expect(state.last().status().equals("deployed"), "after --recover the release is %s", state.describe());
            Report.expect(traces.activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs("safety-hup"));
        });

        checks.check("rows 8, 13: Ctrl-C during an upgrade's hook rolls back, stops the hook Job and leaves no values file", () -> {
            deployed("safety-hup", "2.0.0");
            var since = java.time.Instant.now().minusSeconds(2);
            // Secrets (--env-file) and values (a marker in --set-string) pass through the run, so a file it leaves shows.
            var args = concat(concat(concat(target("safety-hup"), "--tag", "3.0.0", "--timeout", "120s", "--env-file", secrets.env("plain2.env").toString()),
                    testLabel("hang")), setString("podAnnotations.trevor\\.test/values-marker", secrets.valuesValue()));
            var p = runner.start("upgrade.java", args);
            traces.awaitMigrationJob("safety-hup", Duration.ofSeconds(60), p);
            runner.signal(p, "INT");
            var r = p.await(Duration.ofMinutes(3));
            Report.expect(r.exit() != 0, "the interrupted upgrade exited 0");
            var state = release("safety-hup").state();
            Report.expect(state.last().status().equals("deployed") || state.last().status().equals("failed"),
                    "the release is left %s", state.describe());
            Report.expect("2.0.0".equals(Yaml.str(release("safety-hup").computedValues(state.lastDeployed().number()), "image.tag")),
                    "the deployed revision is no longer 2.0.0: %s", state.describe());
            Report.expect(traces.activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs("safety-hup"));
            var left = secrets.writtenUnder(writablePlaces(), since, placesMarkersBelong());
            Report.expect(left.isEmpty(), "files left holding a secret or values marker: %s", left);
        });

        checks.check("row 12: bad input is refused with exit 2 before anything is created", () -> {
            Files.writeString(work.resolve("dot.env"), ".=x\n");
            Files.writeString(work.resolve("dotdot.env"), "..=x\n");
            var huge = new StringBuilder();
            for (int i = 0; i < 20; i++) huge.append("K").append(i).append('=').append(secrets.value()).append("x".repeat(60_000)).append('\n');
            Files.writeString(work.resolve("huge.env"), huge);
            for (var c : List.of(
                    List.of("--env-file", work.resolve("dot.env").toString(), "must not be '.'"),
                    List.of("--env-file", work.resolve("dotdot.env").toString(), "must not be '..'"),
                    List.of("--env-file", work.resolve("huge.env").toString(), "1 MiB"),
                    List.of("--timeout", "99999999999999h", "--timeout"),
                    List.of("--timeout", "0s", "--timeout"))) {
                var r = install("safety-bad", c.subList(0, 2));
                Report.expect(r.exit() == 2 && r.err().contains(c.get(2)), "%s: expected exit 2 saying '%s', got %d: %s", c.subList(0, 2), c.get(2),
                        r.exit(), tail(r));
                Report.expect(!r.err().contains("\tat "), "%s: a stack trace was printed", c.subList(0, 2));
            }
            Report.expect(!kube.exists(null, "namespace", "safety-bad"), "namespace safety-bad was created");
        });

        checks.check("row 14: upgrade takes --env-file; a BOM file is read like kubectl, a Latin-1 file is refused by line", () -> {
            if (!release("safety-secrets").state().exists()) {
                var first = install("safety-secrets", List.of("--env-file", secrets.env("a.env").toString()));
                Report.expect(first.ok(), "setting up the release: exit %d: %s", first.exit(), tail(first));
            }
            var up = runner.run("upgrade.java", concat(target("safety-secrets"), "--env-file", secrets.env("a.env").toString()));
            Report.expect(up.ok(), "upgrade --env-file: exit %d: %s", up.exit(), tail(up));
            Report.expect(traces.secretData("safety-secrets", "trevor-env").equals(secrets.envA()), "upgrade --env-file did not update the Secret");
            Path bom = work.resolve("bom.env");
            Files.writeString(bom, "\uFEFFFIRST=" + secrets.value() + "-bom\n"); // U+FEFF in UTF-8 is the BOM, EF BB BF
            var b = runner.run("upgrade.java", concat(target("safety-secrets"), "--env-file", bom.toString()));
            Report.expect(b.ok(), "a BOM env file: exit %d: %s", b.exit(), tail(b));
            Report.expect(traces.secretData("safety-secrets", "trevor-env").equals(Map.of("FIRST", secrets.value() + "-bom")), "the BOM file gave keys %s",
                    traces.secretData("safety-secrets", "trevor-env").keySet());
            Path latin1 = work.resolve("latin1.env");
            Files.write(latin1, ("NAME=caf\u00e9-" + secrets.value() + "\n").getBytes(StandardCharsets.ISO_8859_1));
            var l = runner.run("upgrade.java", concat(target("safety-secrets"), "--env-file", latin1.toString()));
            Report.expect(l.exit() == 2 && l.err().contains(latin1 + ":1:") && l.err().contains("UTF-8"),
                    "a Latin-1 env file: expected exit 2 naming the line and UTF-8, got %d: %s", l.exit(), tail(l));
        });

        checks.check("rows 9, 13: Ctrl-C during cluster up leaves no process or folder, and status says so", () -> {
            String c = name + "-int";
            // up holds once its control plane runs, so a quiet machine cannot finish it before the signal.
            var p = runner.start("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", work.resolve("int-kubeconfig").toString()),
                    Map.of(KwokCluster.HOLD_ENV, "control plane"));
            Path pids = KwokCluster.clusterDir(c).resolve("pids");
            // The up's output and its pid files coming one by one are its progress, however slow the machine.
            Wait.whileMoving("3 control-plane processes of " + c, Duration.ofMinutes(3), Duration.ofMinutes(10), progress::info, () -> {
                if (!p.alive()) Report.fail("cluster up ended (exit %d) before it started 3 processes: %s", p.exitValue(), lastLines(p.printed()));
                try (Stream<Path> s = Files.isDirectory(pids) ? Files.list(pids) : Stream.empty()) {
                    long n = s.count();
                    return n >= 3 ? null : n + " pid files; up printed " + p.printed().length() + " characters";
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            var footprint = KwokCluster.footprint(c);
            runner.signal(p, "INT");
            p.await(Duration.ofMinutes(2));
            var left = KwokCluster.leftovers(footprint);
            Report.expect(left.isEmpty(), "left behind after Ctrl-C: %s", left);
            var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
            Report.expect(st.exit() != 0 && !st.out().contains(": running"), "status after Ctrl-C: exit %d: %s", st.exit(), tail(st));
        });

        checks.check("row 10: two cluster ups with one name: the second waits its turn or exits 2; the cluster stays whole", () -> {
            String c = name + "-int";
            Path kc = work.resolve("two-kubeconfig");
            // First without a race: this run holds the cluster's lock, as a first up does while it works; a second up must see it.
            try (var held = ClusterLock.take(c, "safety row 10, holding the lock as a first up would")) {
                var second = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()));
                // Without the lock such an up starts the cluster, and then succeeds, fails, or is refused only later (by its own
                // clean-up's down): in each case it made the cluster's folder, and exit 2 alone would not show it.
                boolean left = Files.exists(KwokCluster.clusterDir(c));
                Report.expect(second.exit() == 2 && second.err().contains("another run is working on kwok cluster " + c) && !left,
                        "an up while this run holds the cluster's lock: expected exit 2 naming the holder and nothing made; got exit %d%s: %s",
                        second.exit(), left ? ", and it made " + KwokCluster.clusterDir(c) : "", tail(second));
            }
            // Then the race itself: two ups at once.
            var a = CompletableFuture.supplyAsync(() -> runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString())));
            var b = CompletableFuture.supplyAsync(() -> runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString())));
            var ra = a.join();
            var rb = b.join();
            for (var r : List.of(ra, rb)) {
                Report.expect(r.ok() || (r.exit() == 2 && r.err().contains("another run is working on kwok cluster")),
                        "each up either works or exits 2 naming the other run; got %d: %s", r.exit(), tail(r));
            }
            Report.expect(ra.ok() || rb.ok(), "neither up worked: %s / %s", tail(ra), tail(rb));
            var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
            Report.expect(st.ok() && st.out().contains(": running"), "the cluster is not whole afterwards: %s", tail(st));
            var down = runner.run("cluster.java", List.of("down", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()));
            Report.expect(down.ok(), "down: exit %d: %s", down.exit(), tail(down));
            Report.expect(KwokCluster.leftovers(KwokCluster.footprint(c)).isEmpty(), "down left %s", KwokCluster.leftovers(KwokCluster.footprint(c)));
        });

        round2Input();
        round2Cluster();
        round2Lifecycle();
    }

    // ---------------------------------------------------------------- issue 14, rows 2, 5-8, 18: input the scripts must not trust

    private void round2Input() throws Exception {
        checks.check("round 2 row 2: env-file keys and values stay strings (YAML 1.1 booleans, null, octal, hex, dates, <<, case twins); a rerun changes nothing", () -> {
            var want = new java.util.LinkedHashMap<String, String>();
            String[] keys = {"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true", "True", "TRUE",
                    "false", "False", "FALSE", "null", "Null", "NULL", ".inf", "-.inf", ".NaN", "_", "e3", "x0o17"};
            String[] values = {"y", "n", "~", "null", "0o17", "017", "0x1F", "1e3", "-1.5E-3", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<",
                    "", "yes", "off", "12:30:00", "1_000", ".inf", "true", "0b101", "+12", "NO", "[a, b]", "{k: v}", "&anchor", "*alias", "!!str",
                    "'q'", "\"dq\"", "# not a comment", "ON"};
            for (int i = 0; i < keys.length; i++) want.put(keys[i], values[i % values.length]);
            var text = new StringBuilder();
            want.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Path env = work.resolve("yaml11.env");
            Files.writeString(env, text);
            var first = install("safety-keys", List.of("--env-file", env.toString()));
            Report.expect(first.ok(), "install: exit %d: %s", first.exit(), tail(first));
            var held = traces.secretData("safety-keys", "trevor-env");
            var wrong = new java.util.TreeSet<String>();
            want.forEach((k, v) -> { if (!v.equals(held.get(k))) wrong.add(k); });
            held.keySet().forEach(k -> { if (!want.containsKey(k)) wrong.add(k); });
            Report.expect(held.size() == want.size() && wrong.isEmpty(), "the Secret holds %d keys, the file %d; keys missing, extra or changed: %s",
                    held.size(), want.size(), wrong);
            var again = install("safety-keys", List.of("--env-file", env.toString()));
            Report.expect(again.ok() && again.out().contains("already holds exactly these " + want.size() + " keys"),
                    "a rerun with the same file: expected 'already holds exactly these %d keys', got %d: %s", want.size(), again.exit(), tail(again));
        });

        checks.check("round 2 rows 5-7: a remote current context kwok-prod is refused with no connection and no exec plugin run, whatever kubectl is first on PATH", () -> {
            try (var proxy = new LoggingProxy(0)) {
                Path marker = work.resolve("prod-plugin-ran");
                String exec = execUser(marker);
                Path remote = work.resolve("prod-kubeconfig");
                Files.writeString(remote, LoggingProxy.kubeconfig("kwok-prod", "https://" + LoggingProxy.REMOTE + ":6443", null, "", exec));
                // A second file that would make kwok-prod local: kubectl takes the first file's, and so must the guard.
                Path shadow = work.resolve("prod-shadow-kubeconfig");
                Files.writeString(shadow, LoggingProxy.kubeconfig("kwok-prod", kwokServer(), KwokCluster.ownKubeconfig(name), "", ""));
                Path log = work.resolve("fake-kubectl.log");
                Path fakeDir = fakeDispatcher(log);
                var fakeFirst = new java.util.HashMap<>(proxy.environment());
                fakeFirst.put("PATH", fakeDir + ":" + System.getenv("PATH"));
                var ways = new java.util.LinkedHashMap<String, Map.Entry<List<String>, Map<String, String>>>();
                ways.put("--kubeconfig, a dispatcher-like kubectl first on PATH", Map.entry(List.of("--kubeconfig", remote.toString()), fakeFirst));
                ways.put("--kubeconfig, the pinned kubectl", Map.entry(List.of("--kubeconfig", remote.toString()), withPinnedKubectl(proxy.environment())));
                var merged = new java.util.HashMap<>(fakeFirst);
                merged.put("KUBECONFIG", remote + ":" + shadow);
                ways.put("KUBECONFIG=prod:shadow, a dispatcher-like kubectl first on PATH", Map.entry(List.of(), merged));
                for (var w : ways.entrySet()) {
                    var args = new ArrayList<>(w.getValue().getKey());
                    args.addAll(List.of("-n", "safety-prod", "-f", repo.resolve("values/dev.yaml").toString()));
                    args.addAll(helmOptions.args());
                    var r = runner.run("install.java", args, w.getValue().getValue(), Duration.ofMinutes(3));
                    Report.expect(r.exit() == 2 && r.err().contains("'kwok-prod' is not a local dev cluster"), "%s: expected exit 2 refusing kwok-prod, got %d: %s",
                            w.getKey(), r.exit(), tail(r));
                    Report.expect(proxy.requests().isEmpty(), "%s: the proxy in HTTPS_PROXY was asked for %s", w.getKey(), proxy.requests());
                    Report.expect(!Files.exists(marker), "%s: the exec credential plugin ran", w.getKey());
                    var calls = Files.exists(log) ? Files.readAllLines(log) : List.<String>of();
                    Report.expect(calls.stream().allMatch(c -> c.startsWith("kubectl version --client")), "%s: the PATH kubectl was run as %s",
                            w.getKey(), calls);
                }
                Report.expect(!kube.exists(null, "namespace", "safety-prod"), "namespace safety-prod was created");
            }
        });

        checks.check("round 2 row 6: a kwok-* context with proxy-url is not local: refused without a request, and never given dev Secrets", () -> {
            try (var proxy = new LoggingProxy(kwokPort())) {
                Path kc = work.resolve("proxied-kubeconfig");
                Files.writeString(kc, LoggingProxy.kubeconfig("kwok-proxied", kwokServer(), KwokCluster.ownKubeconfig(name),
                        "    proxy-url: " + proxy.url() + "\n", ""));
                var env = withPinnedKubectl(Map.of());
                var implicit = runner.run("install.java", concat(List.of("--kubeconfig", kc.toString(), "-n", "safety-proxied", "--tag", "1.0.0",
                        "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new)), env, Duration.ofMinutes(4));
                Report.expect(implicit.exit() == 2 && implicit.err().contains("proxy-url"), "as the current context: expected exit 2 naming proxy-url, got %d: %s",
                        implicit.exit(), tail(implicit));
                Report.expect(proxy.requests().isEmpty(), "as the current context it was contacted through proxy-url: %s", proxy.requests());
                var named = runner.run("install.java", concat(List.of("--kubeconfig", kc.toString(), "--context", "kwok-proxied", "-n", "safety-proxied",
                        "--tag", "1.0.0", "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new)), env, Duration.ofMinutes(4));
                Report.expect(named.exit() == 2 && named.err().contains("dev defaults are only for local dev clusters") && named.err().contains("proxy-url"),
                        "with --context: expected exit 2 refusing dev Secrets because of proxy-url, got %d: %s", named.exit(), tail(named));
                Report.expect(!kube.exists(null, "namespace", "safety-proxied"), "namespace safety-proxied was created");
            }
        });

        checks.check("round 2 row 7: prod.localhost and 127.000.000.001 are not loopback: refused, nothing sent to HTTPS_PROXY", () -> {
            try (var proxy = new LoggingProxy(0)) {
                int port = kwokPort();
                for (String host : List.of("prod.localhost", "127.000.000.001", "LOCALHOST", "127.1")) {
                    Path kc = work.resolve("spelled-kubeconfig");
                    Files.writeString(kc, LoggingProxy.kubeconfig("kwok-spelled", "https://" + host + ":" + port, KwokCluster.ownKubeconfig(name), "", ""));
                    var r = runner.run("install.java", concat(List.of("--kubeconfig", kc.toString(), "-n", "safety-spelled", "--tag", "1.0.0",
                            "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new)),
                            withPinnedKubectl(proxy.environment()), Duration.ofMinutes(3));
                    Report.expect(r.exit() == 2 && r.err().contains("is not on this machine"), "%s: expected exit 2 saying it is not on this machine, got %d: %s",
                            host, r.exit(), tail(r));
                    Report.expect(proxy.requests().isEmpty(), "%s: the proxy in HTTPS_PROXY was asked for %s", host, proxy.requests());
                }
                Report.expect(!kube.exists(null, "namespace", "safety-spelled"), "namespace safety-spelled was created");
            }
        });

        checks.check("round 2 row 5: a kwok-* context whose user has an exec or auth-provider plugin is not local; the plugin never runs", () -> {
            try (var proxy = new LoggingProxy(0)) {
                Path marker = work.resolve("local-plugin-ran");
                var users = Map.of("exec credential plugin", execUser(marker),
                        "auth-provider", "    auth-provider:\n      name: oidc\n      config:\n        idp-issuer-url: https://" + LoggingProxy.REMOTE
                                + "\n        client-id: trevor\n        id-token: not-a-token\n");
                for (var u : users.entrySet()) {
                    Path kc = work.resolve("plugin-kubeconfig");
                    Files.writeString(kc, LoggingProxy.kubeconfig("kwok-plugin", kwokServer(), null, "", u.getValue()));
                    var r = runner.run("install.java", concat(List.of("--kubeconfig", kc.toString(), "-n", "safety-plugin", "--tag", "1.0.0",
                            "-f", repo.resolve("values/dev.yaml").toString()), helmOptions.args().toArray(String[]::new)),
                            withPinnedKubectl(proxy.environment()), Duration.ofMinutes(3));
                    Report.expect(r.exit() == 2 && r.err().contains(u.getKey()), "%s: expected exit 2 naming it, got %d: %s", u.getKey(), r.exit(), tail(r));
                    Report.expect(!Files.exists(marker), "%s: the plugin ran", u.getKey());
                    Report.expect(proxy.requests().isEmpty(), "%s: the proxy in HTTPS_PROXY was asked for %s", u.getKey(), proxy.requests());
                }
                Report.expect(!kube.exists(null, "namespace", "safety-plugin"), "namespace safety-plugin was created");
            }
        });

        checks.check("round 2 row 8: --set and --set-string cannot smuggle --set-file, --set-json or --set-literal; no file content reaches the cluster", () -> {
            Path local = work.resolve("local-file");
            String content = "local-file-" + Long.toHexString(System.nanoTime());
            Files.writeString(local, content);
            var smuggled = List.of(
                    List.of("--set", "--set-file=podAnnotations.x=" + local),
                    List.of("--set-string", "--set-file=podAnnotations.x=" + local),
                    List.of("--set", "--set-json=podAnnotations={\"x\":\"" + content + "\"}"),
                    List.of("--set", "--set-literal=podAnnotations.x=" + content));
            for (var c : smuggled) {
                var r = install("safety-smuggle", c);
                Report.expect(r.exit() == 2 && r.err().contains(c.get(0) + " '" + c.get(1) + "'"), "%s %s: expected exit 2 naming %s, got %d: %s",
                        c.get(0), c.get(1), c.get(0), r.exit(), tail(r));
                Report.expect(!r.err().contains("\tat "), "%s: a stack trace was printed", c);
            }
            if (kube.exists(null, "namespace", "safety-smuggle")) {
                var all = kube.run("get", "deployments,jobs,configmaps", "-n", "safety-smuggle", "-o", "json");
                Report.expect(!all.out().contains(content), "the local file's content reached the cluster");
            }
            Report.expect(!kube.exists(null, "namespace", "safety-smuggle"), "namespace safety-smuggle was created");
        });

        checks.check("round 2 row 18: hostile files (FIFO, /dev/zero, a directory, 50 MB, /proc/nope) are refused at once: exit 2, one line, the limit named", () -> {
            var ok = install("safety-files", List.of());
            Report.expect(ok.ok(), "the release to try them on: exit %d: %s", ok.exit(), tail(ok));
            Path fifo = work.resolve("env.fifo");
            var mk = Exec.run(List.of("mkfifo", fifo.toString()), Duration.ofSeconds(10));
            Report.expect(mk.ok(), "mkfifo: %s", mk.said());
            Path big = work.resolve("big-values.yaml");
            try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) { f.setLength(50L * 1024 * 1024); } // sparse: costs no disk
            var tries = List.of(
                    List.of("install.java", "--env-file", fifo.toString(), "--env-file"),
                    List.of("install.java", "--env-file", "/dev/zero", "--env-file"),
                    List.of("install.java", "--env-file", work.toString(), "--env-file"),
                    List.of("install.java", "-f", "/dev/zero", "-f"),
                    List.of("install.java", "-f", big.toString(), "1 MiB"),
                    List.of("upgrade.java", "-f", "/dev/zero", "-f"),
                    List.of("upgrade.java", "--env-file", fifo.toString(), "--env-file"),
                    List.of("upgrade.java", "-f", big.toString(), "1 MiB"),
                    List.of("status.java", "--junit", "/proc/nope/x.xml", "--junit"));
            for (var t : tries) {
                var args = new ArrayList<>(target("safety-files"));
                if (t.get(0).equals("install.java")) args.addAll(List.of("--tag", "1.0.0"));
                args.addAll(t.subList(1, 3));
                var r = runner.run(t.get(0), args, Map.of(), Duration.ofSeconds(90));
                var lines = r.err().strip().lines().filter(l -> !l.startsWith("[jbang]")).toList();
                Report.expect(r.exit() == 2 && lines.size() == 1 && lines.get(0).contains(t.get(3)) && lines.get(0).contains(t.get(2)),
                        "%s %s %s: expected exit 2 with one line naming %s and the file, got %d: %s", t.get(0), t.get(1), t.get(2), t.get(3), r.exit(), tail(r));
                Report.expect(!r.err().contains("\tat ") && !r.err().contains("OutOfMemoryError"), "%s %s: a stack trace or OutOfMemoryError", t.get(0), t.get(2));
            }
            var state = release("safety-files").state();
            Report.expect(state.last() != null && state.last().number() == 1 && "deployed".equals(state.last().status()),
                    "the release changed: %s", state.describe());
        });
    }

    /** The API server of this run's kwok cluster, as its own kubeconfig names it. */
    private String kwokServer() throws IOException {
        return Yaml.str(Yaml.maps(Yaml.loadMap(Files.readString(KwokCluster.ownKubeconfig(name))), "clusters").get(0), "cluster.server");
    }

    private int kwokPort() throws IOException { return java.net.URI.create(kwokServer()).getPort(); }

    /** env, plus TREVOR_KUBECTL naming the pinned kubectl: no PATH kubectl (this machine's may be a dispatcher) is ever run. */
    private static Map<String, String> withPinnedKubectl(Map<String, String> env) {
        var m = new java.util.HashMap<>(env);
        m.put("TREVOR_KUBECTL", Tools.fetchPinned("kubectl", null).path().toString());
        return m;
    }

    /** A kubeconfig user whose exec credential plugin only leaves a marker file behind. */
    private String execUser(Path marker) throws IOException {
        Path plugin = work.resolve("exec-plugin.sh");
        Files.writeString(plugin, "#!/bin/sh\ntouch '" + marker + "'\nexit 1\n");
        plugin.toFile().setExecutable(true);
        return "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin + "\n      interactiveMode: Never\n";
    }

    /**
     * A folder holding a kubectl that behaves like a gcloud dispatcher: it logs every call, says it
     * is v1.35.2-dispatcher, and before any other command asks "the current context's server" through
     * HTTPS_PROXY (the logging proxy, which dials nothing), then runs the pinned kubectl.
     */
    private Path fakeDispatcher(Path log) throws IOException {
        Path dir = work.resolve("fake-path");
        Files.createDirectories(dir);
        Path k = dir.resolve("kubectl");
        Files.writeString(k, "#!/bin/bash\necho \"kubectl $*\" >> '" + log + "'\n"
                + "if [ \"$1\" = version ]; then echo '{\"clientVersion\":{\"major\":\"1\",\"minor\":\"35+\",\"gitVersion\":\"v1.35.2-dispatcher\"}}'; exit 0; fi\n"
                + "p=${HTTPS_PROXY#http://}\n"
                + "if [ -n \"$p\" ] && exec 3<>/dev/tcp/${p%:*}/${p##*:}; then printf 'CONNECT " + LoggingProxy.REMOTE + ":6443 HTTP/1.1\\r\\n\\r\\n' >&3; "
                + "exec 3>&-; fi\n"
                + "exec '" + Tools.fetchPinned("kubectl", null).path() + "' \"$@\"\n");
        k.toFile().setExecutable(true);
        return dir;
    }

    /** Seen on a cold machine: four runs waking from one control-plane build created their clusters at once. */
    private void concurrentClusters() {
        checks.check("two cluster ups of different names at once both come up whole (kwokctl picks ports one create at a time)", () -> {
            var ups = new ArrayList<ScriptRunner.Started>();
            var results = new ArrayList<Exec.Result>();
            try {
                // Both start while this run holds the machine's ports lock, as an up binding its ports does: each must wait
                // for it before kwokctl picks ports, whatever the timing. Then the lock is let go and they race for it.
                try (var held = KwokCluster.portsLock(progress::info)) {
                    for (String c : List.of(name + "-p1", name + "-p2")) {
                        ups.add(runner.start("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig",
                                work.resolve(c + "-kubeconfig").toString())));
                    }
                    for (int i = 0; i < ups.size(); i++) {
                        var up = ups.get(i);
                        String c = List.of(name + "-p1", name + "-p2").get(i);
                        Wait.whileMoving("cluster up " + c + " to wait for the ports lock this run holds", Duration.ofMinutes(3), Duration.ofMinutes(10),
                                progress::info, () -> {
                                    String said = up.printed();
                                    if (said.contains("waiting for another cluster's up to bind its ports")) return null;
                                    if (!up.alive()) Report.fail("cluster up %s ended (exit %d) and did not wait for the ports lock this run holds: %s",
                                            c, up.exitValue(), lastLines(said));
                                    return said.length() + " characters printed";
                                });
                        Path pids = KwokCluster.clusterDir(c).resolve("pids");
                        try (Stream<Path> s = Files.isDirectory(pids) ? Files.list(pids) : Stream.empty()) {
                            var started = s.map(f -> f.getFileName().toString()).toList();
                            Report.expect(started.isEmpty(), "cluster up %s started %s while this run held the ports lock", c, started);
                        }
                    }
                }
                for (var up : ups) results.add(up.await(Duration.ofMinutes(10)));
                for (var r : results) Report.expect(r.ok(), "an up failed: exit %d: %s", r.exit(), tail(r));
                for (String c : List.of(name + "-p1", name + "-p2")) {
                    var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
                    Report.expect(st.ok() && st.out().contains(": running"), "cluster %s is not whole: %s", c, tail(st));
                }
            } finally {
                // An up that did not wait may still be working: its end first, or down is refused while it holds the cluster's lock.
                for (var up : ups) if (up.alive()) up.await(Duration.ofMinutes(10));
                for (String c : List.of(name + "-p1", name + "-p2")) {
                    runner.run("cluster.java", List.of("down", "--provider", "kwok", "--name", c, "--kubeconfig", work.resolve(c + "-kubeconfig").toString()));
                }
            }
        });
    }

    /** Issue 15's first-day traps that a kwok cluster can show. */
    private void firstDay() {
        checks.check("issue 15 row 2: install without -f on a cluster with a real node takes values/real-node.yaml, not dev.yaml's trevor:dev", () -> {
            // A fake node labelled as the real node is, so the choice is seen without containers.
            kube.run("label", "node", "kwok-node-0", "trevor.dev/node=real", "--overwrite");
            try {
                var r = runner.run("install.java", concat(target("safety-realdefault"), "--env-file", secrets.env("plain1.env").toString(),
                        "--timeout", "90s"));
                Report.expect(r.ok(), "install: exit %d: %s", r.exit(), tail(r));
                Report.expect(r.out().contains("values/real-node.yaml"), "install did not say which values it chose: %s", tail(r));
                var rel = release("safety-realdefault");
                String policy = Yaml.str(rel.computedValues(rel.state().last().number()), "image.pullPolicy");
                Report.expect("Never".equals(policy), "the release runs with image.pullPolicy %s, not values/real-node.yaml's Never", policy);
            } finally {
                kube.run("label", "node", "kwok-node-0", "trevor.dev/node-");
            }
        });

        checks.check("issue 15 fail fast: install stops within seconds on an Unschedulable API pod, with the scheduler's message and the "
                + "release's state", () -> {
            String ns = "safety-failfast";
            long t0 = System.nanoTime();
            // A nodeSelector no node has: the scheduler's verdict cannot change by waiting, whatever the timeout.
            var r = install(ns, List.of("--timeout", "75s", "--set-string", "nodeSelector.trevor-test/none=nowhere"));
            long s = (System.nanoTime() - t0) / 1_000_000_000;
            String said = r.out() + "\n" + r.err();
            Report.expect(r.exit() == 1, "expected exit 1, got %d after %d s: %s", r.exit(), s, tail(r));
            Report.expect(s < 60, "install waited %d s of its 75 s timeout instead of stopping at the Unschedulable pod: %s", s, tail(r));
            var stopped = java.util.regex.Pattern.compile("stopped waiting after (\\d+) s").matcher(said);
            Report.expect(stopped.find() && Integer.parseInt(stopped.group(1)) <= 30, "no 'stopped waiting after N s' (N at most 30): %s", tail(r));
            Report.expect(said.contains("Unschedulable") && said.contains("didn't match Pod's node affinity/selector") && said.contains("pod trevor-"),
                    "the failure does not name the pod, Unschedulable and the scheduler's message: %s", tail(r));
            Report.expect(said.contains("what to do: no node can take the pod"), "the failure does not say what to do: %s", tail(r));
            Report.expect(!release(ns).state().exists() && said.contains("the unfinished first install was removed")
                            && said.contains("./jbang scripts/uninstall.java --context " + kube.context),
                    "the release is %s; the message does not say it was removed and how to clean up: %s", release(ns).state().describe(), tail(r));
            Report.expect(traces.activeMigrationJobs(ns).isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs(ns));
        });

        checks.check("issue 15 row 6: a cordoned node is reported by cluster status (exit 1, uncordon command) and by status (info while "
                + "pods just run there)", () -> {
            String ns = "safety-cordon";
            deployed(ns, null);
            String node = "kwok-node-0";
            must(kube.run("cordon", node));
            try {
                var cs = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", name));
                Report.expect(cs.exit() == 1 && cs.out().contains("node " + node + ": Ready,SchedulingDisabled")
                                && cs.err().contains("uncordon " + node),
                        "cluster status with %s cordoned: expected exit 1, 'node %s: Ready,SchedulingDisabled' and the uncordon command, got %d: %s",
                        node, node, cs.exit(), tail(cs));
                var st = runner.run("status.java", target(ns));
                Report.expect(st.out().contains("cordoned node(s) " + node) && st.out().contains("uncordon " + node),
                        "status does not report the cordoned node %s and the uncordon command (exit %d): %s", node, st.exit(), tail(st));
                Report.expect(st.exit() == 0, "a cordon that keeps no pod from running is maintenance (info), not a failure: exit %d: %s",
                        st.exit(), tail(st));
            } finally {
                kube.run("uncordon", node);
            }
            var whole = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", name));
            Report.expect(whole.ok(), "cluster status once uncordoned: exit %d: %s", whole.exit(), tail(whole));
        });

        checks.check("issue 15 row 6, issue 17 item 5: status says what it waits for and why, and fails by name while the API is short of "
                + "the HPA's minReplicas", () -> {
            String ns = "safety-short";
            deployed(ns, null);
            // One API pod stays running but not ready (kwok Stage trevor-pod-unready): 2 of minReplicas 3.
            var pod = kube.list(ns, "pods", "app.kubernetes.io/instance=trevor,app.kubernetes.io/component=api").get(0);
            String podName = Yaml.str(pod, "metadata.name");
            must(kube.run("label", "pod", podName, "-n", ns, "trevor.test/unready=true"));
            // --timeout bounds the waits (pods 60 s, the HPA's minimum 30 s) on a state that will not settle;
            // 15 s still leaves room for one progress line (every 10 s).
            var st = runner.run("status.java", concat(target(ns), "--timeout", "15s"));
            Report.expect(st.exit() == 1, "status with an API pod not ready: exit %d: %s", st.exit(), tail(st));
            Report.expect(st.err().contains("waiting up to 15 s for every pod of release trevor"),
                    "status did not say what it waits for and for how long: %s", lastLines(st.err()));
            Report.expect(st.err().lines().anyMatch(l -> l.contains("s of 15 s:") && l.contains(podName) && l.contains("not ready")),
                    "status gave no progress naming pod %s while it waited: %s", podName, lastLines(st.err()));
            Report.expect(st.out().lines().anyMatch(l -> l.contains("FAIL") && l.contains(LiveChecks.HPA_MINIMUM))
                            && st.out().contains("2 ready") && st.out().contains("minReplicas 3"),
                    "status does not fail '%s' with 2 of 3 ready: %s", LiveChecks.HPA_MINIMUM, tail(st));
        });

        checks.check("issue 15 row 8: uninstall.java removes the release, its migration Jobs, the Secrets install wrote and the lock", () -> {
            var in = install("safety-uninstall", List.of("-f", repo.resolve("values/prod.yaml").toString()));
            Report.expect(in.ok(), "install: exit %d: %s", in.exit(), tail(in));
            // A migration Job that outlives its run, as a timed-out migrate.java leaves one.
            var slow = runner.run("migrate.java", concat(concat(target("safety-uninstall"), "--timeout", "5s"), testLabel("hang")));
            Report.expect(slow.exit() == 1, "the hanging migrate: exit %d: %s", slow.exit(), tail(slow));
            var un = runner.run("uninstall.java", target("safety-uninstall"));
            Report.expect(un.ok(), "uninstall: exit %d: %s", un.exit(), tail(un));
            var left = kube.run("get", "deployments,jobs,pods,serviceaccounts,networkpolicies,secrets,leases,poddisruptionbudgets,horizontalpodautoscalers",
                    "-n", "safety-uninstall", "-o", "name");
            var mine = left.out().lines().filter(l -> !l.equals("serviceaccount/default") && !l.startsWith("secret/default-token")).toList();
            Report.expect(left.ok() && mine.isEmpty(), "left in the namespace after uninstall: %s", mine);
            var again = runner.run("uninstall.java", target("safety-uninstall"));
            Report.expect(again.ok() && again.out().contains("no release trevor"), "a second uninstall: exit %d: %s", again.exit(), tail(again));
        });
    }

    // ---------------------------------------------------------------- issue 14: the cluster's own rows

    private void round2Cluster() throws Exception {
        checks.check("issue 14 row 3: up --recreate refuses a running, whole cluster (exit 2, naming what it holds) unless "
                + "--yes-delete-healthy-cluster names it", () -> {
            kube.run("create", "namespace", "safety-recreate-keep");
            Path kc = work.resolve("recreate-kubeconfig");
            var plain = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", name, "--kubeconfig", kc.toString(), "--recreate"));
            Report.expect(plain.exit() == 2, "up --recreate of a healthy cluster: expected exit 2, got %d: %s", plain.exit(), tail(plain));
            Report.expect(plain.err().contains("--yes-delete-healthy-cluster " + name) && plain.err().matches("(?s).*\\d+ namespaces?\\b.*")
                    && plain.err().contains("Helm release"), "the refusal does not name the confirmation and what would be lost: %s", tail(plain));
            var wrong = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", name, "--kubeconfig", kc.toString(), "--recreate",
                    "--yes-delete-healthy-cluster", name + "-other"));
            Report.expect(wrong.exit() == 2, "a confirmation naming another cluster: expected exit 2, got %d: %s", wrong.exit(), tail(wrong));
            Report.expect(kube.exists(null, "namespace", "safety-recreate-keep"), "namespace safety-recreate-keep is gone: the healthy cluster was recreated");
            var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", name));
            Report.expect(st.ok(), "the cluster is not whole afterwards: exit %d: %s", st.exit(), tail(st));
        });

        checks.check("issue 14 row 4: down leaves alone a process that a dead cluster's stale pid file names, and says whose it is", () -> {
            String c = name + "-dead";
            Path pidDir = KwokCluster.clusterDir(c).resolve("pids");
            Files.createDirectories(pidDir);
            Process sleep = new ProcessBuilder("sleep", "600").start();
            try {
                Files.writeString(pidDir.resolve("kube-scheduler.pid"), sleep.pid() + "\n");
                var down = runner.run("cluster.java", List.of("down", "--provider", "kwok", "--name", c));
                Report.expect(sleep.isAlive(), "down killed pid %d, a sleep that is not the cluster's (exit %d): %s", sleep.pid(), down.exit(), tail(down));
                Report.expect(down.ok(), "down: exit %d: %s", down.exit(), tail(down));
                Report.expect(down.out().contains("not ours: pid " + sleep.pid() + " is ") && down.out().contains("sleep"),
                        "down does not say that pid %d is not the cluster's, and what it is: %s", sleep.pid(), tail(down));
                Report.expect(!Files.exists(KwokCluster.clusterDir(c)), "the dead cluster's folder is still there");
            } finally {
                sleep.destroyForcibly();
                Dirs.deleteTree(KwokCluster.clusterDir(c));
            }
        });

        checks.check("issue 14 row 17: status names a dead kube-scheduler (exit 1); up refuses the cluster that is not whole (exit 2), "
                + "and up --recreate makes it whole", () -> {
            String c = name + "-int";
            Path kc = work.resolve("whole-kubeconfig");
            downQuietly(c);
            var up = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()));
            Report.expect(up.ok(), "up: exit %d: %s", up.exit(), tail(up));
            try {
                long scheduler = Long.parseLong(Files.readString(KwokCluster.clusterDir(c).resolve("pids/kube-scheduler.pid")).strip().split("\\s+")[0]);
                // This scheduler was started by the up above: the test may end it.
                Exec.run(List.of("kill", "-KILL", String.valueOf(scheduler)), Duration.ofSeconds(10));
                Wait.until("kube-scheduler " + scheduler + " to exit", Duration.ofSeconds(30), () -> KwokCluster.gone(scheduler) ? null : "still running");
                var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
                Report.expect(st.exit() == 1 && st.out().contains("kube-scheduler"), "status with a dead scheduler: expected exit 1 naming kube-scheduler, "
                        + "got %d: %s", st.exit(), tail(st));
                var again = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()));
                Report.expect(again.exit() == 2 && again.err().contains("kube-scheduler") && again.err().contains("--recreate"),
                        "up of a cluster without its scheduler: expected exit 2 naming kube-scheduler and --recreate, got %d: %s", again.exit(), tail(again));
                var recreate = runner.run("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString(), "--recreate"));
                Report.expect(recreate.ok(), "up --recreate of a cluster that is not whole: exit %d: %s", recreate.exit(), tail(recreate));
                var whole = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
                Report.expect(whole.ok() && whole.out().contains(": running, "), "after up --recreate: exit %d: %s", whole.exit(), tail(whole));
            } finally {
                downQuietly(c);
            }
        });

        for (String phase : KwokCluster.PHASES) {
            checks.check("issue 14 row 19: Ctrl-C of cluster up in its phase '" + phase + "' leaves no process, port or folder", () -> {
                String c = name + "-int";
                downQuietly(c);
                // up holds at the end of the phase's work until the signal: a fast machine cannot run past it.
                var p = runner.start("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", work.resolve("int-kubeconfig").toString()),
                        Map.of(KwokCluster.HOLD_ENV, phase));
                String line = "phase " + phase + ": done; holding here";
                Wait.whileMoving("cluster up to print '" + line + "'", Duration.ofMinutes(3), Duration.ofMinutes(10), progress::info, () -> {
                    String said = p.printed();
                    if (said.contains(line)) return null;
                    if (!p.alive()) Report.fail("cluster up ended (exit %d) without printing '%s': %s", p.exitValue(), line, lastLines(said));
                    return said.length() + " characters printed";
                });
                var footprint = KwokCluster.footprint(c);
                runner.signal(p, "INT");
                var r = p.await(Duration.ofMinutes(4));
                var left = KwokCluster.leftovers(footprint);
                Report.expect(left.isEmpty(), "left behind after Ctrl-C in phase '%s': %s (up said: %s)", phase, left, tail(r));
                var strays = Daemons.where(cmd -> cmd.contains(KwokCluster.clusterDir(c).toString()));
                Report.expect(strays.isEmpty(), "processes still name the cluster's folder: %s", strays);
                Report.expect(r.exit() != 0, "the interrupted up exited 0");
                var st = runner.run("cluster.java", List.of("status", "--provider", "kwok", "--name", c));
                Report.expect(st.exit() != 0 && !st.out().contains(": running"), "status after Ctrl-C: exit %d: %s", st.exit(), tail(st));
            });
        }
    }

    // ---------------------------------------------------------------- what a case needs, made when an earlier case did not

    /** safety-failed with revision 1 deployed (trevor:1.0.0) and a failed last revision (9.9.9): what row 6 makes and row 7 uses. */
    private void failedRelease() {
        var state = release("safety-failed").state();
        if (state.last() != null && state.last().status().equals("failed") && state.lastDeployed() != null) return;
        var ok = install("safety-failed", List.of("-f", repo.resolve("values/prod.yaml").toString()));
        Report.expect(ok.ok(), "install: exit %d: %s", ok.exit(), tail(ok));
        var bad = install("safety-failed", concat(List.of("-f", repo.resolve("values/prod.yaml").toString(), "--tag", "9.9.9", "--no-rollback",
                "--timeout", "60s", "--set", "migrations.backoffLimit=0"), testLabel("fail")));
        Report.expect(bad.exit() == 1, "the failing upgrade: expected exit 1, got %d: %s", bad.exit(), tail(bad));
    }

    /**
     * The release in namespace deployed from values/prod.yaml, at tag when one is given: a case
     * that builds on an earlier case's release makes it itself when run alone (--only).
     */
    private void deployed(String namespace, String tag) {
        var state = release(namespace).state();
        boolean pending = state.last() != null && state.last().pending();
        boolean fits = state.last() != null && state.last().status().equals("deployed")
                && (tag == null || tag.equals(Yaml.str(release(namespace).computedValues(state.last().number()), "image.tag")));
        if (fits) return;
        var args = new ArrayList<>(List.of("-f", repo.resolve("values/prod.yaml").toString(), "--tag", tag == null ? "1.0.0" : tag));
        if (pending) args.add("--recover");
        var r = install(namespace, args);
        Report.expect(r.ok(), "setting up release trevor in %s: exit %d: %s", namespace, r.exit(), tail(r));
    }

    /**
     * Waits until the release's Lease in namespace was last renewed more than ReleaseLock.DURATION
     * and margin ago, as the Lease itself says (its renewTime): what a fixed sleep of DURATION +
     * margin from the kill waited for, without the up to 10 s between the last renewal and the kill.
     * The Lease is read again at the end, so a renewal meanwhile (its run is not dead) starts the wait over.
     */
    private void awaitLockExpired(String namespace, Duration margin) {
        String lease = ReleaseLock.leaseName("trevor");
        long end = System.nanoTime() + ReleaseLock.DURATION.plus(margin).plusMinutes(2).toNanos();
        while (true) {
            var l = kube.get(namespace, "lease", lease);
            java.time.Instant renewed = l == null ? null : Kube.time(l, "spec.renewTime");
            if (renewed == null) return; // no Lease, or never renewed: nothing to expire
            long left = java.time.Duration.between(java.time.Instant.now(), renewed.plus(ReleaseLock.DURATION).plus(margin)).toMillis();
            if (left <= 0) return;
            Report.expect(System.nanoTime() < end, "Lease %s in %s was still renewed at %s: its run is not dead", lease, namespace, renewed);
            Wait.sleep(left + 100);
        }
    }

    /** Takes a cluster of this run down, whatever state an earlier case left it in. */
    private void downQuietly(String cluster) {
        WholeCluster.down(cluster, null, progress::info);
    }

    private static String lastLines(String s) {
        return Text.lastLines(s, 6, " | ");
    }

    // ---------------------------------------------------------------- issue 14: a run's lifetime, lost locks, secrets, rollback, migrations

    /** The cases' names, as --list prints them to out; nothing runs. */
    private List<String> listed(java.io.PrintStream out) throws Exception {
        report = new Report("safety", out, only.pattern, false);
        checks = new ClusterChecks("safety", List.of(name), report, null, null, null).listing();
        cases();
        concurrentClusters();
        firstDay();
        checks.down();
        checks.check(NO_SECRET, () -> {});
        return checks.listed();
    }

    /** Each case has a namespace (and so a release and lock) of its own, and runs alone with --only. */
    private void round2Lifecycle() throws Exception {
        String prod = repo.resolve("values/prod.yaml").toString();

        checks.check("issue 14 rows 1, 9: kill -9 of install while its helm runs on: no false 'stuck', and --recover does not take over", () -> {
            String ns = "safety-kill9";
            var p = runner.start("install.java", concat(concat(target(ns), "-f", prod, "--tag", "1.0.0", "--timeout", "4m",
                    "--env-file", secrets.env("plain1.env").toString()), testLabel("hang")));
            traces.awaitMigrationJob(ns, Duration.ofSeconds(60), p);
            long helmPid = killAllButHelm(p);
            try {
                Report.expect(helmPid > 0, "no helm process ran under the install");
                awaitLockExpired(ns, Duration.ofSeconds(5)); // the dead run's Lease is no longer renewed
                Report.expect(alive(helmPid), "helm (pid %d) died with the script; the case needs it alive", helmPid);
                var plain = install(ns, List.of("-f", prod, "--tag", "2.0.0"));
                Report.expect(plain.exit() == 2 && !plain.err().contains("interrupted before Helm finished")
                                && plain.err().contains("pid " + helmPid),
                        "row 9: expected exit 2 naming the helm that still runs (pid %d), got %d: %s", helmPid, plain.exit(), tail(plain));
                var recover = install(ns, List.of("-f", prod, "--tag", "2.0.0", "--recover"));
                Report.expect(recover.exit() == 2 && recover.err().contains("pid " + helmPid) && recover.err().contains("kill -TERM " + helmPid),
                        "row 1: --recover while helm runs: expected exit 2 naming pid %d and how to stop it, got %d: %s", helmPid,
                        recover.exit(), tail(recover));
                Report.expect(alive(helmPid), "helm (pid %d) was stopped by the refused runs", helmPid);
                var state = release(ns).state();
                Report.expect(state.revisions().size() == 1 && state.last().pending(), "--recover changed the release: %s", state.describe());
                // The way out the message gives: stop that helm (it records its outcome), then --recover carries on.
                Exec.run(List.of("kill", "-TERM", String.valueOf(helmPid)), Duration.ofSeconds(10));
                Wait.until("helm pid " + helmPid + " to record its outcome and exit", Duration.ofSeconds(150),
                        () -> alive(helmPid) ? "still running" : null);
                var after = install(ns, List.of("-f", prod, "--tag", "2.0.0", "--recover"));
                Report.expect(after.ok(), "--recover once helm is gone: exit %d: %s", after.exit(), tail(after));
            } finally {
                if (helmPid > 0 && alive(helmPid)) Exec.run(List.of("kill", "-KILL", String.valueOf(helmPid)), Duration.ofSeconds(10));
            }
        });

        checks.check("issue 14 row 10: a run whose lock is taken from it stops at once, stops its helm and hook Job, and says what it left", () -> {
            String ns = "safety-lost";
            var first = install(ns, List.of("-f", prod));
            Report.expect(first.ok(), "install: exit %d: %s", first.exit(), tail(first));
            var p = runner.start("upgrade.java", concat(concat(target(ns), "--tag", "2.0.0", "--timeout", "150s"), testLabel("hang")));
            traces.awaitMigrationJob(ns, Duration.ofSeconds(60), p);
            var helms = helmsUnder(p);
            try {
                String other = "safety.java: someone else";
                var taken = kube.run("patch", "lease", ReleaseLock.leaseName("trevor"), "-n", ns, "--type=merge",
                        "-p", Yaml.json(Map.of("spec", Map.of("holderIdentity", other))));
                Report.expect(taken.ok(), "could not change the Lease's holder: %s", taken.said());
                long t0 = System.nanoTime();
                var r = p.await(Duration.ofSeconds(75));
                long s = (System.nanoTime() - t0) / 1_000_000_000;
                Report.expect(s < 70 && r.exit() != 0, "the run went on for %d s after losing its lock (exit %d): %s", s, r.exit(), tail(r));
                String said = r.out() + r.err();
                Report.expect(said.contains("lost the release's lock") && said.contains(other) && said.contains("release trevor is now"),
                        "the run did not say it lost its lock to '%s' and what state it left: %s", other, tail(r));
                Report.expect(helms.stream().noneMatch(safety::alive), "its helm still runs: %s", helms);
                Report.expect(traces.activeMigrationJobs(ns).isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs(ns));
                var lease = kube.get(ns, "lease", ReleaseLock.leaseName("trevor"));
                Report.expect(lease != null && other.equals(Yaml.str(lease, "spec.holderIdentity")), "the run removed the lock it had lost");
            } finally {
                helms.forEach(pid -> Exec.run(List.of("kill", "-KILL", String.valueOf(pid)), Duration.ofSeconds(10)));
            }
        });

        checks.check("issue 14 row 11: a Lease renewed 'in 2099' is refused and explained, with the command that deletes it", () -> {
            String ns = "safety-future";
            kube.run("create", "namespace", ns);
            String lease = ReleaseLock.leaseName("trevor");
            var spec = Map.<String, Object>of("holderIdentity", "install.java (pid 1 on elsewhere)", "leaseDurationSeconds", 30,
                    "acquireTime", "2099-01-01T00:00:00.000000Z", "renewTime", "2099-01-01T00:00:00.000000Z");
            var made = kube.runWithInput(Yaml.json(Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                    "metadata", Map.of("name", lease, "namespace", ns), "spec", spec)), "create", "-f", "-");
            Report.expect(made.ok(), "could not create the Lease: %s", made.said());
            var r = install(ns, List.of("--keep-namespace-labels"));
            Report.expect(r.exit() == 2 && r.err().contains("2099") && r.err().contains("kubectl -n " + ns + " delete lease " + lease),
                    "expected exit 2 naming the impossible renewTime and the command that deletes the Lease, got %d: %s", r.exit(), tail(r));
            Report.expect(!kube.exists(ns, "secret", "trevor-env"), "the refused run created Secret trevor-env");
        });

        checks.check("issue 14 row 12: two --env-file Secrets, the second of a wrong type: exit 2 and the first untouched", () -> {
            String ns = "safety-types";
            kube.run("create", "namespace", ns);
            var a = kube.run("create", "secret", "generic", "trevor-env", "-n", ns, "--from-env-file=" + secrets.env("plain2.env"));
            var b = kube.run("create", "secret", "generic", "trevor-b", "-n", ns, "--type=kubernetes.io/basic-auth",
                    "--from-literal=username=trevor", "--from-literal=password=not-a-marker");
            Report.expect(a.ok() && b.ok(), "could not create the Secrets: %s %s", a.said(), b.said());
            Path two = work.resolve("two-secrets.yaml");
            Files.writeString(two, "envFromSecrets:\n  - secretName: trevor-env\n  - secretName: trevor-b\n");
            var before = traces.secretData(ns, "trevor-env");
            var r = install(ns, List.of("--keep-namespace-labels", "-f", repo.resolve("values/dev.yaml").toString(), "-f", two.toString(),
                    "--env-file", "trevor-env=" + secrets.env("plain1.env"), "--env-file", "trevor-b=" + secrets.env("plain2.env")));
            Report.expect(r.exit() == 2 && r.err().contains("trevor-b") && r.err().contains("kubernetes.io/basic-auth"),
                    "expected exit 2 naming trevor-b and its type, got %d: %s", r.exit(), tail(r));
            Report.expect(traces.secretData(ns, "trevor-env").equals(before), "Secret trevor-env was changed before the refusal (it now holds %s)",
                    traces.secretData(ns, "trevor-env").equals(secrets.plain(1)) ? "plain1.env" : "other keys");
            Report.expect(!release(ns).exists(), "a release was installed");
        });

        checks.check("issue 14 row 13: upgrade --env-file rotates the Secret and restarts the pods that read it, and says so", () -> {
            String ns = "safety-rotate";
            var first = install(ns, List.of());
            Report.expect(first.ok(), "install: exit %d: %s", first.exit(), tail(first));
            var before = podTemplates(ns);
            var up = runner.run("upgrade.java", concat(target(ns), "--env-file", secrets.env("plain2.env").toString()));
            Report.expect(up.ok(), "upgrade --env-file: exit %d: %s", up.exit(), tail(up));
            Report.expect(traces.secretData(ns, "trevor-env").equals(secrets.plain(2)), "the Secret was not rotated");
            var after = podTemplates(ns);
            for (var d : before.keySet()) {
                Report.expect(!before.get(d).equals(after.get(d)), "Deployment %s kept its pod template: its pods still read the old Secret", d);
            }
            Report.expect(up.out().contains("restart"), "the upgrade did not say the pods restart: %s", tail(up));
        });

        checks.check("issue 14 row 14: rollback refuses a failed revision, and names the migrations that ran from original revisions", () -> {
            String ns = "safety-rollback";
            var one = install(ns, List.of("-f", prod));
            Report.expect(one.ok(), "install 1.0.0: exit %d: %s", one.exit(), tail(one));
            var two = runner.run("upgrade.java", concat(target(ns), "--tag", "2.0.0"));
            Report.expect(two.ok(), "upgrade to 2.0.0: exit %d: %s", two.exit(), tail(two));
            var back = runner.run("rollback.java", target(ns));
            Report.expect(back.ok(), "rollback to revision 1: exit %d: %s", back.exit(), tail(back));
            Report.expect(back.out().contains("upgrade to trevor:2.0.0"),
                    "rollback to 1.0.0 does not name 2.0.0's migrations and the way forward: %s", tail(back));
            // Revision 3 is Helm's copy of revision 1, hook records included: it ran no migration.
            var again = runner.run("rollback.java", target(ns));
            Report.expect(again.ok(), "rollback of the rollback: exit %d: %s", again.exit(), tail(again));
            Report.expect(!again.out().contains("revision 3's migration") && again.out().contains("revision 2")
                            && again.out().contains("trevor:2.0.0"),
                    "the rollback of a rollback credits the copied hook record: %s", tail(again));
            var bad = install(ns, concat(List.of("-f", prod, "--tag", "9.9.9", "--no-rollback", "--timeout", "60s",
                    "--set", "migrations.backoffLimit=0"), testLabel("fail")));
            Report.expect(bad.exit() == 1, "the failing upgrade: expected exit 1, got %d: %s", bad.exit(), tail(bad));
            int failed = release(ns).state().last().number();
            var refused = runner.run("rollback.java", concat(target(ns), "--revision", String.valueOf(failed)));
            Report.expect(refused.exit() == 2 && refused.err().contains("failed") && refused.err().contains("--force"),
                    "rollback to failed revision %d: expected exit 2 naming --force, got %d: %s", failed, refused.exit(), tail(refused));
            Report.expect(release(ns).state().last().number() == failed, "the refused rollback changed the release");
            var forced = runner.run("rollback.java", concat(target(ns), "--revision", String.valueOf(failed), "--force"));
            Report.expect(forced.ok() && forced.out().contains("trevor:9.9.9") && forced.out().contains("never completed"),
                    "--force: expected the rollback, saying 9.9.9's migration never completed, got %d: %s", forced.exit(), tail(forced));
        });

        checks.check("issue 14 row 15: upgrade refuses while an on-demand migration Job runs, as migrate does", () -> {
            String ns = "safety-onemig";
            var first = install(ns, List.of("-f", prod));
            Report.expect(first.ok(), "install: exit %d: %s", first.exit(), tail(first));
            try {
                var slow = runner.run("migrate.java", concat(concat(target(ns), "--timeout", "5s"), testLabel("hang")));
                Report.expect(slow.exit() == 1, "migrate that times out: expected exit 1, got %d: %s", slow.exit(), tail(slow));
                int revision = release(ns).state().last().number();
                var up = runner.run("upgrade.java", concat(target(ns), "--tag", "1.0.2", "--timeout", "60s"));
                Report.expect(up.exit() == 2 && up.err().contains("is still running"),
                        "upgrade beside a running migration: expected exit 2, got %d: %s", up.exit(), tail(up));
                Report.expect(release(ns).state().last().number() == revision, "the upgrade made a new revision");
            } finally {
                kube.run("delete", "jobs", "-n", ns, "-l", "trevor.dev/migration-run", "--wait=false");
            }
        });

        checks.check("issue 14 row 16: Ctrl-C in the pre-install hook removes the hook Job's ServiceAccount and NetworkPolicy too", () -> {
            String ns = "safety-int16";
            var p = runner.start("install.java", concat(concat(target(ns), "-f", prod, "--tag", "1.0.0", "--timeout", "120s",
                    "--env-file", secrets.env("plain1.env").toString()), testLabel("hang")));
            traces.awaitMigrationJob(ns, Duration.ofSeconds(60), p);
            ctrlC(p);
            var r = p.await(Duration.ofMinutes(3));
            Report.expect(r.exit() != 0, "the interrupted install exited 0");
            Report.expect(r.err().contains("was asked to stop"), "the install did not act on Ctrl-C: %s", tail(r));
            String migrate = "app.kubernetes.io/instance=trevor,app.kubernetes.io/component=migrate";
            for (String kind : List.of("serviceaccounts", "networkpolicies")) {
                var left = kube.list(ns, kind, migrate).stream().filter(o -> Yaml.at(o, "metadata.deletionTimestamp") == null)
                        .map(o -> Yaml.str(o, "metadata.name")).toList();
                Report.expect(left.isEmpty(), "the hook's %s are left: %s", kind, left);
            }
            Report.expect(traces.activeMigrationJobs(ns).isEmpty(), "a migration Job still runs: %s", traces.activeMigrationJobs(ns));
        });
    }

    /**
     * Ctrl-C as a terminal sends it: SIGINT to every process of the foreground group (the
     * launcher, the script's JVM, its kubectl children), but not to helm, which runs in a
     * session of its own. Signalling the launcher alone reaches no JVM that it did not exec.
     */
    private static void ctrlC(ScriptRunner.Started p) {
        var helms = helmsUnder(p);
        var all = new ArrayList<>(ScriptRunner.descendants(p.pid()));
        all.removeAll(helms);
        all.add(0, p.pid());
        for (long pid : all) Exec.run(List.of("kill", "-INT", String.valueOf(pid)), Duration.ofSeconds(10));
    }

    /** Kills a started script the hard way (as kill -9 of its process group would), but not the helm it runs in a session of its own. */
    private static long killAllButHelm(ScriptRunner.Started p) {
        var helms = helmsUnder(p);
        var others = new ArrayList<>(ScriptRunner.descendants(p.pid()));
        others.removeAll(helms);
        others.add(0, p.pid());
        for (long pid : others) Exec.run(List.of("kill", "-KILL", String.valueOf(pid)), Duration.ofSeconds(10));
        return helms.isEmpty() ? -1 : helms.get(0);
    }

    private static List<Long> helmsUnder(ScriptRunner.Started p) {
        return ScriptRunner.descendants(p.pid()).stream().filter(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().command())
                .map(c -> Path.of(c).getFileName().toString().startsWith("helm")).orElse(false)).toList();
    }

    private static boolean alive(long pid) { return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); }

    /** Each Deployment of the release and its pod template's annotations: a change there replaces its pods. */
    private Map<String, Object> podTemplates(String namespace) {
        var out = new java.util.TreeMap<String, Object>();
        for (var d : kube.list(namespace, "deployments", "app.kubernetes.io/instance=trevor")) {
            out.put(Yaml.str(d, "metadata.name"), String.valueOf(Yaml.at(d, "spec.template.metadata.annotations")));
        }
        return out;
    }

    // ---------------------------------------------------------------- the cases' vocabulary

    /**
     * The kwok Stage label that makes migration pods fail or hang, as --set-string arguments;
     * scripts before --set-string existed took the flag inside --set.
     */
    private String[] testLabel(String stage) {
        String value = "migrations.podLabels.trevor\\.test/" + stage + "=true";
        return hasSetString() ? new String[] {"--set-string", value} : new String[] {"--set", "--set-string " + value};
    }

    /**
     * Whether the checkout's scripts take --set-string (ValueOptions). (ValueOptions is in lib/cli since the wings, in lib before.) Older ones took the flag
     * inside --set; newer ones refuse exactly that as a smuggled flag, so the checkout decides.
     */
    private boolean hasSetString() {
        return Files.isRegularFile(scripts.resolve("scripts/lib/cli/ValueOptions.java")) || Files.isRegularFile(scripts.resolve("scripts/lib/ValueOptions.java"));
    }

    private String[] setString(String key, String value) {
        return hasSetString() ? new String[] {"--set-string", key + "=" + value} : new String[] {"--set", "--set-string " + key + "=" + value};
    }

    /** Where a script could leave a file: temp folders, the caches it and Helm use, the checkouts. */
    private List<Path> writablePlaces() {
        Path home = Path.of(System.getProperty("user.home"));
        var out = new ArrayList<Path>(List.of(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"),
                Tools.cacheDir(), home.resolve(".cache/helm"), home.resolve(".config/helm"), home.resolve(".local/share/helm"), home.resolve(".kube"),
                repo, scripts));
        String tmpdir = System.getenv("TMPDIR");
        if (tmpdir != null && !tmpdir.isBlank()) out.add(Path.of(tmpdir));
        return out.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
    }

    /** Where the markers belong: the env files, the clusters' own databases and logs; and what holds no script output (git, built tools). */
    private List<Path> placesMarkersBelong() {
        return List.of(work, KwokCluster.workdir().resolve("clusters"), Tools.toolsDir(), Tools.cacheDir().resolve("kwok"), repo.resolve(".git"),
                scripts.resolve(".git"));
    }

    private List<String> target(String namespace) {
        return concat(List.of("--kubeconfig", kubeconfig.toString(), "--context", kube.context, "-n", namespace), helmOptions.args().toArray(String[]::new));
    }

    private Exec.Result install(String namespace, List<String> more) {
        var args = new ArrayList<>(target(namespace));
        if (!more.contains("-f")) args.addAll(List.of("-f", repo.resolve("values/dev.yaml").toString()));
        if (!more.contains("--env-file")) args.addAll(List.of("--env-file", secrets.env("plain1.env").toString()));
        if (!more.contains("--tag")) args.addAll(List.of("--tag", "1.0.0"));
        args.addAll(more);
        return runner.run("install.java", args);
    }

    private Release release(String namespace) {
        return new Release(helm, kube, "trevor", namespace, repo.resolve("helm/trevor"));
    }

    private static void must(Exec.Result r) {
        Report.expect(r.ok(), "%s: %s", String.join(" ", r.command().subList(1, r.command().size())), r.said());
    }

    private static String tail(Exec.Result r) { return lastLines(r.out() + "\n" + r.err()); }

    private static List<String> concat(List<String> a, String... more) {
        var out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }
}
