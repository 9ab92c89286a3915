//SOURCES ../tools/Yaml.java

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An HTTP proxy on 127.0.0.1 that records the first line of every request (CONNECT host:port)
 * and never dials the host asked for: it answers 502, or, when given a loopback port, tunnels
 * there (a kwok API server standing in for a remote one). Put in HTTPS_PROXY or a kubeconfig's
 * proxy-url, it shows whether a script contacted a server it should have refused, while every
 * byte stays on this machine.
 */
final class LoggingProxy implements AutoCloseable {
    /** A documentation address (TEST-NET-3): never reached, only named, as a "remote" API server. */
    static final String REMOTE = "203.0.113.10";

    private final ServerSocket server;
    private final int tunnelPort; // 0: answer 502 to everything
    private final List<String> requests = new ArrayList<>();

    LoggingProxy(int tunnelPort) throws IOException {
        this.tunnelPort = tunnelPort;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        var t = new Thread(this::serve, "logging-proxy");
        t.setDaemon(true);
        t.start();
    }

    /** http://127.0.0.1:PORT */
    String url() { return "http://127.0.0.1:" + server.getLocalPort(); }

    /** The request lines seen so far, in order ("CONNECT 203.0.113.10:6443 HTTP/1.1"). */
    synchronized List<String> requests() { return List.copyOf(requests); }

    /** HTTPS_PROXY and friends, in both spellings, all pointing here; NO_PROXY emptied. */
    java.util.Map<String, String> environment() {
        return java.util.Map.of("HTTPS_PROXY", url(), "https_proxy", url(), "HTTP_PROXY", url(), "http_proxy", url(),
                "NO_PROXY", "", "no_proxy", "");
    }

    private void serve() {
        while (!server.isClosed()) {
            Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return;
            }
            var t = new Thread(() -> handle(in), "logging-proxy-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void handle(Socket in) {
        try {
            String head = readHead(in.getInputStream());
            String first = head.lines().findFirst().orElse("");
            synchronized (this) { requests.add(first); }
            if (tunnelPort > 0 && first.startsWith("CONNECT ")) {
                Socket out = new Socket(InetAddress.getLoopbackAddress(), tunnelPort);
                in.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                pipe(in.getInputStream(), out.getOutputStream(), in, out);
                pipe(out.getInputStream(), in.getOutputStream(), in, out);
            } else {
                in.getOutputStream().write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                in.close();
            }
        } catch (IOException e) {
            try { in.close(); } catch (IOException ignored) { /* closing */ }
        }
    }

    /** The request head, up to the blank line, at most 16 KiB. */
    private static String readHead(InputStream in) throws IOException {
        var b = new ByteArrayOutputStream();
        int c, state = 0;
        while (b.size() < 16 * 1024 && (c = in.read()) >= 0) {
            b.write(c);
            state = (c == '\r' || c == '\n') ? state + 1 : 0;
            if (state >= 4 || (state >= 2 && c == '\n' && b.toString(StandardCharsets.ISO_8859_1).endsWith("\n\n"))) break;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static void pipe(InputStream from, OutputStream to, Socket a, Socket b) {
        var t = new Thread(() -> {
            try {
                from.transferTo(to);
            } catch (IOException ignored) {
                // one side closed
            } finally {
                try { a.close(); b.close(); } catch (IOException ignored) { /* closing */ }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /**
     * A kubeconfig whose only context, cluster and user are all named context, for server, with
     * the client certificate and key of the first user of clientFrom (a kubeconfig file; null:
     * none); clusterMore goes under the cluster (proxy-url: …), userMore under the user (exec: …).
     */
    static String kubeconfig(String context, String server, Path clientFrom, String clusterMore, String userMore) throws IOException {
        String cert = "";
        if (clientFrom != null) {
            var user = Yaml.maps(Yaml.loadMap(Files.readString(clientFrom)), "users").get(0);
            cert = "    client-certificate: " + Yaml.str(user, "user.client-certificate") + "\n    client-key: " + Yaml.str(user, "user.client-key") + "\n";
        }
        String body = cert + userMore;
        return "apiVersion: v1\nkind: Config\ncurrent-context: " + context + "\nclusters:\n- name: " + context + "\n  cluster:\n    server: " + server
                + "\n    insecure-skip-tls-verify: true\n" + clusterMore + "contexts:\n- name: " + context + "\n  context:\n    cluster: " + context
                + "\n    user: " + context + "\nusers:\n- name: " + context + "\n  user:" + (body.isEmpty() ? " {}\n" : "\n" + body);
    }

    @Override public void close() throws IOException { server.close(); }
}
