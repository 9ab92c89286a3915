//SOURCES DebianRootfs.java
//SOURCES ImageArchive.java
//SOURCES Images.java
//SOURCES PythonEnv.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Content keys: a layer's key is the SHA-256 of everything it is made from (pinned Debian
 * packages, Python lock files, uv's version, file contents, and a recipe version bumped when
 * the way it is made changes), so a changed input changes the key of exactly the layers made
 * from it and of the images that hold them. Computed once per run from the repository's files.
 */
final class ImageKeys {
    final Path repo;
    private final Path cache;
    private final Map<Images.Layer, String> layerKeys = new HashMap<>();
    private DebianRootfs.Lock debian;

    ImageKeys(Path repo, Path cache) {
        this.repo = repo;
        this.cache = cache;
    }

    DebianRootfs.Lock debian() {
        if (debian == null) debian = DebianRootfs.readLock(repo.resolve(Images.DEBIAN_LOCK));
        return debian;
    }

    String layer(Images.Layer l) {
        String k = layerKeys.get(l);
        if (k == null) {
            k = sha256Hex(describe(l));
            layerKeys.put(l, k);
        }
        return k;
    }

    /**
     * Everything a layer is made from, as text; its SHA-256 is the layer's key. The "/1" in
     * each first line is the recipe's version: bump it when the way a kind of layer is made
     * changes, so the cached ones are rebuilt.
     */
    private String describe(Images.Layer l) {
        var sb = new StringBuilder();
        if (l instanceof Images.DebianLayer d) {
            var lock = debian();
            var section = lock.section(d.rootfs(), d.wants(), repo.resolve(Images.DEBIAN_LOCK));
            sb.append("debian/1 ").append(lock.suite()).append(' ').append(lock.architecture()).append('\n');
            section.pins().forEach((p, v) -> sb.append(p).append('=').append(v).append('\n'));
            ops(sb, d.ops());
        } else if (l instanceof Images.UvLayer) {
            sb.append("uv/1 ").append(PythonEnv.UV_VERSION).append(' ').append(PythonEnv.UV_WHEEL_SHA256).append('\n');
        } else if (l instanceof Images.VenvLayer v) {
            sb.append("venv/1 uv ").append(PythonEnv.UV_VERSION).append(" python ").append(layer(v.python())).append('\n');
            for (String f : List.of("pyproject.toml", "uv.lock", "requirements.lock")) {
                sb.append(f).append(' ').append(fileSha(v.project() + "/" + f)).append('\n');
            }
        } else if (l instanceof Images.FilesLayer f) {
            sb.append("files/1\n");
            ops(sb, f.ops());
        }
        return sb.toString();
    }

    private void ops(StringBuilder sb, List<Images.Op> ops) {
        for (Images.Op op : ops) {
            sb.append(op instanceof Images.File f && f.repoPath() != null
                    ? "File[" + f.path() + " mode=" + Integer.toOctalString(f.mode()) + " sha256=" + fileSha(f.repoPath()) + "]"
                    : op.toString()).append('\n');
        }
    }

    private String fileSha(String repoPath) {
        try {
            return sha256Hex(Files.readAllBytes(repo.resolve(repoPath)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + repo.resolve(repoPath), e);
        }
    }

    /** An image's key: its reference, config and layer keys. */
    String image(Images.Image img) {
        var sb = new StringBuilder("image/1 ").append(img.ref()).append('\n').append(img.config()).append('\n');
        img.layers().forEach(l -> sb.append(layer(l)).append('\n'));
        return sha256Hex(sb.toString());
    }

    Path archive(Images.Image img) {
        return cache.resolve("archives").resolve(img.name() + "-" + image(img).substring(0, 16) + ".tar");
    }

    static String sha256Hex(String s) { return sha256Hex(s.getBytes(StandardCharsets.UTF_8)); }

    static String sha256Hex(byte[] b) { return HexFormat.of().formatHex(ImageArchive.sha256().digest(b)); }
}
