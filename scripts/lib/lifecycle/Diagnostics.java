//SOURCES ../tools/Exec.java
//SOURCES ../kube/Helm.java
//SOURCES ../kube/Kube.java
//SOURCES ../kube/Release.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a failed run leaves behind for a human: events, describe output, pod and Job logs,
 * the rendered and the deployed manifests, and Helm's history, one file each.
 */
final class Diagnostics {
    private Diagnostics() {}

    /** Collects what it can (a dead cluster still leaves the local render); returns the folder. */
    static Path collect(Path dir, Release rel, Helm.Values values, String why) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("README.txt"), "Why: " + why + "\nRelease " + rel.name + ", namespace " + rel.namespace
                    + ", context " + rel.kube.context + ", " + rel.helm + "\nValues: " + values.describe() + "\n");
            var render = rel.render(values);
            Files.writeString(dir.resolve("rendered-manifests.yaml"), render.ok() ? render.out() : render.said());
            save(dir, "helm-history.txt", rel.historyText());
            var manifest = rel.manifest();
            save(dir, "deployed-manifests.yaml", manifest.ok() ? manifest.out() : manifest.said());
            var kube = rel.kube;
            save(dir, "events.txt", said(kube.run("get", "events", "-n", rel.namespace, "--sort-by=.lastTimestamp", "-o", "wide")));
            save(dir, "describe.txt", said(kube.run(Duration.ofMinutes(2), "describe", "all,pdb,hpa,networkpolicy,serviceaccount,secret",
                    "-n", rel.namespace)));
            save(dir, "objects.yaml", said(kube.run("get", "all,pdb,hpa,networkpolicy,serviceaccount,jobs", "-n", rel.namespace, "-o", "yaml")));
            save(dir, "nodes.txt", said(kube.run("get", "nodes", "-o", "wide")));
            var logs = new StringBuilder();
            try {
                for (var pod : kube.list(rel.namespace, "pods", null)) {
                    String name = Yaml.str(pod, "metadata.name");
                    logs.append("==== pod ").append(name).append(" (").append(Yaml.str(pod, "status.phase")).append(")\n");
                    logs.append(said(kube.run("logs", name, "-n", rel.namespace, "--all-containers", "--prefix", "--tail=500"))).append("\n");
                }
            } catch (RuntimeException e) {
                logs.append("could not list pods: ").append(e.getMessage());
            }
            save(dir, "pod-logs.txt", logs.toString());
        } catch (IOException | RuntimeException e) {
            System.err.println("diagnostics: could not write everything to " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    private static void save(Path dir, String file, String text) throws IOException {
        Files.writeString(dir.resolve(file), text == null ? "" : text);
    }

    private static String said(Exec.Result r) { return r.ok() ? r.out() : "(" + String.join(" ", r.command()) + " failed)\n" + r.said(); }

    /**
     * Why a migration Job did not finish, from the cluster: its conditions, its pods' states,
     * the events of the Job and its pods (a refused pod shows up only there), and the logs.
     */
    static String explainJob(Kube kube, String namespace, String selector) {
        var lines = new ArrayList<String>();
        List<Map<String, Object>> jobs;
        try {
            jobs = kube.list(namespace, "jobs", selector);
        } catch (RuntimeException e) {
            return "could not read Jobs: " + e.getMessage();
        }
        for (var job : jobs) {
            String name = Yaml.str(job, "metadata.name");
            lines.add("Job " + name + ": active=" + Yaml.str(job, "status.active") + " succeeded=" + Yaml.str(job, "status.succeeded")
                    + " failed=" + Yaml.str(job, "status.failed"));
            for (var c : Yaml.maps(job, "status.conditions")) {
                lines.add("  condition " + c.get("type") + "=" + c.get("status") + ": " + c.get("reason") + " " + c.getOrDefault("message", ""));
            }
            for (String e : kube.eventsFor(namespace, "Job", name)) lines.add("  event " + e);
            for (var pod : kube.list(namespace, "pods", "job-name=" + name)) {
                String pn = Yaml.str(pod, "metadata.name");
                lines.add("  pod " + pn + ": " + Yaml.str(pod, "status.phase") + " " + nz(Yaml.str(pod, "status.reason")) + " " + nz(Yaml.str(pod, "status.message")));
                for (String e : kube.eventsFor(namespace, "Pod", pn)) lines.add("    event " + e);
                var logs = kube.run("logs", pn, "-n", namespace, "--all-containers", "--tail=200");
                lines.add("    logs: " + (logs.ok() && !logs.out().isBlank() ? "\n" + logs.out().strip().indent(6) : "(none available"
                        + (logs.ok() ? ")" : ": " + Kube.firstLine(logs.said()) + ")")));
            }
        }
        if (jobs.isEmpty()) lines.add("no migration Job exists (it may have been deleted by a rollback)");
        return String.join("\n", lines);
    }

    private static String nz(String s) { return s == null ? "" : s; }
}
