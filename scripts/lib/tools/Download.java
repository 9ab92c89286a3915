import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * HTTP downloads of pinned artifacts: GET (through {@code HTTPS_PROXY} unless {@code NO_PROXY} says
 * otherwise), up to three attempts, a size cap, and the digests that pins are checked against: npm's
 * {@code sha512-<base64>} integrity or a hex SHA-256. Only JDK classes are used; {@link ToolInstaller} fetches the
 * pinned tools with these.
 */
final class Download {
    private Download() {}

    /** One try at a download; an {@link IOException} may be worth another try. */
    interface Attempt<T> {
        T run() throws IOException;
    }

    interface BodyReader {
        void read(InputStream body) throws IOException;
    }

    /**
     * Runs {@code attempt} up to three times, 1 s and then 2 s apart, telling {@code progress} before each
     * retry. An HTTP status other than 408, 429 or 5xx ends it at once. Throws the last failure.
     */
    static <T> T withRetries(String url, Consumer<String> progress, Attempt<T> attempt) throws IOException {
        IOException last = null;
        for (int i = 1; i <= 3; i++) {
            try {
                return attempt.run();
            } catch (IOException e) {
                last = e;
                if (e instanceof HttpStatusException h && !h.retryable()) break;
                if (i < 3) {
                    progress.accept("download of " + url + " failed (" + e.getMessage() + "), retrying…");
                    sleep(1000L * i);
                }
            }
        }
        throw last;
    }

    /**
     * GETs {@code url} and streams the body through {@code reader}, SHA-512 over the raw bytes as they
     * pass. Returns the "sha512-..." integrity of what was received.
     */
    static String sha512Integrity(String url, BodyReader reader) throws IOException {
        MessageDigest sha512 = digest("SHA-512");
        try (InputStream body = get(url)) {
            DigestInputStream raw = new DigestInputStream(new BufferedInputStream(body, 1 << 16), sha512);
            reader.read(raw);
            // The digest must cover every byte of the file, including what the reader left unread.
            raw.transferTo(OutputStream.nullOutputStream());
        }
        return "sha512-" + Base64.getEncoder().encodeToString(sha512.digest());
    }

    /** Saves the body of {@code url} (at most {@code size} bytes) to {@code file}; returns its SHA-256, hex. */
    static String sha256ToFile(String url, Path file, long size) throws IOException {
        MessageDigest sha256 = digest("SHA-256");
        long n = 0;
        try (InputStream body = get(url);
             OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = body.read(buf)) > 0; ) {
                n += r;
                if (n > size) throw new IOException("the server sent more than the pinned " + size + " bytes");
                sha256.update(buf, 0, r);
                out.write(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** For a message: an HTTP status as it is, any other failure with its type. */

    static String describe(Throwable t) {
        if (t == null) return "unknown error";
        String m = t.getMessage();
        String kind = t.getClass().getSimpleName();
        return m == null || m.isBlank() ? kind : (t instanceof HttpStatusException ? m : kind + ": " + m);
    }

    /** GET {@code url}: the body of a 200 response, else an {@link HttpStatusException}. */
    private static InputStream get(String url) throws IOException {
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .proxy(proxySelector(url))
                .build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("User-Agent", "trevor-chart-ops-tools (java " + System.getProperty("java.version") + ")")
                .GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (resp.statusCode() != 200) {
            resp.body().close();
            throw new HttpStatusException(resp.statusCode(), url);
        }
        return resp.body();
    }

    private static ProxySelector proxySelector(String url) {
        String proxy = env("HTTPS_PROXY");
        if (proxy == null) proxy = env("https_proxy");
        if (proxy != null) {
            try {
                URI u = URI.create(proxy.contains("://") ? proxy : "http://" + proxy);
                String noProxy = Optional.ofNullable(env("NO_PROXY")).orElse(Optional.ofNullable(env("no_proxy")).orElse(""));
                String host = URI.create(url).getHost();
                boolean bypass = false;
                for (String np : noProxy.split(",")) {
                    String n = np.strip();
                    if (n.startsWith(".")) n = n.substring(1);
                    if (!n.isEmpty() && (n.equals("*") || host.equals(n) || host.endsWith("." + n))) bypass = true;
                }
                if (!bypass && u.getHost() != null) {
                    return ProxySelector.of(new InetSocketAddress(u.getHost(), u.getPort() > 0 ? u.getPort() : 80));
                }
            } catch (IllegalArgumentException ignored) {
                // unusable proxy setting: go direct
            }
        }
        return ProxySelector.getDefault();
    }

    private static final class HttpStatusException extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;
        HttpStatusException(int status, String url) {
            super("HTTP " + status + " for " + url);
            this.status = status;
        }
        boolean retryable() { return status == 408 || status == 429 || status >= 500; }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
