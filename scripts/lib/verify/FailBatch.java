//SOURCES HelmRuns.java
//SOURCES Layout.java
//SOURCES RenderBatch.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The values a chart's templates `fail` on, many at once. A render stops at its first
 * failure, so `helm template` can refuse only one set of values per process. `helm lint`
 * renders each chart it is given in lint mode, where `fail` and `required` log their message
 * and the render goes on: one lint of many small parent charts, each holding the chart under
 * an alias with one member's values, logs every member's refusals in order. Each parent ends
 * with a template that logs a marker, so the messages are told apart member by member.
 *
 * <p>A member's first logged message is what `helm template` stops at: both run the same
 * templates in the same order, with the same values. Lint mode names the release
 * "test-release"; the runner renders the first member with `helm template` as well and
 * compares the two, so a chart whose refusals depend on anything lint mode changes is refused
 * member by member.
 */
final class FailBatch {
    private FailBatch() {}

    static final String MARKER = "verify-batch-end ";

    /** What the lint said about one member: its messages (null when they could not be told apart) and its section. */
    record Said(List<String> messages, String section) {}

    /**
     * Builds one parent chart per member under dir and lints them all in one process. Returns
     * each member's messages, in member order; a member whose messages cannot be told apart
     * from a neighbour's (a render that stopped on an error before its marker) gets null.
     */
    static Map<String, Said> lint(HelmRuns helm, Path dir, String namespace, List<RenderBatch.Member> members) {
        return lint(helm, dir, namespace, members, false);
    }

    /**
     * As above; schemaElsewhere: the members' values schemas are checked in another run (an
     * umbrella that holds them once, see {@link RenderBatch#render}), so each parent links its
     * member's chart without a schema that run can hold, and Helm does not compile it once per member.
     */
    static Map<String, Said> lint(HelmRuns helm, Path dir, String namespace, List<RenderBatch.Member> members, boolean schemaElsewhere) {
        try {
            var layout = new Layout();
            var parents = new ArrayList<String>();
            var files = new ArrayList<String>();
            var sets = new ArrayList<String>();
            for (var m : members) {
                String wrapper = "w" + m.alias();
                var c = RenderBatch.chart(m.chart(), layout, wrapper + "/charts/", List.of(), schemaElsewhere);
                layout.file(wrapper + "/Chart.yaml", "apiVersion: v2\nname: " + wrapper + "\nversion: 0.0.0\ndependencies:\n  - name: "
                        + c.name() + "\n    version: \"" + c.version() + "\"\n    alias: " + m.alias() + "\n");
                layout.file(wrapper + "/values.yaml", m.alias() + ":\n" + (c.overridable() ? "  nameOverride: " + Yaml.json(c.name()) + "\n" : "  {}\n"));
                layout.file(wrapper + "/templates/zz-verify-end.yaml", "{{- fail " + Yaml.json(MARKER + wrapper) + " }}\n");
                parents.add(wrapper);
                RenderBatch.aliased(m, layout, files, sets);
            }
            Path at = helm.place(layout, dir);
            var r = helm.lintBatch(namespace, layout, parents, files, sets, at);
            return attribute(r.err(), r.out(), members, parents.stream().map(at::resolve).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Said> attribute(String logs, String out, List<RenderBatch.Member> members, List<Path> parents) {
        var messages = messages(logs);
        var result = new LinkedHashMap<String, Said>();
        int from = 0;
        boolean previousStopped = false;
        for (int i = 0; i < members.size(); i++) {
            String alias = members.get(i).alias();
            String section = section(out, parents.get(i));
            int end = -1;
            for (int k = from; k < messages.size(); k++) {
                if ((MARKER + "w" + alias).equals(messages.get(k))) { end = k; break; }
            }
            if (end < 0 || previousStopped) {
                // A render that stopped on an error logs no marker: the messages before the next
                // marker may be its own or the next member's. Neither is told from the lint.
                result.put(alias, new Said(null, section));
                previousStopped = end < 0;
                if (end >= 0) from = end + 1;
                continue;
            }
            result.put(alias, new Said(List.copyOf(messages.subList(from, end)), section));
            from = end + 1;
        }
        return result;
    }

    private static final Pattern HELM4 = Pattern.compile("^level=\\w+ msg=\"(?:funcMap fail|missing required value)\" message=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern HELM3 = Pattern.compile("^\\S+\\.go:\\d+: \\[INFO\\] (?:Fail|Missing required value): (.*)$");
    private static final Pattern LOG_LINE = Pattern.compile("^(?:\\S+\\.go:\\d+: |level=\\w+ )");

    /** The messages `fail` and `required` logged in lint mode, in order (Helm 3's log lines and Helm 4's). */
    static List<String> messages(String logs) {
        var out = new ArrayList<String>();
        StringBuilder open = null; // a Helm 3 message, which may go on over several lines
        for (String line : logs.split("\n", -1)) {
            var m4 = HELM4.matcher(line);
            var m3 = HELM3.matcher(line);
            if (m4.find()) {
                open = null;
                out.add(unquote(m4.group(1)));
            } else if (m3.matches()) {
                open = new StringBuilder(m3.group(1));
                out.add(open.toString());
            } else if (LOG_LINE.matcher(line).find()) {
                open = null;
            } else if (open != null && !line.isEmpty()) {
                open.append('\n').append(line);
                out.set(out.size() - 1, open.toString());
            }
        }
        return out;
    }

    private static String unquote(String s) {
        var b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char n = s.charAt(++i);
            b.append(switch (n) {
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> n;
            });
        }
        return b.toString();
    }

    private static String section(String out, Path chart) {
        String head = "==> Linting " + chart;
        int from = out.indexOf(head + "\n");
        if (from < 0) return "";
        int to = out.indexOf("==> Linting ", from + head.length());
        return out.substring(from, to < 0 ? out.length() : to);
    }
}
