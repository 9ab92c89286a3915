///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/cli/Cli.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/ToolPins.java
//SOURCES lib/tools/Tools.java

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Resolves the pinned external tools (see lib/tools/Tools.java).
 *
 * <pre>
 *   ./jbang scripts/tools.java path helm4        # prints the path (fetches it first if needed)
 *   ./jbang scripts/tools.java path go           # a go >= 1.26: PATH, $GOROOT/bin, /usr/local/go/bin, else the pinned toolchain
 *   ./jbang scripts/tools.java fetch-all         # resolves all tools, fetching what is missing (go too: 72 MB if none fits)
 *   ./jbang scripts/tools.java fetch-all --pinned  # fills the cache even if PATH has fitting tools
 *   ./jbang scripts/tools.java run helm3 -- version
 *   ./jbang scripts/tools.java list              # pinned versions, sources, overrides
 *   ./jbang scripts/tools.java cache-dir
 * </pre>
 *
 * Status lines go to stderr, results to stdout.
 */
@Command(name = "tools", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Resolves the pinned external tools (helm 3, helm 4, kubectl, just, go), fetching what is missing.",
        footerHeading = "%nResolution:%n",
        footer = {"$TREVOR_<TOOL> override, else a fitting tool on PATH (unless TREVOR_TOOLS_NO_PATH=1), else the pinned "
                + "download in $TREVOR_CACHE (default $${XDG_CACHE_HOME:-~/.cache}/trevor-chart-ops).",
                "go: go >= 1.26 from PATH, $GOROOT/bin or /usr/local/go/bin, else the pinned toolchain from the Go module proxy "
                + "($TREVOR_GOPROXY, else the first URL in $GOPROXY or in `go env GOPROXY`)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (run: the tool's own exit code)", "2:bad usage, unknown tool, or a tool that could not be found or fetched"})
public class tools implements Callable<Integer> {
    static final Consumer<String> PROGRESS = m -> System.err.println("[tools] " + m);

    @Spec CommandSpec spec;

    public static void main(String[] args) {
        var cmd = new CommandLine(new tools());
        // everything after the tool's name is the tool's own: its options are not ours
        cmd.getSubcommands().get("run").setStopAtPositional(true);
        System.exit(Cli.execute(cmd.getCommandSpec(), args));
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: path, fetch-all, run, list or cache-dir");
    }

    /** The tool ids, for the help and shell completion. */
    static final class Ids implements Iterable<String> {
        @Override public Iterator<String> iterator() { return Tools.ids().iterator(); }
    }

    @Command(name = "path", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Print the tool's path, fetching it if needed.")
    int path(@Parameters(paramLabel = "TOOL", completionCandidates = Ids.class, description = "One of: ${COMPLETION-CANDIDATES}.")
             String tool) {
        System.out.println(Tools.resolve(tool, PROGRESS));
        return 0;
    }

    @Command(name = "fetch-all", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Resolve every tool, fetching what is missing.")
    int fetchAll(@Option(names = "--pinned", description = "Fill the cache with the pinned versions even if PATH has fitting ones.")
                 boolean pinned) {
        for (String id : Tools.ids()) {
            Tools.Resolved r = pinned ? Tools.fetchPinned(id, PROGRESS) : Tools.locate(id, PROGRESS);
            System.out.printf("%-8s %-8s %-10s %s%n", id, r.version() == null ? "?" : r.version(), r.source(), r.path());
        }
        return 0;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Run the tool with the given arguments (a leading -- is dropped).")
    int run(@Parameters(index = "0", paramLabel = "TOOL", completionCandidates = Ids.class,
                    description = "One of: ${COMPLETION-CANDIDATES}.") String tool,
            @Parameters(index = "1..*", paramLabel = "ARG", description = "The tool's arguments.") List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Tools.resolve(tool, PROGRESS).toString());
        if (args != null) command.addAll(!args.isEmpty() && args.get(0).equals("--") ? args.subList(1, args.size()) : args);
        try {
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new Problem.ToolMissing("could not start " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Pinned versions, sources and override variables.")
    int list() {
        for (String id : Tools.ids()) {
            System.out.printf("%-8s %-8s override: %-15s pinned from: %s%n", id, ToolPins.pinnedVersion(id),
                    Tools.envVar(id), ToolPins.pinnedSource(id));
        }
        System.out.println("cache: " + Tools.toolsDir());
        return 0;
    }

    @Command(name = "cache-dir", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, description = "Print the cache directory.")
    int cacheDir() {
        System.out.println(Tools.cacheDir());
        return 0;
    }
}
