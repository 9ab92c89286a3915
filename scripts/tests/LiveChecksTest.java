import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * status --list prints LiveChecks.ALL without a cluster, and --only is held to it before one is
 * asked: so ALL must be the checks run() makes, in its order. Read from run()'s own source, a
 * check added there without its name in ALL fails here by name.
 */
class LiveChecksTest {
    @Test
    void allIsEveryCheckRunMakesInItsOrder() throws IOException, ReflectiveOperationException {
        String src = Files.readString(Repo.root().resolve("scripts/lib/lifecycle/LiveChecks.java"));
        String run = src.substring(src.indexOf("    void run() {"));
        var made = new ArrayList<String>();
        var m = Pattern.compile("report\\.check\\(name\\(([A-Z_]+)\\)").matcher(run);
        while (m.find()) {
            Field f = LiveChecks.class.getDeclaredField(m.group(1));
            f.setAccessible(true);
            made.add((String) f.get(null));
        }
        assertEquals(15, made.size(), made.toString());
        assertEquals(made, LiveChecks.ALL);
        assertEquals(List.copyOf(new java.util.LinkedHashSet<>(LiveChecks.ALL)), LiveChecks.ALL, "a name twice");
    }
}
