//SOURCES Kube.java
//SOURCES Manifests.java
//SOURCES NetpolMatrix.java
//SOURCES Problem.java
//SOURCES Release.java
//SOURCES Report.java
//SOURCES Target.java
//SOURCES Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs a release's {@link NetpolMatrix} on its cluster: every row is one real TCP connection
 * (busybox nc) or DNS lookup (busybox nslookup), from a real pod, and becomes one check.
 *
 * <p>Sources: the release's own pods where a controller owns them (API, worker), else a probe
 * pod with the peer's labels in the peer's namespace (the ingress controller's and the
 * scraper's namespace, another namespace, the `helm test` and migration labels). Probe pods
 * run the probe image under Pod Security "restricted" and are deleted afterwards, with any
 * namespace the run made. An observed "denied" is a connection that got no answer (the
 * policy dropped it); "refused" means it reached a pod, which no denied row may do.
 */
final class NetpolProbe {
    private NetpolProbe() {}

    static final String PROBE_LABEL = "trevor.dev/netpol-probe";
    static final Duration CONNECT = Duration.ofSeconds(3);

    record Observed(NetpolMatrix.Row row, String observed, boolean pass, long millis, String detail) {}

    /** The release's policies and workloads: what it rendered (manifest and hooks) and what runs in its namespace. */
    static List<NetpolMatrix.Row> derive(Release rel, String dnsIp) {
        var docs = new ArrayList<Map<String, Object>>();
        var hooks = rel.hooks();
        for (var r : List.of(rel.manifest(), hooks)) {
            if (!r.ok()) throw new Problem(Problem.FAILED, "helm could not read release " + rel.name + ": " + Kube.firstLine(r.said()));
            for (var o : Manifests.parse(r.out())) {
                // A hook's NetworkPolicy holds only while it exists (the migration's is deleted once its
                // hook succeeded): the live list below adds it when it is there, so pods it no longer
                // isolates are not expected to be denied.
                if (r == hooks && "NetworkPolicy".equals(Yaml.str(o.body(), "kind"))) continue;
                docs.add(o.body());
            }
        }
        // Policies and workloads of other releases in the namespace (the dev dependencies) hold too.
        var seen = new LinkedHashSet<String>();
        for (var d : docs) seen.add(Yaml.str(d, "kind") + "/" + Yaml.str(d, "metadata.name"));
        for (String kind : List.of("networkpolicy", "deployment", "statefulset")) {
            for (var o : rel.kube.list(rel.namespace, kind, null)) {
                if (seen.add(Yaml.str(o, "kind") + "/" + Yaml.str(o, "metadata.name"))) docs.add(o);
            }
        }
        return NetpolMatrix.derive(NetpolMatrix.policies(docs), NetpolMatrix.workloads(docs, rel.namespace), rel.namespace, dnsIp);
    }

    /** The image of the release's first Deployment: it is on the cluster's nodes already. */
    static String releaseImage(Release rel) {
        for (var d : rel.kube.list(rel.namespace, "deployment", "app.kubernetes.io/instance=" + rel.name)) {
            var cs = Yaml.maps(d, "spec.template.spec.containers");
            if (!cs.isEmpty()) return Yaml.str(cs.get(0), "image");
        }
        throw new Target.Invalid("release " + rel.name + " has no Deployment whose image could serve as the probe image; pass --probe-image");
    }

    /** The pods' nameserver when it is not a Service's ClusterIP (then the DNS is pods, and policies see pods), else null. */
    static String dnsAddress(Release rel) {
        for (var pod : rel.kube.list(rel.namespace, "pods", "app.kubernetes.io/instance=" + rel.name)) {
            if (!"Running".equals(Yaml.str(pod, "status.phase"))) continue;
            var r = rel.kube.run(Duration.ofSeconds(20), "exec", Yaml.str(pod, "metadata.name"), "-n", rel.namespace, "--",
                    "/bin/busybox", "grep", "-m1", "^nameserver", "/etc/resolv.conf");
            if (!r.ok()) continue;
            String ip = r.out().strip().replaceFirst("^nameserver\\s+", "");
            for (var svc : rel.kube.list(null, "services", null)) {
                if (ip.equals(Yaml.str(svc, "spec.clusterIP"))) return null;
            }
            return ip;
        }
        return null;
    }

    /** Runs every row; a row that cannot be tried fails with the reason. Cleans up what it made. */
    static List<Observed> run(Kube kube, List<NetpolMatrix.Row> rows, String image, Consumer<String> progress) {
        var made = new ArrayList<String>();
        var createdNs = new ArrayList<String>();
        var out = new ArrayList<Observed>();
        try {
            var probes = new LinkedHashMap<String, String>(); // peer display → pod "ns/name"
            var setupErrors = new LinkedHashMap<String, String>();
            Set<String> namespaces = new LinkedHashSet<>();
            for (var r : rows) {
                for (var p : List.of(r.source(), r.dest())) if (p.workload() == null && p.dnsIp() == null && !p.namespace().equals("kube-system")) namespaces.add(p.namespace());
            }
            for (String ns : namespaces) {
                if (kube.get(null, "namespace", ns) == null) {
                    var c = kube.run("create", "namespace", ns);
                    if (c.ok()) {
                        createdNs.add(ns);
                        kube.run("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "--overwrite");
                    }
                }
            }
            int n = 0;
            for (var r : rows) {
                for (var p : List.of(r.source(), r.dest())) {
                    if (p.workload() != null || p.dnsIp() != null || p.namespace().equals("kube-system") || probes.containsKey(p.display())) continue;
                    boolean listener = p.display().equals(NetpolMatrix.listener().display());
                    String name = listener ? "netpol-listener" : "netpol-probe-" + (n++);
                    String err = createPod(kube, p.namespace(), name, p.labels(), image, listener);
                    if (err != null) setupErrors.put(p.display(), err);
                    else {
                        probes.put(p.display(), p.namespace() + "/" + name);
                        made.add(p.namespace() + "/" + name);
                    }
                }
            }
            progress.accept("waiting for " + made.size() + " probe pods to be Ready (image " + image + ")");
            for (String pod : made) {
                String[] nsName = pod.split("/");
                var w = kube.run(Duration.ofSeconds(150), "wait", "--for=condition=Ready", "pod/" + nsName[1], "-n", nsName[0], "--timeout=120s");
                if (!w.ok()) setupErrors.put(pod, "probe pod " + pod + " not Ready: " + Kube.firstLine(w.said()) + podState(kube, nsName[0], nsName[1]));
            }
            for (var r : rows) out.add(tryRow(kube, r, probes, setupErrors));
        } finally {
            for (String pod : made) {
                String[] nsName = pod.split("/");
                kube.run("delete", "pod", nsName[1], "-n", nsName[0], "--grace-period=0", "--wait=false", "--ignore-not-found");
            }
            for (String ns : createdNs) kube.run("delete", "namespace", ns, "--wait=false", "--ignore-not-found");
        }
        return out;
    }

    private static String podState(Kube kube, String ns, String name) {
        var p = kube.get(ns, "pod", name);
        if (p == null) return "";
        var cs = Yaml.maps(p, "status.containerStatuses");
        String waiting = cs.isEmpty() ? null : Yaml.str(cs.get(0), "state.waiting.reason");
        return " (phase " + Yaml.str(p, "status.phase") + (waiting == null ? "" : ", " + waiting) + ")";
    }

    private static String createPod(Kube kube, String ns, String name, Map<String, String> labels, String image, boolean listener) {
        var l = new LinkedHashMap<String, Object>(labels);
        l.put(PROBE_LABEL, "true");
        String cmd = listener
                ? "exec /bin/busybox httpd -f -p " + NetpolMatrix.LISTENER_PORT + " -h /tmp"
                : "trap 'exit 0' TERM INT; while :; do /bin/busybox sleep 3600 & wait $!; done";
        var pod = Map.of("apiVersion", "v1", "kind", "Pod",
                "metadata", Map.of("name", name, "namespace", ns, "labels", l),
                "spec", Map.of(
                        "automountServiceAccountToken", false,
                        "enableServiceLinks", false,
                        "terminationGracePeriodSeconds", 1,
                        "securityContext", Map.of("runAsNonRoot", true, "runAsUser", 1000, "runAsGroup", 1000,
                                "seccompProfile", Map.of("type", "RuntimeDefault")),
                        "containers", List.of(Map.of("name", "probe", "image", image, "imagePullPolicy", "IfNotPresent",
                                "command", List.of("/bin/busybox", "sh", "-c", cmd),
                                "securityContext", Map.of("allowPrivilegeEscalation", false, "readOnlyRootFilesystem", true,
                                        "capabilities", Map.of("drop", List.of("ALL"))),
                                "resources", Map.of("requests", Map.of("cpu", "5m", "memory", "8Mi")),
                                "volumeMounts", List.of(Map.of("name", "tmp", "mountPath", "/tmp")))),
                        "volumes", List.of(Map.of("name", "tmp", "emptyDir", Map.of()))));
        var r = kube.runWithInput(Yaml.json(pod), "apply", "-f", "-");
        return r.ok() ? null : "could not create probe pod " + ns + "/" + name + ": " + Kube.firstLine(r.said());
    }

    private static Observed tryRow(Kube kube, NetpolMatrix.Row r, Map<String, String> probes, Map<String, String> setupErrors) {
        long t0 = System.nanoTime();
        String src;
        String container = null;
        if (r.source().workload() != null) {
            var pod = readyPod(kube, r.source());
            if (pod == null) return cannot(r, "no Ready pod of " + r.source().display() + " to connect from", t0);
            src = r.source().namespace() + "/" + Yaml.str(pod, "metadata.name");
            container = Yaml.str(Yaml.maps(pod, "spec.containers").get(0), "name");
        } else {
            String err = setupErrors.get(r.source().display());
            if (err == null) err = setupErrors.get(probes.get(r.source().display()));
            if (err != null || probes.get(r.source().display()) == null) return cannot(r, err == null ? "no probe pod" : err, t0);
            src = probes.get(r.source().display());
        }
        String script;
        if (r.kind() == NetpolMatrix.Kind.DNS) {
            script = "/bin/busybox timeout 10 /bin/busybox nslookup kubernetes.default.svc.cluster.local >/dev/null 2>&1; echo rc=$?";
        } else {
            String ip;
            if (r.dest().workload() != null) {
                var pod = readyPod(kube, r.dest());
                if (pod == null) return cannot(r, "no Ready pod of " + r.dest().display() + " to connect to", t0);
                ip = Yaml.str(pod, "status.podIP");
            } else {
                String d = probes.get(r.dest().display());
                if (d == null) return cannot(r, "no listener pod: " + setupErrors.getOrDefault(r.dest().display(), "not created"), t0);
                var pod = kube.get(d.split("/")[0], "pod", d.split("/")[1]);
                ip = pod == null ? null : Yaml.str(pod, "status.podIP");
            }
            if (ip == null) return cannot(r, "destination " + r.dest().display() + " has no pod IP", t0);
            script = "/bin/busybox nc -w " + CONNECT.toSeconds() + " " + ip + " " + r.port() + " </dev/null 2>&1; echo rc=$?";
        }
        var cmd = new ArrayList<>(List.of("exec", src.split("/")[1], "-n", src.split("/")[0]));
        if (container != null) cmd.addAll(List.of("-c", container));
        cmd.addAll(List.of("--", "/bin/busybox", "sh", "-c", script));
        long c0 = System.nanoTime();
        var res = kube.run(Duration.ofSeconds(30), cmd.toArray(String[]::new));
        long ms = (System.nanoTime() - c0) / 1_000_000;
        String said = res.out() + res.err();
        if (!said.contains("rc=")) return cannot(r, "kubectl exec in " + src + " failed: " + Kube.firstLine(res.said()), t0);
        String observed;
        if (said.contains("rc=0")) observed = r.kind() == NetpolMatrix.Kind.DNS ? "resolved" : "connected";
        else if (said.toLowerCase(Locale.ROOT).contains("refused")) observed = "refused";
        else observed = "no answer";
        boolean pass = r.allowed() ? observed.equals("connected") || observed.equals("resolved") : observed.equals("no answer");
        return new Observed(r, observed, pass, ms, "from " + src);
    }

    private static Observed cannot(NetpolMatrix.Row r, String why, long t0) {
        return new Observed(r, "not tried", false, (System.nanoTime() - t0) / 1_000_000, why);
    }

    /** A Running, Ready pod of a workload: its identity labels select it. */
    private static Map<String, Object> readyPod(Kube kube, NetpolMatrix.Peer p) {
        var sel = String.join(",", NetpolMatrix.identity(p.labels()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        for (var pod : kube.list(p.namespace(), "pods", sel)) {
            if ("Running".equals(Yaml.str(pod, "status.phase")) && Kube.conditionTrue(pod, "Ready") && Yaml.str(pod, "metadata.deletionTimestamp") == null) {
                return pod;
            }
        }
        return null;
    }

    /** The matrix as a table: source, destination, port, expected, observed, time. */
    static String table(List<Observed> rows) {
        var sb = new StringBuilder();
        int ws = 6, wd = 11;
        for (var o : rows) {
            ws = Math.max(ws, o.row().source().display().length());
            wd = Math.max(wd, o.row().dest().display().length());
        }
        String f = "%-4s  %-" + ws + "s  %-" + wd + "s  %-5s  %-8s  %-9s  %6s%n";
        sb.append(String.format(Locale.ROOT, f, "", "source", "destination", "port", "expected", "observed", "time"));
        for (var o : rows) {
            var r = o.row();
            sb.append(String.format(Locale.ROOT, f, o.pass() ? "ok" : "FAIL", r.source().display(), r.dest().display(),
                    r.kind() == NetpolMatrix.Kind.DNS ? "53/dns" : String.valueOf(r.port()), r.allowed() ? "allowed" : "denied", o.observed(),
                    o.millis() + "ms"));
        }
        return sb.toString();
    }

    /** Each row as a check of the report, named by its connection; no rows is a failure of its own. */
    static void report(Report report, List<Observed> rows) {
        report.check("netpol matrix: at least one row derived from the release's NetworkPolicies", null,
                () -> Report.expect(!rows.isEmpty(), "the release's NetworkPolicies gave no rows (none installed, or none selects a pod)"));
        for (var o : rows) {
            report.check("netpol: " + o.row().describe(), null, () -> Report.expect(o.pass(), "observed %s (%s; %s); expected because %s", o.observed(),
                    o.detail(), o.millis() + " ms", o.row().why()));
        }
    }
}
