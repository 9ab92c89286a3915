import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load from a client pod, without a cluster: its Python program (run here with the host's
 * python3, against servers on 127.0.0.1 that this test starts) must count what LoadGen counts
 * and keep its bounds; its log must read back into LoadGen's result; the pod must be the API's
 * image under the chart's `helm test` labels, which the chart's rendered policies admit (and
 * refuse, by name, without tests.enabled); a scale or a drain without the flag naming its target
 * is refused before anything is created.
 */
class ClientLoadTest {
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    /** A server whose n-th request (from 1) gets 503 when bad(n), else 200. */
    private int serve(java.util.function.IntPredicate bad) throws IOException {
        var hits = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/health", ex -> {
            int code = bad.test(hits.incrementAndGet()) ? 503 : 200;
            byte[] body = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(code, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static boolean python3() {
        try {
            return new ProcessBuilder("python3", "-c", "pass").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The program as the pod runs it (python -c PROGRAM ARGS), here with the host's python3. */
    private static Exec.Result program(Path tmp, List<String> args) {
        var cmd = new ArrayList<>(List.of("python3", "-c", ClientLoad.PROGRAM));
        cmd.addAll(args);
        return Exec.run(cmd, tmp, Map.of(), Duration.ofSeconds(60), null);
    }

    /** timeout 5 s: a loaded 2-core machine answers loopback requests in seconds at times (LoadGenTest saw p50 355 ms at load 40). */
    private static ClientLoad.Plan plan(int port, double rate, int seconds, int max) {
        return new ClientLoad.Plan(URI.create("http://127.0.0.1:" + port + "/health"), "trevor.trevor.svc:8000", rate, Duration.ofSeconds(seconds), max,
                Duration.ofSeconds(5));
    }

    @Test
    void theProgramSendsTheBoundedStreamAndItsLogReadsBackIntoLoadGensCounts(@TempDir Path tmp) throws IOException {
        assumeTrue(python3(), "no python3 on this machine");
        int port = serve(n -> n % 10 == 0);
        var plan = plan(port, 20, 2, 30);
        var r = program(tmp, plan.args());
        assertEquals(0, r.exit(), r.said());
        var log = ClientLoad.parse(r.out());
        assertEquals(30, log.sent(), r.out());
        assertTrue(r.out().strip().lines().reduce((a, b) -> b).orElse("").matches("END\t30\t[0-9.]+\t[0-9]+"), r.out());
        var result = ClientLoad.result(plan.url(), log, plan.timeout());
        assertEquals(30, result.requests(), result.summary());
        assertEquals(27, result.ok(), result.summary());
        assertEquals(Map.of(503, 3), result.byCode());
        String p = result.problem();
        assertNotNull(p, "3 answers were 503: the check must fail");
        assertTrue(p.startsWith("3 failed of 30 requests: non-2xx {503=3}"), p);
        assertTrue(result.percentileMs(0.5) > 0 && result.percentileMs(1.0) < 5000, result.summary());
    }

    @Test
    void theProgramStopsAtItsDurationAndSaysRefusedWhenNothingListens(@TempDir Path tmp) throws IOException {
        assumeTrue(python3(), "no python3 on this machine");
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        var plan = plan(port, 10, 1, 1000);
        long t0 = System.nanoTime();
        var r = program(tmp, plan.args());
        assertEquals(0, r.exit(), r.said());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos(), "the program did not stop by its duration");
        var result = ClientLoad.result(plan.url(), ClientLoad.parse(r.out()), plan.timeout());
        assertEquals(10, result.requests(), r.out());
        assertEquals(Map.of(LoadGen.REFUSED, 10), result.byError(), result.summary());
    }

    @Test
    void theProgramRefusesToGoBeyondLoadsBoundsBeforeAnyRequest(@TempDir Path tmp) throws IOException {
        assumeTrue(python3(), "no python3 on this machine");
        int port = serve(n -> false);
        for (var args : List.of(List.of("500", "10", "100", "2"), List.of("10", "601", "100", "2"), List.of("10", "10", "30001", "2"), List.of("10", "10", "100", "31"))) {
            var full = new ArrayList<>(List.of("127.0.0.1", String.valueOf(port), "/health", "h"));
            full.addAll(args);
            var r = program(tmp, full);
            assertEquals(2, r.exit(), args + ": " + r.said());
            assertTrue(r.out().startsWith("BOUNDS"), r.out());
            assertFalse(r.out().contains("R\t"), r.out());
            assertNotNull(ClientLoad.parse(r.out()).bounds());
        }
        // The Java side refuses the same before any pod: exit 2.
        var e = assertThrows(Problem.class, () -> plan(port, 201, 10, 100));
        assertEquals(Problem.NOTHING_CHANGED, e.exitCode);
        assertThrows(Problem.class, () -> new ClientLoad.Plan(URI.create("http://10.0.0.1:8000/health"), "h", 10, Duration.ofMinutes(11), 100, Duration.ofSeconds(2)));
    }

    @Test
    void aLogCutShortOrMissingLinesIsReadAsLoadGenWould() {
        String log = String.join("\n",
                "warning: some words of uv",
                "START\t10.0.0.57:8000/health\t25.0/s\t30.0 s\t5\t2.0 s",
                "R\t1\t1796642960423\t200\t-\t1035\t",
                "R\t2\t1796642960463\t0\trefused\t453\tConnectionRefusedError(111, 'Connection refused')",
                "R\t3\t1796642960503\t502\t-\t2100\t",
                "R\t4\t17966429", // cut off
                "END\t5\t0.200\t2");
        var parsed = ClientLoad.parse(log);
        assertEquals(3, parsed.outcomes().size());
        assertEquals(5, parsed.sent());
        assertEquals(2, parsed.late());
        var r = ClientLoad.result(URI.create("http://10.0.0.57:8000/health"), parsed, Duration.ofSeconds(2));
        assertEquals(5, r.requests());
        assertEquals(1, r.ok());
        assertEquals(Map.of(502, 1), r.byCode());
        assertEquals(Map.of(LoadGen.REFUSED, 1, LoadGen.TIMEOUT, 2), r.byError());
        assertTrue(r.problem().startsWith("4 failed of 5 requests"), r.problem());
        // Stopped by the caller (no END): only the lines there are count.
        var stopped = ClientLoad.parse(log.substring(0, log.indexOf("END")));
        assertEquals(-1, stopped.sent());
        assertEquals(3, ClientLoad.result(URI.create("http://10.0.0.57:8000/health"), stopped, Duration.ofSeconds(2)).requests());
    }

    // --- the pod and the chart's policies ---

    static List<Map<String, Object>> render(List<String> sets) {
        var repo = Repo.root();
        var helm = Helm.at(Tools.helm(4, null));
        var r = helm.template("trevor", repo.resolve("helm/trevor"), "trevor", new Helm.Values(List.of(repo.resolve("values/prod.yaml"),
                repo.resolve("values/real-node.yaml")), sets));
        assertTrue(r.ok(), r.said());
        var docs = new ArrayList<Map<String, Object>>();
        for (var o : Manifests.parse(r.out())) docs.add(o.body());
        return docs;
    }

    private static Map<String, Object> apiDeployment(List<Map<String, Object>> docs) {
        return docs.stream().filter(d -> "Deployment".equals(d.get("kind"))
                && "api".equals(Yaml.strings(d, "spec.template.metadata.labels").get("app.kubernetes.io/component"))).findFirst().orElseThrow();
    }

    private static List<Map<String, Object>> policies(List<Map<String, Object>> docs) {
        return docs.stream().filter(d -> "NetworkPolicy".equals(d.get("kind"))).toList();
    }

    @Test
    void theChartsPoliciesAdmitTheClientPodOnlyWithItsHelmTestLabelsAndTestsEnabled() {
        var on = render(List.of());
        var api = apiDeployment(on);
        var apiLabels = Yaml.strings(api, "spec.template.metadata.labels");
        var client = ClientLoad.clientLabels(apiLabels, "trevor");
        assertEquals("test", client.get("app.kubernetes.io/component"));
        assertNull(ClientLoad.policyProblem(policies(on), apiLabels, client, "trevor"), "values/prod.yaml + real-node.yaml (tests.enabled) admit the client");
        // The chart's test policy selects the client pod too: its egress is DNS and the API only.
        var testPolicy = policies(on).stream().filter(p -> Yaml.str(p, "metadata.name").equals("trevor-test")).findFirst().orElseThrow();
        assertTrue(client.entrySet().containsAll(Yaml.strings(testPolicy, "spec.podSelector.matchLabels").entrySet()));

        var off = render(List.of("tests.enabled=false"));
        String p = ClientLoad.policyProblem(policies(off), apiLabels, client, "trevor");
        assertNotNull(p, "without tests.enabled the API's policy admits no pod of its namespace: the load must be refused");
        assertTrue(p.contains("[trevor]") && p.contains("--set tests.enabled=true"), p);
        // Other labels than the chart's test pod's are not admitted either (the policies are not widened for the client).
        assertNotNull(ClientLoad.policyProblem(policies(on), apiLabels, Map.of("app.kubernetes.io/instance", "trevor", "app.kubernetes.io/component", "load"), "trevor"));
        // No policy: nothing to admit.
        assertNull(ClientLoad.policyProblem(List.of(), apiLabels, client, "trevor"));
    }

    @Test
    void theClientPodIsTheAPIsImageAndSecurityWithBoundsOfItsOwnAndNeverOnTheDrainedNode() {
        var api = apiDeployment(render(List.of()));
        var plan = new ClientLoad.Plan(URI.create("http://10.0.0.57:8000/health"), "trevor.trevor.svc:8000", 25, Duration.ofSeconds(90), 3000, Duration.ofSeconds(2));
        var labels = ClientLoad.clientLabels(Yaml.strings(api, "spec.template.metadata.labels"), "trevor");
        var pod = ClientLoad.pod("trevor-load-abcde", "trevor", api, labels, List.of("uv", "run", "python"), plan, "real-0");
        var c = Yaml.maps(pod, "spec.containers").get(0);
        var apiC = Yaml.maps(api, "spec.template.spec.containers").get(0);
        assertEquals(apiC.get("image"), c.get("image"));
        assertEquals(apiC.get("imagePullPolicy"), c.get("imagePullPolicy"));
        assertEquals(apiC.get("securityContext"), c.get("securityContext"));
        assertEquals(Yaml.map(api, "spec.template.spec.securityContext"), Yaml.map(pod, "spec.securityContext"));
        assertEquals("Never", Yaml.str(pod, "spec.restartPolicy"));
        assertEquals(90L + 2 + 61, ((Number) Yaml.at(pod, "spec.activeDeadlineSeconds")).longValue());
        assertEquals(false, Yaml.at(pod, "spec.automountServiceAccountToken"));
        var cmd = Yaml.list(c, "command").stream().map(String::valueOf).toList();
        assertEquals(List.of("uv", "run", "python", "-c"), cmd.subList(0, 4));
        assertEquals(List.of("10.0.0.57", "8000", "/health", "trevor.trevor.svc:8000", "25", "90", "3000", "2"), cmd.subList(5, cmd.size()));
        assertTrue(Yaml.json(pod).contains("\"NotIn\"") && Yaml.json(pod).contains("\"real-0\""), "the pod must avoid the drained node: " + Yaml.json(pod));
        assertFalse(Yaml.json(ClientLoad.pod("x", "trevor", api, labels, List.of("python"), plan, null)).contains("nodeAffinity"));
        assertEquals(List.of("uv", "run", "python"), ClientLoad.python(Map.of("tests", Map.of("command", List.of("uv", "run", "python")))));
        assertEquals(List.of("python"), ClientLoad.python(Map.of()));
    }

    // --- the flags that name what a scale or a drain changes ---

    @Test
    void aScaleOnAClusterThatIsNotLocalNeedsAllowScaleNamingTheDeployment() {
        String why = "its name is not k3d-* or kwok-*";
        String missing = Scale.refusal("staging", why, null, null);
        assertNotNull(missing);
        assertTrue(missing.startsWith("nothing was created or scaled: staging is not a local dev cluster (" + why + ")") && missing.contains("--allow-scale DEPLOYMENT"), missing);
        assertNotNull(Scale.refusal("staging", why, null, "trevor"));
        String other = Scale.refusal("staging", why, "trevor-worker", "trevor");
        assertTrue(other.contains("--allow-scale names trevor-worker, but the API Deployment on staging is trevor"), other);
        assertNull(Scale.refusal("staging", why, "trevor", null), "the name is checked once the Deployment is read");
        assertNull(Scale.refusal("staging", why, "trevor", "trevor"));
        assertNull(Scale.refusal("kwok-trevor", null, null, "trevor"), "a local dev cluster scales without the flag");
        assertNotNull(Scale.refusal("kwok-trevor", null, "other", "trevor"), "a flag that names another Deployment is refused everywhere");
    }

    @Test
    void aDrainNeedsAllowDrainNamingTheNodeOnEveryCluster() {
        assertNull(Drain.refusal("node-a", "node-a", "staging"));
        String none = Drain.refusal("node-a", null, "staging");
        assertTrue(none.startsWith("nothing was drained: draining node-a on staging") && none.endsWith("--allow-drain node-a"), none);
        assertTrue(Drain.refusal("node-a", "node-b", "staging").contains("(--allow-drain names node-b, not node-a)"));
    }

    @Test
    @org.junit.jupiter.api.Tag("scripts") // starts load.java: test.java's scripts stage
    void loadRefusesAScaleOnAClusterThatIsNotLocalBeforeAnyKubectlOrPod(@TempDir Path tmp) throws IOException {
        Path log = tmp.resolve("kubectl.log");
        var env = Map.of("KUBECONFIG", NetpolCliTest.kubeconfig(tmp).toString(), "PATH", NetpolCliTest.dispatcher(tmp, log) + ":" + System.getenv("PATH"));
        var r = ScriptsCliTest.script("load.java", env, "--context", "prod-eks", "--scale-to", "0", "--duration", "10s");
        assertEquals(2, r.exit(), r.said());
        assertTrue(r.err().contains("nothing was created or scaled: prod-eks is not a local dev cluster (its name is not k3d-* or kwok-*); "
                + "scaling its API Deployment needs --allow-scale DEPLOYMENT"), r.err());
        assertFalse(r.said().contains("\tat "), "a stack trace: " + r.said());
        NetpolCliTest.dispatcherNotUsed(log);
        var both = ScriptsCliTest.script("load.java", env, "--url", "http://127.0.0.1:9/health", "--context", "prod-eks");
        assertEquals(2, both.exit(), both.said());
        assertTrue(both.err().contains("--url sends from this machine; --context/--kubeconfig/--scale-to run a client pod"), both.err());
        var unknown = ScriptsCliTest.script("load.java", env, "--context", "staging-nope");
        assertEquals(2, unknown.exit(), unknown.said());
        assertTrue(unknown.err().contains("--context staging-nope: no such context"), unknown.err());
        NetpolCliTest.dispatcherNotUsed(log);
    }
}
