//SOURCES CheckRunner.java
//SOURCES FailBatch.java
//SOURCES ../kube/Helm.java
//SOURCES ../tools/Once.java
//SOURCES RenderBatch.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * Values helm must refuse, and whether it did, in as few helm processes as can tell:
 * <ul>
 *   <li>refused by the values schema: one umbrella render ({@link RenderBatch}) whose error lists
 *       each member's violations under its alias (a schema refuses values before any template
 *       runs, whatever the release is called);</li>
 *   <li>refused by the templates (`fail`, `required`): one `helm lint` of them all
 *       ({@link FailBatch}); the first of them also renders with `helm template`, and unless the
 *       two say the same, each renders on its own.</li>
 * </ul>
 * A member the batch cannot speak for (its values not refused by the schema after all, or its
 * lint messages not told apart) renders on its own with `helm template`.
 */
final class Refusals {
    /** Whether helm refused the values, and the lines of its refusal to search. */
    record Verdict(boolean refused, List<String> lines, String said) {}

    final class Refusal {
        Path chart;
        final String release;
        final String namespace;
        final Helm.Values values;
        final boolean bySchema;
        final String section;
        private String alias;
        private boolean inFailBatch;
        private final Once<Verdict> verdict = new Once<>(this::decide);

        private Refusal(Path chart, String release, String namespace, Helm.Values values, boolean bySchema, String section) {
            this.chart = chart;
            this.release = release;
            this.namespace = namespace;
            this.values = values;
            this.bySchema = bySchema;
            this.section = section;
        }

        Verdict verdict() {
            runner.plan();
            return verdict.get();
        }

        /** What to start early when a check of this refusal is selected. */
        Once<Verdict> input() { return verdict; }

        private Verdict decide() {
            if (bySchema && schemaBatch != null && alias != null) {
                var r = schemaBatch.get().result();
                var lines = r.ok() ? null : schemaRefusals().get(section != null ? section : alias);
                if (lines != null) return new Verdict(true, lines, String.join("\n", lines));
            }
            if (inFailBatch && failsSchema) {
                // Its schema was checked in the schema batch, not in the lint: refused there (or
                // not known to pass), it renders on its own.
                var r = schemaBatch.get().result();
                if (!RenderBatch.schemasChecked(r) || (!r.ok() && schemaRefusals().containsKey(alias))) return own();
            }
            if (inFailBatch && failsTrusted.get()) {
                var said = failBatch.get().get(alias);
                if (said != null && said.messages() != null && !said.section().contains("[ERROR]")) {
                    if (said.messages().isEmpty()) return new Verdict(false, List.of(), "(rendered)");
                    String first = said.messages().get(0);
                    return new Verdict(true, first.lines().toList(), first);
                }
            }
            return own();
        }

        /** Its own `helm template`. */
        Verdict own() {
            var r = runner.run("template (refusal) " + values.describe(), () -> runner.helmRuns.template(release, chart, namespace, values));
            return new Verdict(!r.ok(), r.said().lines().toList(), r.said());
        }
    }

    private final CheckRunner runner;
    private final List<Refusal> all = new ArrayList<>();
    private Once<RenderBatch.Rendered> schemaBatch;
    private Once<Map<String, FailBatch.Said>> failBatch;
    private Once<Boolean> failsTrusted = new Once<>(() -> false);
    /** Whether the template refusals' values schemas are checked in the schema batch (their lint leaves them out). */
    private boolean failsSchema;
    private final java.util.Set<String> schemaAliases = new HashSet<>();
    private Once<Map<String, List<String>>> schemaRefusals;

    /** The schema batch's refusal lines, member by member. */
    private Map<String, List<String>> schemaRefusals() { return schemaRefusals.get(); }

    Refusals(CheckRunner runner) { this.runner = runner; }

    Refusal add(Path chart, String release, String namespace, Helm.Values values, boolean bySchema, String section) {
        var r = new Refusal(chart, release, namespace, values, bySchema, section);
        all.add(r);
        return r;
    }

    List<Refusal> all() { return List.copyOf(all); }

    /** A fixture made where it stays: the refusals of its stand-in path refer to it. */
    void moved(Path from, Path to) { for (var r : all) if (r.chart.equals(from)) r.chart = to; }

    /** Groups the refusals into the two batches (one namespace each; a single member renders on its own). */
    void plan() {
        var schema = new ArrayList<RenderBatch.Member>();
        var fails = new ArrayList<RenderBatch.Member>();
        var failing = new ArrayList<Refusal>();
        var sections = new HashSet<String>();
        String schemaNs = null, failNs = null, schemaRelease = null;
        for (var r : all) {
            if (!RenderBatch.canHold(r.chart, r.values)) continue;
            if (r.bySchema) {
                if ((schemaNs != null && !schemaNs.equals(r.namespace)) || (r.section != null && !sections.add(r.section))) continue;
                schemaNs = r.namespace;
                schemaRelease = schemaRelease == null ? r.release : schemaRelease;
                r.alias = String.format("m%02d", schema.size() + 1);
                schema.add(new RenderBatch.Member(r.alias, r.chart, r.values));
            } else {
                if (failNs != null && !failNs.equals(r.namespace)) continue;
                failNs = r.namespace;
                r.alias = String.format("f%02d", fails.size() + 1);
                r.inFailBatch = true;
                fails.add(new RenderBatch.Member(r.alias, r.chart, r.values));
                failing.add(r);
            }
        }
        if (schema.size() >= 2) {
            String ns = schemaNs, release = schemaRelease;
            // The template refusals' values go through the schemas here too, each schema
            // compiled once for all (hoisted): their lint then leaves the schemas out.
            failsSchema = fails.size() >= 2;
            var members = new ArrayList<>(schema);
            if (failsSchema) members.addAll(fails);
            members.forEach(m -> schemaAliases.add(m.alias()));
            String what = "template batch of " + schema.size() + " schema refusals" + (failsSchema ? " and " + fails.size() + " template refusals' schemas" : "");
            schemaBatch = new Once<>(() -> runner.run(what,
                    () -> RenderBatch.render(runner.helmRuns, runner.scratch().resolve("refusals"), release, ns, members, true)));
            schemaRefusals = new Once<>(() -> {
                var r = schemaBatch.get().result();
                return r.ok() ? Map.of() : RenderBatch.refusals(r.said(), schemaAliases);
            });
        } else {
            all.forEach(r -> { if (r.bySchema) r.alias = null; });
        }
        if (fails.size() >= 2) {
            String ns = failNs;
            boolean schemaElsewhere = failsSchema;
            failBatch = new Once<>(() -> runner.run("lint batch of " + fails.size() + " template refusals",
                    () -> FailBatch.lint(runner.helmRuns, runner.scratch().resolve("fails"), ns, fails, schemaElsewhere)));
            var guard = failing.get(0);
            failsTrusted = new Once<>(() -> sameAsTemplate(guard));
            guard.inFailBatch = false; // its verdict is its own render, which the guard compares
        } else {
            failing.forEach(r -> r.inFailBatch = false);
        }
    }

    /** Whether the lint's first message for the guard is what `helm template` refuses it with. */
    private boolean sameAsTemplate(Refusal guard) {
        var own = guard.verdict.get();
        var said = failBatch.get().get(guard.alias);
        boolean same = said != null && said.messages() != null && !said.messages().isEmpty() && own.refused()
                && own.said().contains(said.messages().get(0));
        if (!same) {
            System.err.println("verify: helm lint's account of the values the templates refuse differs from helm template's ("
                    + (said == null || said.messages() == null ? "no messages" : said.messages()) + " vs " + own.said().lines().findFirst().orElse("")
                    + "); each renders on its own");
        }
        return same;
    }

    /** Starts the two batches. */
    void startBatches(ExecutorService pool) {
        if (failBatch != null) failBatch.start(pool);
        if (schemaBatch != null) schemaBatch.start(pool);
    }

    /** Starts the refusals no batch speaks for. */
    void startOwn(ExecutorService pool) {
        for (var r : all) {
            boolean batched = (r.bySchema && schemaBatch != null && r.alias != null) || r.inFailBatch;
            if (!batched) r.verdict.start(pool);
        }
    }
}
