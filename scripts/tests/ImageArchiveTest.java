import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer tars and docker-archives, read back with Commons Compress. */
class ImageArchiveTest {

    record Entry(TarArchiveEntry header, byte[] content) {}

    static Map<String, Entry> read(Path tar) throws IOException {
        var out = new LinkedHashMap<String, Entry>();
        try (InputStream in = Files.newInputStream(tar); var t = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) out.put(e.getName(), new Entry(e, t.readAllBytes()));
        }
        return out;
    }

    static Path tree(Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.writeString(root.resolve("usr/bin/tool"), "#!/bin/sh\necho hi\n");
        Files.setAttribute(root.resolve("usr/bin/tool"), "unix:mode", 04755);
        Files.createLink(root.resolve("usr/bin/tool-again"), root.resolve("usr/bin/tool"));
        Files.createSymbolicLink(root.resolve("usr/bin/sh"), Path.of("busybox"));
        Files.createDirectories(root.resolve("tmp"));
        Files.setAttribute(root.resolve("tmp"), "unix:mode", 01777);
        Files.createDirectories(root.resolve("dev"));
        Files.writeString(root.resolve("dev/null-ish"), "the runtime's, not the layer's");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        return root;
    }

    @Test
    void aLayerHoldsTheTreeSortedWithModesLinksAndNoRuntimeMountContents(@TempDir Path dir) throws IOException {
        var layer = ImageArchive.writeLayer(tree(dir), dir.resolve("layer.tar"), "test", true);
        var entries = read(layer.tar());
        assertEquals(List.of("dev/", "etc/", "etc/passwd", "tmp/", "usr/", "usr/bin/", "usr/bin/sh", "usr/bin/tool", "usr/bin/tool-again"),
                new ArrayList<>(entries.keySet()));
        var tool = entries.get("usr/bin/tool").header();
        assertEquals(04755, tool.getMode() & 07777);
        assertEquals("#!/bin/sh\necho hi\n", new String(entries.get("usr/bin/tool").content(), StandardCharsets.UTF_8));
        var again = entries.get("usr/bin/tool-again").header();
        assertTrue(again.isLink(), "a hard link is written as one");
        assertEquals("usr/bin/tool", again.getLinkName());
        assertTrue(entries.get("usr/bin/sh").header().isSymbolicLink());
        assertEquals("busybox", entries.get("usr/bin/sh").header().getLinkName());
        assertEquals(01777, entries.get("tmp/").header().getMode() & 07777);
        assertEquals(0, tool.getLongUserId());
        assertEquals(0, tool.getLongGroupId());
        assertEquals("sha256:" + sha256(Files.readAllBytes(layer.tar())), layer.diffId());
        assertEquals(Files.size(layer.tar()), layer.size());
    }

    @Test
    void theSameTreeGivesTheSameDiffId(@TempDir Path dir) throws IOException {
        Path root = tree(dir);
        var a = ImageArchive.writeLayer(root, dir.resolve("a.tar"), "a", true);
        var b = ImageArchive.writeLayer(root, dir.resolve("b.tar"), "b", true);
        assertEquals(a.diffId(), b.diffId());
    }

    @Test
    void aDockerArchiveHasManifestConfigAndLayersThatCtrImportReads(@TempDir Path dir) throws IOException {
        var layer = ImageArchive.writeLayer(tree(dir), dir.resolve("layer.tar"), "a tree", true);
        var config = new ImageArchive.Config("1000:1000", List.of("uv", "run", "uvicorn"), List.of(), List.of("HOME=/tmp", "A=\"quoted\""),
                "/app", List.of("8000/tcp"), Map.of("org.opencontainers.image.title", "t"), null);
        Path out = dir.resolve("image.tar");
        ImageArchive.writeDockerArchive(out, "trevor:1.0.0", config, List.of(layer, layer));
        var entries = read(out);
        String hex = layer.diffId().substring("sha256:".length());
        assertEquals(List.of(hex + "/layer.tar", entries.keySet().toArray()[1], "manifest.json"), new ArrayList<>(entries.keySet()),
                "a layer used twice is stored once");
        assertEquals(layer.size(), entries.get(hex + "/layer.tar").content().length);

        var manifest = (List<?>) Yaml.load(new String(entries.get("manifest.json").content(), StandardCharsets.UTF_8));
        var m = (Map<?, ?>) manifest.get(0);
        assertEquals(List.of("trevor:1.0.0"), m.get("RepoTags"));
        assertEquals(List.of(hex + "/layer.tar", hex + "/layer.tar"), m.get("Layers"));
        String configName = (String) m.get("Config");
        byte[] configBytes = entries.get(configName).content();
        assertEquals(sha256(configBytes) + ".json", configName, "the config is named by its own digest");

        var cfg = Yaml.loadMap(new String(configBytes, StandardCharsets.UTF_8));
        assertEquals("amd64", cfg.get("architecture"));
        assertEquals("linux", cfg.get("os"));
        assertEquals("1000:1000", Yaml.str(cfg, "config.User"));
        assertEquals(List.of("uv", "run", "uvicorn"), Yaml.list(cfg, "config.Entrypoint"));
        assertEquals(List.of("HOME=/tmp", "A=\"quoted\""), Yaml.list(cfg, "config.Env"));
        assertEquals("/app", Yaml.str(cfg, "config.WorkingDir"));
        assertTrue(Yaml.map(cfg, "config.ExposedPorts").containsKey("8000/tcp"));
        assertEquals(null, Yaml.at(cfg, "config.Cmd"), "an empty Cmd is left out");
        assertEquals("layers", Yaml.str(cfg, "rootfs.type"));
        assertEquals(List.of(layer.diffId(), layer.diffId()), Yaml.list(cfg, "rootfs.diff_ids"));
        assertEquals(2, Yaml.list(cfg, "history").size());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".tmp-")), "no temporary file is left");
        }
    }

    @Test
    void aFailedArchiveLeavesNothingThatLooksComplete(@TempDir Path dir) throws IOException {
        var missing = new ImageArchive.Layer(dir.resolve("gone.tar"), "sha256:" + "0".repeat(64), 10, "gone");
        Path out = dir.resolve("image.tar");
        var config = new ImageArchive.Config(null, List.of(), List.of(), List.of(), null, List.of(), Map.of(), null);
        assertThrows(UncheckedIOException.class, () -> ImageArchive.writeDockerArchive(out, "x:1", config, List.of(missing)));
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the temporary archive is removed too");
        }
    }

    @Test
    void jsonEscapesAndKeepsOrder() {
        var m = new LinkedHashMap<String, Object>();
        m.put("b", "line\n\"q\"\\\u0001");
        m.put("a", List.of(1, true, Map.of("z", 1, "y", 2)));
        m.put("n", null);
        assertEquals("{\"b\":\"line\\n\\\"q\\\"\\\\\\u0001\",\"a\":[1,true,{\"y\":2,\"z\":1}],\"n\":null}", Yaml.json(m));
    }

    static String sha256(byte[] b) { return HexFormat.of().formatHex(ImageArchive.sha256().digest(b)); }
}
