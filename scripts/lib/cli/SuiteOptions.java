//DEPS info.picocli:picocli:4.7.7
//SOURCES ../report/Report.java

import java.nio.file.Path;
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

    /** --diagnostics DIR: where a failure's diagnostics go. */
    static final class DiagnosticsDir {
        @Option(names = "--diagnostics", paramLabel = "DIR", description = "Where a failure's diagnostics go (default: build/${COMMAND-NAME}-diagnostics).")
        Path dir;

        /** The folder given, else the script's default; absolute. */
        Path or(Path fallback) { return (dir != null ? dir : fallback).toAbsolutePath(); }
    }
}
