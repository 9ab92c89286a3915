//SOURCES Yaml.java

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;

/**
 * A server that is not local by its address: TCP from this machine's own non-loopback address
 * to a loopback port (a kwok API server), so that a "remote" kubeconfig really reaches a
 * cluster and a script that calls it local is caught doing so.
 */
final class RemoteServer implements AutoCloseable {
    private final ServerSocket server;

    /** An IPv4 address of this machine that is not loopback, or null when it has none. */
    static InetAddress hostAddress() throws IOException {
        for (var nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) continue;
            for (var a : Collections.list(nif.getInetAddresses())) if (a instanceof Inet4Address) return a;
        }
        return null;
    }

    /**
     * A kubeconfig whose only context, cluster and user are all named context, for server,
     * with the client certificate and key of the first user of clientFrom (a kubeconfig file).
     */
    static String kubeconfig(String context, String server, Path clientFrom) throws IOException {
        var own = Yaml.loadMap(Files.readString(clientFrom));
        var user = Yaml.maps(own, "users").get(0);
        return "apiVersion: v1\nkind: Config\ncurrent-context: " + context + "\nclusters:\n- name: " + context + "\n  cluster:\n    server: " + server
                + "\n    insecure-skip-tls-verify: true\ncontexts:\n- name: " + context + "\n  context:\n    cluster: " + context + "\n    user: "
                + context + "\nusers:\n- name: " + context + "\n  user:\n    client-certificate: " + Yaml.str(user, "user.client-certificate")
                + "\n    client-key: " + Yaml.str(user, "user.client-key") + "\n";
    }

    /** Listens on a free port of bind and forwards each connection to 127.0.0.1:targetPort. */
    RemoteServer(InetAddress bind, int targetPort) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(bind, 0));
        var t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket("127.0.0.1", targetPort);
                    copy(in.getInputStream(), out.getOutputStream(), in, out);
                    copy(out.getInputStream(), in.getOutputStream(), in, out);
                } catch (IOException e) {
                    return;
                }
            }
        }, "forwarder");
        t.setDaemon(true);
        t.start();
    }

    int port() { return server.getLocalPort(); }

    private static void copy(InputStream from, OutputStream to, Socket a, Socket b) {
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

    @Override public void close() throws IOException { server.close(); }
}
