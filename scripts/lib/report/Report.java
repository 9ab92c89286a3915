//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Named checks and their outcome: one line per check as it finishes, a closing
 * "N passed, M failed" line, and JUnit XML for CI systems. Only a check that asserted
 * something and found it true is a PASS: a step that merely shows what happens is INFO.
 */
final class Report {
    enum Status { PASS, FAIL, SKIP, INFO }

    record Result(String name, Status status, String detail, String context, long millis) {}

    /** Thrown by a check body: what was expected and what was found. */
    static final class Failure extends RuntimeException {
        Failure(String msg) { super(msg); }
    }

    /** Thrown by a check body that cannot run here; counted as skipped, never as passed. */
    static final class Skipped extends RuntimeException {
        Skipped(String why) { super(why); }
    }

    /**
     * Thrown by a step that shows what happens without asserting anything (e.g. what a
     * simulation cannot see): reported as INFO with what it saw, never counted as passed.
     */
    static final class Info extends RuntimeException {
        Info(String saw) { super(saw); }
    }

    interface Body { void run() throws Exception; }

    private final String suite;
    private final PrintStream out;
    private final Pattern only;
    private final boolean verbose;
    private final List<Result> results = new ArrayList<>();
    private final java.util.Map<Long, Long> failedBy = new java.util.HashMap<>();

    Report(String suite, PrintStream out, String onlyPattern, boolean verbose) {
        this.suite = suite;
        this.out = out;
        this.only = selection(onlyPattern);
        this.verbose = verbose;
    }

    /** The --only pattern as the report matches it (null: every check); one that does not compile is bad input (exit 2). */
    static Pattern selection(String onlyPattern) {
        try {
            return onlyPattern == null ? null : Pattern.compile(onlyPattern, Pattern.CASE_INSENSITIVE);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new Problem.BadInput("--only '" + onlyPattern + "' is not a valid regular expression: " + e.getDescription());
        }
    }

    boolean selected(String name) { return selects(only, name); }

    /** Whether a selection (null: none given) takes the check of this name. */
    static boolean selects(Pattern only, String name) { return only == null || only.matcher(name).find(); }

    /** Runs one check; context names the values it ran under (shown on failure). */
    void check(String name, String context, Body body) {
        if (selected(name)) record(evaluate(name, context, body));
    }

    /** Runs a check body without reporting it: checks can run in parallel and report in order. */
    static Result evaluate(String name, String context, Body body) {
        long t0 = System.nanoTime();
        Status status;
        String detail = "";
        try {
            body.run();
            status = Status.PASS;
        } catch (Failure e) {
            status = Status.FAIL;
            detail = e.getMessage();
        } catch (Skipped e) {
            status = Status.SKIP;
            detail = e.getMessage();
        } catch (Info e) {
            status = Status.INFO;
            detail = e.getMessage();
        } catch (Exception | Error e) {
            // A broken check body counts as a failure of that check, not as a crash of the run.
            status = Status.FAIL;
            detail = e.getClass().getSimpleName() + ": " + Problem.rootMessage(e);
        }
        return new Result(name, status, detail == null ? "" : detail, context, (System.nanoTime() - t0) / 1_000_000);
    }

    synchronized void record(Result r) {
        results.add(r);
        if (r.status() == Status.FAIL) failedBy.merge(Thread.currentThread().getId(), 1L, Long::sum);
        var line = new StringBuilder(r.status().name()).append("  ").append(r.name());
        if (r.status() != Status.PASS || verbose) {
            if (!r.detail().isEmpty()) line.append(" — ").append(r.detail());
            if (r.status() == Status.FAIL && r.context() != null && !r.context().isEmpty()) {
                line.append("  [").append(r.context()).append("]");
            }
        }
        if (verbose) line.append(String.format(Locale.ROOT, "  (%d ms)", r.millis()));
        out.println(line);
    }

    /** A line under the last check: what a passing check saw that is worth showing (e.g. the database's revision). */
    synchronized void note(String msg) { out.println("      " + msg); }

    static void fail(String fmt, Object... args) { throw new Failure(String.format(Locale.ROOT, fmt, args)); }

    static void expect(boolean ok, String fmt, Object... args) { if (!ok) fail(fmt, args); }

    synchronized long count(Status s) { return results.stream().filter(r -> r.status() == s).count(); }

    /** Failures recorded from this thread: where stages run side by side, a stage's own lane decides whether it goes on. */
    synchronized long failedHere() { return failedBy.getOrDefault(Thread.currentThread().getId(), 0L); }

    synchronized List<Result> results() { return List.copyOf(results); }

    boolean failed() { return count(Status.FAIL) > 0; }

    /**
     * Prints the closing line and returns the suite's exit code. A run that checked nothing
     * proves nothing: a selection that matches no check is bad input (2), and a suite that
     * ran no check at all has failed (1), so a renamed check cannot turn a recipe silently green.
     */
    int finish(String script) {
        out.println(summary());
        if (!results.isEmpty()) return failed() ? 1 : 0;
        if (only != null) {
            System.err.println(script + ": --only '" + only.pattern() + "' matches no check; nothing was checked");
            return 2;
        }
        System.err.println(script + ": no check ran, so nothing was proved");
        return 1;
    }

    /** The closing line every CI reads: "N passed, M failed" (", K skipped" and ", J info" when any). */
    String summary() {
        String s = count(Status.PASS) + " passed, " + count(Status.FAIL) + " failed";
        if (count(Status.SKIP) > 0) s += ", " + count(Status.SKIP) + " skipped";
        return count(Status.INFO) > 0 ? s + ", " + count(Status.INFO) + " info" : s;
    }

    /**
     * Makes sure a --junit FILE can be written, before any check runs: its folder is created,
     * and a folder that cannot be (/proc/nope), a FILE that is a directory or not a regular
     * file, or a folder that takes no files is exit code 2 with one line.
     */
    static void junitTarget(Path file) {
        Path abs = file.toAbsolutePath();
        Path parent = abs.getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException | SecurityException e) {
            throw new Problem.BadInput("--junit " + file + ": cannot create its folder " + parent + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        if (Files.isDirectory(abs)) throw new Problem.BadInput("--junit " + file + " is a directory; give a file name");
        if (Files.exists(abs) && !Files.isRegularFile(abs)) throw new Problem.BadInput("--junit " + file + " is not a regular file");
        try {
            Files.deleteIfExists(Files.createTempFile(parent, ".junit-", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new Problem.BadInput("--junit " + file + ": its folder " + parent + " takes no files (" + e.getClass().getSimpleName() + ")");
        }
    }

    void writeJunit(Path file, long totalMillis) throws IOException {
        var x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        // JUnit XML knows no "info": an INFO step is written as skipped (type="info"), so no CI counts it as passed.
        x.append(String.format(Locale.ROOT, "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">%n",
                esc(suite), results.size(), count(Status.FAIL), count(Status.SKIP) + count(Status.INFO), totalMillis / 1000.0));
        for (var r : results) {
            x.append(String.format(Locale.ROOT, "  <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"", esc(suite), esc(r.name()), r.millis() / 1000.0));
            switch (r.status()) {
                case PASS -> x.append("/>\n");
                case FAIL -> x.append(">\n    <failure message=\"").append(esc(r.detail())).append("\">")
                        .append(esc(r.detail() + (r.context() == null ? "" : "\nvalues: " + r.context())))
                        .append("</failure>\n  </testcase>\n");
                case SKIP -> x.append(">\n    <skipped message=\"").append(esc(r.detail())).append("\"/>\n  </testcase>\n");
                case INFO -> x.append(">\n    <skipped type=\"info\" message=\"INFO: ").append(esc(r.detail())).append("\"/>\n  </testcase>\n");
            }
        }
        x.append("</testsuite>\n");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(file, x);
    }

    private static String esc(String s) {
        if (s == null) return "";
        var b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> { if (c >= 0x20 || c == '\n' || c == '\t') b.append(c); }
            }
        }
        return b.toString();
    }
}
