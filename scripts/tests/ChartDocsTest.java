import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The charts' README.md and the descriptions in values.schema.json are what helm-docs makes of
 * values.yaml's `# --` comments, today: an edited comment without `scripts/docs.java` fails here.
 */
class ChartDocsTest {
    @ParameterizedTest(name = "{0}: README.md and values.schema.json follow values.yaml's comments")
    @ValueSource(strings = {"helm/trevor", "helm/trevor-dev-deps"})
    void generatedFilesAreCurrent(String chart) throws IOException {
        Path dir = Repo.root().resolve(chart);
        var g = ChartDocs.generate(dir, m -> {});
        assertEquals(g.readme(), Files.readString(dir.resolve("README.md")), chart + "/README.md is stale: run ./jbang scripts/docs.java");
        assertEquals(g.schema(), Files.readString(dir.resolve("values.schema.json")),
                chart + "/values.schema.json descriptions are stale: run ./jbang scripts/docs.java");
    }

    @ParameterizedTest(name = "descriptions land on the schema property of their key, nested or not")
    @ValueSource(strings = {"a.b"})
    void descriptionsFollowTheKeyPath(String key) {
        String schema = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"object\", \"properties\": {\"b\": {\"type\": \"string\"}}}}}";
        String out = ChartDocs.withDescriptions(schema, Map.of(key, "B's doc", "a.missing", "nowhere", "a", "A's doc"));
        assertTrue(out.contains("\"b\": {\n          \"type\": \"string\",\n          \"description\": \"B's doc\"\n        }"), out);
        assertTrue(out.contains("\"description\": \"A's doc\""), out);
        assertTrue(!out.contains("nowhere"), out);
    }
}
