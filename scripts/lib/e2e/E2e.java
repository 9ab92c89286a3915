//SOURCES ../node/WholeCluster.java
//SOURCES ../lifecycle/Diagnostics.java
//SOURCES ../tools/Dirs.java
//SOURCES ../kube/Helm.java
//SOURCES ../lifecycle/Installer.java
//SOURCES ../tools/Interrupts.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES ../report/Progress.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every end-to-end lifecycle shares: stages that are named checks, diagnostics written
 * where a failed stage says, a fatal failure that stops what would only fail for the same
 * reason, and the cluster's removal, proved, at the end or on an interrupt.
 */
abstract class E2e {
    static final String RELEASE = "trevor";

    final Path repo;
    final Helm helm;
    final Path kubectl;
    final String name;
    final String namespace;
    final Report report;
    final Progress progress;
    final Path diagDir;
    final boolean keep;
    Release rel;
    Helm.Values installValues;
    Path kubeconfig;
    /** Set when the stages run beside others (RealE2e's lanes): once true, the next stage stops this lifecycle. */
    AtomicBoolean halted;
    private final AtomicBoolean cleaned = new AtomicBoolean();

    E2e(Path repo, Helm helm, Path kubectl, String name, String namespace, Report report, Progress progress, Path diagDir, boolean keep) {
        this.repo = repo;
        this.helm = helm;
        this.kubectl = kubectl;
        this.name = name;
        this.namespace = namespace;
        this.report = report;
        this.progress = progress;
        this.diagDir = diagDir;
        this.keep = keep;
    }

    /** The stages, in order. */
    abstract void lifecycle() throws IOException;

    /** The lifecycle, then the cluster's removal; an interrupt removes the cluster too. */
    final void run() throws IOException {
        try (var onStop = Interrupts.onStop("remove the e2e cluster " + name, this::cleanup)) {
            try {
                lifecycle();
            } catch (Stop e) {
                // a stage failed and said so; diagnostics are written
            } finally {
                cleanup();
            }
        }
    }

    /** A failed stage after which the lifecycle cannot go on. */
    static final class Stop extends RuntimeException {
        Stop() { super(null, null, false, false); }
    }

    interface StageBody<T> { T run() throws Exception; }

    /**
     * Runs one lifecycle stage as a named check. A failed stage writes diagnostics; a fatal
     * one stops the lifecycle.
     */
    <T> T stage(String check, boolean fatal, StageBody<T> body) {
        if (halted != null && halted.get()) throw new Stop();
        Object[] out = {null};
        var result = Report.evaluate(check, rel == null ? "" : "release " + rel.name + " in " + rel.namespace, () -> {
            out[0] = progress.step(check, () -> {
                try {
                    return body.run();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        });
        if (report.selected(check)) report.record(result);
        if (result.status() == Report.Status.FAIL) {
            diagnose(check);
            if (fatal) throw new Stop();
        }
        @SuppressWarnings("unchecked") T t = (T) out[0];
        return t;
    }

    /** Stops when checks of this thread failed since `failedBefore` (report.failedHere()): what follows builds on them. */
    void stopIfFailed(String what, long failedBefore) {
        if (report.failedHere() > failedBefore) {
            diagnose(what);
            throw new Stop();
        }
    }

    void diagnose(String why) {
        if (rel == null) return;
        Path dir = diagDir.resolve(why.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", ""));
        Diagnostics.collect(dir, rel, installValues, why);
        System.out.println("e2e: diagnostics for '" + why + "' in " + dir);
    }

    /** Removes the cluster (unless --keep) and records whether anything was left behind. */
    final void cleanup() {
        if (!cleaned.compareAndSet(false, true)) return;
        if (keep) {
            System.out.println("e2e: --keep: cluster " + name + " left running (context kwok-" + name + ", kubeconfig " + kubeconfig
                    + "); './jbang scripts/cluster.java down --name " + name + "' removes it");
            return;
        }
        var t0 = System.nanoTime();
        String check = "cluster down leaves no process, port, mount, interface, rule or folder behind";
        try {
            var left = down();
            if (kubeconfig != null) Dirs.deleteTree(kubeconfig.getParent());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            progress.info(String.format(java.util.Locale.ROOT, "cluster down in %.1f s", ms / 1000.0));
            downChecks(check, left).forEach((c, l) -> report.record(new Report.Result(c, l.isEmpty() ? Report.Status.PASS : Report.Status.FAIL,
                    String.join("; ", l), "cluster " + name, ms)));
        } catch (RuntimeException e) {
            report.record(new Report.Result(check, Report.Status.FAIL, Problem.rootMessage(e), "cluster " + name, (System.nanoTime() - t0) / 1_000_000));
        }
    }

    /** What down left, as named checks (each recorded, PASS when its list is empty); here one check for all. */
    java.util.Map<String, java.util.List<String>> downChecks(String check, java.util.List<String> left) {
        return java.util.Map.of(check, left);
    }

    /** Takes the cluster down; returns what is left. */
    java.util.List<String> down() {
        return KwokCluster.leftovers(WholeCluster.down(name, kubeconfig, progress::info).cluster());
    }

    /**
     * A copy of the chart whose containers lose their /tmp mount (the volume stays, unused):
     * the defect a reviewer could miss, which only a running container shows.
     */
    Path chartWithoutTmpMount(Path tmp) throws IOException {
        return chartCopyWith(tmp.resolve("trevor"), "templates/_helpers.tpl", "- name: tmp\n  mountPath: /tmp\n", "",
                "the chart no longer mounts /tmp this way; update this check");
    }

    /** A copy of the chart whose pods may not query DNS: the egress rule for port 53 is gone. */
    Path chartWithoutDnsEgress(Path tmp) throws IOException {
        return chartCopyWith(tmp.resolve("no-dns").resolve("trevor"), "templates/_helpers.tpl",
                "{{ include \"trevor.networkPolicyDnsEgress\" . }}\n", "",
                "the chart no longer includes its DNS egress rule this way; update this check");
    }

    /** A copy of the chart whose API policy admits every namespace: the ingress controller's namespace selector is empty. */
    Path chartAdmittingEveryNamespace(Path tmp) throws IOException {
        return chartCopyWith(tmp.resolve("open-ingress").resolve("trevor"), "templates/networkpolicy.yaml",
                "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: {{ $np.ingressNamespace | quote }}\n",
                "        - namespaceSelector: {}\n",
                "the chart no longer selects the ingress controller's namespace this way; update this check");
    }

    /**
     * A copy of the chart whose API container has no CPU request: the HPA's CPU utilisation is a
     * percentage of that request, so the HPA cannot compute it. The CPU limit goes too, or the
     * API server would default the request to it.
     */
    Path chartWithoutCpuRequest(Path tmp) throws IOException {
        return chartCopyWith(tmp.resolve("no-cpu-request").resolve("trevor"), "templates/deployment.yaml",
                "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n",
                "          resources:\n            {{- toYaml (dict \"requests\" (omit .Values.resources.requests \"cpu\") \"limits\" (omit .Values.resources.limits \"cpu\")) | nindent 12 }}\n",
                "the chart no longer renders the API container's resources this way; update this check");
    }

    /** helm/trevor copied to chart with one text edit in file; a text that moved fails with moved, so the defect is updated, not silently void. */
    private Path chartCopyWith(Path chart, String file, String find, String replace, String moved) throws IOException {
        Dirs.copyTree(repo.resolve("helm/trevor"), chart);
        Path f = chart.resolve(file);
        String text = java.nio.file.Files.readString(f);
        Report.expect(text.contains(find), moved);
        java.nio.file.Files.writeString(f, text.replace(find, replace));
        return chart;
    }

    Installer.Options options(Path values, java.util.List<String> sets, java.time.Duration timeout) {
        return Installer.Options.of(java.util.List.of(values), sets, timeout);
    }
}
