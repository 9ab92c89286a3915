import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Strict YAML loading and the dotted-path lookups every check is built on. */
class YamlTest {

    @Test
    void duplicateNestedKeyIsRejectedNamingTheKeyAndItsLine() {
        var e = assertThrows(Yaml.Invalid.class, () -> Yaml.load("""
                a: 1
                b:
                  c: 2
                  c: 3
                """));
        assertTrue(e.getMessage().contains("duplicate key c"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(line 4)"), e.getMessage());
    }

    @Test
    void duplicateTopLevelKeyIsRejected() {
        var e = assertThrows(Yaml.Invalid.class, () -> Yaml.loadMap("envFrom: a\nname: x\nenvFrom: b\n"));
        assertTrue(e.getMessage().contains("duplicate key envFrom"), e.getMessage());
        assertTrue(e.getMessage().contains("(line 3)"), e.getMessage());
    }

    @Test
    void sameKeyInSiblingMappingsIsNotADuplicate() {
        var m = Yaml.loadMap("a:\n  name: x\nb:\n  name: y\n");
        assertEquals("x", Yaml.str(m, "a.name"));
        assertEquals("y", Yaml.str(m, "b.name"));
    }

    @Test
    void syntaxErrorIsInvalidWithALine() {
        var e = assertThrows(Yaml.Invalid.class, () -> Yaml.load("a: [1, 2\nb: 3\n"));
        assertTrue(e.getMessage().matches("(?s).*\\(line \\d+\\)$"), e.getMessage());
    }

    @Test
    void nonMappingTopLevelIsRefused() {
        var list = assertThrows(Yaml.Invalid.class, () -> Yaml.loadMap("- a\n- b\n"));
        assertEquals("expected a mapping at the top, found list", list.getMessage());
        var scalar = assertThrows(Yaml.Invalid.class, () -> Yaml.loadMap("42\n"));
        assertEquals("expected a mapping at the top, found integer", scalar.getMessage());
        var string = assertThrows(Yaml.Invalid.class, () -> Yaml.loadMap("just text\n"));
        assertEquals("expected a mapping at the top, found string", string.getMessage());
    }

    @Test
    void emptyDocumentIsAnEmptyMap() {
        assertTrue(Yaml.loadMap("").isEmpty());
        assertTrue(Yaml.loadMap("# only a comment\n").isEmpty());
    }

    static final Map<String, Object> DOC = Yaml.loadMap("""
            spec:
              replicas: 3
              paused: false
              template:
                spec:
                  containers:
                    - name: api
                    - just a string
                    - name: sidecar
              labels:
                app: x
                version: 2
                empty:
              port: "8000"
            """);

    @Test
    void atFollowsDottedPaths() {
        assertEquals(3, Yaml.at(DOC, "spec.replicas"));
        assertEquals(Boolean.FALSE, Yaml.at(DOC, "spec.paused"));
        assertTrue(Yaml.at(DOC, "spec.template.spec") instanceof Map);
        assertTrue(Yaml.at(DOC, "spec.template.spec.containers") instanceof List);
    }

    @Test
    void atIsNullWhereAnyStepIsMissingOrNotAMapping() {
        assertNull(Yaml.at(DOC, "spec.nothing"));
        assertNull(Yaml.at(DOC, "nothing.at.all"));
        assertNull(Yaml.at(DOC, "spec.replicas.value"), "a step through a scalar");
        assertNull(Yaml.at(DOC, "spec.template.spec.containers.name"), "a step through a list");
        assertNull(Yaml.at(null, "spec"));
        assertNull(Yaml.at(DOC, "spec.labels.empty"), "an explicit null value");
    }

    @Test
    void mapIsEmptyUnlessTheValueIsAMapping() {
        assertEquals(Map.of("app", "x", "version", 2), withoutNulls(Yaml.map(DOC, "spec.labels")));
        assertTrue(Yaml.map(DOC, "spec.missing").isEmpty());
        assertTrue(Yaml.map(DOC, "spec.replicas").isEmpty());
        assertTrue(Yaml.map(DOC, "spec.template.spec.containers").isEmpty());
    }

    @Test
    void listIsEmptyUnlessTheValueIsAList() {
        assertEquals(3, Yaml.list(DOC, "spec.template.spec.containers").size());
        assertTrue(Yaml.list(DOC, "spec.missing").isEmpty());
        assertTrue(Yaml.list(DOC, "spec.labels").isEmpty());
        assertTrue(Yaml.list(DOC, "spec.missing.deeper").isEmpty());
    }

    @Test
    void mapsKeepsOnlyTheMappingsOfAList() {
        var cs = Yaml.maps(DOC, "spec.template.spec.containers");
        assertEquals(List.of("api", "sidecar"), cs.stream().map(c -> c.get("name")).toList());
    }

    @Test
    void strStringifiesScalarsAndIsNullWhenMissing() {
        assertEquals("3", Yaml.str(DOC, "spec.replicas"));
        assertEquals("false", Yaml.str(DOC, "spec.paused"));
        assertEquals("8000", Yaml.str(DOC, "spec.port"));
        assertNull(Yaml.str(DOC, "spec.missing"));
        assertNull(Yaml.str(DOC, "spec.labels.empty"));
    }

    @Test
    void stringsStringifiesValuesAndNullBecomesEmpty() {
        assertEquals(Map.of("app", "x", "version", "2", "empty", ""), Yaml.strings(DOC, "spec.labels"));
        assertTrue(Yaml.strings(DOC, "spec.missing").isEmpty());
    }

    @Test
    void typeNames() {
        assertEquals("null", Yaml.typeName(null));
        assertEquals("mapping", Yaml.typeName(Map.of()));
        assertEquals("list", Yaml.typeName(List.of()));
        assertEquals("boolean", Yaml.typeName(true));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> m) {
        var out = new java.util.HashMap<String, Object>();
        m.forEach((k, v) -> { if (v != null) out.put(k, v); });
        return out;
    }
}
