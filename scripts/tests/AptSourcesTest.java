import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's apt sources, both formats, and the choice of one release's entries. */
class AptSourcesTest {
    // example.org names no real mirror: the parser never cares what the URI is
    static final String ONE_LINE = """
            # a comment
            deb http://mirror.example.org/debian bookworm main contrib
            deb-src http://mirror.example.org/debian bookworm main
            deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example.org/debian-security bookworm-security main # trailing
            deb http://mirror.example.org/other nodistro main
            """;

    static final String DEB822 = """
            Types: deb deb-src
            # http://snapshot.example.org/archive/debian/20250520T000000Z
            URIs: http://mirror.example.org/debian http://second.example.org/debian
            Suites: bookworm bookworm-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://mirror.example.org/debian-security
            Suites: bookworm-security
            Components: main
            Signed-By:
             -----BEGIN PGP PUBLIC KEY BLOCK-----
             .
             abc
             -----END PGP PUBLIC KEY BLOCK-----

            Types: deb
            URIs: http://mirror.example.org/disabled
            Suites: bookworm
            Components: main
            Enabled: no

            Types: deb-src
            URIs: http://mirror.example.org/debian
            Suites: bookworm
            Components: main
            """;

    @Test
    void oneLineFormat() {
        var s = AptSources.parseOneLine(ONE_LINE);
        assertEquals(3, s.size());
        assertEquals(new AptSources.Source("http://mirror.example.org/debian", "bookworm", List.of("main", "contrib"), null), s.get(0));
        assertEquals("/usr/share/keyrings/k.gpg", s.get(1).signedBy());
        assertEquals("deb [signed-by=/usr/share/keyrings/k.gpg] http://mirror.example.org/debian-security bookworm-security main", s.get(1).line());
        assertEquals("deb http://mirror.example.org/debian bookworm main contrib", s.get(0).line());
    }

    @Test
    void deb822FormatExpandsUrisAndSuitesAndSkipsDisabledAndSourceOnly() {
        var s = AptSources.parseDeb822(DEB822);
        assertEquals(5, s.size(), s.toString());
        assertEquals("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://second.example.org/debian bookworm-updates main",
                s.get(3).line());
        var security = s.get(4);
        assertEquals("bookworm-security", security.suite());
        assertEquals(null, security.signedBy(), "an inline key is left to apt's own keyrings");
        assertTrue(s.stream().noneMatch(x -> x.uri().contains("disabled")));
    }

    @Test
    void onlyTheReleaseFamilyIsKept() {
        var all = AptSources.parseOneLine(ONE_LINE);
        var ours = AptSources.forSuite(all, "bookworm");
        assertEquals(List.of("bookworm", "bookworm-security"), ours.stream().map(AptSources.Source::suite).toList());
        assertEquals(List.of(), AptSources.forSuite(all, "trixie"));
    }

    @Test
    void readsSourcesListAndTheFolderIgnoringOtherFiles(@TempDir Path etc) throws IOException {
        Files.writeString(etc.resolve("sources.list"), "deb http://mirror.example.org/debian bookworm main\n");
        Files.createDirectories(etc.resolve("sources.list.d"));
        Files.writeString(etc.resolve("sources.list.d/debian.sources"), DEB822);
        Files.writeString(etc.resolve("sources.list.d/old.list.disabled-by-someone"), "deb http://x.example.org/ bookworm main\n");
        var s = AptSources.forSuite(AptSources.read(etc), "bookworm");
        assertEquals(6, s.size(), s.toString());
        assertTrue(s.stream().noneMatch(x -> x.uri().startsWith("http://x.")));
    }
}
