///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.yaml:snakeyaml:2.5
//DEPS org.slf4j:slf4j-nop:2.0.18
//SOURCES lib/Repo.java
//SOURCES lib/Dirs.java
//SOURCES lib/Exec.java
//SOURCES lib/Problem.java
//SOURCES lib/Interrupts.java
//SOURCES lib/Yaml.java
//SOURCES lib/Manifests.java
//SOURCES lib/Tools.java
//SOURCES lib/Archives.java
//SOURCES lib/Download.java
//SOURCES lib/Helm.java
//SOURCES lib/Kube.java
//SOURCES lib/Release.java
//SOURCES lib/Target.java
//SOURCES lib/Progress.java
//SOURCES lib/Diagnostics.java
//SOURCES lib/Installer.java
//SOURCES lib/HookLogs.java
//SOURCES lib/EnvFile.java
//SOURCES lib/ReleaseLock.java
//SOURCES lib/Cli.java
//SOURCES lib/Report.java
//SOURCES lib/ControlPlane.java
//SOURCES lib/BuildLock.java
//SOURCES lib/KwokCluster.java
//SOURCES lib/ClusterLock.java

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "safety", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "The trust guarantees, tried the way real users and bad inputs try them, on a kwok cluster of its own: "
                + "no cluster lost, no secret leaked or ignored, nothing touched that was not named, every interruption recoverable.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed", "1:a check failed (diagnostics folder printed)", "2:bad option or missing tool"})
public class safety implements Callable<Integer> {
    @Option(names = "--helm-major", paramLabel = "3|4", defaultValue = "4", description = "Helm the scripts run with (default: ${DEFAULT-VALUE}).")
    int helmMajor;

    @Option(names = "--name", defaultValue = "trevor-safety", description = "kwok cluster name (default: ${DEFAULT-VALUE}); NAME-int is used too.")
    String name;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write the results as JUnit XML to FILE.")
    Path junit;

    @Option(names = "--diagnostics", paramLabel = "DIR", description = "Where a failure's diagnostics go (default: build/safety-diagnostics).")
    Path diagnostics;

    @Option(names = "--only", paramLabel = "PATTERN", description = "Run only the checks matching this regular expression.")
    String only;

    @Option(names = "--scripts-from", paramLabel = "DIR", description = "Run the lifecycle scripts of another checkout (to see how an older version fails these checks).")
    Path scriptsFrom;

    private Path repo;
    private Path scripts;
    private Path work;
    private Path kubeconfig;
    private Kube kube;
    private Report report;
    private Progress progress;
    private String marker;
    private Path diagDir;
    private final StringBuffer outputs = new StringBuffer();

    public static void main(String[] args) { System.exit(Cli.execute(new safety(), args)); }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        repo = Repo.root();
        if (repo == null) {
            System.err.println("safety: run me from inside the trevor repository");
            return 2;
        }
        if (only != null) {
            try {
                java.util.regex.Pattern.compile(only);
            } catch (java.util.regex.PatternSyntaxException e) {
                System.err.println("safety: --only is not a valid regular expression: " + e.getDescription());
                return 2;
            }
        }
        scripts = (scriptsFrom != null ? scriptsFrom : repo).toAbsolutePath().normalize();
        diagDir = (diagnostics != null ? diagnostics : repo.resolve("build/safety-diagnostics")).toAbsolutePath();
        progress = new Progress("safety", System.out);
        report = new Report("safety (helm " + helmMajor + ")", System.out, only, false);
        marker = "tvr-secret-" + HexFormat.of().formatHex(java.security.SecureRandom.getSeed(6));
        work = Files.createTempDirectory("trevor-safety");
        kubeconfig = work.resolve("kubeconfig");
        Files.writeString(kubeconfig, "");
        try {
            // A cluster of its own, from nothing: a previous run's leftovers would change the answers.
            KwokCluster.down(name, null, progress::info);
            KwokCluster.down(name + "-int", null, progress::info);
            var info = progress.step("cluster up " + name, () -> KwokCluster.up(repo, name, kubeconfig, false, progress::info));
            kube = new Kube(Tools.kubectl(progress::info), info.context(), kubeconfig);
            writeEnvFiles();
            cases();
        } finally {
            cleanup();
        }
        progress.printTimings();
        check("no secret value appears in any output, report or diagnostics file", this::noMarkerAnywhere);
        if (junit != null) report.writeJunit(junit, (System.nanoTime() - t0) / 1_000_000);
        Dirs.deleteTree(work);
        System.out.printf("safety: total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.println(report.summary());
        return report.failed() ? 1 : 0;
    }

    // ---------------------------------------------------------------- the cases, one per row of issue 10

    private void cases() throws Exception {
        check("row 1: cluster up from a shell without the cluster's context reuses it and deletes nothing", () -> {
            kube.run("create", "namespace", "safety-keep");
            Path empty = work.resolve("empty-kubeconfig");
            Files.writeString(empty, "");
            var up = script("cluster.java", List.of("up", "--provider", "kwok", "--name", name, "--kubeconfig", empty.toString()), Map.of());
            Report.expect(up.ok(), "exit %d: %s", up.exit(), tail(up));
            Report.expect(up.out().contains("reusing"), "up did not say it reuses the cluster: %s", tail(up));
            Report.expect(kube.exists(null, "namespace", "safety-keep"), "namespace safety-keep is gone: the cluster was recreated");
            var st = script("cluster.java", List.of("status", "--provider", "kwok", "--name", name, "--kubeconfig", work.resolve("other").toString()), Map.of());
            Report.expect(st.ok() && st.out().contains(": running"), "status from another shell: exit %d: %s", st.exit(), tail(st));
        });

        check("row 2: a kwok-* context whose server is not on this machine is not local: refused, and never given dev Secrets", () -> {
            InetAddress host = hostAddress();
            if (host == null) throw new Report.Skipped("this machine has no non-loopback IPv4 address to stand in for a remote server");
            String server = Yaml.str(Yaml.maps(Yaml.loadMap(Files.readString(KwokCluster.ownKubeconfig(name))), "clusters").get(0), "cluster.server");
            int port = java.net.URI.create(server).getPort();
            try (var fwd = new Forwarder(host, port)) {
                Path remote = work.resolve("remote-kubeconfig");
                Files.writeString(remote, remoteKubeconfig("kwok-prod", "https://" + host.getHostAddress() + ":" + fwd.port()));
                var implicit = script("install.java", List.of("--kubeconfig", remote.toString(), "-n", "safety-remote", "--helm-major",
                        String.valueOf(helmMajor), "-f", repo.resolve("values/dev.yaml").toString()), Map.of());
                Report.expect(implicit.exit() == 2 && implicit.err().contains("not a local dev cluster"),
                        "as the current context: expected exit 2 saying it is not a local dev cluster, got %d: %s", implicit.exit(), tail(implicit));
                var named = script("install.java", List.of("--kubeconfig", remote.toString(), "--context", "kwok-prod", "-n", "safety-remote",
                        "--helm-major", String.valueOf(helmMajor), "-f", repo.resolve("values/dev.yaml").toString()), Map.of());
                Report.expect(named.exit() == 2 && named.err().contains("dev defaults are only for local dev clusters"),
                        "with --context: expected exit 2 refusing dev Secrets, got %d: %s", named.exit(), tail(named));
                Report.expect(!kube.exists(null, "namespace", "safety-remote"), "namespace safety-remote was created on the 'remote' cluster");
            }
        });

        check("rows 3, 11: --env-file makes an existing Secret match, names keys only, and keeps y/n/0o17 as strings", () -> {
            var first = install("safety-secrets", List.of("--env-file", env("a.env").toString()));
            Report.expect(first.ok(), "first install: exit %d: %s", first.exit(), tail(first));
            Report.expect(secretData("safety-secrets", "trevor-env").equals(envA()), "after the first install the Secret holds %s",
                    secretData("safety-secrets", "trevor-env").keySet());
            var second = install("safety-secrets", List.of("--env-file", env("b.env").toString()));
            Report.expect(second.ok(), "second install: exit %d: %s", second.exit(), tail(second));
            Report.expect(secretData("safety-secrets", "trevor-env").equals(envB()), "after --env-file b.env the Secret still holds %s",
                    secretData("safety-secrets", "trevor-env").keySet());
            for (String said : List.of("added EXTRA", "changed DATABASE_URL", "removed OLD_TOKEN")) {
                Report.expect(second.out().contains(said), "the output does not say '%s': %s", said, tail(second));
            }
        });

        check("row 4: two installs at once: one holds the lock, the other exits 2 naming it; the Secret holds the winner's file", () -> {
            var a = CompletableFuture.supplyAsync(() -> install("safety-race", List.of("--env-file", env("plain1.env").toString(), "-f",
                    repo.resolve("values/prod.yaml").toString())));
            var b = CompletableFuture.supplyAsync(() -> install("safety-race", List.of("--env-file", env("plain2.env").toString(), "-f",
                    repo.resolve("values/prod.yaml").toString())));
            var ra = a.join();
            var rb = b.join();
            for (var r : List.of(ra, rb)) {
                Report.expect(r.exit() == 0 || (r.exit() == 2 && r.err().contains("holds its lock")),
                        "each run either installs or exits 2 naming the lock's holder; got %d: %s", r.exit(), tail(r));
            }
            Report.expect(ra.ok() || rb.ok(), "neither run installed: %s / %s", tail(ra), tail(rb));
            // The run that finished last and succeeded decides what the Secret holds.
            var last = !rb.ok() ? "plain1" : !ra.ok() ? "plain2" : ra.millis() > rb.millis() ? "plain1" : "plain2";
            var want = last.equals("plain1") ? plain(1) : plain(2);
            Report.expect(secretData("safety-race", "trevor-env").equals(want), "the Secret holds DATABASE_URL of %s, not of %s.env, the last run",
                    secretData("safety-race", "trevor-env").equals(plain(1)) ? "plain1.env" : "plain2.env", last);
        });

        check("row 5: system namespaces are refused and left as they were", () -> {
            for (String ns : List.of("kube-system", "default")) {
                var before = Kube.labelsOf(kube.get(null, "namespace", ns));
                var r = install(ns, List.of());
                Report.expect(r.exit() == 2 && r.err().contains("belongs to the cluster itself"), "-n %s: expected exit 2, got %d: %s", ns, r.exit(), tail(r));
                Report.expect(Kube.labelsOf(kube.get(null, "namespace", ns)).equals(before), "-n %s: its labels changed", ns);
            }
        });

        check("rows 5, 16: an existing namespace's Pod Security labels change only when a flag says so; refused with exit 2", () -> {
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

        check("row 6: status reports a failed last revision and exits 1", () -> {
            var ok = install("safety-failed", List.of("-f", repo.resolve("values/prod.yaml").toString()));
            Report.expect(ok.ok(), "install: exit %d: %s", ok.exit(), tail(ok));
            var bad = install("safety-failed", concat(List.of("-f", repo.resolve("values/prod.yaml").toString(), "--tag", "9.9.9", "--no-rollback",
                    "--timeout", "60s", "--set", "migrations.backoffLimit=0"), testLabel("fail")));
            Report.expect(bad.exit() == 1, "the failing upgrade: expected exit 1, got %d: %s", bad.exit(), tail(bad));
            var st = script("status.java", target("safety-failed"), Map.of());
            Report.expect(st.exit() == 1, "status exited %d on a failed release: %s", st.exit(), tail(st));
            Report.expect(st.out().contains("FAIL  release: Helm reports the last revision deployed") && st.out().contains(" is failed: "),
                    "status does not report the failed revision: %s", tail(st));
        });

        check("row 7: migrate runs the last deployed revision's image, not the failed one's", () -> {
            var m = script("migrate.java", concat(target("safety-failed"), "--timeout", "60s"), Map.of());
            Report.expect(m.ok(), "migrate: exit %d: %s", m.exit(), tail(m));
            Report.expect(m.out().contains("image trevor:1.0.0") && !m.out().contains("trevor:9.9.9"),
                    "migrate did not run the deployed image trevor:1.0.0: %s", tail(m));
        });

        check("row 7: a migrate that times out says the Job still runs and how to stop it; a second one is refused meanwhile", () -> {
            var slow = script("migrate.java", concat(concat(target("safety-failed"), "--timeout", "5s"), testLabel("hang")), Map.of());
            Report.expect(slow.exit() == 1 && (slow.out() + slow.err()).contains("still running") && slow.out().contains("delete job"),
                    "expected exit 1 saying the Job still runs and how to stop it, got %d: %s", slow.exit(), tail(slow));
            var second = script("migrate.java", concat(target("safety-failed"), "--timeout", "30s"), Map.of());
            Report.expect(second.exit() == 2 && second.err().contains("is still running"), "a second migrate: expected exit 2, got %d: %s",
                    second.exit(), tail(second));
            kube.run("delete", "jobs", "-n", "safety-failed", "-l", "trevor.dev/migration-run", "--wait=false");
        });

        check("row 8: a hang-up during the pre-install hook stops helm cleanly and the hook Job with it", () -> {
            var p = start("install.java", concat(concat(target("safety-hup"), "-f", repo.resolve("values/prod.yaml").toString(), "--timeout", "120s"),
                    testLabel("hang")));
            awaitJob("safety-hup", Duration.ofSeconds(60), p);
            signal(p, "HUP");
            var r = p.await(Duration.ofMinutes(3));
            Report.expect(r.exit() != 0, "the interrupted install exited 0");
            var state = release("safety-hup").state();
            Report.expect(state.last() == null || !state.last().pending(), "the release is left %s", state.describe());
            Report.expect(activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", activeMigrationJobs("safety-hup"));
            Report.expect(kube.get("safety-hup", "lease", ReleaseLock.leaseName("trevor")) == null, "the release's lock is still held");
            var again = install("safety-hup", List.of("-f", repo.resolve("values/prod.yaml").toString()));
            Report.expect(again.ok(), "the next install: exit %d: %s", again.exit(), tail(again));
            Report.expect(!again.out().contains("rolled back"), "the next install says it rolled back: %s", tail(again));
        });

        check("row 8: a release left pending by a killed run is named as stuck, and --recover gets it out", () -> {
            var p = start("upgrade.java", concat(concat(target("safety-hup"), "--tag", "2.0.0", "--timeout", "120s"), testLabel("hang")));
            awaitJob("safety-hup", Duration.ofSeconds(60), p);
            // The hard way: the script and its helm die at once, as in a power cut.
            var helmPids = descendants(p.pid());
            signal(p, "KILL");
            for (long pid : helmPids) Exec.run(List.of("kill", "-KILL", String.valueOf(pid)), Duration.ofSeconds(10));
            p.await(Duration.ofSeconds(30));
            Report.expect(release("safety-hup").state().last().pending(), "the kill did not leave the release pending: %s",
                    release("safety-hup").state().describe());
            Kube.sleep(ReleaseLock.DURATION.toMillis() + 2000); // the dead run's lock expires
            var stuck = script("upgrade.java", concat(target("safety-hup"), "--tag", "2.0.0"), Map.of());
            Report.expect(stuck.exit() == 2 && stuck.err().contains("stuck in pending-upgrade") && stuck.err().contains("--recover"),
                    "expected exit 2 naming the stuck state and --recover, got %d: %s", stuck.exit(), tail(stuck));
            var recovered = script("upgrade.java", concat(target("safety-hup"), "--tag", "2.0.0", "--recover"), Map.of());
            Report.expect(recovered.ok(), "--recover: exit %d: %s", recovered.exit(), tail(recovered));
            var state = release("safety-hup").state();
            Report.expect(state.last().status().equals("deployed"), "after --recover the release is %s", state.describe());
            Report.expect(activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", activeMigrationJobs("safety-hup"));
        });

        check("rows 8, 13: Ctrl-C during an upgrade's hook rolls back, stops the hook Job and leaves no values file", () -> {
            var before = tempValuesFiles();
            var p = start("upgrade.java", concat(concat(target("safety-hup"), "--tag", "3.0.0", "--timeout", "120s"), testLabel("hang")));
            awaitJob("safety-hup", Duration.ofSeconds(60), p);
            signal(p, "INT");
            var r = p.await(Duration.ofMinutes(3));
            Report.expect(r.exit() != 0, "the interrupted upgrade exited 0");
            var state = release("safety-hup").state();
            Report.expect(state.last().status().equals("deployed") || state.last().status().equals("failed"),
                    "the release is left %s", state.describe());
            Report.expect("2.0.0".equals(Yaml.str(release("safety-hup").computedValues(state.lastDeployed().number()), "image.tag")),
                    "the deployed revision is no longer 2.0.0: %s", state.describe());
            Report.expect(activeMigrationJobs("safety-hup").isEmpty(), "a migration Job still runs: %s", activeMigrationJobs("safety-hup"));
            var after = tempValuesFiles();
            after.removeAll(before);
            Report.expect(after.isEmpty(), "values files left in the temp folder: %s", after);
        });

        check("row 12: bad input is refused with exit 2 before anything is created", () -> {
            Files.writeString(work.resolve("dot.env"), ".=x\n");
            Files.writeString(work.resolve("dotdot.env"), "..=x\n");
            var huge = new StringBuilder();
            for (int i = 0; i < 20; i++) huge.append("K").append(i).append('=').append(marker).append("x".repeat(60_000)).append('\n');
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

        check("row 14: upgrade takes --env-file; a BOM file is read like kubectl, a Latin-1 file is refused by line", () -> {
            var up = script("upgrade.java", concat(target("safety-secrets"), "--env-file", env("a.env").toString()), Map.of());
            Report.expect(up.ok(), "upgrade --env-file: exit %d: %s", up.exit(), tail(up));
            Report.expect(secretData("safety-secrets", "trevor-env").equals(envA()), "upgrade --env-file did not update the Secret");
            Path bom = work.resolve("bom.env");
            Files.write(bom, concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, ("FIRST=" + marker + "-bom\n").getBytes(StandardCharsets.UTF_8)));
            var b = script("upgrade.java", concat(target("safety-secrets"), "--env-file", bom.toString()), Map.of());
            Report.expect(b.ok(), "a BOM env file: exit %d: %s", b.exit(), tail(b));
            Report.expect(secretData("safety-secrets", "trevor-env").equals(Map.of("FIRST", marker + "-bom")), "the BOM file gave keys %s",
                    secretData("safety-secrets", "trevor-env").keySet());
            Path latin1 = work.resolve("latin1.env");
            Files.write(latin1, ("NAME=caf\u00e9-" + marker + "\n").getBytes(StandardCharsets.ISO_8859_1));
            var l = script("upgrade.java", concat(target("safety-secrets"), "--env-file", latin1.toString()), Map.of());
            Report.expect(l.exit() == 2 && l.err().contains(latin1 + ":1:") && l.err().contains("UTF-8"),
                    "a Latin-1 env file: expected exit 2 naming the line and UTF-8, got %d: %s", l.exit(), tail(l));
        });

        check("rows 9, 13: Ctrl-C during cluster up leaves no process or folder, and status says so", () -> {
            String c = name + "-int";
            var p = start("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", work.resolve("int-kubeconfig").toString()));
            Path pids = KwokCluster.clusterDir(c).resolve("pids");
            Kube.waitFor("control-plane processes of " + c, Duration.ofSeconds(90), () -> {
                try (Stream<Path> s = Files.isDirectory(pids) ? Files.list(pids) : Stream.empty()) {
                    return s.count() >= 3 ? null : "fewer than 3 pid files";
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            var footprint = KwokCluster.footprint(c);
            signal(p, "INT");
            p.await(Duration.ofMinutes(2));
            var left = KwokCluster.leftovers(footprint);
            Report.expect(left.isEmpty(), "left behind after Ctrl-C: %s", left);
            var st = script("cluster.java", List.of("status", "--provider", "kwok", "--name", c), Map.of());
            Report.expect(st.exit() != 0 && !st.out().contains(": running"), "status after Ctrl-C: exit %d: %s", st.exit(), tail(st));
        });

        check("row 10: two cluster ups with one name: the second waits its turn or exits 2; the cluster stays whole", () -> {
            String c = name + "-int";
            Path kc = work.resolve("two-kubeconfig");
            var a = CompletableFuture.supplyAsync(() -> script("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()), Map.of()));
            var b = CompletableFuture.supplyAsync(() -> script("cluster.java", List.of("up", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()), Map.of()));
            var ra = a.join();
            var rb = b.join();
            for (var r : List.of(ra, rb)) {
                Report.expect(r.ok() || (r.exit() == 2 && r.err().contains("another run is working on kwok cluster")),
                        "each up either works or exits 2 naming the other run; got %d: %s", r.exit(), tail(r));
            }
            Report.expect(ra.ok() || rb.ok(), "neither up worked: %s / %s", tail(ra), tail(rb));
            var st = script("cluster.java", List.of("status", "--provider", "kwok", "--name", c), Map.of());
            Report.expect(st.ok() && st.out().contains(": running"), "the cluster is not whole afterwards: %s", tail(st));
            var down = script("cluster.java", List.of("down", "--provider", "kwok", "--name", c, "--kubeconfig", kc.toString()), Map.of());
            Report.expect(down.ok(), "down: exit %d: %s", down.exit(), tail(down));
            Report.expect(KwokCluster.leftovers(KwokCluster.footprint(c)).isEmpty(), "down left %s", KwokCluster.leftovers(KwokCluster.footprint(c)));
        });
    }

    // ---------------------------------------------------------------- helpers

    private void check(String check, Report.Body body) {
        var r = Report.evaluate(check, "cluster " + name, () -> progress.step(check, () -> {
            try {
                body.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        if (!report.selected(check)) return;
        report.record(r);
        if (r.status() == Report.Status.FAIL && kube != null) {
            Path dir = diagDir.resolve(check.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", ""));
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("namespaces.txt"), kube.run("get", "all,lease,secrets,jobs", "-A").out());
                Files.writeString(dir.resolve("script-output.txt"), outputs.toString());
            } catch (IOException e) {
                System.err.println("safety: could not write diagnostics to " + dir + ": " + e.getMessage());
            }
            System.out.println("safety: diagnostics for '" + check + "' in " + dir);
        }
    }

    /**
     * The kwok Stage label that makes migration pods fail or hang, as --set-string arguments;
     * scripts before --set-string existed took the flag inside --set.
     */
    private String[] testLabel(String stage) {
        String value = "migrations.podLabels.trevor\\.test/" + stage + "=true";
        return scriptsFrom == null ? new String[] {"--set-string", value} : new String[] {"--set", "--set-string " + value};
    }

    private List<String> target(String namespace) {
        return List.of("--kubeconfig", kubeconfig.toString(), "--context", kube.context, "-n", namespace, "--helm-major", String.valueOf(helmMajor));
    }

    private Exec.Result install(String namespace, List<String> more) {
        var args = new ArrayList<>(target(namespace));
        if (!more.contains("-f")) args.addAll(List.of("-f", repo.resolve("values/dev.yaml").toString()));
        if (!more.contains("--env-file")) args.addAll(List.of("--env-file", env("plain1.env").toString()));
        if (!more.contains("--tag")) args.addAll(List.of("--tag", "1.0.0"));
        args.addAll(more);
        return script("install.java", args, Map.of());
    }

    private Release release(String namespace) {
        var helm = Helm.resolve(null, helmMajor, progress::info);
        return new Release(helm, kube, "trevor", namespace, repo.resolve("helm/trevor"));
    }

    /** A script of the checkout under test, in a JVM of its own, as a user runs it. */
    private Exec.Result script(String script, List<String> args, Map<String, String> env) {
        var cmd = new ArrayList<>(List.of(repo.resolve("jbang").toString(), scripts.resolve("scripts").resolve(script).toString()));
        cmd.addAll(args);
        var r = Exec.run(cmd, scripts, env, Duration.ofMinutes(6), null);
        outputs.append("$ ").append(String.join(" ", cmd)).append("\n").append(r.out()).append(r.err()).append("\n");
        return r;
    }

    /** A script started in the background, to be signalled. */
    final class Started {
        final Process process;
        final StringBuffer out = new StringBuffer();
        final StringBuffer err = new StringBuffer();
        final List<String> cmd;
        final long t0 = System.nanoTime();

        Started(List<String> cmd) throws IOException {
            this.cmd = cmd;
            this.process = new ProcessBuilder(cmd).directory(scripts.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            pump(process.getInputStream(), out);
            pump(process.getErrorStream(), err);
        }

        long pid() { return process.pid(); }

        Exec.Result await(Duration max) throws InterruptedException {
            if (!process.waitFor(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            Thread.sleep(200); // the pumps drain
            outputs.append("$ ").append(String.join(" ", cmd)).append("\n").append(out).append(err).append("\n");
            return new Exec.Result(cmd, process.exitValue(), out.toString(), err.toString(), (System.nanoTime() - t0) / 1_000_000);
        }

        private void pump(InputStream in, StringBuffer sink) {
            var t = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) sink.append(line).append('\n');
                } catch (IOException ignored) {
                    // closed with the process
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }

    private Started start(String script, List<String> args) throws IOException {
        var cmd = new ArrayList<>(List.of(repo.resolve("jbang").toString(), scripts.resolve("scripts").resolve(script).toString()));
        cmd.addAll(args);
        // Built first, so the signal reaches the script's own JVM and not JBang building it.
        Exec.run(List.of(repo.resolve("jbang").toString(), "build", scripts.resolve("scripts").resolve(script).toString()), scripts, Map.of(),
                Duration.ofMinutes(5), null);
        return new Started(cmd);
    }

    private void signal(Started p, String sig) {
        var r = Exec.run(List.of("kill", "-" + sig, String.valueOf(p.pid())), Duration.ofSeconds(10));
        Report.expect(r.ok(), "kill -%s %d: %s", sig, p.pid(), r.said());
    }

    /** Processes started below pid (helm runs in a session of its own, so not by process group). */
    private static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    /** Waits for the script's migration Job to run; if none comes, stops the script and says what it printed. */
    private void awaitJob(String namespace, Duration max, Started p) throws InterruptedException {
        try {
            Kube.waitFor("a migration Job running in " + namespace, max, () -> {
                if (!p.process.isAlive()) throw new IllegalStateException("the script ended with exit " + p.process.exitValue());
                return activeMigrationJobs(namespace).isEmpty() ? "none yet" : null;
            });
        } catch (IllegalStateException e) {
            var r = p.await(Duration.ofSeconds(30));
            Report.fail("no migration Job ran in %s (%s); the script said: %s", namespace, e.getMessage(), tail(r));
        }
    }

    private List<String> activeMigrationJobs(String namespace) {
        var out = new ArrayList<String>();
        for (var j : kube.list(namespace, "jobs", "app.kubernetes.io/component=migrate")) {
            if (Yaml.at(j, "metadata.deletionTimestamp") != null) continue;
            if (Kube.conditionTrue(j, "Complete") || Kube.conditionTrue(j, "Failed")) continue;
            out.add(Yaml.str(j, "metadata.name"));
        }
        return out;
    }

    private Map<String, String> secretData(String namespace, String secret) {
        var s = kube.get(namespace, "secret", secret);
        var out = new LinkedHashMap<String, String>();
        if (s == null) return out;
        Yaml.map(s, "data").forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8)));
        return out;
    }

    private static java.util.Set<String> tempValuesFiles() {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return new java.util.HashSet<>(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("trevor-deployed-values")).toList());
        } catch (IOException e) {
            return new java.util.HashSet<>();
        }
    }

    // ---------------------------------------------------------------- env files, all of whose values carry the marker

    private Map<String, String> envA() {
        var m = new LinkedHashMap<String, String>();
        m.put("DATABASE_URL", "postgresql://trevor:" + marker + "-a@db:5432/trevor");
        m.put("OLD_TOKEN", marker + "-old");
        m.put("YES", "y");
        m.put("NO", "n");
        m.put("UPPER_YES", "Y");
        m.put("UPPER_NO", "N");
        m.put("OCTAL", "0o17");
        m.put("SPACED", " " + marker + " with spaces ");
        return m;
    }

    private Map<String, String> envB() {
        var m = new LinkedHashMap<>(envA());
        m.put("DATABASE_URL", "postgresql://trevor:" + marker + "-b@db:5432/trevor");
        m.remove("OLD_TOKEN");
        m.put("EXTRA", marker + "-extra");
        return m;
    }

    /** Values no YAML parser retypes: installs that are not about the Secret's contents use these. */
    private Map<String, String> plain(int n) {
        var m = new LinkedHashMap<String, String>();
        m.put("DATABASE_URL", "postgresql://trevor:" + marker + "-plain" + n + "@db:5432/trevor");
        m.put("REDIS_URL", "redis://:" + marker + "@redis:6379/0");
        return m;
    }

    private void writeEnvFiles() throws IOException {
        for (var e : Map.of("a.env", envA(), "b.env", envB(), "plain1.env", plain(1), "plain2.env", plain(2)).entrySet()) {
            var sb = new StringBuilder("# written by safety.java\n");
            e.getValue().forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            Files.writeString(env(e.getKey()), sb);
        }
    }

    private Path env(String file) { return work.resolve(file); }

    private void noMarkerAnywhere() throws IOException {
        var where = new ArrayList<String>();
        if (outputs.indexOf(marker) >= 0) {
            int i = outputs.indexOf(marker);
            where.add("script output: …" + outputs.substring(Math.max(0, i - 120), i).replace('\n', ' ') + "[value]");
        }
        for (var r : report.results()) {
            if ((r.detail() + r.context() + r.name()).contains(marker)) where.add("report line of '" + r.name() + "'");
        }
        if (Files.isDirectory(diagDir)) {
            try (Stream<Path> files = Files.walk(diagDir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    if (Files.readString(f, StandardCharsets.ISO_8859_1).contains(marker)) where.add("diagnostics file " + f);
                }
            }
        }
        Report.expect(where.isEmpty(), "a secret value was printed: %s", String.join("; ", where));
    }

    // ---------------------------------------------------------------- a "remote" server: this machine's own address, forwarded

    /** An IPv4 address of this machine that is not loopback: a server there is, by address, not a local dev cluster. */
    private static InetAddress hostAddress() throws IOException {
        for (var nif : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) continue;
            for (var a : java.util.Collections.list(nif.getInetAddresses())) if (a instanceof Inet4Address) return a;
        }
        return null;
    }

    private String remoteKubeconfig(String context, String server) throws IOException {
        var own = Yaml.loadMap(Files.readString(KwokCluster.ownKubeconfig(name)));
        var user = Yaml.maps(own, "users").get(0);
        return "apiVersion: v1\nkind: Config\ncurrent-context: " + context + "\nclusters:\n- name: " + context + "\n  cluster:\n    server: " + server
                + "\n    insecure-skip-tls-verify: true\ncontexts:\n- name: " + context + "\n  context:\n    cluster: " + context + "\n    user: "
                + context + "\nusers:\n- name: " + context + "\n  user:\n    client-certificate: " + Yaml.str(user, "user.client-certificate")
                + "\n    client-key: " + Yaml.str(user, "user.client-key") + "\n";
    }

    /** TCP from this machine's own address to the loopback API server, so a "remote" context really reaches it. */
    static final class Forwarder implements AutoCloseable {
        private final ServerSocket server;

        Forwarder(InetAddress bind, int targetPort) throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(bind, 0));
            var t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        Socket out = new Socket("127.0.0.1", targetPort);
                        copy(in.getInputStream(), out.getOutputStream(), in, out);
                        copy(out.getInputStream(), in.getOutputStream(), in, out);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "forwarder");
            t.setDaemon(true);
            t.start();
        }

        int port() { return server.getLocalPort(); }

        private static void copy(InputStream from, OutputStream to, Socket a, Socket b) {
            var t = new Thread(() -> {
                try {
                    from.transferTo(to);
                } catch (IOException ignored) {
                    // one side closed
                } finally {
                    try { a.close(); b.close(); } catch (IOException ignored) { /* closing */ }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        @Override public void close() throws IOException { server.close(); }
    }

    private void cleanup() {
        var t0 = System.nanoTime();
        var left = new ArrayList<String>();
        for (String c : List.of(name, name + "-int")) {
            try {
                left.addAll(KwokCluster.leftovers(KwokCluster.down(c, null, progress::info)));
            } catch (RuntimeException e) {
                left.add(c + ": " + Exec.rootMessage(e));
            }
        }
        report.record(new Report.Result("cluster down leaves no process, port or folder behind", left.isEmpty() ? Report.Status.PASS
                : Report.Status.FAIL, String.join("; ", left), "cluster " + name, (System.nanoTime() - t0) / 1_000_000));
    }

    private static String tail(Exec.Result r) {
        var lines = (r.out() + "\n" + r.err()).strip().lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
    }

    private static List<String> concat(List<String> a, String... more) {
        var out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        var out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
