//SOURCES ../tools/Problem.java
//SOURCES ../node/NetnsNode.java
//SOURCES ../node/RealNode.java
//SOURCES ../report/Report.java

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * A bounded, steady stream of GETs to one URL, as a client of the API Service sees it: every
 * request's outcome and latency, and one verdict, "0 failed requests". It measures rollouts,
 * so it never sends anything beyond this machine: the target must be loopback or inside the
 * local cluster's own pod or Service range, given as an address (a host name would need DNS,
 * which could answer anything).
 */
final class LoadGen {
    private LoadGen() {}

    static final double MAX_RATE = 200;
    static final Duration MAX_DURATION = Duration.ofMinutes(10);
    static final int MAX_REQUESTS = 30_000;

    /** Where traffic may go: loopback, and the real nodes' pod ranges (real-0, real-1) and Service range (RealNode, NetnsNode). */
    static final List<String> LOCAL_RANGES = List.of("127.0.0.0/8", "::1/128", RealNode.SUBNET, NetnsNode.SUBNET, RealNode.SERVICE_CIDR);

    /**
     * rate per second, for at most duration and at most maxRequests; each request gets timeout
     * to connect and answer. Without keepAlive every request opens its own connection, so each
     * one is routed by kube-proxy's rules of that moment (what a rollout changes), not pinned to
     * the pod an earlier connection reached.
     */
    record Settings(URI url, double rate, Duration duration, int maxRequests, Duration timeout, boolean keepAlive) {
        Settings {
            checkBounds(rate, duration, maxRequests, timeout);
            refuseNonLocal(url);
        }

        static Settings of(URI url) { return new Settings(url, 25, Duration.ofSeconds(30), 3000, Duration.ofSeconds(2), false); }

        Settings withRate(double r) { return new Settings(url, r, duration, maxRequests, timeout, keepAlive); }
        Settings withDuration(Duration d) { return new Settings(url, rate, d, maxRequests, timeout, keepAlive); }
        Settings withMaxRequests(int n) { return new Settings(url, rate, duration, n, timeout, keepAlive); }
        Settings withTimeout(Duration t) { return new Settings(url, rate, duration, maxRequests, t, keepAlive); }
        Settings withKeepAlive(boolean k) { return new Settings(url, rate, duration, maxRequests, timeout, k); }
    }

    /**
     * The bounds every load keeps, from this machine or from a client pod in a cluster
     * (ClientLoad checks them here and its program again inside the pod): exit 2 beyond them.
     */
    static void checkBounds(double rate, Duration duration, int maxRequests, Duration timeout) {
        if (!(rate >= 1 && rate <= MAX_RATE)) throw bad("--rate " + fmt(rate) + " is out of range: give 1 to " + fmt(MAX_RATE) + " requests per second");
        if (duration.compareTo(Duration.ofSeconds(1)) < 0 || duration.compareTo(MAX_DURATION) > 0) {
            throw bad("--duration " + duration.toSeconds() + "s is out of range: give 1s to " + MAX_DURATION.toMinutes() + "m");
        }
        if (maxRequests < 1 || maxRequests > MAX_REQUESTS) throw bad("--max-requests " + maxRequests + " is out of range: give 1 to " + MAX_REQUESTS);
        if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw bad("--timeout " + timeout.toMillis() + "ms is out of range: give 100ms to 30s");
        }
    }

    /** One request: when it started, its HTTP status (0 when none came) or error kind, and how long it took. */
    record Outcome(Instant at, int status, String error, String detail, long micros) {
        boolean ok() { return error == null && status >= 200 && status < 300; }

        String what() { return error != null ? error : "HTTP " + status; }
    }

    static final String REFUSED = "refused", TIMEOUT = "timeout", RESET = "reset", CLOSED = "closed", OTHER = "other";

    /** What a run saw, and the check over it. */
    record Result(URI url, List<Outcome> outcomes, Duration elapsed) {
        int requests() { return outcomes.size(); }

        long ok() { return outcomes.stream().filter(Outcome::ok).count(); }

        List<Outcome> failures() { return outcomes.stream().filter(o -> !o.ok()).toList(); }

        /** Non-2xx answers by status code. */
        Map<Integer, Integer> byCode() {
            var m = new TreeMap<Integer, Integer>();
            for (var o : outcomes) if (o.error() == null && !o.ok()) m.merge(o.status(), 1, Integer::sum);
            return m;
        }

        /** Connection errors by kind: refused, timeout, reset, closed, other. */
        Map<String, Integer> byError() {
            var m = new TreeMap<String, Integer>();
            for (var o : outcomes) if (o.error() != null) m.merge(o.error(), 1, Integer::sum);
            return m;
        }

        /** The q-quantile (nearest rank) of every request's latency, failures included, in ms. */
        double percentileMs(double q) {
            if (outcomes.isEmpty()) return 0;
            var l = new ArrayList<Long>();
            for (var o : outcomes) l.add(o.micros());
            Collections.sort(l);
            int rank = (int) Math.ceil(q * l.size());
            return l.get(Math.max(0, Math.min(l.size() - 1, rank - 1))) / 1000.0;
        }

        String summary() {
            double secs = elapsed.toMillis() / 1000.0;
            return String.format(Locale.ROOT, "%d requests in %.1f s (%.1f/s) to %s: 2xx %d, non-2xx %s, connection errors %s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    requests(), secs, secs > 0 ? requests() / secs : 0.0, url, ok(), byCode(), byError(), percentileMs(0.5), percentileMs(0.99), percentileMs(1.0));
        }

        /** "0 failed requests": null when it holds, else what failed, by code and kind. */
        String problem() {
            if (requests() == 0) return "no request was sent";
            int failed = failures().size();
            if (failed == 0) return null;
            var first = failures().get(0);
            return failed + " failed of " + requests() + " requests: non-2xx " + byCode() + ", connection errors " + byError()
                    + "; first at " + first.at() + " (" + first.what() + ")";
        }

        /** One line per failure, with its time, to line up with `kubectl get events`. */
        void writeFailures(Path file) {
            var sb = new StringBuilder("# time\tlatency_ms\toutcome\tdetail\n");
            for (var o : failures()) {
                sb.append(o.at()).append('\t').append(String.format(Locale.ROOT, "%.1f", o.micros() / 1000.0)).append('\t').append(o.what())
                        .append('\t').append(o.detail() == null ? "" : o.detail().replace('\t', ' ').replace('\n', ' ')).append('\n');
            }
            try {
                Files.writeString(file, sb);
            } catch (IOException e) {
                throw new UncheckedIOException("writing the failures to " + file, e);
            }
        }
    }

    /** The check's name: what the load ran during. */
    static String checkName(String during) { return "load: 0 failed requests" + (during == null || during.isBlank() ? "" : " during " + during); }

    /** Reports the run as one named check: a pass only when requests were sent and none failed. */
    static void report(Report report, String during, Result r) {
        report.check(checkName(during), r.summary(), () -> {
            String p = r.problem();
            Report.expect(p == null, "%s", p);
        });
    }

    /** Runs until the duration, the count or stop says so; waits for every request sent. */
    static Result run(Settings s) { return run(s, () -> false); }

    static Result run(Settings s, BooleanSupplier stop) {
        // Enough threads for every request the timeout can keep open at this rate; beyond that a
        // request waits, and its latency (counted from its scheduled start) says so.
        int threads = (int) Math.min(256, Math.ceil(s.rate() * s.timeout().toMillis() / 1000.0) + 8);
        var pool = Executors.newFixedThreadPool(threads, r -> {
            var t = new Thread(r, "loadgen-request");
            t.setDaemon(true);
            return t;
        });
        var ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "loadgen-tick");
            t.setDaemon(true);
            return t;
        });
        try {
            var outcomes = Collections.synchronizedList(new ArrayList<Outcome>());
            var inFlight = Collections.synchronizedList(new ArrayList<Future<?>>());
            var sent = new AtomicInteger();
            long start = System.nanoTime();
            long end = start + s.duration().toNanos();
            var done = new CompletableFuture<Void>();
            ticker.scheduleAtFixedRate(() -> {
                if (done.isDone()) return;
                if (System.nanoTime() >= end || sent.get() >= s.maxRequests() || stop.getAsBoolean()) {
                    done.complete(null);
                    return;
                }
                sent.incrementAndGet();
                Instant at = Instant.now();
                long t0 = System.nanoTime();
                inFlight.add(pool.submit(() -> outcomes.add(get(s.url(), s.timeout(), at, t0))));
            }, 0, (long) (1e9 / s.rate()), TimeUnit.NANOSECONDS);
            done.join();
            ticker.shutdownNow();
            List<Future<?>> pending;
            synchronized (inFlight) {
                pending = List.copyOf(inFlight);
            }
            long waitUntil = System.nanoTime() + s.timeout().toNanos() * 2 + 5_000_000_000L;
            for (var f : pending) {
                try {
                    f.get(Math.max(1, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    // A request that never ended counts as a timeout below.
                }
            }
            var elapsed = Duration.ofNanos(System.nanoTime() - start);
            List<Outcome> all;
            synchronized (outcomes) {
                all = new ArrayList<>(outcomes);
            }
            for (int i = all.size(); i < sent.get(); i++) all.add(new Outcome(Instant.now(), 0, TIMEOUT, "never answered", s.timeout().toMillis() * 1000));
            all.sort((a, b) -> a.at().compareTo(b.at()));
            return new Result(s.url(), List.copyOf(all), elapsed);
        } finally {
            ticker.shutdownNow();
            pool.shutdownNow();
        }
    }

    /**
     * One GET on a connection of its own, read to its end. Plain HTTP/1.1 over a socket rather
     * than java.net.http.HttpClient: HttpClient silently sends an idempotent GET again when its
     * connection closes before an answer (LoadGenTest saw 10 closed connections reported as 50
     * of 50 answered), which hides exactly the failures a rollout causes.
     */
    static Outcome get(URI url, Duration timeout, Instant at, long t0) {
        long deadline = t0 + timeout.toNanos();
        String host = url.getHost();
        String ip = "localhost".equals(host) ? "127.0.0.1" : host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        int port = url.getPort() > 0 ? url.getPort() : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        int status = 0;
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(ip), port), remainingMillis(deadline));
            var out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + url.getRawAuthority() + "\r\nUser-Agent: trevor-load\r\nAccept: */*\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            var in = socket.getInputStream();
            var line = new StringBuilder();
            int b;
            while (true) {
                socket.setSoTimeout(remainingMillis(deadline));
                b = in.read();
                if (b < 0 || b == '\n' || line.length() > 200) break;
                line.append((char) b);
            }
            if (line.length() == 0) return new Outcome(at, 0, CLOSED, "the connection closed before any answer", micros(t0));
            var m = STATUS_LINE.matcher(line.toString().strip());
            if (!m.matches()) return new Outcome(at, 0, OTHER, "not an HTTP status line: " + line.toString().strip(), micros(t0));
            status = Integer.parseInt(m.group(1));
            // The whole answer counts: a body cut off by a reset is a failed request.
            byte[] buf = new byte[8192];
            while (true) {
                socket.setSoTimeout(remainingMillis(deadline));
                if (in.read(buf) < 0) break;
            }
            return new Outcome(at, status, null, null, micros(t0));
        } catch (SocketTimeoutException e) {
            return new Outcome(at, status, TIMEOUT, (status == 0 ? "no answer within " : "answer not complete within ") + timeout.toMillis() + " ms", micros(t0));
        } catch (ConnectException e) {
            String msg = String.valueOf(e.getMessage());
            return new Outcome(at, 0, msg.toLowerCase(Locale.ROOT).contains("timed out") ? TIMEOUT : REFUSED, msg, micros(t0));
        } catch (IOException e) {
            return new Outcome(at, status, kind(e), e.getClass().getSimpleName() + ": " + e.getMessage(), micros(t0));
        }
    }

    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3})(?: .*)?");

    /** What is left of a request's time, for the next connect or read; none left is a timeout. */
    private static int remainingMillis(long deadlineNanos) throws SocketTimeoutException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (ms <= 0) throw new SocketTimeoutException("time is up");
        return (int) ms;
    }

    private static long micros(long t0) { return (System.nanoTime() - t0) / 1000; }

    /** The kind of a connection error, from the exception. */
    static String kind(Throwable err) {
        for (Throwable c = err; c != null; c = c.getCause()) {
            if (c instanceof SocketTimeoutException || c instanceof HttpTimeoutException) return TIMEOUT;
            if (c instanceof ConnectException) return REFUSED;
            String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("reset")) return RESET;
            if (c instanceof EOFException || m.contains("closed") || m.contains("broken pipe") || m.contains("no bytes")) return CLOSED;
        }
        return OTHER;
    }

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    /**
     * Refuses (exit 2, before any traffic) a URL that is not plain http to an address in
     * LOCAL_RANGES. Only address literals: "localhost" is 127.0.0.1, any other name is refused
     * rather than resolved.
     */
    static void refuseNonLocal(URI url) {
        String fix = "give http://ADDRESS[:PORT]/PATH with ADDRESS in " + String.join(", ", LOCAL_RANGES)
                + " (loopback, the local cluster's pods and Services); for another cluster, leave out --url: load.java --context NAME runs the load from a client pod inside it (README: load)";
        if (url == null || !"http".equals(url.getScheme()) || url.getHost() == null || url.getRawUserInfo() != null) {
            throw bad("--url " + url + " is not a plain http://ADDRESS URL: " + fix);
        }
        String host = url.getHost();
        String ip = "localhost".equals(host) ? "127.0.0.1" : host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        boolean literal = IPV4.matcher(ip).matches() || (ip.contains(":") && ip.matches("[0-9a-fA-F:.]+"));
        if (!literal) throw bad("--url " + url + ": " + host + " is a host name, not an address; it is never resolved: " + fix);
        try {
            InetAddress.getByName(ip); // a literal: parsed, not looked up
        } catch (IOException e) {
            throw bad("--url " + url + ": " + host + " is not an address: " + fix);
        }
        for (String cidr : LOCAL_RANGES) if (RealNode.inCidr(ip, cidr)) return;
        throw bad("--url " + url + ": " + ip + " is neither loopback nor in the local cluster's pod or Service range; no request was sent: " + fix);
    }

    private static Problem bad(String msg) { return new Problem.BadInput(msg); }

    private static String fmt(double d) { return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d); }
}
