//SOURCES Dirs.java

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Builds into the cache one at a time: a second build of the same thing, in this process or
 * another, waits for the first and then finds it done. Staging folders of a build that was
 * killed are removed before the next build starts; only a finished build is ever renamed
 * into place, so nothing half-built can look complete.
 */
final class BuildLock {
    private BuildLock() {}

    private static final Map<Path, Object> IN_JVM = new ConcurrentHashMap<>();

    /**
     * Runs build unless done says it is done already, holding a lock file in folder.
     * Folders named stalePrefix* in folder belong to a dead build once the lock is ours.
     */
    static void once(Path folder, String what, String stalePrefix, BooleanSupplier done, Runnable build, Consumer<String> progress) {
        if (done.getAsBoolean()) return;
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path lockFile = folder.resolve(".lock-" + what);
        synchronized (IN_JVM.computeIfAbsent(lockFile, k -> new Object())) {
            try (var ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    progress.accept("waiting for another process that is building " + what + " …");
                    lock = ch.lock();
                }
                try {
                    if (done.getAsBoolean()) return;
                    try (DirectoryStream<Path> stale = Files.newDirectoryStream(folder, stalePrefix + "*")) {
                        for (Path p : stale) {
                            progress.accept("removing " + p + ", left by a build that did not finish");
                            Dirs.deleteTree(p);
                        }
                    }
                    build.run();
                } finally {
                    lock.release();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + lockFile, e);
            }
        }
    }
}
