import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/** Check outcomes, their console lines, the closing summary and the JUnit XML. */
@org.junit.jupiter.api.parallel.Isolated("failFormatsLocaleIndependently sets the JVM's default Locale")
class ReportTest {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    private Report report(String only, boolean verbose) {
        return new Report("verify", new PrintStream(buf, true, StandardCharsets.UTF_8), only, verbose);
    }

    private List<String> lines() { return buf.toString(StandardCharsets.UTF_8).lines().toList(); }

    @Test
    void countsPassFailAndSkip() {
        var r = report(null, false);
        r.check("one", null, () -> {});
        r.check("two", null, () -> {});
        r.check("three", "dev", () -> Report.fail("expected %d, found %d", 1, 2));
        r.check("four", null, () -> { throw new Report.Skipped("no cluster"); });
        assertEquals(2, r.count(Report.Status.PASS));
        assertEquals(1, r.count(Report.Status.FAIL));
        assertEquals(1, r.count(Report.Status.SKIP));
        assertTrue(r.failed());
        assertEquals("2 passed, 1 failed, 1 skipped", r.summary());
        assertEquals(List.of("one", "two", "three", "four"), r.results().stream().map(Report.Result::name).toList());
    }

    @Test
    void summaryMentionsSkippedOnlyWhenThereAreAny() {
        var r = report(null, false);
        assertEquals("0 passed, 0 failed", r.summary());
        r.check("a", null, () -> {});
        assertEquals("1 passed, 0 failed", r.summary());
        assertFalse(r.failed());
    }

    @Test
    void aStepThatShowsWithoutAssertingIsInfoNeverPass(@TempDir Path tmp) throws Exception {
        var r = report(null, false);
        r.check("asserts", null, () -> Report.expect(true, "never shown"));
        r.check("kwok cannot see a missing /tmp mount", "ctx", () -> {
            throw new Report.Info("the defective chart installed on simulated nodes");
        });
        assertEquals(1, r.count(Report.Status.PASS), "only the step that asserted counts as passed");
        assertEquals(1, r.count(Report.Status.INFO));
        assertFalse(r.failed());
        assertEquals("1 passed, 0 failed, 1 info", r.summary());
        assertEquals(List.of("PASS  asserts",
                "INFO  kwok cannot see a missing /tmp mount — the defective chart installed on simulated nodes"), lines());
        Path file = tmp.resolve("r.xml");
        r.writeJunit(file, 1);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        assertEquals("1", doc.getDocumentElement().getAttribute("skipped"), "JUnit readers must not count the INFO step as passed");
        var info = (Element) doc.getElementsByTagName("testcase").item(1);
        var skipped = (Element) info.getElementsByTagName("skipped").item(0);
        assertEquals("info", skipped.getAttribute("type"));
        assertTrue(skipped.getAttribute("message").startsWith("INFO: the defective chart installed"), skipped.getAttribute("message"));
    }

    @Test
    void consoleLines() {
        var r = report(null, false);
        r.check("renders", "-f values/dev.yaml", () -> {});
        r.check("selectors", "-f values/dev.yaml", () -> Report.expect(false, "selector %s matches %s", "a=b", "worker"));
        r.check("no context", null, () -> Report.fail("bad"));
        r.check("empty context", "", () -> Report.fail("bad"));
        r.check("cluster", "ctx", () -> { throw new Report.Skipped("no cluster"); });
        assertEquals(List.of(
                "PASS  renders",
                "FAIL  selectors — selector a=b matches worker  [-f values/dev.yaml]",
                "FAIL  no context — bad",
                "FAIL  empty context — bad",
                "SKIP  cluster — no cluster"), lines());
    }

    @Test
    void expectPassesWhenTrue() {
        var r = report(null, false);
        r.check("fine", null, () -> Report.expect(true, "never shown %s", "x"));
        assertEquals(List.of("PASS  fine"), lines());
    }

    @Test
    void verboseShowsTimings() {
        var r = report(null, true);
        r.check("quick", null, () -> {});
        assertTrue(lines().get(0).matches("PASS  quick  \\(\\d+ ms\\)"), lines()::toString);
    }

    @Test
    void onlyIsACaseInsensitiveRegexFind() {
        var r = report("schema|^RENDERS", false);
        boolean[] ran = new boolean[3];
        r.check("Kubernetes API schema: default", null, () -> ran[0] = true);
        r.check("renders: default", null, () -> ran[1] = true);
        r.check("lint: default", null, () -> { ran[2] = true; Report.fail("should not run"); });
        assertTrue(ran[0] && ran[1]);
        assertFalse(ran[2], "a check --only does not select must not run");
        assertEquals("2 passed, 0 failed", r.summary());
        assertEquals(List.of("PASS  Kubernetes API schema: default", "PASS  renders: default"), lines());
        assertTrue(r.selected("SCHEMA"));
        assertFalse(r.selected("the renders check"), "^ anchors at the start of the name");
        assertTrue(report(null, false).selected("anything"));
    }

    @Test
    void anUnexpectedExceptionIsAFailureNotACrash() {
        var r = report(null, false);
        r.check("boom", "ctx", () -> { throw new IllegalStateException("exploded"); });
        r.check("wrapped", null, () -> { throw new RuntimeException("outer", new IOException("disk full")); });
        r.check("checked", null, () -> { throw new IOException("no such file"); });
        r.check("after", null, () -> {});
        assertEquals("1 passed, 3 failed", r.summary());
        assertEquals(List.of(
                "FAIL  boom — IllegalStateException: exploded  [ctx]",
                "FAIL  wrapped — RuntimeException: disk full",
                "FAIL  checked — IOException: no such file",
                "PASS  after"), lines());
    }

    @Test
    void failFormatsLocaleIndependently() {
        var r = report(null, false);
        java.util.Locale saved = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY);
            r.check("ratio", null, () -> Report.fail("ratio %.1f", 1.5));
        } finally {
            java.util.Locale.setDefault(saved);
        }
        assertEquals(List.of("FAIL  ratio — ratio 1.5"), lines());
    }

    @Test
    void junitXmlIsWellFormedWithCountsAndEscaping(@TempDir Path tmp) throws Exception {
        var r = report(null, false);
        r.check("a & b <c> \"d\"", null, () -> {});
        r.check("fails", "--set a=<x>&y", () -> Report.fail("expected \"1\" < 2 & found\u0001 bell\u0007 tab\tok"));
        r.check("throws", null, () -> { throw new IllegalStateException("it's > 3"); });
        r.check("skips", null, () -> { throw new Report.Skipped("needs <docker> & \"kind\""); });
        Path file = tmp.resolve("nested/dir/verify.xml");
        r.writeJunit(file, 1234);

        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        Element suite = doc.getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals("verify", suite.getAttribute("name"));
        assertEquals("4", suite.getAttribute("tests"));
        assertEquals("2", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("skipped"));
        assertEquals("1.234", suite.getAttribute("time"));

        var cases = suite.getElementsByTagName("testcase");
        assertEquals(4, cases.getLength());
        var first = (Element) cases.item(0);
        assertEquals("a & b <c> \"d\"", first.getAttribute("name"));
        assertEquals("verify", first.getAttribute("classname"));
        assertEquals(0, first.getChildNodes().getLength(), "a passing test case has no children");

        var failure = (Element) ((Element) cases.item(1)).getElementsByTagName("failure").item(0);
        // control characters are dropped; attribute normalisation turns the tab into a space
        assertEquals("expected \"1\" < 2 & found bell tab ok", failure.getAttribute("message"));
        assertEquals("expected \"1\" < 2 & found bell tab\tok\nvalues: --set a=<x>&y", failure.getTextContent());

        var thrown = (Element) ((Element) cases.item(2)).getElementsByTagName("failure").item(0);
        assertEquals("IllegalStateException: it's > 3", thrown.getAttribute("message"));
        assertEquals("IllegalStateException: it's > 3", thrown.getTextContent(), "no values line without a context");

        var skipped = (Element) ((Element) cases.item(3)).getElementsByTagName("skipped").item(0);
        assertEquals("needs <docker> & \"kind\"", skipped.getAttribute("message"));
        assertEquals(0, ((Element) cases.item(3)).getElementsByTagName("failure").getLength());

        String raw = Files.readString(file);
        assertFalse(raw.contains("\u0001") || raw.contains("\u0007"), "control characters must not reach the XML");
    }

    @Test
    void junitXmlOfAnEmptyReport(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("empty.xml");
        report(null, false).writeJunit(file, 0);
        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
        assertEquals("0", suite.getAttribute("tests"));
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals("0", suite.getAttribute("skipped"));
    }
}
