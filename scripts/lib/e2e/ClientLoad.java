//SOURCES ../tools/Interrupts.java
//SOURCES ../kube/Kube.java
//SOURCES LoadGen.java
//SOURCES ../tools/Problem.java
//SOURCES ../kube/Release.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java
//SOURCES ZeroDowntime.java

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The load from inside a cluster, for clusters whose pod and Service addresses this machine
 * cannot (and must not) reach: one client pod in the release's namespace sends the same bounded
 * stream of GETs as LoadGen (one connection per request, plain HTTP/1.1, latency from each
 * request's scheduled start, no retries) to the API Service's ClusterIP, prints one line per
 * request, and stops by itself; its log is read back into a LoadGen.Result, so the report and
 * the check are LoadGen's own. The pod is deleted afterwards, also when the script is stopped.
 *
 * <p>The pod runs the release's own API image (the cluster already pulls it, with the pull
 * policy and pull secrets of the API's pod template) with the Python the chart's `helm test`
 * pod uses (tests.command), the API pod's security contexts (so the namespace's Pod Security
 * admits it) and the chart's `helm test` labels (component=test): the API's NetworkPolicy
 * admits those pods when tests.enabled, and their own policy lets them reach the API and DNS
 * only. No other image, label or policy is added.
 */
final class ClientLoad {
    private ClientLoad() {}

    /** The request stream, checked against LoadGen's bounds; the program checks them again in the pod. */
    record Plan(URI url, String host, double rate, Duration duration, int maxRequests, Duration timeout) {
        Plan {
            LoadGen.checkBounds(rate, duration, maxRequests, timeout);
            if (url == null || !"http".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 1) {
                throw new Problem.BadInput("the client pod's target " + url + " is not http://CLUSTER-IP:PORT/PATH");
            }
        }

        String path() { return (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath()) + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()); }

        /** The program's arguments: address, port, path, Host header, rate, seconds, count, timeout in seconds. */
        List<String> args() {
            String ip = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
            return List.of(ip, String.valueOf(url.getPort()), path(), host, fmt(rate), fmt(duration.toMillis() / 1000.0), String.valueOf(maxRequests),
                    fmt(timeout.toMillis() / 1000.0));
        }

        /** The pod's own hard stop: the duration, every request's timeout and a minute to start. */
        long activeDeadlineSeconds() { return duration.toSeconds() + timeout.toSeconds() + 61; }
    }

    /**
     * The client, as Python 3 with the standard library only. Bounds are enforced here too (exit
     * 2 beyond them, before any request), so the pod cannot be told to send more than load.java
     * may. Lines: START, one R per request (seq, start epoch ms, status or 0, error kind or -,
     * latency µs, detail), END with the count sent, the seconds and how many requests waited more
     * than half their timeout for a thread of the client (its own CPU shortage, not the API's). Error
     * kinds are LoadGen's.
     */
    static final String PROGRAM = """
            import math, re, socket, sys, threading, time
            from concurrent.futures import ThreadPoolExecutor
            ip, port, path, host = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
            rate, seconds, count, timeout = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8])
            if not (1 <= rate <= 200 and 1 <= seconds <= 600 and 1 <= count <= 30000 and 0.1 <= timeout <= 30):
                print("BOUNDS rate 1-200/s, 1-600 s, 1-30000 requests, timeout 0.1-30 s; given", rate, seconds, count, timeout, flush=True)
                sys.exit(2)
            lock = threading.Lock()
            STATUS = re.compile(rb"HTTP/1\\.[01] (\\d{3})(?: |\\r|$)")
            REQUEST = ("GET %s HTTP/1.1\\r\\nHost: %s\\r\\nUser-Agent: trevor-load\\r\\nAccept: */*\\r\\nConnection: close\\r\\n\\r\\n" % (path, host)).encode("ascii")
            def out(line):
                with lock:
                    sys.stdout.write(line + "\\n")
                    sys.stdout.flush()
            def left(deadline):
                s = deadline - time.monotonic()
                if s <= 0:
                    raise socket.timeout("time is up")
                return s
            def get(n, at, t0):
                deadline, status, phase = t0 + timeout, 0, "connect"
                try:
                    with socket.create_connection((ip, port), timeout=left(deadline)) as s:
                        phase = "read"
                        s.settimeout(left(deadline))
                        s.sendall(REQUEST)
                        head = b""
                        while b"\\n" not in head and len(head) <= 200:
                            s.settimeout(left(deadline))
                            b = s.recv(4096)
                            if not b:
                                break
                            head += b
                        if not head:
                            return (n, at, 0, "closed", t0, "the connection closed before any answer")
                        m = STATUS.match(head.split(b"\\n", 1)[0].strip() + b"\\r")
                        if not m:
                            return (n, at, 0, "other", t0, "not an HTTP status line: " + head.split(b"\\n", 1)[0].decode("latin-1").strip())
                        status = int(m.group(1))
                        while True:
                            s.settimeout(left(deadline))
                            if not s.recv(65536):
                                break
                        return (n, at, status, "-", t0, "")
                except socket.timeout:
                    what = "no answer within " if status == 0 else "answer not complete within "
                    return (n, at, status, "timeout", t0, what + str(int(timeout * 1000)) + " ms")
                except ConnectionResetError as e:
                    return (n, at, status, "reset", t0, repr(e))
                except (BrokenPipeError, ConnectionAbortedError) as e:
                    return (n, at, status, "closed", t0, repr(e))
                except OSError as e:
                    return (n, at, 0 if phase == "connect" else status, "refused" if phase == "connect" else "other", t0, repr(e))
            late = [0]
            def one(n, at, t0):
                if time.monotonic() - t0 > timeout / 2:
                    with lock:
                        late[0] += 1
                n, at, status, err, t0, detail = get(n, at, t0)
                micros = int((time.monotonic() - t0) * 1e6)
                detail = detail.replace("\\t", " ").replace("\\n", " ")
                out("R\\t%d\\t%d\\t%d\\t%s\\t%d\\t%s" % (n, at, status, err, micros, detail))
            out("START\\t%s:%d%s\\t%s/s\\t%s s\\t%d\\t%s s" % (ip, port, path, rate, seconds, count, timeout))
            pool = ThreadPoolExecutor(max_workers=min(256, math.ceil(rate * timeout) + 8))
            start = time.monotonic()
            n = 0
            while n < count:
                due = start + n / rate
                if due >= start + seconds:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                n += 1
                pool.submit(one, n, int(time.time() * 1000), time.monotonic())
            pool.shutdown(wait=True)
            out("END\\t%d\\t%.3f\\t%d" % (n, time.monotonic() - start, late[0]))
            """;

    /** What a client pod's log says: its outcomes, the count it sent (-1 without END) and the time it took. */
    record Log(List<LoadGen.Outcome> outcomes, int sent, Duration elapsed, String bounds, int late) {}

    /** Reads the program's lines; anything else (uv's own words) is skipped. */
    static Log parse(String log) {
        var outcomes = new ArrayList<LoadGen.Outcome>();
        int sent = -1;
        Duration elapsed = null;
        String bounds = null;
        int late = 0;
        Instant first = null, last = null;
        for (String line : log.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f[0].equals("R") && f.length >= 7) {
                try {
                    var at = Instant.ofEpochMilli(Long.parseLong(f[2]));
                    int status = Integer.parseInt(f[3]);
                    String err = f[4].equals("-") ? null : f[4];
                    outcomes.add(new LoadGen.Outcome(at, status, err, f[6].isEmpty() ? null : f[6], Long.parseLong(f[5])));
                    if (first == null || at.isBefore(first)) first = at;
                    var end = at.plusNanos(Long.parseLong(f[5]) * 1000);
                    if (last == null || end.isAfter(last)) last = end;
                } catch (RuntimeException e) {
                    // a line cut off when the pod was deleted: not a request's outcome
                }
            } else if (f[0].equals("END") && f.length >= 3) {
                sent = Integer.parseInt(f[1]);
                elapsed = Duration.ofMillis(Math.round(Double.parseDouble(f[2]) * 1000));
                if (f.length >= 4) late = Integer.parseInt(f[3]);
            } else if (f[0].startsWith("BOUNDS")) {
                bounds = line.strip();
            }
        }
        if (elapsed == null) elapsed = first == null ? Duration.ZERO : Duration.between(first, last);
        outcomes.sort((a, b) -> a.at().compareTo(b.at()));
        return new Log(outcomes, sent, elapsed, bounds, late);
    }

    /**
     * The run's result as LoadGen reports it: every request the log holds; a request the
     * program counted as sent but whose line is missing is a timeout, "never answered", as in
     * LoadGen.run.
     */
    static LoadGen.Result result(URI url, Log log, Duration timeout) {
        var all = new ArrayList<>(log.outcomes());
        for (int i = all.size(); i < log.sent(); i++) all.add(new LoadGen.Outcome(Instant.now(), 0, LoadGen.TIMEOUT, "never answered", timeout.toMillis() * 1000));
        return new LoadGen.Result(url, List.copyOf(all), log.elapsed());
    }

    /** The chart's `helm test` pod labels (component=test) of the release whose API pods carry apiLabels. */
    static Map<String, String> clientLabels(Map<String, String> apiLabels, String release) {
        var l = new LinkedHashMap<String, String>();
        l.put("app.kubernetes.io/name", apiLabels.getOrDefault("app.kubernetes.io/name", "trevor"));
        l.put("app.kubernetes.io/instance", apiLabels.getOrDefault("app.kubernetes.io/instance", release));
        l.put("app.kubernetes.io/component", "test");
        l.put("trevor.dev/load-client", "true");
        return l;
    }

    /**
     * Null when the namespace's NetworkPolicies let a pod with these labels reach pods with
     * apiLabels; else which policy selects the API pods and admits nothing that matches, and the
     * fix. Reads matchLabels; a rule with matchExpressions or a namespaceSelector is not counted
     * as admitting the client (it may, but that is not what the chart renders for it).
     */
    static String policyProblem(List<Map<String, Object>> policies, Map<String, String> apiLabels, Map<String, String> clientLabels, String release) {
        var selecting = new ArrayList<String>();
        for (var np : policies) {
            var sel = Yaml.strings(np, "spec.podSelector.matchLabels");
            boolean exprs = !Yaml.maps(np, "spec.podSelector.matchExpressions").isEmpty();
            if (exprs || !apiLabels.entrySet().containsAll(sel.entrySet())) continue;
            var types = Yaml.list(np, "spec.policyTypes").stream().map(String::valueOf).toList();
            boolean ingress = types.isEmpty() || types.contains("Ingress");
            if (!ingress) continue;
            for (var rule : Yaml.maps(np, "spec.ingress")) {
                var from = Yaml.maps(rule, "from");
                if (from.isEmpty()) return null; // every source
                for (var peer : from) {
                    if (peer.get("namespaceSelector") != null || peer.get("ipBlock") != null) continue;
                    var ps = Yaml.strings(peer, "podSelector.matchLabels");
                    if (!Yaml.maps(peer, "podSelector.matchExpressions").isEmpty()) continue;
                    if (peer.get("podSelector") != null && clientLabels.entrySet().containsAll(ps.entrySet())) return null;
                }
            }
            selecting.add(Yaml.str(np, "metadata.name"));
        }
        if (selecting.isEmpty()) return null;
        return "the NetworkPolicies " + selecting + " select the API pods and admit no pod of this namespace with the client pod's labels " + clientLabels
                + "; the client pod uses the chart's `helm test` labels, which the API's policy admits with tests.enabled=true (its own policy then "
                + "lets it reach the API and DNS only): upgrade " + release + " with --set tests.enabled=true, or admit these labels in networkPolicy.extraIngress";
    }

    /**
     * The client pod: the API Deployment's image, pull policy, pull secrets, service account,
     * node selector, tolerations and security contexts; avoidNode: a node it must not run on (the
     * one being drained), or null.
     */
    static Map<String, Object> pod(String name, String namespace, Map<String, Object> apiDeployment, Map<String, String> labels, List<String> python,
                                   Plan plan, String avoidNode) {
        var tpl = Yaml.map(apiDeployment, "spec.template.spec");
        var containers = Yaml.maps(tpl, "containers");
        if (containers.isEmpty()) throw new Problem.Failed("the API Deployment's pod template has no container");
        var api = containers.get(0);
        var cmd = new ArrayList<Object>(python);
        cmd.add("-c");
        cmd.add(PROGRAM);
        cmd.addAll(plan.args());
        var container = new LinkedHashMap<String, Object>();
        container.put("name", "load");
        container.put("image", api.get("image"));
        if (api.get("imagePullPolicy") != null) container.put("imagePullPolicy", api.get("imagePullPolicy"));
        container.put("command", cmd);
        var env = new ArrayList<Object>();
        for (String[] e : new String[][] {{"HOME", "/tmp"}, {"PYTHONDONTWRITEBYTECODE", "1"}, {"PYTHONUNBUFFERED", "1"}, {"UV_CACHE_DIR", "/tmp/.cache/uv"},
                {"UV_NO_SYNC", "1"}}) env.add(Map.of("name", e[0], "value", e[1]));
        container.put("env", env);
        if (api.get("securityContext") != null) container.put("securityContext", api.get("securityContext"));
        container.put("resources", Map.of("requests", Map.of("cpu", "50m", "memory", "64Mi", "ephemeral-storage", "16Mi"),
                "limits", Map.of("cpu", "1", "memory", "192Mi", "ephemeral-storage", "32Mi")));
        container.put("volumeMounts", List.of(Map.of("name", "tmp", "mountPath", "/tmp")));
        var spec = new LinkedHashMap<String, Object>();
        spec.put("restartPolicy", "Never");
        spec.put("activeDeadlineSeconds", plan.activeDeadlineSeconds());
        spec.put("terminationGracePeriodSeconds", 1);
        spec.put("automountServiceAccountToken", false);
        spec.put("enableServiceLinks", false);
        for (String k : List.of("serviceAccountName", "imagePullSecrets", "securityContext", "nodeSelector", "tolerations")) {
            if (tpl.get(k) != null) spec.put(k, tpl.get(k));
        }
        if (avoidNode != null) {
            spec.put("affinity", Map.of("nodeAffinity", Map.of("requiredDuringSchedulingIgnoredDuringExecution", Map.of("nodeSelectorTerms",
                    List.of(Map.of("matchFields", List.of(Map.of("key", "metadata.name", "operator", "NotIn", "values", List.of(avoidNode)))))))));
        }
        spec.put("containers", List.of(container));
        spec.put("volumes", List.of(Map.of("name", "tmp", "emptyDir", Map.of("sizeLimit", "16Mi"))));
        var meta = new LinkedHashMap<String, Object>();
        meta.put("name", name);
        meta.put("namespace", namespace);
        meta.put("labels", labels);
        var pod = new LinkedHashMap<String, Object>();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        pod.put("metadata", meta);
        pod.put("spec", spec);
        return pod;
    }

    /** A client pod planned against a release, after every check that needs no change to the cluster. */
    record Setup(Map<String, Object> pod, Plan plan) {
        String name() { return Yaml.str(pod, "metadata.name"); }
    }

    /**
     * Plans the client pod for rel's API Service: the Service's ClusterIP and http port, the API
     * Deployment's pod template, the release's tests.command, and the namespace's NetworkPolicies,
     * which must admit the client (exit 2 naming the fix when they do not). Reads only.
     */
    static Setup setup(Release rel, String path, double rate, Duration duration, int maxRequests, Duration timeout, String avoidNode) {
        var kube = rel.kube;
        String api = rel.selector("api");
        var svcs = kube.list(rel.namespace, "services", api);
        if (svcs.isEmpty()) throw new Problem.Refused("release " + rel.name + " has no API Service in " + rel.namespace + " (selector " + api + ") on " + kube.context);
        var deps = kube.list(rel.namespace, "deployments", api);
        if (deps.isEmpty()) throw new Problem.Refused("release " + rel.name + " has no API Deployment in " + rel.namespace + " (selector " + api + ") on " + kube.context);
        var url = ZeroDowntime.serviceUrl(svcs.get(0), path);
        String host = Yaml.str(svcs.get(0), "metadata.name") + "." + rel.namespace + ".svc:" + url.getPort();
        var plan = new Plan(url, host, rate, duration, maxRequests, timeout);
        var apiLabels = Yaml.strings(deps.get(0), "spec.template.metadata.labels");
        var labels = clientLabels(apiLabels, rel.name);
        String blocked = policyProblem(kube.list(rel.namespace, "networkpolicies", null), apiLabels, labels, rel.name);
        if (blocked != null) throw new Problem.Refused("the client pod could not reach the API: " + blocked);
        var python = python(rel.deployedValues());
        return new Setup(pod(podName(rel.name), rel.namespace, deps.get(0), labels, python, plan, avoidNode), plan);
    }

    /** The image's Python as the chart's `helm test` pod runs it: tests.command (the chart's default: python). */
    static List<String> python(Map<String, Object> values) {
        var cmd = Yaml.list(values, "tests.command").stream().map(String::valueOf).toList();
        return cmd.isEmpty() ? List.of("python") : cmd;
    }

    /** The client pod's name: the release's, -load-, five random letters. */
    static String podName(String release) {
        var sb = new StringBuilder(release.length() > 40 ? release.substring(0, 40) : release).append("-load-");
        for (int i = 0; i < 5; i++) sb.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
        return sb.toString();
    }

    /** A client pod that has started sending: collect() waits for its end (or stop), reads its log and deletes it. */
    static final class Running implements AutoCloseable {
        final Kube kube;
        final String namespace, name;
        final Plan plan;
        final Consumer<String> progress;
        private final Interrupts.Cleanup cleanup;
        private boolean deleted;

        private Running(Kube kube, String namespace, String name, Plan plan, Consumer<String> progress) {
            this.kube = kube;
            this.namespace = namespace;
            this.name = name;
            this.plan = plan;
            this.progress = progress;
            this.cleanup = Interrupts.onStop("delete the load client pod " + namespace + "/" + name, this::delete);
        }

        /**
         * Until the program ends by its bounds, or stop holds (then a request's timeout more,
         * so every request started before it has its line), then the log, as LoadGen's result.
         */
        LoadGen.Result collect(BooleanSupplier stop) {
            long hard = System.nanoTime() + Duration.ofSeconds(plan.activeDeadlineSeconds() + 30).toNanos();
            String phase = null;
            while (System.nanoTime() < hard) {
                if (stop.getAsBoolean()) {
                    Wait.sleep(plan.timeout().toMillis() + 2000);
                    break;
                }
                phase = phase();
                if ("Succeeded".equals(phase) || "Failed".equals(phase)) break;
                Wait.sleep(1000);
            }
            var r = kube.run(Duration.ofMinutes(2), "logs", "-n", namespace, name, "-c", "load");
            if (!r.ok()) throw new Problem.Failed("kubectl logs " + namespace + "/" + name + ": " + Kube.firstLine(r.said()));
            delete();
            var log = parse(r.out());
            if (log.bounds() != null) throw new Problem.Failed("the client pod refused its bounds: " + log.bounds());
            if (log.outcomes().isEmpty() && !r.out().contains("START")) {
                throw new Problem.Failed("the client pod " + namespace + "/" + name + " (" + phase + ") sent nothing; its log: " + tail(r.out()));
            }
            progress.accept("client pod " + name + ": " + log.outcomes().size() + " requests in its log" + (log.sent() < 0 ? " (stopped)" : ", " + log.sent() + " sent"));
            if (log.late() > 0) {
                progress.accept("WARNING: " + log.late() + " requests waited more than half their timeout for a thread of the client pod before they were sent: "
                        + "the client was short of CPU, so their timeouts may be the client's, not the API's");
            }
            return result(plan.url(), log, plan.timeout());
        }

        private String phase() {
            var pod = kube.get(namespace, "pod", name);
            return pod == null ? "gone" : Yaml.str(pod, "status.phase");
        }

        synchronized void delete() {
            if (deleted) return;
            deleted = true;
            var r = kube.run(Duration.ofMinutes(1), "delete", "pod", name, "-n", namespace, "--ignore-not-found", "--wait=false", "--grace-period=1");
            progress.accept("deleted the client pod " + namespace + "/" + name + (r.ok() ? "" : ": " + Kube.firstLine(r.said())));
        }

        @Override public void close() {
            try {
                delete();
            } finally {
                cleanup.close();
            }
        }
    }

    /**
     * Creates the client pod and returns once it sends (its START line is in its log), or fails
     * with what held it back (an image it cannot pull, an admission refusal, a pending pod).
     */
    static Running start(Kube kube, String namespace, Map<String, Object> pod, Plan plan, Duration startWithin, Consumer<String> progress) {
        String name = Yaml.str(pod, "metadata.name");
        var created = kube.runWithInput(Yaml.json(pod), "create", "-f", "-");
        if (!created.ok()) throw new Problem.Failed("creating the client pod " + namespace + "/" + name + ": " + created.said().strip());
        var running = new Running(kube, namespace, name, plan, progress);
        progress.accept("client pod " + namespace + "/" + name + " (image " + Yaml.maps(pod, "spec.containers").get(0).get("image") + "): " + plan.rate() + " requests/s to "
                + plan.url() + " (Host " + plan.host() + ") for " + plan.duration().toSeconds() + " s, at most " + plan.maxRequests());
        try {
            long end = System.nanoTime() + startWithin.toNanos();
            String last = "";
            while (true) {
                var p = kube.get(namespace, "pod", name);
                if (p == null) throw new Problem.Failed("the client pod " + name + " is gone before it started");
                String phase = Yaml.str(p, "status.phase");
                if ("Running".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase)) {
                    var r = kube.run(Duration.ofSeconds(30), "logs", "-n", namespace, name, "-c", "load");
                    if (r.ok() && r.out().contains("START")) {
                        progress.accept("client pod " + name + " is sending (on node " + Yaml.str(p, "spec.nodeName") + ")");
                        return running;
                    }
                    if (!"Running".equals(phase)) throw new Problem.Failed("the client pod " + name + " ended (" + phase + ") without starting: " + tail(r.said()));
                    last = "running, no START line yet";
                } else {
                    last = waiting(p);
                }
                if (System.nanoTime() > end) {
                    throw new Problem.Failed("the client pod " + namespace + "/" + name + " did not start sending within " + startWithin.toSeconds() + " s: " + last
                            + "; events: " + String.join(" | ", kube.eventsFor(namespace, "Pod", name)));
                }
                Wait.sleep(1000);
            }
        } catch (RuntimeException e) {
            running.close();
            throw e;
        }
    }

    /** What a pending pod waits for: its container's waiting reason, else its conditions. */
    static String waiting(Map<String, Object> pod) {
        for (var cs : Yaml.maps(pod, "status.containerStatuses")) {
            String reason = Yaml.str(cs, "state.waiting.reason");
            if (reason != null) return reason + ": " + Yaml.str(cs, "state.waiting.message");
        }
        for (var c : Yaml.maps(pod, "status.conditions")) {
            if (!"True".equals(String.valueOf(c.get("status"))) && c.get("message") != null) return c.get("type") + ": " + c.get("message");
        }
        return String.valueOf(Yaml.str(pod, "status.phase"));
    }

    private static String tail(String s) {
        return Text.lastLines(s, 5, " | ");
    }

    private static String fmt(double d) { return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%s", d); }
}
