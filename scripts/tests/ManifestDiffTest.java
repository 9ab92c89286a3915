import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The upgrade diff: per changed object, unified format with two lines of context. */
class ManifestDiffTest {
    static final String DEPLOYED = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: trevor}
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - name: trevor
                    image: trevor:1.0.0
                    ports: [{containerPort: 8000}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: old}
            data: {a: "1"}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: trevor}
            spec: {ports: [{port: 80}]}
            """;

    @Test
    void showsEachChangedObjectWithContextAndNamesNewAndRemovedOnes() {
        String rendered = """
                apiVersion: v1
                kind: Service
                metadata: {name: trevor}
                spec: {ports: [{port: 80}]}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: trevor}
                spec:
                  replicas: 2
                  template:
                    spec:
                      containers:
                      - name: trevor
                        image: trevor:2.0.0
                        ports: [{containerPort: 8000}]
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: new}
                """;
        String diff = ManifestDiff.diff(DEPLOYED, rendered);
        var lines = diff.lines().toList();
        assertEquals("--- ConfigMap/old (removed)", lines.get(0), diff);
        assertEquals("~~~ Deployment/trevor", lines.get(1), diff);
        assertTrue(lines.get(2).matches("@@ -\\d+,\\d+ \\+\\d+,\\d+ @@"), diff);
        assertTrue(diff.contains("\n-        image: trevor:1.0.0\n+        image: trevor:2.0.0\n"), diff);
        assertTrue(lines.stream().filter(l -> l.startsWith(" ")).count() <= 4, "two lines of context either side:\n" + diff);
        assertEquals("+++ Secret/new (new)", lines.get(lines.size() - 1), diff);
        assertTrue(diff.contains("image: trevor:2.0.0"), "what the upgrade checks look for");
        assertTrue(!diff.contains("Service/trevor"), "an unchanged object (flow or block style aside) is not shown:\n" + diff);
    }

    @Test
    void nothingChangedIsEmpty() {
        assertEquals("", ManifestDiff.diff(DEPLOYED, DEPLOYED));
    }

    @Test
    void linesGivesOneHunkPerDistantChange() {
        var a = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        var b = List.of("a", "B", "c", "d", "e", "f", "g", "h", "I", "j");
        assertEquals("""
                @@ -1,4 +1,4 @@
                 a
                -b
                +B
                 c
                 d
                @@ -7,4 +7,4 @@
                 g
                 h
                -i
                +I
                 j
                """, ManifestDiff.lines(a, b, 2));
    }
}
