import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The marker is found wherever a script could leave it: as it is, or base64-encoded as in a Secret's data. */
class SecretMarkerTest {
    @Test
    void findsTheMarkerInsideBase64AtEveryAlignmentAndLength() {
        String marker = "tvr-secret-0123456789ab";
        for (int before = 0; before < 6; before++) {
            for (int after = 0; after < 4; after++) {
                String value = "x".repeat(before) + marker + "y".repeat(after);
                String enc = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
                assertTrue(SecretMarker.forms(marker).stream().anyMatch(enc::contains), before + " bytes before, " + after + " after: " + enc);
            }
        }
    }

    @Test
    void reportsFilesChangedSinceThatHoldAMarkerAndSkipsWhereItBelongs(@TempDir Path tmp) throws Exception {
        var m = new SecretMarker(tmp.resolve("env"));
        Files.createDirectories(tmp.resolve("env"));
        Instant since = Instant.now().minusSeconds(5);
        Path secretYaml = tmp.resolve("a-secret.yaml");
        Files.writeString(secretYaml, "data:\n  URL: " + Base64.getEncoder().encodeToString(("postgresql://u:" + m.value() + "@db").getBytes(StandardCharsets.UTF_8)));
        Path values = Files.writeString(tmp.resolve("values.yaml"), "podAnnotations:\n  x: " + m.valuesValue() + "\n");
        Path clean = Files.writeString(tmp.resolve("clean.txt"), "nothing here\n");
        Path old = Files.writeString(tmp.resolve("old.txt"), m.value());
        Files.setLastModifiedTime(old, FileTime.from(since.minusSeconds(60)));
        Files.writeString(tmp.resolve("env/plain1.env"), "URL=" + m.value() + "\n");
        var found = m.writtenUnder(List.of(tmp), since, List.of(tmp.resolve("env")));
        assertEquals(List.of(secretYaml.toString(), values.toString()), found.stream().sorted().toList(), () -> "found " + found + ", clean " + clean);
    }
}
