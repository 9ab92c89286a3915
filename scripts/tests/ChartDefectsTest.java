import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Puts the spec sketch's defects back into a copy of the chart, one at a time, and proves
 * that verify's checks catch each one by name. A check that cannot fail proves nothing.
 */
@org.junit.jupiter.api.Tag("scripts") // renders the chart with real helm, many times: test.java's scripts stage
class ChartDefectsTest {
    static Helm helm;
    static Path repo;

    @BeforeAll
    static void tools() {
        repo = Repo.root();
        helm = Helm.at(Tools.helm(4, null));
    }

    /** A defect: one text edit in one chart file (or, as values/NAME, in a copy of a values file), and the check that must then fail. */
    record Defect(String name, String file, String find, String replace, String check) {
        @Override public String toString() { return name; }
    }

    static List<Defect> defects() {
        return List.of(
                new Defect("envFrom emitted once per secret", "templates/_helpers.tpl",
                        "{{- if .Values.envFromSecrets }}\nenvFrom:\n{{- range .Values.envFromSecrets }}\n",
                        "{{- if .Values.envFromSecrets }}\n{{- range .Values.envFromSecrets }}\nenvFrom:\n",
                        "renders, strict YAML (no duplicate keys): two-secrets"),
                new Defect("API selector without a component label", "templates/_helpers.tpl",
                        "app.kubernetes.io/component: {{ .component }}\n{{- end }}",
                        "{{- if ne .component \"api\" }}\napp.kubernetes.io/component: {{ .component }}\n{{- end }}\n{{- end }}",
                        "selectors: no workload's selector matches another workload's pods (everything)"),
                new Defect("replicas rendered although the HPA owns the count", "templates/deployment.yaml",
                        "{{- if not .Values.autoscaling.enabled }}\n  replicas: {{ .Values.replicaCount }}\n  {{- end }}",
                        "replicas: {{ .Values.replicaCount }}",
                        "plan 4: the HPA owns the count: no replicas on the API Deployment"),
                new Defect("worker replicas rendered although its HPA owns the count", "templates/worker-deployment.yaml",
                        "{{- if not .Values.worker.autoscaling.enabled }}\n  replicas: {{ .Values.worker.replicaCount }}\n  {{- end }}",
                        "replicas: {{ .Values.worker.replicaCount }}",
                        "worker autoscaling: an HPA scales the worker Deployment, which then renders no replicas"),
                new Defect("PDB decided from replicaCount alone", "templates/_helpers.tpl",
                        "{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas | int }}{{ else }}{{ .Values.replicaCount | int }}{{ end }}",
                        "{{ .Values.replicaCount | int }}",
                        "plan 12: PDB follows the HPA's minReplicas (min 2, replicaCount 1: PDB)"),
                new Defect("pre-install hook Job runs as the chart's ServiceAccount", "templates/migration-job.yaml",
                        "serviceAccountName: {{ include \"trevor.migrationServiceAccountName\" . }}",
                        "serviceAccountName: {{ include \"trevor.serviceAccountName\" . }}",
                        "plan 6: the hook Job's ServiceAccount exists before the Job on a first install"),
                new Defect("the migration NetworkPolicy created after the pre-install hook Job", "templates/networkpolicy.yaml",
                        "  annotations:\n    \"helm.sh/hook\": pre-install,pre-upgrade\n    \"helm.sh/hook-weight\": \"-10\"\n"
                                + "    \"helm.sh/hook-delete-policy\": before-hook-creation,hook-succeeded\nspec:",
                        "spec:",
                        "plan 6: the hook Job's NetworkPolicy exists before the Job on a first install"),
                new Defect("egress only to pods of the release namespace", "templates/_helpers.tpl",
                        "  {{- with .to }}\n  to:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}",
                        "  to:\n    - podSelector:\n        matchLabels: {}",
                        "plan 5: egress allows DNS and each dependency's port to any destination"),
                new Defect("containers allowed to escalate privileges", "values.yaml",
                        "  allowPrivilegeEscalation: false\n", "  allowPrivilegeEscalation: true\n",
                        "Pod Security restricted: default"),
                new Defect("a misplaced field in the pod spec", "templates/worker-deployment.yaml",
                        "      terminationGracePeriodSeconds: {{ .Values.worker.terminationGracePeriodSeconds }}",
                        "      terminationGracePeriod: {{ .Values.worker.terminationGracePeriodSeconds }}",
                        "Kubernetes API schema: default"),
                new Defect("commonLabels win over the chart's standard labels", "templates/_helpers.tpl",
                        "merge $labels (.extraLabels | default dict) (.ctx.Values.commonLabels | default dict)",
                        "merge (deepCopy (.ctx.Values.commonLabels | default dict)) (.extraLabels | default dict) $labels",
                        "labels: standard keys in commonLabels/podLabels never override the chart's labels or selectors"),
                new Defect("the migration Job outlives helm uninstall", "values.yaml",
                        "  hookDeletePolicy: before-hook-creation,hook-succeeded\n", "  hookDeletePolicy: before-hook-creation\n",
                        "hooks: the default render deletes every hook object once it succeeded (nothing outlives helm uninstall)"),
                new Defect("an undocumented value", "values.yaml",
                        "# -- Old ReplicaSets kept for `kubectl rollout undo`.\n", "",
                        "values.yaml documents every value (helm-docs `# --` comments)"),
                new Defect("a schema that takes any image tag (the one tag rule install, upgrade and migrate rely on)", "values.schema.json",
                        "\"pattern\": \"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$\"", "\"pattern\": \"^.*$\"",
                        "rejects an image tag that is not a tag (--tag 1.0,networkPolicy.enabled=false)"),
                new Defect("a value no template uses", "templates/deployment.yaml",
                        "{{- with .Values.deploymentAnnotations }}", "{{- with dict }}",
                        "every value in values.yaml is used by a template"),
                new Defect("a schema property without a default that does not say so", "values.schema.json",
                        "\"Optional, no default: seconds before the first probe", "\"Seconds before the first probe",
                        "values.yaml and values.schema.json name the same values, each with a fitting type"),
                new Defect("a preStop sleep as long as the grace period accepted", "templates/validate.yaml",
                        "{{- if and $v.preStopSleepSeconds (ge (int $v.preStopSleepSeconds) (int $v.terminationGracePeriodSeconds)) }}",
                        "{{- if and $v.preStopSleepSeconds (gt (int $v.preStopSleepSeconds) (int $v.terminationGracePeriodSeconds)) }}",
                        "rejects a preStop sleep as long as the grace period"),
                new Defect("an API ingress rule with no ports, which opens every port", "templates/networkpolicy.yaml",
                        "      ports:\n        - port: http\n          protocol: TCP\n    # From the Prometheus scraper (/metrics).",
                        "    # From the Prometheus scraper (/metrics).",
                        "plan 5: only the API accepts ingress traffic, on its http port"),
                new Defect("an Ingress with no rules", "templates/ingress.yaml",
                        "  rules:\n    {{- range .Values.ingress.hosts }}", "  rules:\n    {{- range (list) }}",
                        "plan 2: ingress.enabled=true renders an Ingress"),
                new Defect("Service links left on, so a Service named trevor sets TREVOR_PORT in every pod", "templates/worker-deployment.yaml",
                        "      enableServiceLinks: false\n", "",
                        "no Service link variables in trevor pods (enableServiceLinks false)"),
                new Defect("validation that stops at the first problem", "templates/validate.yaml",
                        "{{- $problems = append $problems \"migrations.enabled (init container) and migrations.hookEnabled (hook Job) are both true; set one of them to false\" }}",
                        "{{- fail \"trevor: 1 problem in the values:\\n- migrations.enabled (init container) and migrations.hookEnabled (hook Job) are both true; set one of them to false\" }}",
                        "rejects several bad values at once, every one named in one error"),
                new Defect("a schema that accepts unknown keys", "values.schema.json",
                        "\"title\": \"trevor chart values\",\n  \"type\": \"object\",\n  \"additionalProperties\": false,",
                        "\"title\": \"trevor chart values\",\n  \"type\": \"object\",\n  \"additionalProperties\": true,",
                        "rejects a misspelt top-level key (servce.port)"),
                new Defect("prod values with no preStop pause (upgrades dropped 2-7 of ~450 requests)", "values/prod.yaml",
                        "preStopSleepSeconds: 10\n", "preStopSleepSeconds: 0\n", ZERO_DOWNTIME_PRESTOP),
                new Defect("a grace period that ends before uvicorn finished its requests", "values/real-node.yaml",
                        "preStopSleepSeconds: 5\n", "preStopSleepSeconds: 5\nterminationGracePeriodSeconds: 12\n", ZERO_DOWNTIME_PRESTOP),
                new Defect("prod rollouts that take a ready pod away first (maxUnavailable 1)", "values/prod.yaml",
                        "preStopSleepSeconds: 10\n", "preStopSleepSeconds: 10\nstrategy:\n  rollingUpdate:\n    maxUnavailable: 1\n",
                        ZERO_DOWNTIME_ROLLOUT),
                new Defect("an API without a readiness probe on the real node", "values/real-node.yaml",
                        "probes:\n  startup:\n", "probes:\n  readiness:\n    enabled: false\n  startup:\n", ZERO_DOWNTIME_ROLLOUT),
                new Defect("topology spread that counts tainted nodes (prod left 2 of 3 API pods Pending)", "templates/_helpers.tpl",
                        "  {{- if not (hasKey $c \"nodeTaintsPolicy\") }}{{ $_ := set $c \"nodeTaintsPolicy\" \"Honor\" }}{{ end }}\n", "",
                        "zero downtime: topology spread counts only nodes the API and worker pods can use (nodeTaintsPolicy and nodeAffinityPolicy Honor)"));
    }

    static final String ZERO_DOWNTIME_PRESTOP = "zero downtime: API pods of a values/ file with more than one replica pause 5 s or more in preStop, "
            + "and their grace period outlasts the pause and 10 s of shutdown";
    static final String ZERO_DOWNTIME_ROLLOUT = "zero downtime: API rollouts of a values/ file never drop below ready capacity (RollingUpdate, "
            + "maxUnavailable 0, maxSurge above 0, a readiness probe)";

    @ParameterizedTest(name = "verify catches: {0}")
    @MethodSource("defects")
    void verifyCatchesDefect(Defect d, @TempDir Path tmp) throws IOException {
        Path chart = copyChart(tmp);
        Path values = tmp.resolve("values");
        Dirs.copyTree(repo.resolve("values"), values);
        Path file = d.file().startsWith("values/") ? tmp.resolve(d.file()) : chart.resolve(d.file());
        String text = Files.readString(file);
        assertTrue(text.contains(d.find()), "the defect's anchor text is no longer in " + d.file() + "; update this test");
        Files.writeString(file, text.replace(d.find(), d.replace()));

        var out = run(chart, values, d.check());
        assertTrue(out.contains("FAIL  " + d.check()), "expected check '" + d.check() + "' to fail, verify said:\n" + out);
    }

    @Test
    void theUnchangedChartPassesTheSameChecks(@TempDir Path tmp) throws IOException {
        Path chart = copyChart(tmp);
        String only = defects().stream().map(d -> Pattern.quote(d.check())).collect(Collectors.joining("|"));
        var out = run(chart, repo.resolve("values"), only);
        assertTrue(!out.contains("FAIL"), "the unchanged chart fails:\n" + out);
        for (var d : defects()) assertTrue(out.contains("PASS  " + d.check() + "\n"), "check '" + d.check() + "' did not run:\n" + out);
    }

    private static String run(Path chart, Path values, String onlyRegex) {
        var buf = new ByteArrayOutputStream();
        var report = new Report("defects", new PrintStream(buf, true, StandardCharsets.UTF_8),
                onlyRegex.startsWith("\\Q") ? onlyRegex : Pattern.quote(onlyRegex), false);
        new ChartChecks(helm, chart, values, report, null).run();
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static Path copyChart(Path tmp) {
        Path dst = tmp.resolve("trevor");
        Dirs.copyTree(repo.resolve("helm/trevor"), dst);
        return dst;
    }
}
