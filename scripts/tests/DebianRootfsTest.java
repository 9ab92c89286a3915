import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** scripts/images/debian.lock, apt's file names and simulation output, and mmdebstrap's errors said plainly. */
class DebianRootfsTest {

    @Test
    void theLockRoundTrips() {
        var pins = new LinkedHashMap<String, String>();
        pins.put("libc6", "2.36-9+deb12u14");
        pins.put("busybox-static", "1:1.35.0-4+deb12u1+b1");
        var lock = new DebianRootfs.Lock("bookworm", "amd64", Map.of("pause", new DebianRootfs.Section(List.of("busybox-static"), pins)));
        String text = DebianRootfs.renderLock(lock);
        assertTrue(text.contains("[pause] busybox-static\nlibc6 2.36-9+deb12u14\nbusybox-static 1:1.35.0-4+deb12u1+b1\n"), text);
        var back = DebianRootfs.parseLock(text);
        assertEquals(lock, back);
    }

    @Test
    void theRepositoryLockPinsEveryRootFilesystemTheImagesWant() {
        var lock = DebianRootfs.readLock(Repo.root().resolve(Images.DEBIAN_LOCK));
        for (var img : Images.ALL) {
            for (var l : img.layers()) {
                if (l instanceof Images.DebianLayer d) {
                    var s = lock.section(d.rootfs(), d.wants(), Path.of(Images.DEBIAN_LOCK));
                    for (String want : d.wants()) assertTrue(s.pins().containsKey(want), d.rootfs() + " pins " + want);
                }
            }
        }
    }

    @Test
    void aSectionThatNoLongerMatchesSaysHowToRepin() {
        var lock = DebianRootfs.parseLock("suite bookworm\narchitecture amd64\n[python] python3.11\npython3.11 3.11.2-6\n");
        var e = assertThrows(Problem.ToolMissing.class, () -> lock.section("python", List.of("python3.11", "busybox-static"), Path.of("scripts/images/debian.lock")));
        assertTrue(e.getMessage().contains("lock --debian"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DebianRootfs.parseLock("[x] y\nz 1\n"), "suite and architecture are required");
    }

    @Test
    void debFileNamesEscapeTheEpoch() {
        assertEquals("busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb", DebianRootfs.debFileName("busybox-static", "1:1.35.0-4+deb12u1+b1", "amd64"));
    }

    @Test
    void simulationLinesBecomePins() {
        var pins = DebianRootfs.parseSimulation("""
                Inst gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
                Conf gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
                Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []
                Inst readline-common (8.2-1.3 Debian:12.15/oldstable [all])
                """);
        assertEquals(List.of("gcc-12-base", "libc6", "readline-common"), List.copyOf(pins.keySet()));
        assertEquals("2.36-9+deb12u14", pins.get("libc6"));
    }

    @Test
    void aVersionTheMirrorDroppedIsNamedWithTheFix() {
        var r = new Exec.Result(List.of("mmdebstrap"), 1, "", """
                I: running apt-get update...
                E: Version '15.18-0+deb12u1' for 'postgresql-15' was not found
                E: apt-get install failed
                """, 10);
        String msg = DebianRootfs.explain(r, "postgres", new DebianRootfs.Section(List.of("postgresql-15"), Map.of()));
        assertTrue(msg.contains("no longer has postgresql-15=15.18-0+deb12u1"), msg);
        assertTrue(msg.contains("lock --debian") && msg.contains("TREVOR_APT_SOURCES"), msg);
    }
}
