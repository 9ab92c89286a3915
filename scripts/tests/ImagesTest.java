import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is built from what: content keys change exactly when an input of that layer changes, so
 * a changed input rebuilds only what depends on it; a warm build only computes keys.
 */
class ImagesTest {
    @TempDir Path repo;
    @TempDir Path cache;

    /** The inputs the keys read, copied from this repository. */
    @BeforeEach
    void copyInputs() throws IOException {
        Path real = Repo.root();
        for (String dir : List.of("scripts/images", Images.STAND_IN)) {
            try (Stream<Path> s = Files.walk(real.resolve(dir))) {
                for (Path p : s.toList()) {
                    Path to = repo.resolve(real.relativize(p).toString());
                    if (Files.isDirectory(p)) Files.createDirectories(to);
                    else Files.copy(p, to);
                }
            }
        }
    }

    record Snapshot(Map<String, String> layers, Map<String, String> images) {}

    Snapshot keys() {
        var k = new ImageKeys(repo, cache);
        var layers = new HashMap<String, String>();
        var images = new HashMap<String, String>();
        for (var img : Images.ALL) {
            images.put(img.name(), k.image(img));
            for (int i = 0; i < img.layers().size(); i++) layers.put(img.name() + "#" + i, k.layer(img.layers().get(i)));
        }
        return new Snapshot(layers, images);
    }

    /** Names of the layers ("image#index") and images whose keys differ between two snapshots. */
    static List<String> changed(Map<String, String> a, Map<String, String> b) {
        return a.keySet().stream().filter(n -> !a.get(n).equals(b.get(n))).sorted().toList();
    }

    void append(String file, String text) throws IOException {
        Files.writeString(repo.resolve(file), text, StandardOpenOption.APPEND);
    }

    @Test
    void keysAreStable() {
        assertEquals(keys(), keys());
    }

    @Test
    void appSourceChangesOnlyTheStandInsAppLayers() throws IOException {
        var before = keys();
        append(Images.STAND_IN + "/trevor/main.py", "\n# changed\n");
        var after = keys();
        assertEquals(List.of("trevor-1.0.0#3", "trevor-2.0.0#3", "trevor-3.0.0-broken#3"), changed(before.layers(), after.layers()));
        assertEquals(List.of("trevor-1.0.0", "trevor-2.0.0", "trevor-3.0.0-broken"), changed(before.images(), after.images()));
    }

    @Test
    void aMigrationOnlyInTheBrokenTagChangesOnlyThatTag() throws IOException {
        var before = keys();
        append(Images.STAND_IN + "/migrations/versions/0003_broken_price.py", "\n# changed\n");
        assertEquals(List.of("trevor-3.0.0-broken"), changed(before.images(), keys().images()));
    }

    @Test
    void thePythonLockChangesTheVenvNotTheRootFilesystem() throws IOException {
        var before = keys();
        append(Images.STAND_IN + "/requirements.lock", "# changed\n");
        var after = keys();
        assertEquals(List.of("trevor-1.0.0#2", "trevor-2.0.0#2", "trevor-3.0.0-broken#2"), changed(before.layers(), after.layers()));
    }

    @Test
    void aDebianPinChangesThatRootFilesystemAndWhatIsBuiltOnIt() throws IOException {
        var before = keys();
        Path lock = repo.resolve(Images.DEBIAN_LOCK);
        String text = Files.readString(lock);
        int python = text.indexOf("[python]");
        String changed = text.substring(0, python) + text.substring(python).replaceFirst("(?m)^libc6 (\\S+)$", "libc6 $1+local1");
        Files.writeString(lock, changed);
        var after = keys();
        // the python root filesystem and the venv made inside it; postgres, redis and pause keep theirs
        assertEquals(List.of("trevor-1.0.0#0", "trevor-1.0.0#2", "trevor-2.0.0#0", "trevor-2.0.0#2", "trevor-3.0.0-broken#0",
                "trevor-3.0.0-broken#2"), changed(before.layers(), after.layers()));
    }

    @Test
    void anEntrypointScriptChangesOnlyItsImagesTopLayer() throws IOException {
        var before = keys();
        append("scripts/images/postgres/entrypoint.sh", "\n# changed\n");
        var after = keys();
        assertEquals(List.of("postgres#1"), changed(before.layers(), after.layers()));
        assertEquals(List.of("postgres"), changed(before.images(), after.images()));
    }

    @Test
    void eachTagCarriesItsMigrations() {
        Map<String, List<String>> revisions = new HashMap<>();
        for (var img : Images.ALL) {
            if (!img.name().startsWith("trevor-")) continue;
            var app = (Images.FilesLayer) img.layers().get(3);
            revisions.put(img.ref(), app.ops().stream().filter(o -> o instanceof Images.File f && f.path().startsWith("app/migrations/versions/"))
                    .map(o -> ((Images.File) o).path().replaceAll(".*/(\\d{4})_.*", "$1")).toList());
        }
        assertEquals(List.of("0001"), revisions.get(Images.TREVOR_1));
        assertEquals(List.of("0001", "0002"), revisions.get(Images.TREVOR_2));
        assertEquals(List.of("0001", "0002", "0003"), revisions.get(Images.TREVOR_BROKEN));
    }

    @Test
    void theReferencesTheRealNodeUses() {
        assertEquals(List.of("localhost/trevor-dev/pause:1", "localhost/trevor-dev/postgres:15", "localhost/trevor-dev/redis:7",
                "trevor:1.0.0", "trevor:2.0.0", "trevor:3.0.0-broken"), Images.ALL.stream().map(Images.Image::ref).toList());
        assertEquals("1000:1000", Images.ALL.get(3).config().user());
        assertEquals(List.of("uv", "run", "uvicorn", "trevor.main:app", "--host", "0.0.0.0", "--port", "8000"), Images.ALL.get(3).config().entrypoint());
    }

    @Test
    void selectByNameReferenceOrTrevor() {
        assertEquals(List.of("pause"), Images.select(List.of("pause")).stream().map(Images.Image::name).toList());
        assertEquals(List.of("redis"), Images.select(List.of(Images.REDIS)).stream().map(Images.Image::name).toList());
        assertEquals(3, Images.select(List.of("trevor")).size());
        assertEquals(Images.ALL, Images.select(List.of()));
        var e = assertThrows(IllegalArgumentException.class, () -> Images.select(List.of("mysql")));
        assertTrue(e.getMessage().contains("pause, postgres, redis"), e.getMessage());
    }

    @Test
    void aWarmBuildReturnsTheCachedArchivesWithoutBuilding() throws IOException {
        var k = new ImageKeys(repo, cache);
        for (var img : Images.ALL) {
            Files.createDirectories(k.archive(img).getParent());
            Files.writeString(k.archive(img), "cached");
        }
        var said = new ArrayList<String>();
        long t0 = System.nanoTime();
        var built = ImageBuild.build(repo, List.of(), said::add, cache);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000, "a warm build only computes keys");
        assertEquals(Images.ALL.stream().map(Images.Image::ref).toList(), List.copyOf(built.keySet()));
        for (var img : Images.ALL) assertEquals(k.archive(img), built.get(img.ref()));
        assertEquals(List.of(), said, "nothing to build, nothing to say");
    }

    @Test
    void cleanRemovesWhatAKilledBuildLeftAndWhatNoImageUses() throws IOException {
        var k = new ImageKeys(repo, cache);
        Path current = k.archive(Images.ALL.get(0));
        Files.createDirectories(current.getParent());
        Files.writeString(current, "cached");
        Path half = current.resolveSibling("." + current.getFileName() + ".tmp-12345");
        Files.writeString(half, "half an archive");
        Path old = current.resolveSibling("pause-0000000000000000.tar");
        Files.writeString(old, "an older build");
        Path layerTmp = cache.resolve("layers/.tmp-abc-12345/tree");
        Files.createDirectories(layerTmp);
        var removed = ImageBuild.clean(repo, s -> {}, cache);
        assertTrue(Files.exists(current));
        assertFalse(Files.exists(half));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(layerTmp.getParent()));
        assertTrue(removed.contains(old));
        assertNotEquals(0, removed.size());
    }
}
