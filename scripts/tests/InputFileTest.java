import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files named on a command line: regular files within their limit, or one line and exit code 2, never a hang. */
class InputFileTest {
    @TempDir Path tmp;

    private static String refused(Path f, long max) {
        var e = assertThrows(Problem.class, () -> InputFile.read("--env-file", f, max, "why"));
        assertEquals(Problem.NOTHING_CHANGED, e.exitCode);
        assertTrue(e.getMessage().startsWith("--env-file: " + f), e.getMessage());
        return e.getMessage();
    }

    @Test
    void fifoDeviceAndDirectoryAreRefusedWithoutBlocking() throws Exception {
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder(List.of("mkfifo", fifo.toString())).start().waitFor());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertTrue(refused(fifo, 1024).contains("not a regular file"));
            assertTrue(refused(Path.of("/dev/zero"), 1024).contains("not a regular file"));
            assertTrue(refused(tmp, 1024).contains("is a directory"));
            assertTrue(refused(tmp.resolve("nope"), 1024).contains("does not exist"));
        });
    }

    @Test
    void aFileOverItsLimitIsRefusedNamingTheLimit() throws Exception {
        Path big = tmp.resolve("big");
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) { f.setLength(50L * 1024 * 1024); }
        assertEquals("--env-file: " + big + " is 50 MiB; at most 1 MiB is accepted (why)", refused(big, InputFile.MIB));
        Path fits = tmp.resolve("fits");
        Files.write(fits, new byte[1024]);
        assertArrayEquals(new byte[1024], InputFile.read("--env-file", fits, 1024, "why"));
    }

    @Test
    void textMustBeUtf8() throws Exception {
        Path latin1 = tmp.resolve("latin1");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xe9});
        var e = assertThrows(Problem.class, () -> InputFile.readString("-f", latin1, 1024, "why"));
        assertTrue(e.getMessage().contains("is not UTF-8 text"), e.getMessage());
    }

    @Test
    void setValuesThatStartWithADashAreRefusedNamingTheOption() {
        for (var bad : List.of("--set-file=podAnnotations.x=/etc/hostname", "--set-json=a={}", "--set-literal=a=b", "-x")) {
            var v = new ValueOptions();
            v.sets = List.of(bad);
            var e = assertThrows(Problem.class, v::sets);
            assertEquals(Problem.NOTHING_CHANGED, e.exitCode);
            assertTrue(e.getMessage().startsWith("--set '" + bad + "' starts with '-'"), e.getMessage());
            var s = new ValueOptions();
            s.setStrings = List.of(bad);
            assertTrue(assertThrows(Problem.class, s::sets).getMessage().startsWith("--set-string '" + bad + "'"));
        }
        var ok = new ValueOptions();
        ok.sets = List.of("a=--set-file=x");
        ok.setStrings = List.of("b=-1");
        // a value may start with '-' after its key: it reaches helm as the value of its own flag
        assertEquals(List.of("--set", "a=--set-file=x", "--set-string", "b=-1"), new Helm.Values(List.of(), ok.sets()).args());
    }
}
