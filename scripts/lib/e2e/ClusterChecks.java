//SOURCES ../node/WholeCluster.java
//SOURCES ../kube/Kube.java
//SOURCES ../cluster/KwokCluster.java
//SOURCES ../report/Progress.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Tools.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Named checks against kwok clusters of their own: made from nothing (a previous run's
 * leftovers would change the answers); each check a progress step and a report line, a failed
 * one leaving every namespace's objects and the scripts' transcript in a folder named after
 * it; and at the end every cluster taken down, with a check that nothing was left behind.
 */
final class ClusterChecks {
    private final String tool;
    private final List<String> clusters;
    private final Report report;
    private final Progress progress;
    private final Path diagDir;
    private final Supplier<String> transcript;
    private Kube kube;
    private boolean listing;
    private final List<String> listed = new ArrayList<>();

    /** The first of clusters is the one the checks run on; the others are theirs to make and remove. */
    ClusterChecks(String tool, List<String> clusters, Report report, Progress progress, Path diagDir, Supplier<String> transcript) {
        this.tool = tool;
        this.clusters = clusters;
        this.report = report;
        this.progress = progress;
        this.diagDir = diagDir;
        this.transcript = transcript;
    }

    private String context() { return "cluster " + clusters.get(0); }

    /** The name of the check that every cluster is gone at the end (a case of its own). */
    static final String DOWN = "cluster down leaves no process, port or folder behind";

    /**
     * From now on a check is not run but listed: one line "CASE  name" per check --only
     * selects, in order, so that another script can count the cases without a cluster.
     */
    ClusterChecks listing() {
        listing = true;
        return this;
    }

    /** Every check met while listing, selected or not: what an --only that selected none is told it missed. */
    List<String> listed() { return List.copyOf(listed); }

    /** Removes what earlier runs left of every cluster, then starts the first; returns its API. */
    Kube up(Path repo, Path kubeconfig) {
        for (String c : clusters) WholeCluster.down(c, null, progress::info);
        String name = clusters.get(0);
        var info = progress.step("cluster up " + name, () -> WholeCluster.up(repo, name, kubeconfig, false, progress::info));
        kube = new Kube(Tools.kubectl(progress::info), info.context(), kubeconfig);
        return kube;
    }

    /**
     * Runs a check that --only selects, and only those: an unselected case could change the
     * cluster under the selected ones (a case may still need the one before it, e.g. row 7 row 6's release).
     */
    void check(String check, Report.Body body) {
        if (listing) {
            listed.add(check);
            if (report.selected(check)) System.out.println("CASE  " + check);
            return;
        }
        if (!report.selected(check)) return;
        var r = Report.evaluate(check, context(), () -> progress.step(check, () -> {
            try {
                body.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        report.record(r);
        if (r.status() == Report.Status.FAIL && kube != null) {
            Path dir = diagDir.resolve(check.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", ""));
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("namespaces.txt"), kube.run("get", "all,lease,secrets,jobs", "-A").out());
                Files.writeString(dir.resolve("script-output.txt"), transcript.get());
            } catch (IOException e) {
                System.err.println(tool + ": could not write diagnostics to " + dir + ": " + e.getMessage());
            }
            System.out.println(tool + ": diagnostics for '" + check + "' in " + dir);
        }
    }

    /** Takes every cluster down and records whether anything was left behind. */
    void down() {
        if (listing) {
            listed.add(DOWN);
            if (report.selected(DOWN)) System.out.println("CASE  " + DOWN);
            return;
        }
        var t0 = System.nanoTime();
        var left = new ArrayList<String>();
        for (String c : clusters) {
            try {
                left.addAll(KwokCluster.leftovers(WholeCluster.down(c, null, progress::info).cluster()));
            } catch (RuntimeException e) {
                left.add(c + ": " + Problem.rootMessage(e));
            }
        }
        report.record(new Report.Result(DOWN, left.isEmpty() ? Report.Status.PASS
                : Report.Status.FAIL, String.join("; ", left), context(), (System.nanoTime() - t0) / 1_000_000));
    }
}
