//DEPS org.apache.commons:commons-compress:1.28.0
//SOURCES ../tools/Yaml.java

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Image layers and docker-archive image tars ("docker save" format, what {@code ctr images import}
 * and {@code k3d image import} read), written with Apache Commons Compress.
 *
 * <p>A layer is an uncompressed tar of a folder; its diff_id is the SHA-256 of that tar. The
 * archive holds one {@code <diff_id hex>/layer.tar} per layer, the config JSON (user, entrypoint,
 * env, working dir, {@code rootfs.diff_ids}) named by its own SHA-256, and {@code manifest.json}.
 * Archives are written to a temporary name and renamed, so a reader never sees half of one.
 */
final class ImageArchive {
    private ImageArchive() {}

    /** One layer tar on disk and what the image config says about it. */
    record Layer(Path tar, String diffId, long size, String createdBy) {}

    /** The runtime part of an image config (the docker "config" object). Empty lists are left out. */
    record Config(String user, List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
                  List<String> exposedPorts, Map<String, String> labels, String stopSignal) {}

    /** Folders whose contents never go into a layer: the runtime mounts its own there. */
    private static final Set<String> RUNTIME_MOUNTS = Set.of("dev", "proc", "sys");

    private static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000;

    /**
     * Writes the tree under {@code root} as a layer tar at {@code tarOut}: entries sorted by name,
     * owners, modes (setuid/setgid/sticky included), mtimes, symlinks and hard links as they are on
     * disk; device nodes, FIFOs and sockets are left out, and so is everything under dev/, proc/ and
     * sys/ (the folders themselves stay as mount points). With {@code rootOwned}, every entry is
     * owned by 0:0 whoever owns the files on disk (layers made of repository files).
     */
    static Layer writeLayer(Path root, Path tarOut, String createdBy, boolean rootOwned) {
        MessageDigest sha = sha256();
        try (OutputStream file = Files.newOutputStream(tarOut);
             DigestOutputStream digest = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), sha);
             TarArchiveOutputStream tar = newTar(digest)) {
            var links = new HashMap<String, String>();
            try (Stream<Path> top = sortedChildren(root)) {
                for (Path p : (Iterable<Path>) top::iterator) addTree(tar, root, p, links, rootOwned);
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write layer " + tarOut + " from " + root + ": " + e.getMessage(), e);
        }
        try {
            return new Layer(tarOut, "sha256:" + HexFormat.of().formatHex(sha.digest()), Files.size(tarOut), createdBy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addTree(TarArchiveOutputStream tar, Path root, Path p, Map<String, String> links, boolean rootOwned)
            throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,ino,dev,nlink,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        int type = mode & S_IFMT;
        String name = root.relativize(p).toString();
        TarArchiveEntry e;
        boolean withContent = false;
        if (type == S_IFDIR) {
            e = new TarArchiveEntry(name + "/");
        } else if (type == S_IFLNK) {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (type == S_IFREG) {
            String inode = a.get("dev") + ":" + a.get("ino");
            String first = (Integer) a.get("nlink") > 1 ? links.putIfAbsent(inode, name) : null;
            if (first != null) {
                e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                e.setLinkName(first);
            } else {
                e = new TarArchiveEntry(name);
                e.setSize((Long) a.get("size"));
                withContent = true;
            }
        } else {
            return; // device nodes, FIFOs, sockets: the runtime provides what a container needs
        }
        e.setMode(type | (mode & 07777));
        e.setUserId(rootOwned ? 0 : (Integer) a.get("uid"));
        e.setGroupId(rootOwned ? 0 : (Integer) a.get("gid"));
        e.setModTime((FileTime) a.get("lastModifiedTime"));
        tar.putArchiveEntry(e);
        if (withContent) Files.copy(p, tar);
        tar.closeArchiveEntry();
        if (type == S_IFDIR && !(p.getParent().equals(root) && RUNTIME_MOUNTS.contains(name))) {
            try (Stream<Path> children = sortedChildren(p)) {
                for (Path c : (Iterable<Path>) children::iterator) addTree(tar, root, c, links, rootOwned);
            }
        }
    }

    private static Stream<Path> sortedChildren(Path dir) throws IOException {
        return Files.list(dir).sorted((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString()));
    }

    /** The config JSON of an image made of these layers, bottom first. */
    static String configJson(Config c, List<Layer> layers) {
        var cfg = new LinkedHashMap<String, Object>();
        if (c.user() != null) cfg.put("User", c.user());
        if (!c.env().isEmpty()) cfg.put("Env", c.env());
        if (!c.entrypoint().isEmpty()) cfg.put("Entrypoint", c.entrypoint());
        if (!c.cmd().isEmpty()) cfg.put("Cmd", c.cmd());
        if (c.workingDir() != null) cfg.put("WorkingDir", c.workingDir());
        if (!c.exposedPorts().isEmpty()) {
            var ports = new LinkedHashMap<String, Object>();
            c.exposedPorts().forEach(port -> ports.put(port, Map.of()));
            cfg.put("ExposedPorts", ports);
        }
        if (!c.labels().isEmpty()) cfg.put("Labels", c.labels());
        if (c.stopSignal() != null) cfg.put("StopSignal", c.stopSignal());
        var history = new ArrayList<Object>();
        var diffIds = new ArrayList<Object>();
        for (Layer l : layers) {
            diffIds.add(l.diffId());
            history.add(Map.of("created", EPOCH, "created_by", l.createdBy()));
        }
        var root = new LinkedHashMap<String, Object>();
        root.put("architecture", "amd64");
        root.put("os", "linux");
        root.put("created", EPOCH);
        root.put("config", cfg);
        root.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
        root.put("history", history);
        return Yaml.json(root);
    }

    /** Images carry no build time: the same inputs give the same config. */
    private static final String EPOCH = "1970-01-01T00:00:00Z";

    /**
     * Writes a docker-archive with one image tagged {@code repoTag} to {@code out}, atomically:
     * the tar is written under a temporary name in the same folder and renamed when complete.
     */
    static void writeDockerArchive(Path out, String repoTag, Config c, List<Layer> layers) {
        String config = configJson(c, layers);
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configName = HexFormat.of().formatHex(sha256().digest(configBytes)) + ".json";
        var layerNames = new ArrayList<Object>();
        for (Layer l : layers) layerNames.add(l.diffId().substring("sha256:".length()) + "/layer.tar");
        var manifest = new LinkedHashMap<String, Object>();
        manifest.put("Config", configName);
        manifest.put("RepoTags", List.of(repoTag));
        manifest.put("Layers", layerNames);
        byte[] manifestBytes = Yaml.json(List.of(manifest)).getBytes(StandardCharsets.UTF_8);

        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 TarArchiveOutputStream tar = newTar(file)) {
                var seen = new java.util.HashSet<String>();
                for (int i = 0; i < layers.size(); i++) {
                    String name = (String) layerNames.get(i);
                    if (!seen.add(name)) continue; // the same layer twice: stored once, named twice
                    var e = new TarArchiveEntry(name);
                    e.setSize(layers.get(i).size());
                    e.setMode(S_IFREG | 0644);
                    tar.putArchiveEntry(e);
                    Files.copy(layers.get(i).tar(), tar);
                    tar.closeArchiveEntry();
                }
                putBytes(tar, configName, configBytes);
                putBytes(tar, "manifest.json", manifestBytes);
                tar.finish();
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next build removes stale temporary files
            }
            throw new UncheckedIOException("cannot write image archive " + out + ": " + e.getMessage(), e);
        }
    }

    private static void putBytes(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        var e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        e.setMode(S_IFREG | 0644);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static TarArchiveOutputStream newTar(OutputStream out) {
        var tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
