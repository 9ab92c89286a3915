import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading Alembic's answers (recorded from the stand-in images against the real node's
 * PostgreSQL: `uv run alembic current` / `heads`, stdout and stderr as the pod's log) and the
 * way out that upgrade, migrate, rollback and status print.
 */
class DbRevisionTest {
    static final Path FIXTURES = Path.of("scripts/tests/fixtures/alembic");

    private static String log(String name) throws IOException { return Files.readString(FIXTURES.resolve(name)); }

    private static final List<String> COMMAND = List.of("uv", "run", "alembic", "upgrade", "head");

    @Test
    void atTheImagesHead() throws IOException {
        var r = DbRevision.parseCurrent(0, log("current-head.log"));
        assertEquals(DbRevision.Kind.HEAD, r.kind());
        assertEquals("0001", r.revision());
    }

    @Test
    void behindTheImagesHead() throws IOException {
        var r = DbRevision.parseCurrent(0, log("current-behind.log"));
        assertEquals(DbRevision.Kind.BEHIND, r.kind());
        assertEquals("0001", r.revision());
    }

    /** A new or emptied database: Alembic finds no alembic_version table and prints no revision. */
    @Test
    void emptyDatabase() throws IOException {
        var r = DbRevision.parseCurrent(0, log("current-empty.log"));
        assertEquals(DbRevision.Kind.EMPTY, r.kind());
        assertNull(r.revision());
    }

    /** 1.0.0 (0001 only) against a database that 2.0.0 migrated to 0002, as after rollback.java. */
    @Test
    void aRevisionTheImageDoesNotKnow() throws IOException {
        var r = DbRevision.parseCurrent(255, log("current-unknown.log"));
        assertEquals(DbRevision.Kind.UNKNOWN, r.kind());
        assertEquals("0002", r.revision());
    }

    @Test
    void anyOtherFailureIsUnreadableNotEmpty() {
        var r = DbRevision.parseCurrent(1, "sqlalchemy.exc.OperationalError: connection refused\n");
        assertEquals(DbRevision.Kind.UNREADABLE, r.kind());
        assertTrue(r.describe().contains("connection refused"), r.describe());
    }

    @Test
    void headsOfTheOlderImage() throws IOException {
        assertEquals(List.of("0001"), DbRevision.parseHeads(0, log("heads-1.0.0.log")));
        assertEquals(List.of(), DbRevision.parseHeads(1, "FAILED: no config"));
    }

    @Test
    void alembicSubcommandReplacesTheMigrationsOwn() {
        assertEquals(List.of("uv", "run", "alembic", "current"), DbRevision.alembic(COMMAND, "current"));
        assertEquals(List.of("/venv/bin/alembic", "-c", "db/alembic.ini", "heads"),
                DbRevision.alembic(List.of("/venv/bin/alembic", "-c", "db/alembic.ini", "upgrade", "head"), "heads"));
        assertNull(DbRevision.alembic(List.of("sh", "-c", "./migrate.sh"), "current"), "no alembic to ask");
    }

    @Test
    void tagsOfImages() {
        assertEquals("2.0.0", DbRevision.tag("trevor:2.0.0"));
        assertEquals("1.0", DbRevision.tag("localhost:5000/trevor:1.0"));
        assertNull(DbRevision.tag("localhost:5000/trevor"));
        assertNull(DbRevision.tag("trevor@sha256:abc"));
    }

    /** The refusal names the revision, the image, and both ways out as commands that run as printed. */
    @Test
    void refusalSaysHowToGetOut() {
        String msg = DbRevision.refusal("upgrade", "0002", "trevor:1.0.0", DbRevision.target("kwok-trevor", "trevor", "trevor"), COMMAND,
                "trevor:2.0.0", "0001");
        assertTrue(msg.startsWith("upgrade refused before any change: the database is at Alembic revision 0002, which the migrations of trevor:1.0.0 "
                + "do not know (Alembic: \"Can't locate revision identified by '0002'\")"), msg);
        assertTrue(msg.contains("./jbang scripts/upgrade.java --context kwok-trevor --tag 2.0.0"), msg);
        assertTrue(msg.contains("./jbang scripts/migrate.java --context kwok-trevor --tag 2.0.0 --set 'migrations.command={uv,run,alembic,downgrade,0001}'"), msg);
        assertTrue(msg.endsWith("."), msg);
    }

    @Test
    void targetFlagsNameOnlyWhatIsNotTheDefault() {
        assertEquals("--context kwok-a", DbRevision.target("kwok-a", "trevor", "trevor"));
        assertEquals("--context kwok-a -n shop --release t2", DbRevision.target("kwok-a", "shop", "t2"));
    }
}
