import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** requirements.lock and uv.lock of the stand-in: parsed, and naming the same packages at the same versions. */
class PythonEnvTest {

    @Test
    void requirementsWithContinuationsAndComments() {
        var pins = PythonEnv.parseRequirements("""
                # header
                fastapi==0.165.0 \\
                    --hash=sha256:896f48462042bb4f162147eb8fac7e858753dc1f486765709baf105d70e4fc5b
                uv==0.13.9 --hash=sha256:d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19  # the tool
                """);
        assertEquals(List.of(new PythonEnv.Pin("fastapi", "0.165.0", "896f48462042bb4f162147eb8fac7e858753dc1f486765709baf105d70e4fc5b"),
                new PythonEnv.Pin("uv", "0.13.9", PythonEnv.UV_WHEEL_SHA256)), pins);
        assertThrows(IllegalArgumentException.class, () -> PythonEnv.parseRequirements("fastapi==0.165.0\n"), "a pin without a hash");
    }

    @Test
    void theLockFilesAgreeAndNameNoIndex() throws IOException {
        Path standIn = Repo.root().resolve(Images.STAND_IN);
        var pins = new LinkedHashMap<String, String>();
        for (var p : PythonEnv.parseRequirements(Files.readString(standIn.resolve("requirements.lock")))) pins.put(p.name(), p.version());
        String uvLock = Files.readString(standIn.resolve("uv.lock"));
        var m = Pattern.compile("(?m)^name = \"([^\"]+)\"\\nversion = \"([^\"]+)\"\\nsource = \\{ registry = \"wheels\" \\}").matcher(uvLock);
        var locked = new LinkedHashMap<String, String>();
        while (m.find()) locked.put(m.group(1), m.group(2));
        assertEquals(pins, locked);
        assertFalse(uvLock.contains("://"), "uv.lock names no index");
        assertTrue(pins.keySet().containsAll(List.of("fastapi", "uvicorn", "prometheus-client", "arq", "alembic", "sqlalchemy", "asyncpg", "greenlet")));
    }

    @Test
    void pyprojectPinsWhatTheChartRuns() throws IOException {
        String pyproject = Files.readString(Repo.root().resolve(Images.STAND_IN).resolve("pyproject.toml"));
        for (String dep : List.of("fastapi==", "uvicorn==", "prometheus-client==", "arq==", "alembic==", "sqlalchemy[asyncio]==", "asyncpg==")) {
            assertTrue(pyproject.contains("\"" + dep), dep);
        }
        assertTrue(pyproject.contains("package = false"), "uv never installs the project itself");
    }

    @Test
    void requirementsLockNamesTheFixtureAsNotTrevor() throws IOException {
        Map<String, String> files = Map.of("README.md", "NOT trevor", "requirements.lock", "NOT trevor", "trevor/__init__.py", "NOT trevor");
        for (var e : files.entrySet()) {
            assertTrue(Files.readString(Repo.root().resolve(Images.STAND_IN).resolve(e.getKey())).contains(e.getValue()), e.getKey());
        }
    }
}
