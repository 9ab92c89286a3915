import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installing a pinned tool, end to end but offline: fake packages served from a local HTTP server, pinned
 * by their real digests, installed by a child JVM (whose environment names the server and a temp cache).
 */
class ToolInstallerTest {
    static final String GO_VERSION = "9.9.9";
    static final String GO_PREFIX = "golang.org/toolchain@v0.0.1-go" + GO_VERSION + ".linux-amd64/";

    /** Run in a child JVM: installs fake pins from the servers that the environment names. */
    static final class InstallProbe {
        public static void main(String[] args) {
            String integrity = args[0], sha256 = args[2];
            long size = Long.parseLong(args[1]), zipSize = Long.parseLong(args[3]);
            String plat = ToolPins.platform();
            var layer = new ToolPins.NpmPackage("fake-layer", "1.0.0", integrity, size);
            var helm = spec("helm", "0.0.1-test", layer, ToolPins.LAYER_ZIP, "helm/helm", "");
            var kubectl = spec("kubectl", "0.0.1-test", layer, ToolPins.LAYER_ZIP, "kubectl/kubectl", "");
            var just = spec("just", "0.0.1-test", layer, "bin/just", null, "");
            var all = List.of(helm, kubectl, just);
            var forged = new ToolPins.NpmPackage("fake-layer", "1.0.0", "sha512-" + "A".repeat(86) + "==", size);
            var go = new ToolPins.GoToolchain(GO_VERSION, "linux", "amd64", sha256, zipSize);
            var forgedGo = new ToolPins.GoToolchain(GO_VERSION, "linux", "amd64", "0".repeat(64), zipSize);
            var steps = new LinkedHashMap<String, Runnable>();
            steps.put("npm", () -> say(ToolInstaller.install(layer, helm, all, ToolInstallerTest::progress)));
            steps.put("npm-again", () -> say(ToolInstaller.install(layer, helm, all, ToolInstallerTest::progress)));
            steps.put("npm-forged", () -> {
                var s = spec("helm", "0.0.2-test", forged, ToolPins.LAYER_ZIP, "helm/helm", "");
                say(ToolInstaller.install(forged, s, List.of(s), ToolInstallerTest::progress));
            });
            steps.put("npm-missing", () -> {
                var s = spec("helm", "0.0.3-test", layer, ToolPins.LAYER_ZIP, "helm/nothing", "");
                say(ToolInstaller.install(layer, s, List.of(s), ToolInstallerTest::progress));
            });
            steps.put("go", () -> {
                var s = spec("go", GO_VERSION + "-test", go, null, null, "bin");
                say(ToolInstaller.install(go, s, List.of(s), ToolInstallerTest::progress));
            });
            steps.put("go-forged", () -> {
                var s = spec("go", GO_VERSION + "-forged", forgedGo, null, null, "bin");
                say(ToolInstaller.install(forgedGo, s, List.of(s), ToolInstallerTest::progress));
            });
            steps.forEach((name, step) -> {
                System.out.print(name + " ");
                try {
                    step.run();
                } catch (Problem.ToolMissing e) {
                    System.out.println("ERR " + e.getMessage());
                }
            });
        }

        static ToolPins.Spec spec(String bin, String version, ToolPins.Source src, String tarEntry, String zipEntry, String binDir) {
            return new ToolPins.Spec("fake-" + bin + "-" + version, "fake " + bin, bin, version, "TREVOR_FAKE",
                    Map.of(ToolPins.platform(), src), tarEntry, zipEntry, binDir, null);
        }

        static void say(boolean installed) { System.out.println(installed ? "installed" : "already there"); }
    }

    static void progress(String message) { System.err.println(message); }

    static String sha(String algorithm, byte[] data) {
        try {
            return switch (algorithm) {
                case "SHA-512" -> "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance(algorithm).digest(data));
                default -> HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
            };
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void installsVerifiedPackagesAtomicallyAndNothingThatFailsItsPin(@TempDir Path tmp) throws Exception {
        var layerEntries = new LinkedHashMap<String, String>();
        layerEntries.put("helm/helm", "#!/bin/sh\necho fake helm\n");
        layerEntries.put("kubectl/kubectl", "#!/bin/sh\necho fake kubectl\n");
        var tarEntries = new LinkedHashMap<String, Object>();
        tarEntries.put("package/package.json", "{}");
        tarEntries.put("package/lib/layer.zip", ArchivesTest.zip(layerEntries, Map.of()));
        tarEntries.put("package/bin/just", "#!/bin/sh\necho fake just\n");
        byte[] tgz = ArchivesTest.tgz(tarEntries);
        var goEntries = new LinkedHashMap<String, String>();
        goEntries.put(GO_PREFIX + "VERSION", "go" + GO_VERSION + "\n");
        goEntries.put(GO_PREFIX + "bin/go", "#!/bin/sh\necho go version go" + GO_VERSION + "\n");
        goEntries.put(GO_PREFIX + "src/fmt/print.go", "package fmt\n");
        byte[] goZip = ArchivesTest.zip(goEntries, Map.of());

        var files = Map.of("/fake-layer/-/fake-layer-1.0.0.tgz", tgz,
                "/golang.org/toolchain/@v/v0.0.1-go" + GO_VERSION + ".linux-amd64.zip", goZip);
        var requests = new CopyOnWriteArrayList<String>();
        var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            requests.add(path);
            byte[] body = files.get(path);
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        Exec.Result r;
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            var cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), InstallProbe.class.getName(),
                    sha("SHA-512", tgz), Integer.toString(tgz.length), sha("SHA-256", goZip), Integer.toString(goZip.length)));
            r = Exec.run(cmd, tmp, Map.of("TREVOR_CACHE", tmp.resolve("cache").toString(), "TREVOR_NPM_REGISTRY", base + "/",
                    "TREVOR_GOPROXY", base, "NO_PROXY", "127.0.0.1"), Duration.ofSeconds(60), null);
        } finally {
            server.stop(0);
        }
        assertEquals(0, r.exit(), r.said());
        var lines = r.out().lines().toList();
        assertEquals(6, lines.size(), r.said());
        Path tools = tmp.resolve("cache/tools");

        // helm, and kubectl and just from the same package, in one download
        assertEquals("npm installed", lines.get(0));
        assertTrue(r.err().contains("fetching helm 0.0.1-test + kubectl 0.0.1-test + just 0.0.1-test from npm fake-layer@1.0.0"), r.err());
        for (String bin : List.of("helm", "kubectl", "just")) {
            Path dir = tools.resolve(bin + "-0.0.1-test");
            assertEquals("#!/bin/sh\necho fake " + bin + "\n", Files.readString(dir.resolve(bin)));
            assertTrue(Files.isExecutable(dir.resolve(bin)), bin);
            var marker = new Properties();
            try (var in = Files.newInputStream(dir.resolve(ToolInstaller.MARKER))) {
                marker.load(in);
            }
            assertEquals("fake-layer@1.0.0", marker.getProperty("package"));
            assertEquals(sha("SHA-512", tgz), marker.getProperty("integrity"));
        }
        assertEquals("npm-again already there", lines.get(1));
        String tgzPath = "/fake-layer/-/fake-layer-1.0.0.tgz", zipPath = "/golang.org/toolchain/@v/v0.0.1-go" + GO_VERSION + ".linux-amd64.zip";
        assertEquals(List.of(tgzPath, tgzPath, tgzPath, zipPath, zipPath), requests,
                "one download for three tools, none for an installed one, no retry of a forged one");

        assertTrue(lines.get(2).startsWith("npm-forged ERR integrity check failed for http://127.0.0.1:"), lines.get(2));
        assertTrue(lines.get(2).contains("Nothing was installed."), lines.get(2));
        assertFalse(Files.exists(tools.resolve("helm-0.0.2-test")));
        assertTrue(lines.get(3).contains("does not contain lib/layer.zip!helm/nothing"), lines.get(3));
        assertFalse(Files.exists(tools.resolve("helm-0.0.3-test")));

        // the Go toolchain: a whole GOROOT, bin/go executable
        assertEquals("go installed", lines.get(4));
        Path goroot = tools.resolve("go-" + GO_VERSION + "-test");
        assertTrue(Files.isExecutable(goroot.resolve("bin/go")));
        assertEquals("package fmt\n", Files.readString(goroot.resolve("src/fmt/print.go")));
        assertFalse(Files.exists(goroot.resolve("toolchain.zip")), "the zip is not kept");
        assertTrue(lines.get(5).startsWith("go-forged ERR integrity check failed") && lines.get(5).contains("Nothing was installed."), lines.get(5));
        assertFalse(Files.exists(tools.resolve("go-" + GO_VERSION + "-forged")));

        try (var left = Files.list(tools)) {
            var temps = left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList();
            assertEquals(List.of(), temps, "no temp folder outlives an install, failed or not");
        }
    }
}
