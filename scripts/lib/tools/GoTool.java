//SOURCES BuildLock.java
//SOURCES Dirs.java
//SOURCES Exec.java
//SOURCES Problem.java
//SOURCES Tools.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A command built from a pinned Go module into the tool cache, once (helm-docs): `go install
 * MODULE/PKG@VERSION` with GOBIN in a staging folder, renamed into place when it built. The
 * module proxy is the user's own (GOPROXY, or go's configuration).
 */
final class GoTool {
    private GoTool() {}

    record Pin(String name, String pkg, String version) {
        Path dir() { return Tools.toolsDir().resolve(name + "-" + version.replaceFirst("^v", "")); }
        Path binary() { return dir().resolve(name); }
    }

    static final Pin HELM_DOCS = new Pin("helm-docs", "github.com/norwoodj/helm-docs/cmd/helm-docs", "v1.14.2");

    /** The pinned command, built first if it is not in the cache. Needs a go on PATH (or the pinned one). */
    static Path ensure(Pin pin, Consumer<String> progress) {
        BuildLock.once(Tools.toolsDir(), pin.name() + "-" + pin.version(), ".build-" + pin.name() + "-", () -> Files.isExecutable(pin.binary()),
                () -> build(pin, progress), progress);
        return pin.binary();
    }

    private static void build(Pin pin, Consumer<String> progress) {
        Path go = Tools.go(progress);
        Path staging;
        try {
            staging = Files.createTempDirectory(Tools.toolsDir(), ".build-" + pin.name() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            progress.accept("go install " + pin.pkg() + "@" + pin.version() + " (once; under a minute)");
            var r = Exec.run(List.of(go.toString(), "install", "-trimpath", pin.pkg() + "@" + pin.version()), staging,
                    Map.of("GOBIN", staging.toString(), "CGO_ENABLED", "0", "GOFLAGS", "-buildvcs=false"), Duration.ofMinutes(20), null);
            if (!r.ok() || !Files.isExecutable(staging.resolve(pin.name()))) {
                throw new Problem.ToolMissing("go install " + pin.pkg() + "@" + pin.version() + " failed: " + r.said().lines().findFirst().orElse("")
                        + ". The Go module proxy must serve it (GOPROXY, or go env GOPROXY)");
            }
            try {
                Files.move(staging, pin.dir());
            } catch (IOException e) {
                if (!Files.isExecutable(pin.binary())) throw new UncheckedIOException(e);
            }
        } finally {
            Dirs.deleteTree(staging);
        }
    }
}
