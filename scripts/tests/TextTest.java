import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one "last N lines" every failure message uses: what its callers' own copies did. */
class TextTest {

    @Test
    void theLastLinesOfATextWithoutItsBlankEnds() {
        assertEquals("c\nd", Text.lastLines("a\nb\nc\nd\n", 2));
        assertEquals("c | d", Text.lastLines("\n\na\nb\nc\nd\n\n\n", 2, " | "));
        assertEquals("a\nb", Text.lastLines("  a\nb  ", 5), "strip takes the first line's indent and the last's trailing space");
        assertEquals("a\r\nb".lines().toList().get(1), Text.lastLines("a\r\nb", 1));
    }

    @Test
    void nothingIsEmpty() {
        assertEquals("", Text.lastLines(null, 3));
        assertEquals("", Text.lastLines("", 3));
        assertEquals("", Text.lastLines("\n\n", 3));
        assertEquals("", Text.lastLines("a\nb", 0));
    }

    @Test
    void theLastElementsOfAList() {
        assertEquals(List.of(3, 4), Text.last(List.of(1, 2, 3, 4), 2));
        assertEquals(List.of(1, 2), Text.last(List.of(1, 2), 5));
        assertEquals(List.of(), Text.last(List.of(), 5));
    }
}
