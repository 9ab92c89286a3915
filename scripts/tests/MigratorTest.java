import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** migrate.java's Job names: unique within one second, with the year, short enough for a label. */
class MigratorTest {
    @Test
    void runIdsInOneSecondDifferAndCarryTheYear() {
        var now = LocalDateTime.of(2026, 11, 27, 14, 15, 12);
        var ids = new HashSet<String>();
        for (int i = 0; i < 2000; i++) ids.add(Migrator.runId(now));
        assertEquals(2000, ids.size(), "run ids collide within one second");
        for (String id : ids) {
            assertTrue(id.matches("20261127-141512-[0-9a-f]{4}"), id);
            // job name = up to 42 characters of the chart's Job name + '-' + id: within the 63 of the job-name label
            assertEquals(20, id.length());
        }
    }
}
