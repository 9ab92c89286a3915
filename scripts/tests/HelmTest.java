import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Helm's value arguments, and version detection against fake helm binaries. */
class HelmTest {
    @TempDir Path tmp;

    @Test
    void valuesArgsAreFilesThenSetsInOrder() {
        var v = new Helm.Values(List.of(Path.of("values/dev.yaml"), Path.of("/abs/prod.yaml")),
                List.of("image.tag=1.2", "--set-json resources={\"limits\": {\"cpu\": 1}}", "--set-string podAnnotations.n=007", "a=b"));
        assertEquals(List.of("-f", "values/dev.yaml", "-f", "/abs/prod.yaml",
                "--set", "image.tag=1.2",
                "--set-json", "resources={\"limits\": {\"cpu\": 1}}",
                "--set-string", "podAnnotations.n=007",
                "--set", "a=b"), v.args());
    }

    /** A flag spelled with '=' ends at that '=', not at the first space of a JSON value. */
    @Test
    void setJsonWithASpaceStaysOneArgument() {
        var v = new Helm.Values(List.of(), List.of("--set-json=resources={\"limits\": {\"cpu\": 1}}", "--set-string=podAnnotations.note=two words"));
        assertEquals(List.of("--set-json", "resources={\"limits\": {\"cpu\": 1}}", "--set-string", "podAnnotations.note=two words"), v.args());
    }

    /** The deployed values go to helm's stdin, first, so that every file and --set lands on top of them. */
    @Test
    void deployedValuesComeFirstFromStdin() {
        var v = new Helm.Values(List.of(Path.of("more.yaml")), List.of("a=b"), "image:\n  tag: \"1.0\"\n");
        assertEquals(List.of("-f", "-", "-f", "more.yaml", "--set", "a=b"), v.args());
        assertEquals("the release's deployed values -f more.yaml --set a=b", v.describe());
    }

    @Test
    void valuesDescribe() {
        var v = new Helm.Values(List.of(Path.of("values/dev.yaml")), List.of("image.tag=1.2", "--set-json a=[1]"));
        assertEquals("-f values/dev.yaml --set image.tag=1.2 --set-json a=[1]", v.describe());
        assertEquals("default values", Helm.Values.none().describe());
        assertEquals(List.of(), Helm.Values.none().args());
        assertEquals("--set x=1", new Helm.Values(List.of(), List.of("x=1")).describe());
    }

    /** A fake helm that answers `version --template {{.Version}}` only; anything else fails. */
    private Path fakeHelm(String name, String body) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private Path fakeHelmVersion(String version) throws IOException {
        return fakeHelm("helm-" + version, """
                if [ "$1 $2 $3" = "version --template {{.Version}}" ]; then printf '%s' 'VERSION'; exit 0; fi
                echo "unexpected arguments: $*" >&2; exit 3""".replace("VERSION", version));
    }

    @Test
    void helm313IsTooOld() throws IOException {
        var e = assertThrows(Problem.ToolMissing.class, () -> Helm.at(fakeHelmVersion("v3.13.0")));
        assertTrue(e.getMessage().contains("v3.13.0") && e.getMessage().contains("3.14 or newer"), e.getMessage());
        assertThrows(Problem.ToolMissing.class, () -> Helm.at(fakeHelmVersion("v2.17.0")));
    }

    @Test
    void helm3() throws IOException {
        Path bin = fakeHelmVersion("v3.17.2");
        var h = Helm.at(bin);
        assertEquals(3, h.major);
        assertEquals("v3.17.2", h.version);
        assertEquals(bin, h.binary);
        assertEquals("--atomic", h.rollbackOnFailureFlag());
        assertEquals("--wait", h.waitFlag());
        assertEquals("helm v3.17.2 (" + bin + ")", h.toString());
    }

    @Test
    void helm314IsTheOldestAccepted() throws IOException {
        assertEquals(3, Helm.at(fakeHelmVersion("v3.14.0")).major);
    }

    @Test
    void helm4() throws IOException {
        var h = Helm.at(fakeHelmVersion("v4.1.4"));
        assertEquals(4, h.major);
        assertEquals("--rollback-on-failure", h.rollbackOnFailureFlag());
        assertEquals("--wait=watcher", h.waitFlag());
    }

    @Test
    void versionOutputIsTrimmed() throws IOException {
        var h = Helm.at(fakeHelm("helm-nl", "echo '  v4.0.0  '"));
        assertEquals("v4.0.0", h.version);
        assertEquals(4, h.major);
    }

    @Test
    void missingBinaryIsToolMissing() {
        var e = assertThrows(Problem.ToolMissing.class, () -> Helm.at(tmp.resolve("no-such-helm")));
        assertTrue(e.getMessage().contains("no-such-helm"), e.getMessage());
    }

    @Test
    void aFailingVersionCommandIsToolMissingWithWhatItSaid() throws IOException {
        var e = assertThrows(Problem.ToolMissing.class, () -> Helm.at(fakeHelm("helm-broken", "echo 'segfault in plugin' >&2; exit 1")));
        assertTrue(e.getMessage().contains("version failed: segfault in plugin"), e.getMessage());
    }

    @Test
    void anUnparsableVersionIsToolMissing() throws IOException {
        var e = assertThrows(Problem.ToolMissing.class, () -> Helm.at(fakeHelm("helm-odd", "echo 'not a version'")));
        assertTrue(e.getMessage().contains("unexpected version: not a version"), e.getMessage());
    }

    @Test
    void templatePassesReleaseChartNamespaceAndValues() throws IOException {
        Path bin = fakeHelm("helm-echo", """
                if [ "$1" = version ]; then printf v4.1.4; exit 0; fi
                printf '%s\\n' "$@\"""");
        var h = Helm.at(bin);
        var r = h.template("rel", Path.of("helm/trevor"), "ns",
                new Helm.Values(List.of(Path.of("values/dev.yaml")), List.of("a=b", "--set-string c=d")));
        assertEquals(0, r.exit());
        assertEquals(List.of("template", "rel", "helm/trevor", "--namespace", "ns", "-f", "values/dev.yaml",
                "--set", "a=b", "--set-string", "c=d"), r.out().lines().toList());
        var lint = h.lint(Path.of("helm/trevor"), Helm.Values.none());
        assertEquals(List.of("lint", "--strict", "helm/trevor"), lint.out().lines().toList());
    }
}
