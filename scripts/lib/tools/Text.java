import java.util.List;

/**
 * The end of a program's output or log, for a message: a failure names what went wrong in its
 * last lines, and the whole output would bury the line that says so.
 */
final class Text {
    private Text() {}

    /** The last n elements of list (all of them when it has fewer), as a view of it. */
    static <T> List<T> last(List<T> list, int n) {
        return list.subList(Math.max(0, list.size() - n), list.size());
    }

    /**
     * The last n lines of text, joined by separator. Leading and trailing blank lines are dropped
     * first, so a final newline does not count as a line; null is empty.
     */
    static String lastLines(String text, int n, String separator) {
        if (text == null) return "";
        return String.join(separator, last(text.strip().lines().toList(), n));
    }

    /** The last n lines of text, one per line. */
    static String lastLines(String text, int n) { return lastLines(text, n, "\n"); }
}
