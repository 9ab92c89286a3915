///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Tools.java
//SOURCES lib/Problem.java
//SOURCES lib/Archives.java
//SOURCES lib/Download.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Resolves the pinned external tools (see lib/Tools.java).
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
 * Status lines go to stderr, results to stdout. Exit codes: 0 ok, 1 tool error, 2 usage.
 */
class ToolsCli {
    static final Consumer<String> PROGRESS = m -> System.err.println("[tools] " + m);

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (Tools.ToolException e) {
            System.err.println("[tools] error: " + e.getMessage());
            System.exit(1);
        }
    }

    static int run(String[] args) {
        if (args.length == 0) return usage("missing command");
        String cmd = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        switch (cmd) {
            case "path": {
                if (rest.size() != 1) return usage("path takes one tool: " + String.join("|", Tools.ids()));
                if (!Tools.ids().contains(rest.get(0))) return usage("unknown tool '" + rest.get(0) + "'");
                System.out.println(Tools.resolve(rest.get(0), PROGRESS));
                return 0;
            }
            case "fetch-all": {
                boolean pinned = rest.contains("--pinned");
                if (rest.size() > (pinned ? 1 : 0)) return usage("fetch-all takes only --pinned");
                for (String id : Tools.ids()) {
                    Tools.Resolved r = pinned ? Tools.fetchPinned(id, PROGRESS) : Tools.locate(id, PROGRESS);
                    System.out.printf("%-8s %-8s %-10s %s%n", id, r.version() == null ? "?" : r.version(),
                            r.source(), r.path());
                }
                return 0;
            }
            case "run": {
                if (rest.isEmpty()) return usage("run takes a tool and its arguments");
                String id = rest.get(0);
                if (!Tools.ids().contains(id)) return usage("unknown tool '" + id + "'");
                List<String> toolArgs = new ArrayList<>(rest.subList(1, rest.size()));
                if (!toolArgs.isEmpty() && toolArgs.get(0).equals("--")) toolArgs.remove(0);
                Path bin = Tools.resolve(id, PROGRESS);
                List<String> command = new ArrayList<>();
                command.add(bin.toString());
                command.addAll(toolArgs);
                try {
                    return new ProcessBuilder(command).inheritIO().start().waitFor();
                } catch (java.io.IOException e) {
                    throw new Tools.ToolException("could not start " + bin + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 130;
                }
            }
            case "list": {
                for (String id : Tools.ids()) {
                    System.out.printf("%-8s %-8s override: %-15s pinned from: %s%n", id, ToolPins.pinnedVersion(id),
                            Tools.envVar(id), ToolPins.pinnedSource(id));
                }
                System.out.println("cache: " + Tools.toolsDir());
                return 0;
            }
            case "cache-dir":
                System.out.println(Tools.cacheDir());
                return 0;
            case "-h":
            case "--help":
            case "help":
                System.out.println(help());
                return 0;
            default:
                return usage("unknown command '" + cmd + "'");
        }
    }

    static int usage(String problem) {
        System.err.println("[tools] " + problem);
        System.err.println(help());
        return 2;
    }

    static String help() {
        return String.join("\n",
                "usage: tools.java <command>",
                "  path <" + String.join("|", Tools.ids()) + ">  print the tool's path, fetching it if needed",
                "  fetch-all [--pinned]     resolve every tool (--pinned: fill the cache even if PATH has one)",
                "  run <tool> [--] args...  run the tool",
                "  list                     pinned versions, sources and override variables",
                "  cache-dir                print the cache directory",
                "Resolution: $TREVOR_<TOOL> override, else a fitting tool on PATH (unless TREVOR_TOOLS_NO_PATH=1),",
                "else the pinned download in $TREVOR_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/trevor-chart-ops).",
                "go: go >= 1.26 from PATH, $GOROOT/bin or /usr/local/go/bin, else the pinned toolchain from the Go",
                "module proxy ($TREVOR_GOPROXY, else the first URL in $GOPROXY or in `go env GOPROXY`).");
    }
}
