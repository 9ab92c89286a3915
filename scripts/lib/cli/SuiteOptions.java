//DEPS info.picocli:picocli:4.7.7
//SOURCES ../tools/Problem.java
//SOURCES ../report/Report.java

import java.nio.file.Path;
import java.util.Collection;
import picocli.CommandLine.Option;

/**
 * The options of the scripts that report checks, spelled once: picocli mixins, so every such
 * script names them, describes them and treats them the same way.
 */
final class SuiteOptions {
    private SuiteOptions() {}

    /** --junit FILE: the results as JUnit XML too. */
    static final class Junit {
        @Option(names = "--junit", paramLabel = "FILE", description = "Also write the results as JUnit XML to FILE.")
        Path file;

        /** Refuses (exit 2) a FILE that could not be written, before any check runs. */
        void checkTarget() { if (file != null) Report.junitTarget(file); }

        /** Writes the report's results, when --junit was given. */
        void write(Report report, long millis) throws java.io.IOException { if (file != null) report.writeJunit(file, millis); }
    }

    /**
     * --only PATTERN: the checks a run takes, as Report selects them (a case-insensitive regular
     * expression found in the name). A selection that matches nothing exits 2 naming the pattern:
     * here when the script knows its checks' names before it runs them, else at Report.finish.
     */
    static final class Only {
        @Option(names = "--only", paramLabel = "PATTERN", description = "Run only the checks whose name matches this regular expression "
                + "(case-insensitive); one that matches no check exits 2.")
        String pattern;

        /** Refuses (exit 2) a PATTERN that is no regular expression before a tool is fetched or a cluster made. */
        void checkPattern() { Report.selection(pattern); }

        /** Refuses (exit 2) a PATTERN that selects none of names, before any of them runs. */
        void requireAnyOf(Collection<String> names, String script) {
            var p = Report.selection(pattern);
            if (p != null && names.stream().noneMatch(n -> Report.selects(p, n))) {
                throw new Problem.BadInput("--only '" + pattern + "' matches none of the " + names.size() + " checks; " + script + " --list names them");
            }
        }
    }

    /** --list: the checks' names, and no run. */
    static final class Listing {
        @Option(names = "--list", description = "Print the names of the checks --only selects (every check without it) and run none.")
        boolean list;
    }

    /** --diagnostics DIR: where a failure's diagnostics go. */
    static final class DiagnosticsDir {
        @Option(names = "--diagnostics", paramLabel = "DIR", description = "Where a failure's diagnostics go (default: build/${COMMAND-NAME}-diagnostics).")
        Path dir;

        /** The folder given, else the script's default; absolute. */
        Path or(Path fallback) { return (dir != null ? dir : fallback).toAbsolutePath(); }
    }
}
