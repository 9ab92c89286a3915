import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real node's zero-downtime step without a real node: load during an action against a
 * loopback server this test starts, and the unprotected values rendered by the chart.
 */
class ZeroDowntimeTest {
    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private URI serve(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/health", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/health");
    }

    private static LoadGen.Settings settings(URI url) {
        return LoadGen.Settings.of(url).withRate(40).withDuration(Duration.ofSeconds(20)).withMaxRequests(800).withTimeout(Duration.ofSeconds(1));
    }

    @Test
    void loadCoversTheActionAndTheTailAfterIt() throws IOException {
        long t0 = System.nanoTime();
        var run = ZeroDowntime.during(settings(serve(0)), Duration.ofMillis(300), Duration.ofMillis(500), () -> Thread.sleep(400));
        double secs = (System.nanoTime() - t0) / 1e9;
        assertNull(run.actionFailure());
        assertTrue(run.covered(), "the load went on after the action");
        assertNull(run.load().problem(), run.load().summary());
        assertTrue(run.load().requests() >= 36 && run.load().requests() <= 56, "about 1.2 s at 40/s: " + run.load().summary());
        assertTrue(secs < 5, "stopped after the tail, took " + secs);
        assertEquals(run.load().requests(), hits.get());
    }

    @Test
    void theTailFollowsProgressUntilSettledWithinItsBounds() throws IOException {
        var settledAt = new java.util.concurrent.atomic.AtomicLong();
        long t0 = System.nanoTime();
        // settled 1.5 s after the action: the load goes on that long (not the 30 s maximum, nor the load's own 20 s), then the minimum's rest
        var run = ZeroDowntime.during(settings(serve(0)), Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(30), () -> {
            if (settledAt.get() == 0) settledAt.set(System.nanoTime() + 1_500_000_000L);
            return System.nanoTime() >= settledAt.get();
        }, () -> Thread.sleep(200));
        double secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(run.covered());
        assertTrue(secs >= 1.7 && secs < 10, "about 0.3 s + 1.5 s settling (+ one poll; slack for a loaded machine): " + secs);
        assertTrue(run.load().requests() >= 60, "the load ran through the settling: " + run.load().summary());
        // never settled: the maximum ends it
        server.stop(0);
        t0 = System.nanoTime();
        run = ZeroDowntime.during(settings(serve(0)), Duration.ZERO, Duration.ZERO, Duration.ofMillis(1500), () -> false, () -> {});
        secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(secs >= 1.4 && secs < 10, "the maximum tail (1.5 s) bounds it, not the load's 20 s: " + secs);
    }

    @Test
    void anActionThatTakesTheServerAwayFailsTheCheck() throws IOException {
        URI url = serve(0);
        int port = url.getPort();
        var run = ZeroDowntime.during(settings(url), Duration.ofMillis(300), Duration.ofMillis(500), () -> {
            server.stop(0); // the old pods gone before anything else serves
            Thread.sleep(500);
            serve(port);
        });
        assertNull(run.actionFailure());
        var r = run.load();
        assertNotNull(r.problem(), r.summary());
        assertTrue(r.byError().getOrDefault(LoadGen.REFUSED, 0) >= 10, r.summary());
        assertTrue(r.ok() >= 20, "the server answered before and after: " + r.summary());
    }

    @Test
    void aFailedActionIsReportedAndTheLoadStillStops() throws IOException {
        var run = ZeroDowntime.during(settings(serve(0)), Duration.ofMillis(100), Duration.ofMillis(200), () -> {
            throw new IllegalStateException("helm upgrade failed");
        });
        assertEquals("helm upgrade failed", run.actionFailure().getMessage());
        assertTrue(run.covered());
        assertTrue(run.load().requests() > 0 && run.load().requests() < 30, run.load().summary());
    }

    @Test
    void aLoadStoppedByItsBoundsBeforeTheActionEndedDidNotCoverIt() throws IOException {
        var bounded = settings(serve(0)).withMaxRequests(5);
        var run = ZeroDowntime.during(bounded, Duration.ofMillis(100), Duration.ofMillis(100), () -> Thread.sleep(1000));
        assertEquals(5, run.load().requests());
        assertTrue(!run.covered(), "5 requests at 40/s end long before a 1 s action");
    }

    @Test
    void theServiceUrlIsItsClusterIpAndHttpPort() {
        var svc = Map.<String, Object>of("metadata", Map.of("name", "trevor"), "spec", Map.of("clusterIP", "10.0.0.42",
                "ports", List.of(Map.of("name", "metrics", "port", 9090), Map.of("name", "http", "port", 80))));
        assertEquals(URI.create("http://10.0.0.42:80/health"), ZeroDowntime.serviceUrl(svc, "/health"));
        LoadGen.Settings.of(ZeroDowntime.serviceUrl(svc, "/health")); // inside the local Service range
        var headless = Map.<String, Object>of("metadata", Map.of("name", "trevor"), "spec", Map.of("clusterIP", "None", "ports", List.of()));
        var e = assertThrows(Problem.class, () -> ZeroDowntime.serviceUrl(headless, "/health"));
        assertTrue(e.getMessage().contains("no ClusterIP"), e.getMessage());
    }

    /** The mutation the real-node run must fail with renders as it says: no pause, 1 s grace, no readiness or startup probe. */
    @Test
    void theUnprotectedValuesRemoveEveryProtection() {
        Path repo = Repo.root();
        var helm = Helm.at(Tools.helm(4, null));
        var sets = new ArrayList<String>(ZeroDowntime.UNPROTECTED);
        var r = helm.template("trevor", repo.resolve("helm/trevor"), "trevor", new Helm.Values(List.of(repo.resolve("values/real-node.yaml")), sets));
        assertTrue(r.ok(), r.said());
        var api = Manifests.parse(r.out()).stream().filter(o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component")))
                .findFirst().orElseThrow();
        var c = Yaml.maps(api.podSpec(), "containers").get(0);
        assertNull(c.get("lifecycle"), "preStop: " + c.get("lifecycle"));
        assertNull(c.get("readinessProbe"));
        assertNull(c.get("startupProbe"));
        assertEquals("1", Yaml.str(api.podSpec(), "terminationGracePeriodSeconds"));

        r = helm.template("trevor", repo.resolve("helm/trevor"), "trevor", new Helm.Values(List.of(repo.resolve("values/real-node.yaml")), ZeroDowntime.PROTECTED));
        assertTrue(r.ok(), r.said());
        api = Manifests.parse(r.out()).stream().filter(o -> "Deployment".equals(o.kind()) && "api".equals(o.labels().get("app.kubernetes.io/component")))
                .findFirst().orElseThrow();
        c = Yaml.maps(api.podSpec(), "containers").get(0);
        assertEquals(5, ZeroDowntimeChecks.preStopSeconds(c), "PROTECTED is values/real-node.yaml's pause");
        assertNotNull(c.get("readinessProbe"));
        assertEquals("30", Yaml.str(api.podSpec(), "terminationGracePeriodSeconds"));
    }
}
