import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the repository holds. No package registry's host name: every default comes from the
 * user's own clients; the hosts are asked of those clients here (go, npm, Maven, pip, apt,
 * JBang), so this test names none either, and every tracked file is searched for them. And
 * no build output: JBang builds into its own cache.
 */
class RepositoryHygieneTest {
    private static final Pattern HOST = Pattern.compile("https?://([A-Za-z0-9.-]+)");

    static TreeSet<String> registryHosts() throws IOException {
        var text = new StringBuilder();
        for (var cmd : List.of(List.of("go", "env", "GOPROXY"), List.of("npm", "config", "get", "registry"),
                List.of("python3", "-c", "from pip._internal.models.index import PyPI; print(PyPI.url); print('https://' + PyPI.file_storage_domain)"))) {
            try {
                var r = Exec.run(cmd, Duration.ofSeconds(60));
                if (r.ok()) text.append(r.out()).append('\n');
            } catch (Problem.ToolMissing e) {
                // a client this machine does not have names nothing
            }
        }
        var mvn = Exec.run(List.of("mvn", "--version"), Duration.ofSeconds(60));
        var home = mvn.out().lines().filter(l -> l.startsWith("Maven home: ")).map(l -> l.substring(12).strip()).findFirst();
        if (home.isPresent() && Files.isDirectory(Path.of(home.get(), "lib"))) {
            try (var jars = Files.list(Path.of(home.get(), "lib"))) {
                for (Path jar : jars.filter(p -> p.getFileName().toString().startsWith("maven-model-builder-")).toList()) {
                    try (var zip = new java.util.zip.ZipFile(jar.toFile())) {
                        var e = zip.getEntry("org/apache/maven/model/pom-4.0.0.xml");
                        if (e != null) text.append(new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        // JBang's own defaults, from the jar the ./jbang launcher runs.
        Path tools = Tools.toolsDir();
        if (Files.isDirectory(tools)) {
            try (var dirs = Files.list(tools)) {
                for (Path d : dirs.filter(x -> x.getFileName().toString().startsWith("jbang-")).toList()) {
                    try (var jars = Files.list(d)) {
                        for (Path jar : jars.filter(x -> x.toString().endsWith("-all.jar")).toList()) {
                            try (var zip = new java.util.zip.ZipFile(jar.toFile())) {
                                var e = zip.getEntry("dev/jbang/dependencies/DependencyUtil.class");
                                if (e != null) text.append(new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.ISO_8859_1));
                            }
                        }
                    }
                }
            }
        }
        for (Path sources : List.of(Path.of("/etc/apt/sources.list"), Path.of("/etc/apt/sources.list.d"))) {
            if (Files.isRegularFile(sources)) text.append(Files.readString(sources));
            if (Files.isDirectory(sources)) {
                try (var files = Files.list(sources)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) text.append(Files.readString(f));
                }
            }
        }
        var hosts = new TreeSet<String>();
        var m = HOST.matcher(text);
        while (m.find()) {
            String h = m.group(1).toLowerCase();
            if (!h.equals("localhost") && !h.startsWith("127.") && h.contains(".")) hosts.add(h);
        }
        return hosts;
    }

    @Test
    void noTrackedFileNamesARegistryHost() throws IOException {
        var hosts = registryHosts();
        assertFalse(hosts.isEmpty(), "no client on this machine names a registry: the test would prove nothing");
        Path repo = Repo.root();
        var files = Exec.run(List.of("git", "-C", repo.toString(), "ls-files", "-z"), Duration.ofSeconds(60));
        assertTrue(files.ok(), files.said());
        var hits = new ArrayList<String>();
        for (String f : files.out().split("\0")) {
            if (f.isEmpty()) continue;
            Path p = repo.resolve(f);
            if (!Files.isRegularFile(p) || Files.size(p) > 4_000_000) continue;
            String content = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).toLowerCase();
            var lines = content.split("\n", -1);
            for (String host : hosts) {
                if (!content.contains(host)) continue;
                for (int i = 0; i < lines.length; i++) if (lines[i].contains(host)) hits.add(f + ":" + (i + 1) + " names " + host);
            }
        }
        assertEquals(List.of(), hits, "take these from the client's configuration or an environment variable instead");
    }

    @Test
    void noBuildOutputIsCommitted() {
        var files = Exec.run(List.of("git", "-C", Repo.root().toString(), "ls-files"), Duration.ofSeconds(60));
        assertTrue(files.ok(), files.said());
        var built = files.out().lines().filter(f -> f.matches("(^|.*/)(jars|target|build)/.*|.*\\.(jar|class|jsa)$")).toList();
        assertEquals(List.of(), built, "build output is tracked; it belongs in .gitignore");
    }
}
