//SOURCES ../kube/Kube.java
//SOURCES ../kube/Manifests.java
//SOURCES NetpolMatrix.java
//SOURCES ../tools/Problem.java
//SOURCES ../kube/Release.java
//SOURCES ../report/Report.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
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
            if (!r.ok()) throw new Problem.Failed("helm could not read release " + rel.name + ": " + Kube.firstLine(r.said()));
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
        throw new Problem.BadInput("release " + rel.name + " has no Deployment whose image could serve as the probe image; pass --probe-image");
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

    /*
     * The migration Job's rows. Its NetworkPolicy is a hook: Helm creates it just before the Job
     * and deletes it once the Job succeeded, so after an install there is nothing to derive them
     * from, and a probe started when the Job starts would race a migration that takes seconds.
     * Instead the Job waits for the matrix: holdingCommand wraps the chart's migration command so
     * that, once the migration itself succeeded (its own connection to PostgreSQL, through the
     * policy, is that success), the pod says HOLDING and stays until the matrix creates
     * HOLD_DONE in its /tmp (or maxSeconds pass, so a matrix that died cannot hold an install
     * for ever). While it holds, the Job has not succeeded, so Helm has not deleted the hook
     * policy: duringMigration derives the rows from the live policies (the hook's included),
     * keeps those of the Job's pod, and tries each from that very pod. Deterministic: the order
     * is enforced by the hold, not by timing.
     */

    /** The file the held migration pod waits for; the matrix creates it when its rows are done. */
    static final String HOLD_DONE = "/tmp/netpol-matrix-done";
    /** What the held migration pod prints once its migration succeeded and it waits for the matrix. */
    static final String HOLDING = "netpol-hold: the migration succeeded; this pod stays under its hook NetworkPolicy until the matrix is done";

    /**
     * The migration command, wrapped: run it; on failure exit with its code at once; on success
     * print HOLDING and wait for HOLD_DONE, at most maxSeconds, then exit 0. The command runs
     * as the shell's arguments ("$@"), so no word of it is ever re-quoted.
     */
    static List<String> holdingCommand(List<String> migration, int maxSeconds) { return holdingCommand(migration, maxSeconds, HOLD_DONE); }

    static List<String> holdingCommand(List<String> migration, int maxSeconds, String doneFile) {
        String script = "\"$@\"; rc=$?; [ $rc -eq 0 ] || exit $rc; echo '" + HOLDING + " (at most " + maxSeconds + " s)'; i=0; "
                + "while [ ! -e " + doneFile + " ] && [ $i -lt " + maxSeconds + " ]; do /bin/busybox sleep 1; i=$((i+1)); done; "
                + "if [ -e " + doneFile + " ]; then echo \"netpol-hold: released by the matrix after $i s\"; "
                + "else echo \"netpol-hold: not released in " + maxSeconds + " s; ending anyway\"; fi";
        var out = new ArrayList<>(List.of("/bin/busybox", "sh", "-c", script, "netpol-hold"));
        out.addAll(migration);
        return out;
    }

    /**
     * The matrix rows of the migration Job's pod, tried from that pod while it holds under its
     * hook NetworkPolicy (see holdingCommand): waits, at most `wait` and only while `migrating`
     * says the install or upgrade still runs, for a hook Job pod that printed HOLDING; then
     * derives, runs and releases it. Fails by name when no pod holds or no policy selects it.
     */
    static List<Observed> duringMigration(Release rel, String dnsIp, String image, Duration wait, BooleanSupplier migrating,
                                          Consumer<String> progress) {
        var kube = rel.kube;
        long deadline = System.nanoTime() + wait.toNanos();
        progress.accept("netpol: waiting for the migration Job's pod to migrate and hold for the matrix");
        Map<String, Object> pod = null;
        while (pod == null) {
            for (var p : kube.list(rel.namespace, "pods", rel.hookJobSelector())) {
                if (!"Running".equals(Yaml.str(p, "status.phase"))) continue;
                var logs = kube.run(Duration.ofSeconds(20), "logs", Yaml.str(p, "metadata.name"), "-n", rel.namespace);
                if (logs.ok() && logs.out().contains(HOLDING)) {
                    pod = p;
                    break;
                }
            }
            if (pod != null) break;
            if (!migrating.getAsBoolean()) {
                throw new Problem.Failed("the install or upgrade ended before a migration Job pod held for the matrix (no pod of "
                        + rel.hookJobSelector() + " printed '" + HOLDING + "'): was the migration command wrapped by NetpolProbe.holdingCommand?");
            }
            if (System.nanoTime() > deadline) {
                throw new Problem.Failed("no migration Job pod (" + rel.hookJobSelector() + ") held for the matrix within "
                        + wait.toSeconds() + " s");
            }
            Wait.sleep(1000);
        }
        String podName = Yaml.str(pod, "metadata.name");
        try {
            var labels = Yaml.strings(pod, "metadata.labels");
            var identity = NetpolMatrix.identity(labels);
            String job = labels.getOrDefault("job-name", labels.getOrDefault("batch.kubernetes.io/job-name", podName));
            // The pod itself is the source: the workload peer makes tryRow exec into the Ready pod with these labels, and no stand-in is made.
            var own = new NetpolMatrix.Peer(rel.namespace + "/" + job + " (its pod, migrating)", rel.namespace, identity, job, null, Map.of());
            var rows = new ArrayList<NetpolMatrix.Row>();
            for (var r : derive(rel, dnsIp)) {
                if (r.source().workload() == null && r.source().labels().equals(identity)) {
                    rows.add(new NetpolMatrix.Row(own, r.dest(), r.port(), r.kind(), r.allowed(), r.why()));
                }
            }
            if (rows.isEmpty()) {
                throw new Problem.Failed("no NetworkPolicy in " + rel.namespace + " selects the migration Job's pod " + podName
                        + " while it migrates (labels " + identity + "): the matrix has no rows for it");
            }
            progress.accept("netpol: " + rows.size() + " rows of the migration Job, tried from its pod " + podName + " while it holds");
            return run(kube, rows, image, progress);
        } finally {
            var r = kube.run(Duration.ofSeconds(30), "exec", podName, "-n", rel.namespace, "--", "/bin/busybox", "touch", HOLD_DONE);
            progress.accept(r.ok() ? "netpol: released the migration Job's pod " + podName
                    : "netpol: could not release the migration Job's pod " + podName + " (" + Kube.firstLine(r.said()) + "); it ends by itself");
        }
    }

    /** The canary's pod labels, policy name and connection: see run(). */
    static final String CANARY_NAME = "netpol-canary";
    static final String CANARY_POLICY = "netpol-canary-deny-all";
    static final Duration CANARY_WAIT = Duration.ofSeconds(20);

    static NetpolMatrix.Peer canaryPeer() {
        return new NetpolMatrix.Peer(NetpolMatrix.PROBE_NAMESPACE + "/canary (deny-all policy)", NetpolMatrix.PROBE_NAMESPACE,
                Map.of("app.kubernetes.io/name", CANARY_NAME), null, null, Map.of("listen", NetpolMatrix.LISTENER_PORT));
    }

    static NetpolMatrix.Row canaryRow() {
        return new NetpolMatrix.Row(NetpolMatrix.listener(), canaryPeer(), NetpolMatrix.LISTENER_PORT, NetpolMatrix.Kind.TCP, false,
                "the matrix's own canary, not the release's: NetworkPolicy " + CANARY_POLICY + " isolates it for ingress with no rule, "
                        + "so only a cluster whose CNI enforces NetworkPolicies drops this connection");
    }

    static boolean isCanary(Observed o) { return o.row().dest().display().equals(canaryPeer().display()); }

    /**
     * Runs every row; a row that cannot be tried fails with the reason. Cleans up what it made.
     *
     * <p>A denied row observed as "no answer" proves a policy only on a cluster that enforces
     * policies at all; elsewhere (kwok's simulated nodes, a CNI without NetworkPolicy support)
     * an unanswered connection means something else, and an answered one a policy that was
     * never applied. So the first row is the matrix's own canary: a listener under a deny-all
     * ingress policy, which must stop answering within CANARY_WAIT. When it does not, every
     * denied row fails, with the canary's reason (the simulated node, or the connection that
     * went through) in its message, whatever it observed.
     */
    static List<Observed> run(Kube kube, List<NetpolMatrix.Row> rows, String image, Consumer<String> progress) {
        var made = new ArrayList<String>();
        var createdNs = new ArrayList<String>();
        var out = new ArrayList<Observed>();
        boolean policyMade = false;
        try {
            var probes = new LinkedHashMap<String, String>(); // peer display → pod "ns/name"
            var setupErrors = new LinkedHashMap<String, String>();
            var canary = canaryRow();
            var all = new ArrayList<NetpolMatrix.Row>();
            all.add(canary);
            all.addAll(rows);
            Set<String> namespaces = new LinkedHashSet<>();
            for (var r : all) {
                for (var p : List.of(r.source(), r.dest())) if (p.workload() == null && p.dnsIp() == null && !p.namespace().equals("kube-system")) namespaces.add(p.namespace());
            }
            for (String ns : namespaces) {
                var existing = kube.get(null, "namespace", ns);
                if (existing != null && Yaml.str(existing, "metadata.deletionTimestamp") != null) {
                    // An earlier run's namespace, still terminating, would refuse the probe pods.
                    progress.accept("waiting for namespace " + ns + " (an earlier run's) to be deleted");
                    kube.run(Duration.ofSeconds(150), "wait", "--for=delete", "namespace/" + ns, "--timeout=120s");
                    existing = kube.get(null, "namespace", ns);
                }
                if (existing == null) {
                    var c = kube.run("create", "namespace", ns);
                    if (c.ok()) {
                        createdNs.add(ns);
                        kube.run("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "--overwrite");
                    }
                }
            }
            var deny = Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                    "metadata", Map.of("name", CANARY_POLICY, "namespace", NetpolMatrix.PROBE_NAMESPACE, "labels", Map.of(PROBE_LABEL, "true")),
                    "spec", Map.of("podSelector", Map.of("matchLabels", canaryPeer().labels()), "policyTypes", List.of("Ingress")));
            var policy = kube.runWithInput(Yaml.json(deny), "apply", "-f", "-");
            policyMade = policy.ok();
            if (!policy.ok()) setupErrors.put(canaryPeer().display(), "could not create NetworkPolicy " + CANARY_POLICY + ": " + Kube.firstLine(policy.said()));
            int n = 0;
            for (var r : all) {
                for (var p : List.of(r.source(), r.dest())) {
                    if (p.workload() != null || p.dnsIp() != null || p.namespace().equals("kube-system") || probes.containsKey(p.display())) continue;
                    boolean listener = p.display().equals(NetpolMatrix.listener().display());
                    boolean isCanary = p.display().equals(canaryPeer().display());
                    String name = listener ? "netpol-listener" : isCanary ? CANARY_NAME : "netpol-probe-" + (n++);
                    String err = createPod(kube, p.namespace(), name, p.labels(), image, listener || isCanary);
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
            var c = tryCanary(kube, canary, probes, setupErrors);
            out.add(c);
            String missing = c.pass() ? null : "NetworkPolicies are not shown to be enforced on this cluster (canary: " + c.observed() + ", " + c.detail()
                    + "), so a denied row proves nothing here";
            if (missing != null) progress.accept(missing);
            var tried = tryRows(kube, rows, probes, setupErrors);
            for (int i = 0; i < rows.size(); i++) {
                var r = rows.get(i);
                var o = tried.get(i);
                if (missing != null && !r.allowed()) o = new Observed(r, o.observed(), false, o.millis(), missing + "; " + o.detail());
                else if (missing != null && !o.pass()) o = new Observed(r, o.observed(), false, o.millis(), o.detail() + "; " + missing);
                out.add(o);
            }
        } finally {
            for (String pod : made) {
                String[] nsName = pod.split("/");
                kube.run("delete", "pod", nsName[1], "-n", nsName[0], "--grace-period=0", "--wait=false", "--ignore-not-found");
            }
            if (policyMade && !createdNs.contains(NetpolMatrix.PROBE_NAMESPACE)) {
                kube.run("delete", "networkpolicy", CANARY_POLICY, "-n", NetpolMatrix.PROBE_NAMESPACE, "--wait=false", "--ignore-not-found");
            }
            for (String ns : createdNs) kube.run("delete", "namespace", ns, "--wait=false", "--ignore-not-found");
        }
        return out;
    }

    /**
     * The canary's connection, tried until the deny-all policy drops it (a CNI applies a new
     * policy within a moment) or CANARY_WAIT passes. On kwok's simulated nodes it is never
     * tried: no container runs there, and the reason says so.
     */
    private static Observed tryCanary(Kube kube, NetpolMatrix.Row canary, Map<String, String> probes, Map<String, String> setupErrors) {
        long t0 = System.nanoTime();
        String simulated = simulatedNode(kube, probes.get(canary.dest().display()));
        if (simulated != null) {
            return new Observed(canary, "not tried", false, (System.nanoTime() - t0) / 1_000_000, "the probe pods run on kwok's simulated node "
                    + simulated + " (kwok.x-k8s.io/node=fake): no container runs there and no CNI enforces NetworkPolicies; run the matrix on a cluster "
                    + "whose CNI enforces them (cluster.java up --real-node, k3d, Calico, Cilium…)");
        }
        long deadline = t0 + CANARY_WAIT.toNanos();
        Observed o;
        int tries = 0;
        while (true) {
            o = tryRow(kube, canary, probes, setupErrors);
            tries++;
            if (o.pass() || o.observed().equals("not tried") || System.nanoTime() > deadline) break;
            Wait.sleep(1000);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (o.pass()) return new Observed(canary, o.observed(), true, o.millis(), o.detail() + " (dropped on try " + tries + ", after " + ms + " ms)");
        if (o.observed().equals("not tried")) return o;
        return new Observed(canary, o.observed(), false, o.millis(), "a connection " + o.detail() + " to the canary still " + o.observed()
                + " after " + tries + " tries in " + ms + " ms under its deny-all policy: this cluster's CNI does not enforce NetworkPolicies");
    }

    /** The node of this probe pod ("ns/name") when it is one of kwok's simulated nodes, else null. */
    private static String simulatedNode(Kube kube, String pod) {
        if (pod == null) return null;
        var p = kube.get(pod.split("/")[0], "pod", pod.split("/")[1]);
        String node = p == null ? null : Yaml.str(p, "spec.nodeName");
        if (node == null) return null;
        var n = kube.get(null, "node", node);
        return n != null && "fake".equals(Yaml.strings(n, "metadata.annotations").get("kwok.x-k8s.io/node")) ? node : null;
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

    /**
     * Rows tried at once, PARALLEL at a time, in the rows' order: a denied row waits out its
     * CONNECT timeout, so one after another a matrix of 25 rows spent most of its 90 s waiting.
     * Each try reads only what setup wrote, and a kubectl exec costs the machine little.
     */
    static List<Observed> tryRows(Kube kube, List<NetpolMatrix.Row> rows, Map<String, String> probes, Map<String, String> setupErrors) {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(PARALLEL, r -> {
            var t = new Thread(r, "netpol-row");
            t.setDaemon(true);
            return t;
        });
        try {
            var futures = rows.stream().map(r -> pool.submit(() -> tryRow(kube, r, probes, setupErrors))).toList();
            var out = new ArrayList<Observed>();
            for (var f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Problem.Interrupted("trying the matrix's rows");
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static final int PARALLEL = 4;

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
    static final String ANY_ROWS = "netpol matrix: at least one row derived from the release's NetworkPolicies";

    /** A row's check, as report names it. */
    static String checkName(NetpolMatrix.Row row) { return "netpol: " + row.describe(); }

    /** The checks report makes of these rows (the canary's among them once run). */
    static List<String> checkNames(List<NetpolMatrix.Row> rows) {
        var names = new ArrayList<String>();
        names.add(ANY_ROWS);
        names.add(checkName(canaryRow()));
        rows.forEach(r -> names.add(checkName(r)));
        return names;
    }

    static void report(Report report, List<Observed> rows) {
        report.check(ANY_ROWS, null,
                () -> Report.expect(!rows.isEmpty(), "the release's NetworkPolicies gave no rows (none installed, or none selects a pod)"));
        for (var o : rows) {
            report.check(checkName(o.row()), null, () -> Report.expect(o.pass(), "observed %s (%s; %s); expected because %s", o.observed(),
                    o.detail(), o.millis() + " ms", o.row().why()));
        }
    }
}
