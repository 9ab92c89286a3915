//SOURCES ChartFixtures.java
//SOURCES ../tools/Dirs.java
//SOURCES ../tools/Exec.java
//SOURCES ../kube/HeadStart.java
//SOURCES ../kube/Helm.java
//SOURCES Layout.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The helm runs verify makes, remembered by what they were made from. A result is used again
 * only for the same helm binary (path, size, time, version, HELM_* environment), the same
 * command, and the same bytes in every chart and values file it read (charts read through,
 * links followed): change a template, a values file or the Helm and it runs anew. With reuse
 * off, every run is made (and stored for next time). Kept a week after its last use.
 */
final class HelmRuns {
    private static final String FORMAT = "trevor-verify-helm-run 1";

    final Helm helm;
    private final Path store;
    private final boolean reuse;
    private final Path scratch;
    private final String helmId;
    private final Map<Path, String> digests = new ConcurrentHashMap<>();
    private final Map<Path, String> files = new ConcurrentHashMap<>();

    /** store null: nothing remembered. */
    HelmRuns(Helm helm, Path store, boolean reuse, Path scratch) {
        this.helm = helm;
        this.store = store;
        this.reuse = reuse;
        this.scratch = scratch;
        String id;
        try {
            id = helm.binary.toRealPath() + " " + Files.size(helm.binary) + " " + Files.getLastModifiedTime(helm.binary).toMillis();
        } catch (IOException e) {
            id = helm.binary.toString();
        }
        var env = new java.util.TreeMap<String, String>();
        System.getenv().forEach((k, v) -> { if (k.startsWith("HELM_")) env.put(k, v); });
        this.helmId = id + " " + helm.version + " " + env;
    }

    /** Every run made, nothing remembered (the batch tests compare fresh runs). */
    static HelmRuns direct(Helm helm) { return new HelmRuns(helm, null, false, null); }

    Exec.Result template(String release, Path chart, String namespace, Helm.Values values) {
        if (values.stdin() == null) HeadStart.wanted(helm.templateCommand(release, chart, namespace, values), Helm.SHORT_RUN);
        return remembered(List.of("template", release, namespace), List.of(chart), values, () -> helm.template(release, chart, namespace, values));
    }

    Exec.Result lint(List<Path> charts, Helm.Values values) {
        if (values.stdin() == null) HeadStart.wanted(helm.lintCommand(charts, values), Helm.SHORT_RUN);
        return remembered(List.of("lint"), charts, values, () -> helm.lint(charts, values));
    }

    /**
     * Where a batch's layout goes: with a store, a folder of it named by what the layout is
     * (its files and where its links point, not what they point at), written once and kept
     * while runs use it, so that the same batch is the same helm command run after run, and
     * {@link HeadStart} can start it before the layout is even described; without a store, dir.
     */
    Path place(Layout layout, Path dir) {
        if (store == null) return dir;
        Path stable = store.resolve("layouts").resolve(sha256(("layout 1\n" + dir.getFileName() + "\n" + layout.describe(p -> ""))
                .getBytes(StandardCharsets.UTF_8)));
        try {
            if (!Files.isDirectory(stable)) {
                Path tmp = Files.createTempDirectory(Files.createDirectories(stable.getParent()), "making-");
                layout.write(tmp);
                try {
                    Files.move(tmp, stable, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    Dirs.deleteTree(tmp); // another run made it first
                }
            }
            Files.setLastModifiedTime(stable, FileTime.from(Instant.now())); // in use: kept by prune()
            return stable;
        } catch (IOException e) {
            return dir;
        }
    }

    /** A chart holding many (described by layout, written under dir only if helm has to run, see {@link #place}). */
    Exec.Result templateBatch(String release, String namespace, Layout layout, List<String> files, List<String> sets, Path dir) {
        return laidOut(List.of("template-batch", release, namespace), layout, List.of(), files, sets, dir,
                (charts, values) -> helm.templateBatchCommand(release, dir, namespace, values),
                (charts, values) -> helm.templateBatch(release, dir, namespace, values));
    }

    /** Many charts in one lint (described by layout: charts are folders of it), written only if helm has to run. */
    Exec.Result lintBatch(String namespace, Layout layout, List<String> charts, List<String> files, List<String> sets, Path dir) {
        return laidOut(List.of("lint-batch", namespace), layout, charts, files, sets, dir,
                (paths, values) -> helm.lintBatchCommand(paths, namespace, values),
                (paths, values) -> helm.lintBatch(paths, namespace, values));
    }

    private Exec.Result laidOut(List<String> what, Layout layout, List<String> charts, List<String> files, List<String> sets, Path dir,
                                java.util.function.BiFunction<List<Path>, Helm.Values, List<String>> command,
                                java.util.function.BiFunction<List<Path>, Helm.Values, Exec.Result> run) {
        List<Path> chartPaths = charts.stream().map(dir::resolve).toList();
        var values = new Helm.Values(files.stream().map(dir::resolve).toList(), sets);
        var cmd = command.apply(chartPaths, values);
        HeadStart.wanted(cmd, Helm.BATCH_RUN);
        if (store != null && layout.links.values().stream().anyMatch(t -> t.startsWith(store.resolve("fixtures")))) HeadStart.neverAhead(cmd, Helm.BATCH_RUN);
        Supplier<Exec.Result> made = () -> {
            if (!Files.isDirectory(dir)) layout.write(dir); // a placed layout is there already
            return run.apply(chartPaths, values);
        };
        if (store == null) return made.get();
        var b = new StringBuilder(FORMAT).append('\n').append(helmId).append('\n').append(String.join(" ", what)).append('\n')
                .append("at ").append(portable(dir)).append('\n').append(layout.describe(this::digest))
                .append("charts ").append(charts).append("\nfiles ").append(files).append('\n');
        sets.forEach(x -> b.append("set ").append(x).append('\n'));
        return stored(sha256(b.toString().getBytes(StandardCharsets.UTF_8)), made);
    }

    private Exec.Result remembered(List<String> what, List<Path> charts, Helm.Values values, Supplier<Exec.Result> run) {
        if (store == null) return run.get();
        return stored(key(what, charts, values), run);
    }

    private Exec.Result stored(String key, Supplier<Exec.Result> run) {
        Path entry = store.resolve(key.substring(0, 2)).resolve(key);
        if (reuse) {
            var r = read(entry);
            if (r != null) return r;
        }
        var r = run.get();
        write(entry, r);
        return r;
    }

    private String key(List<String> what, List<Path> charts, Helm.Values values) {
        var b = new StringBuilder(FORMAT).append('\n').append(helmId).append('\n').append(String.join(" ", what)).append('\n');
        for (Path c : charts) b.append("chart ").append(portable(c)).append(' ').append(digest(c)).append('\n');
        for (Path f : values.files()) b.append("file ").append(portable(f)).append(' ').append(digest(f)).append('\n');
        for (String s : values.sets()) {
            b.append("set ").append(s).append('\n');
            // --set-file reads a file: its bytes count too.
            var m = SET_FILE.matcher(s);
            if (m.matches()) b.append("set-file ").append(digest(Path.of(m.group(1)))).append('\n');
        }
        if (values.stdin() != null) b.append("stdin ").append(values.stdin()).append('\n');
        return sha256(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A path as the key sees it: under the run's scratch folder, relative to it (that folder differs each run). */
    private String portable(Path p) {
        String s = p.toAbsolutePath().normalize().toString();
        return scratch != null && s.startsWith(scratch.toString()) ? "<scratch>" + s.substring(scratch.toString().length()) : s;
    }

    /** The bytes of a file, or of a folder's files and their names, links followed. */
    private String digest(Path p) {
        return digests.computeIfAbsent(p.toAbsolutePath().normalize(), x -> {
            try {
                if (!Files.isDirectory(x)) return fileDigest(x);
                var b = new StringBuilder();
                try (Stream<Path> walk = Files.walk(x, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
                    for (Path f : walk.sorted().toList()) {
                        b.append(x.relativize(f)).append(Files.isDirectory(f) ? " /" : " " + fileDigest(f)).append('\n');
                    }
                }
                return sha256(b.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                return "unreadable " + Instant.now(); // never matches: runs anew
            }
        });
    }

    /** A file's bytes, read once per run however many links and charts lead to it. */
    private String fileDigest(Path f) throws IOException {
        Path real = f.toRealPath();
        String d = files.get(real);
        if (d == null) {
            d = sha256(Files.readAllBytes(real));
            files.put(real, d);
        }
        return d;
    }

    private Exec.Result read(Path entry) {
        try {
            if (!Files.isRegularFile(entry)) return null;
            byte[] all = Files.readAllBytes(entry);
            int nl = indexOf(all, (byte) '\n');
            String[] head = new String(all, 0, nl, StandardCharsets.UTF_8).split(" ");
            int exit = Integer.parseInt(head[0]), outLen = Integer.parseInt(head[1]);
            String out = unscratch(new String(all, nl + 1, outLen, StandardCharsets.UTF_8));
            String err = unscratch(new String(all, nl + 1 + outLen, all.length - nl - 1 - outLen, StandardCharsets.UTF_8));
            Files.setLastModifiedTime(entry, FileTime.from(Instant.now())); // still in use: kept by prune()
            return new Exec.Result(List.of("(remembered)"), exit, out, err, 0);
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: run it again
        }
    }

    private void write(Path entry, Exec.Result r) {
        try {
            Files.createDirectories(entry.getParent());
            byte[] out = scratched(r.out()).getBytes(StandardCharsets.UTF_8), err = scratched(r.err()).getBytes(StandardCharsets.UTF_8);
            Path tmp = Files.createTempFile(entry.getParent(), "run-", ".tmp");
            try (var o = Files.newOutputStream(tmp)) {
                o.write((r.exit() + " " + out.length + "\n").getBytes(StandardCharsets.UTF_8));
                o.write(out);
                o.write(err);
            }
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UncheckedIOException e) {
            // a result not stored is made again next time
        }
    }

    private String scratched(String s) { return scratch == null ? s : s.replace(scratch.toString(), "\u0000scratch\u0000"); }

    private String unscratch(String s) { return scratch == null ? s : s.replace("\u0000scratch\u0000", scratch.toString()); }

    /**
     * Where a chart verify builds stays: with the remembered runs, named by what it is made of
     * (written once), or without a store, at stand (in the run's scratch folder).
     */
    Path fixture(ChartFixtures.Fixture f, Path origin, Path stand) {
        if (store == null) {
            f.write(origin, stand);
            return stand;
        }
        Path dir = store.resolve("fixtures").resolve(sha256((digest(origin) + "\n" + f.describe()).getBytes(StandardCharsets.UTF_8)));
        try {
            if (!Files.isDirectory(dir)) {
                Path tmp = Files.createTempDirectory(Files.createDirectories(dir.getParent()), "making-");
                f.write(origin, tmp);
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    Dirs.deleteTree(tmp); // another run made it first
                }
            }
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes what no run has used for a week. */
    void prune() {
        if (store == null || !Files.isDirectory(store)) return;
        Instant before = Instant.now().minus(Duration.ofDays(7));
        try (Stream<Path> walk = Files.walk(store, 2)) {
            for (Path p : walk.filter(p -> p.getNameCount() - store.getNameCount() == 2).toList()) {
                if (!Files.getLastModifiedTime(p).toInstant().isBefore(before)) continue;
                if (Files.isDirectory(p)) Dirs.deleteTree(p);
                else Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    private static final java.util.regex.Pattern SET_FILE = java.util.regex.Pattern.compile("^--set-file[ =][^=]*=(.*)$");

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) if (b[i] == x) return i;
        throw new IllegalArgumentException("no header");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
