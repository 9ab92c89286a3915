import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A helm run is used again only when nothing it read changed: binary, command, chart and values bytes. */
class HelmRunsTest {
    @TempDir Path tmp;
    Path chart, values, store, scratch, counter;
    Helm helm;

    /** A fake helm: each run prints how many runs there were, and the chart path it was given. */
    @BeforeEach
    void setUp() throws IOException {
        counter = tmp.resolve("count");
        Files.writeString(counter, "0");
        Path bin = tmp.resolve("helm");
        Files.writeString(bin, "#!/bin/sh\nn=$(( $(cat " + counter + ") + 1 )); echo $n > " + counter + "\necho \"run $n of $3\"\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        helm = Helm.of(bin, "v4.1.4");
        chart = Files.createDirectories(tmp.resolve("chart/templates"));
        chart = chart.getParent();
        Files.writeString(chart.resolve("Chart.yaml"), "name: c\n");
        Files.writeString(chart.resolve("templates/a.yaml"), "a: 1\n");
        values = tmp.resolve("values.yaml");
        Files.writeString(values, "x: 1\n");
        store = tmp.resolve("store");
        scratch = Files.createDirectories(tmp.resolve("scratch-1"));
    }

    String render(HelmRuns runs, Path c, String... sets) {
        return runs.template("r", c, "ns", new Helm.Values(List.of(values), List.of(sets))).out().strip();
    }

    @Test
    void theSameRunIsUsedAgainUntilSomethingItReadChanges() throws IOException {
        var runs = new HelmRuns(helm, store, true, scratch);
        assertEquals("run 1 of " + chart, render(runs, chart));
        assertEquals("run 1 of " + chart, render(new HelmRuns(helm, store, true, scratch), chart), "nothing changed");
        assertEquals("run 2 of " + chart, render(new HelmRuns(helm, store, true, scratch), chart, "a=b"), "another --set");
        Files.writeString(chart.resolve("templates/a.yaml"), "a: 2\n");
        assertEquals("run 3 of " + chart, render(new HelmRuns(helm, store, true, scratch), chart), "a template changed");
        Files.writeString(values, "x: 2\n");
        assertEquals("run 4 of " + chart, render(new HelmRuns(helm, store, true, scratch), chart), "a values file changed");
        assertEquals("run 5 of " + chart, render(new HelmRuns(helm, store, false, scratch), chart), "reuse off");
        assertEquals("run 5 of " + chart, render(new HelmRuns(helm, store, true, scratch), chart), "stored by the run with reuse off");
        assertEquals("run 6 of " + chart, render(HelmRuns.direct(helm), chart), "nothing stored");
        assertEquals("run 7 of " + chart, render(new HelmRuns(Helm.of(helm.binary, "v4.1.5"), store, true, scratch), chart), "another helm");
    }

    @Test
    void chartsInTheScratchFolderAreKnownByTheirBytesAndNamedAfterTheRunsOwnFolder() throws IOException {
        Path first = scratch.resolve("umbrella");
        Dirs.copyTree(chart, first);
        assertEquals("run 1 of " + first, render(new HelmRuns(helm, store, true, scratch), first));
        Path scratch2 = Files.createDirectories(tmp.resolve("scratch-2"));
        Path second = scratch2.resolve("umbrella");
        Dirs.copyTree(chart, second);
        assertEquals("run 1 of " + second, render(new HelmRuns(helm, store, true, scratch2), second), "same bytes, this run's folder in the output");
        Files.writeString(second.resolve("Chart.yaml"), "name: d\n");
        assertTrue(render(new HelmRuns(helm, store, true, scratch2), second).startsWith("run 2 "));
    }

    /**
     * A chart verify builds from another (the NOTES probe) stays in one folder while only the
     * bytes of that chart change, so the batches that hold it stay the same commands (started
     * ahead after an edit); it reads the edit through its links, and a run made from it is not
     * used again after the edit.
     */
    @Test
    void aChartBuiltFromAnotherKeepsItsFolderAcrossAnEditAndSeesTheEdit() throws IOException {
        var probe = ChartFixtures.notesProbe(chart);
        Path stand = scratch.resolve("notes");
        Path dir = new HelmRuns(helm, store, true, scratch).fixture(probe, chart, stand);
        assertEquals("run 1 of " + dir, render(new HelmRuns(helm, store, true, scratch), dir));
        assertTrue(Files.isRegularFile(dir.resolve("templates/zz-verify-notes.yaml")), "its own template");
        Files.writeString(chart.resolve("templates/a.yaml"), "a: 2 # edited\n");
        assertEquals(dir, new HelmRuns(helm, store, true, scratch).fixture(probe, chart, stand), "a template edited: the same folder");
        assertEquals("a: 2 # edited\n", Files.readString(dir.resolve("templates/a.yaml")), "the edit seen through it");
        assertEquals("run 2 of " + dir, render(new HelmRuns(helm, store, true, scratch), dir), "rendered anew after the edit");
        Files.writeString(chart.resolve("templates/b.yaml"), "b: 1\n");
        Path withB = new HelmRuns(helm, store, true, scratch).fixture(probe, chart, stand);
        assertNotEquals(dir, withB, "a template added: another folder");
        assertEquals("b: 1\n", Files.readString(withB.resolve("templates/b.yaml")));
    }
}
