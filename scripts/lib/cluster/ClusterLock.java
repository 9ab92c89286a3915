//SOURCES KwokCluster.java
//SOURCES ../tools/Problem.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * One `cluster up` or `down` per cluster name at a time, across processes: an OS file lock
 * that dies with its holder, so a killed run never leaves it held. Within one JVM it is
 * re-entrant (up recreating a cluster goes through down; an interrupt's clean-up too).
 */
final class ClusterLock implements AutoCloseable {
    private static final Map<String, ClusterLock> HELD = new HashMap<>();

    private final String name;
    private final FileChannel channel;
    private final FileLock lock;
    private int holds = 1;

    private ClusterLock(String name, FileChannel channel, FileLock lock) {
        this.name = name;
        this.channel = channel;
        this.lock = lock;
    }

    static Path file(String name) { return KwokCluster.workdir().resolve("locks").resolve(name + ".lock"); }

    /** Takes the lock of this cluster name, or throws Problem.Refused naming the run that holds it. */
    static ClusterLock take(String name, String what) {
        synchronized (HELD) {
            var mine = HELD.get(name);
            if (mine != null) {
                mine.holds++;
                return mine;
            }
            Path f = file(name);
            try {
                Files.createDirectories(f.getParent());
                var ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock l = ch.tryLock();
                if (l == null) {
                    String holder = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).strip();
                    ch.close();
                    throw new Problem.Refused("another run is working on kwok cluster " + name + " (" + (holder.isEmpty() ? "holder unknown" : holder)
                            + "); wait for it to finish, then run again");
                }
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((what + ", pid " + ProcessHandle.current().pid() + ", since " + Instant.now()).getBytes(StandardCharsets.UTF_8)));
                var held = new ClusterLock(name, ch, l);
                HELD.put(name, held);
                return held;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + f, e);
            }
        }
    }

    @Override public void close() {
        synchronized (HELD) {
            if (--holds > 0) return;
            HELD.remove(name);
            try {
                channel.truncate(0);
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the lock dies with the channel or the process anyway
            }
        }
    }
}
