//SOURCES ../tools/Exec.java
//SOURCES Report.java

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Long work made visible: each step's name when it starts, and when it ends its outcome with
 * its duration: done, failed (it threw, or the tool it ran exited non-zero), shown (info) or
 * skipped.
 */
final class Progress {
    private final String tool;
    private final PrintStream out;
    private final List<String> timings = new ArrayList<>();

    Progress(String tool, PrintStream out) {
        this.tool = tool;
        this.out = out;
    }

    void info(String msg) { out.println(tool + ": " + msg); }

    void step(String what, Runnable body) { step(what, () -> { body.run(); return null; }); }

    <T> T step(String what, Supplier<T> body) {
        info(what + " …");
        long t0 = System.nanoTime();
        String outcome = "failed";
        try {
            T r = body.get();
            // A tool that ran to its end and failed (helm's exit 1) is a failed step, not a done one.
            outcome = r instanceof Exec.Result tool && !tool.ok() ? "failed (exit " + tool.exit() + ")" : "done";
            return r;
        } catch (Report.Info | Report.Skipped e) {
            // a step that showed something or could not run here did not fail
            outcome = e instanceof Report.Info ? "shown (info)" : "skipped";
            throw e;
        } finally {
            double s = (System.nanoTime() - t0) / 1e9;
            timings.add(String.format(Locale.ROOT, "%-44s %7.1f s%s", what, s, outcome.equals("done") ? "" : "  (" + outcome + ")"));
            info(String.format(Locale.ROOT, "%s: %s in %.1f s", what, outcome, s));
        }
    }

    /** One line per step, for the end of a long run. */
    void printTimings() {
        out.println(tool + ": stage timings");
        timings.forEach(t -> out.println("  " + t));
    }
}
