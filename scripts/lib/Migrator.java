import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the migrations now, outside an install: the chart's own migration Job, rendered
 * with the release's values, under a unique name and without Helm's hook annotations.
 */
final class Migrator {
    private Migrator() {}

    record Outcome(String job, boolean succeeded, String explanation) {}

    static Outcome run(Release rel, List<String> extraSets, Duration timeout, Progress p) {
        if (!rel.exists()) {
            throw new Target.Invalid("no release " + rel.name + " in namespace " + rel.namespace + " on " + rel.kube.context
                    + "; install it first (jbang scripts/install.java)");
        }
        var previous = rel.userValuesFile();
        var sets = new ArrayList<>(List.of("migrations.hookEnabled=true", "migrations.enabled=false"));
        sets.addAll(extraSets);
        var render = rel.render(new Helm.Values(List.of(previous), sets));
        previous.toFile().delete();
        if (!render.ok()) throw new Target.Invalid("the chart refuses these values: " + render.said());
        var job = Manifests.ofKind(Manifests.parse(render.out()), "Job").stream().findFirst()
                .orElseThrow(() -> new Installer.Failed("the chart rendered no migration Job"));

        String run = LocalDateTime.now().format(DateTimeFormatter.ofPattern("MMddHHmmss"));
        String base = job.name().length() > 50 ? job.name().substring(0, 50) : job.name();
        String name = base + "-" + run;
        var body = new LinkedHashMap<>(job.body());
        var meta = new LinkedHashMap<String, Object>(Yaml.map(body, "metadata"));
        meta.put("name", name);
        meta.remove("annotations"); // not a hook: Helm must not own or delete it
        var labels = new LinkedHashMap<String, Object>(Yaml.map(meta, "labels"));
        labels.put("trevor.dev/migration-run", run);
        meta.put("labels", labels);
        body.put("metadata", meta);
        // The hook's own ServiceAccount exists only around hooks; the release's always does.
        var api = rel.kube.list(rel.namespace, "deployments", rel.selector("api"));
        if (!api.isEmpty()) {
            String sa = Yaml.str(api.get(0), "spec.template.spec.serviceAccountName");
            var spec = new LinkedHashMap<String, Object>(Yaml.map(body, "spec"));
            var template = new LinkedHashMap<String, Object>(Yaml.map(spec, "template"));
            var podSpec = new LinkedHashMap<String, Object>(Yaml.map(template, "spec"));
            podSpec.put("serviceAccountName", sa);
            template.put("spec", podSpec);
            spec.put("template", template);
            body.put("spec", spec);
        }
        p.step("create Job " + name, () -> {
            var r = rel.kube.runWithInput(Yaml.dump(body), "create", "-n", rel.namespace, "-f", "-");
            if (!r.ok()) throw new Installer.Failed("could not create Job " + name + ": " + r.said());
        });
        String selector = "trevor.dev/migration-run=" + run;
        boolean[] ok = {false};
        try {
            p.step("wait for Job " + name + " (up to " + timeout.toSeconds() + " s)", () -> Kube.waitFor("Job " + name, timeout, () -> {
                var j = rel.kube.get(rel.namespace, "job", name);
                if (j == null) return "gone";
                if (Kube.conditionTrue(j, "Complete")) { ok[0] = true; return null; }
                if (Kube.conditionTrue(j, "Failed")) return null;
                return "active=" + Yaml.str(j, "status.active") + " failed=" + Yaml.str(j, "status.failed");
            }));
        } catch (IllegalStateException e) {
            p.info(e.getMessage());
        }
        return new Outcome(name, ok[0], Diagnostics.explainJob(rel.kube, rel.namespace, selector));
    }
}
