import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * test.java's background build of the real node's prerequisites: when it starts (once the
 * control plane is built, and only with e2e-real ahead and something missing), that e2e-real
 * waits for it and sees a failure's log, and that a stopped run stops it. A shell command
 * stands in for `cluster.java prepare --real-node`: no real build.
 */
class NodeBuildTest {
    static final List<String> MISSING = List.of("node binaries", "images");

    /** The stages in order, running none: the control plane counts as built once properties has run. */
    static final class Run {
        final List<String> said = new CopyOnWriteArrayList<>();
        final List<String> startedBefore = new ArrayList<>();
        final test.NodeBuild build;
        boolean controlPlane;

        Run(List<String> stages, List<String> missing, boolean controlPlaneAtStart, Path tmp, String script) {
            controlPlane = controlPlaneAtStart;
            build = new test.NodeBuild(stages, missing, () -> controlPlane, List.of("sh", "-c", script), tmp, tmp.resolve("results").resolve(test.NODE_BUILD_LOG), said::add);
        }

        Run stages(List<String> stages) {
            for (int i = 0; i < stages.size(); i++) {
                boolean before = build.started();
                build.before(i);
                if (!before && build.started()) startedBefore.add(stages.get(i));
                if (stages.get(i).equals("properties")) controlPlane = true;
            }
            return this;
        }

        String all() { return String.join("\n", said); }
    }

    @Test
    void startsRightAfterTheStageThatBuiltTheControlPlaneAndE2eRealWaitsForIt(@TempDir Path tmp) throws Exception {
        var run = new Run(test.ALL_STAGES, MISSING, false, tmp, "echo built the node; exit 0").stages(test.ALL_STAGES);
        assertEquals(List.of("e2e-helm4"), run.startedBefore, run.all());
        assertTrue(run.all().contains("in the background") && run.all().contains("node binaries, images"), run.all());
        assertTrue(run.all().matches("(?s).*waiting for the real node's background build .*ended \\(exit 0\\) after \\d+ s; waited \\d+\\.\\d s for it; its log: "
                + Pattern.quote(tmp.resolve("results").resolve(test.NODE_BUILD_LOG).toString()) + ".*"), run.all());
        assertFalse(run.all().contains("failed"), run.all());
        assertEquals("built the node\n", Files.readString(tmp.resolve("results").resolve(test.NODE_BUILD_LOG)));
    }

    @Test
    void startsBeforeTheFirstStageWhenTheControlPlaneIsBuiltAlready(@TempDir Path tmp) {
        var stages = List.of("unit", "e2e-helm4", "e2e-real");
        var run = new Run(stages, MISSING, true, tmp, "exit 0").stages(stages);
        assertEquals(List.of("unit"), run.startedBefore, run.all());
    }

    @Test
    void neverStartsWithoutE2eReal(@TempDir Path tmp) {
        var stages = List.of("unit", "properties", "e2e-helm4", "e2e-helm3", "safety", "defects");
        var run = new Run(stages, MISSING, true, tmp, "exit 0").stages(stages);
        assertEquals(List.of(), run.startedBefore, run.all());
        assertEquals(List.of(), run.said);
        assertFalse(run.build.planned(true));
        assertFalse(Files.exists(tmp.resolve("results")), "no log without a build");
    }

    @Test
    void neverStartsBeforeTheControlPlaneIsBuilt(@TempDir Path tmp) {
        // No cluster stage before e2e-real builds it: e2e-real builds everything itself.
        var stages = List.of("unit", "scripts", "verify-helm4", "e2e-real");
        var run = new Run(stages, MISSING, false, tmp, "exit 0").stages(stages);
        assertEquals(List.of(), run.startedBefore, run.all());
        assertEquals(List.of(), run.said, "no wait before e2e-real when nothing ran");
        assertFalse(run.build.planned(false));
        // properties builds it, but e2e-real comes right after: starting then would gain nothing.
        var late = List.of("unit", "properties", "e2e-real");
        var run2 = new Run(late, MISSING, false, tmp, "exit 0").stages(late);
        assertEquals(List.of(), run2.startedBefore, run2.all());
        assertFalse(run2.build.planned(false));
        assertTrue(new Run(test.ALL_STAGES, MISSING, false, tmp, "exit 0").build.planned(false));
    }

    @Test
    void neverStartsWhenEverythingIsCached(@TempDir Path tmp) {
        var run = new Run(test.ALL_STAGES, List.of(), true, tmp, "exit 0").stages(test.ALL_STAGES);
        assertEquals(List.of(), run.startedBefore, run.all());
        assertFalse(run.build.planned(true));
    }

    @Test
    void aFailedBuildShowsTheEndOfItsLogAndE2eRealGoesOn(@TempDir Path tmp) {
        var run = new Run(test.ALL_STAGES, MISSING, true, tmp, "for i in $(seq 1 30); do echo log line $i; done; exit 3").stages(test.ALL_STAGES);
        String all = run.all();
        assertTrue(all.contains("ended (exit 3)"), all);
        assertTrue(all.contains("  | log line 30") && all.contains("  | log line " + (31 - test.NodeBuild.TAIL_LINES)), all);
        assertFalse(all.contains("  | log line " + (30 - test.NodeBuild.TAIL_LINES) + "\n"), "more than the last lines: " + all);
        assertTrue(all.contains("e2e-real goes on"), all);
    }

    @Test
    void aStoppedRunStopsTheBuildAndWhatItStarted(@TempDir Path tmp) throws Exception {
        var stages = List.of("e2e-helm4", "e2e-real");
        Path pidFile = tmp.resolve("sleep.pid");
        var run = new Run(stages, MISSING, true, tmp, "sleep 300 & echo $! > " + pidFile + "; wait");
        run.build.before(0);
        var m = Pattern.compile("\\(pid (\\d+)\\)").matcher(run.all());
        assertTrue(m.find(), run.all());
        var shell = ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow();
        for (int i = 0; i < 100 && (!Files.isRegularFile(pidFile) || Files.readString(pidFile).isBlank()); i++) Thread.sleep(50);
        var sleep = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow();
        var cleanup = Interrupts.pending().stream().filter(c -> c.what.equals("stop the real node's background build")).findFirst().orElseThrow();
        cleanup.action.run(); // what the shutdown hook runs on Ctrl-C or SIGTERM
        cleanup.close();
        try {
            shell.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            sleep.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            String left = (shell.isAlive() ? "the build (pid " + shell.pid() + ") " : "") + (sleep.isAlive() ? "what it started (pid " + sleep.pid() + ")" : "");
            sleep.destroyForcibly();
            shell.destroyForcibly();
            throw new AssertionError("10 s after the stop, still running: " + left);
        }
        run.build.before(1);
        assertTrue(run.all().contains("ended (exit 143)"), run.all());
        assertTrue(Interrupts.pending().stream().noneMatch(c -> c.what.equals("stop the real node's background build")), "the clean-up stays registered");
    }

    @Test
    void theStartLineSaysTheNodeBuildsRunInTheBackground() {
        String cold = test.firstBuilds(test.ALL_STAGES, false, MISSING, true);
        assertTrue(cold.contains("the control plane from Go modules"), cold);
        assertTrue(cold.contains("kubelet") && cold.contains("the images"), cold);
        assertTrue(cold.contains("the real node's builds run in the background at the lowest CPU priority, during the kwok stages") && cold.contains("cluster.java prepare --real-node"), cold);
        assertTrue(cold.indexOf("the control plane") < cold.indexOf("background") && cold.indexOf("background") < cold.indexOf("kubelet"), "the control plane first, the node later: " + cold);
        String warmControlPlane = test.firstBuilds(test.ALL_STAGES, true, MISSING, true);
        assertTrue(warmControlPlane.startsWith("the real node's builds run in the background"), warmControlPlane);
        String foreground = test.firstBuilds(List.of("e2e-real"), false, MISSING, false);
        assertFalse(foreground.contains("background"), foreground);
        assertTrue(foreground.contains("kubelet"), foreground);
        assertTrue(test.firstBuilds(test.ALL_STAGES, true, List.of(), false).startsWith("nothing to build first"));
    }
}
