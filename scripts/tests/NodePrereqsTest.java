import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cluster.java prepare: what it makes, in which order, what it says, and that one failed part does not stop the others. On stand-in parts: no real build. */
class NodePrereqsTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final Progress progress = new Progress("cluster", new PrintStream(out, true, StandardCharsets.UTF_8));
    final List<String> made = new ArrayList<>();

    NodePrereqs.Part part(String name, boolean ready) {
        return new NodePrereqs.Part(name, "what " + name + " holds", () -> ready, say -> {
            made.add(name);
            say.accept("making " + name);
        });
    }

    String said() { return out.toString(StandardCharsets.UTF_8); }

    @Test
    void everythingThereIsOneLineAndBuildsNothing() {
        var failed = NodePrereqs.prepare(List.of(part("control plane", true), part("node binaries", true), part("images", true)), progress);
        assertEquals(List.of(), failed);
        assertEquals(List.of(), made);
        assertEquals("cluster: nothing to build: all there already (control plane, node binaries, images)\n", said());
    }

    @Test
    void onlyTheMissingPartsAreMadeInOrderEachTimed() {
        var failed = NodePrereqs.prepare(List.of(part("control plane", true), part("node binaries", false), part("images", false)), progress);
        assertEquals(List.of(), failed);
        assertEquals(List.of("node binaries", "images"), made);
        String s = said();
        assertTrue(s.startsWith("cluster: to build: node binaries (what node binaries holds); images (what images holds)\n"), s);
        assertTrue(s.matches("(?s).*cluster: making node binaries\n.*cluster: node binaries: done in \\d+\\.\\d s\n.*"), s);
        assertTrue(s.contains("cluster: stage timings") && s.contains("  images "), s);
        assertFalse(s.contains("control plane"), "a part that is there is not named as made: " + s);
    }

    @Test
    void aFailedPartIsNamedAndTheNextIsStillMade() {
        var broken = new NodePrereqs.Part("host packages", "containerd", () -> false, say -> {
            throw new Problem.ToolMissing("installing them needs root (this runs as uid 1000)");
        });
        var failed = NodePrereqs.prepare(List.of(broken, part("node binaries", false)), progress);
        assertEquals(List.of("host packages: installing them needs root (this runs as uid 1000)"), failed);
        assertEquals(List.of("node binaries"), made);
        assertTrue(said().contains("host packages: failed in "), said());
    }

    /** The real node's parts are the ones up --real-node makes, in its order: host packages first (so one message names them all), the images last. */
    @Test
    void theRealNodesPartsAreWhatUpMakes() {
        var parts = NodePrereqs.realNode(Repo.root());
        assertEquals(List.of("host packages", "node binaries", "images"), parts.stream().map(NodePrereqs.Part::name).toList());
        assertTrue(parts.get(0).holds().contains("containerd=" + RealNode.PACKAGES.get(0).version()), parts.get(0).holds());
        assertEquals(List.of("control plane"), NodePrereqs.controlPlane(Repo.root()).stream().map(NodePrereqs.Part::name).toList());
    }
}
