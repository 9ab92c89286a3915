//SOURCES ../cluster/Daemons.java
//SOURCES ../tools/Problem.java
//SOURCES RealNode.java
//SOURCES NodeHost.java

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Images on the real node: docker-archive tars imported into its containerd, where the kubelet finds them. */
final class RealNodeImages {
    private RealNodeImages() {}

    /**
     * Imports docker-archive tars into the node's containerd (namespace k8s.io, where the
     * kubelet looks). An archive whose content (sha256) was imported before and whose images
     * are all still there is skipped, so a warm run costs one hash per archive.
     */
    static void importImages(String cluster, List<Path> archives, Consumer<String> progress) {
        if (archives == null || archives.isEmpty()) return;
        if (Daemons.alive(RealNode.pids(cluster).resolve("containerd.pid")).isEmpty()) {
            throw new Problem.BadInput("cluster " + cluster + " has no running real node; start it with cluster.java up --real-node --name " + cluster);
        }
        importImages(RealNode.settings(cluster, null).socket(), RealNode.dir(cluster).resolve("images"), archives, progress);
    }

    /**
     * importImages in a thread of its own, so that the kubelet and the node's other daemons start
     * meanwhile (nothing is scheduled onto the node before up returns); returns what waits for
     * the import and rethrows its failure.
     */
    static Runnable importMeanwhile(Path socket, Path marks, List<Path> archives, Consumer<String> progress) {
        var done = java.util.concurrent.CompletableFuture.runAsync(() -> importImages(socket, marks, archives, progress), r -> {
            var t = new Thread(r, "image-import");
            t.setDaemon(true);
            t.start();
        });
        return () -> {
            try {
                done.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw e;
            }
        };
    }

    /** The same into any node's containerd: its socket, and the folder of its import marks. */
    static void importImages(Path socket, Path marks, List<Path> archives, Consumer<String> progress) {
        if (archives == null || archives.isEmpty()) return;
        try {
            Files.createDirectories(marks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> present = imageRefs(socket);
        for (Path a : archives) {
            if (!Files.isRegularFile(a)) throw new Problem.BadInput("image archive " + a + " does not exist");
            String sha = sha256(a);
            Path mark = marks.resolve(sha);
            if (Files.isRegularFile(mark)) {
                var refs = readLines(mark);
                if (!refs.isEmpty() && present.containsAll(refs)) {
                    progress.accept("image archive " + a.getFileName() + " already imported (" + String.join(", ", refs) + ")");
                    continue;
                }
            }
            long t0 = System.nanoTime();
            var r = RealNode.ctr(socket, Duration.ofMinutes(10), "-n", NodeHost.K8S_NAMESPACE, "images", "import", a.toAbsolutePath().toString());
            if (!r.ok()) throw new Problem.Failed("ctr images import " + a + " failed: " + r.said());
            var refs = importedRefs(r.out());
            if (refs.isEmpty()) throw new Problem.Failed("ctr images import " + a + " imported no tagged image: " + r.out().strip());
            try {
                Files.writeString(mark, String.join("\n", refs) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            progress.accept(String.format("imported into " + socket.getParent().getParent().getFileName() + ": %s from %s in %.1f s", String.join(", ", refs), a.getFileName(), (System.nanoTime() - t0) / 1e9));
        }
    }

    private static final Pattern UNPACKING = Pattern.compile("^unpacking (\\S+) \\(sha256:[0-9a-f]+\\)");

    /** The image names in `ctr images import` output ("unpacking NAME (sha256:…)...done"). */
    static List<String> importedRefs(String out) {
        var refs = new ArrayList<String>();
        for (String line : out.split("\n")) {
            var m = UNPACKING.matcher(line.strip());
            if (m.find() && !m.group(1).startsWith("sha256:")) refs.add(m.group(1));
        }
        return refs;
    }

    /** Image names containerd holds for the kubelet. */
    static Set<String> imageRefs(String cluster) { return imageRefs(RealNode.settings(cluster, null).socket()); }

    static Set<String> imageRefs(Path socket) {
        var r = RealNode.ctr(socket, Duration.ofSeconds(30), "-n", NodeHost.K8S_NAMESPACE, "images", "ls", "-q");
        var out = new LinkedHashSet<String>();
        if (r.ok()) for (String l : r.out().split("\n")) if (!l.isBlank()) out.add(l.strip());
        return out;
    }

    private static String sha256(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            var md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> readLines(Path f) {
        try {
            return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
