import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** --only and --list, spelled once for every script that reports checks. */
class SuiteOptionsTest {
    @Command(name = "demo")
    static final class Demo {
        @Mixin SuiteOptions.Only only = new SuiteOptions.Only();
        @Mixin SuiteOptions.Listing listing = new SuiteOptions.Listing();
    }

    private static Demo parse(String... args) {
        var d = new Demo();
        new CommandLine(d).parseArgs(args);
        return d;
    }

    @Test
    void aPatternThatIsNoRegexIsBadInputNamingIt() {
        var e = assertThrows(Problem.BadInput.class, () -> parse("--only", "[").only.checkPattern());
        assertTrue(e.getMessage().startsWith("--only '[' is not a valid regular expression"), e.getMessage());
        parse().only.checkPattern();
    }

    @Test
    void aSelectionThatMatchesNothingIsExit2NamingThePattern() {
        var names = List.of("plan 1: renders", "lint: default");
        parse("--only", "PLAN 1").only.requireAnyOf(names, "demo");
        parse().only.requireAnyOf(names, "demo");
        var e = assertThrows(Problem.BadInput.class, () -> parse("--only", "^renders").only.requireAnyOf(names, "demo"));
        assertEquals("--only '^renders' matches none of the 2 checks; demo --list names them", e.getMessage());
        assertEquals(2, Cli.exitCode(e));
    }

    @Test
    void listIsAFlag() {
        assertTrue(parse("--list").listing.list);
        assertFalse(parse().listing.list);
    }
}
