import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Work done at most once, by whoever asks first: a pool thread that started it early, or the
 * check that needs it (which then does it itself, so a check never waits on a pool it runs in).
 * An exception is remembered and thrown to everyone who asks.
 */
final class Once<T> {
    private final Supplier<T> work;
    private T value;
    private RuntimeException error;
    private volatile boolean done;
    private volatile boolean started;

    Once(Supplier<T> work) { this.work = work; }

    synchronized T get() {
        if (!done) {
            started = true;
            try {
                value = work.get();
            } catch (RuntimeException e) {
                error = e;
            }
            done = true;
        }
        if (error != null) throw error;
        return value;
    }

    /** Starts the work on the pool unless someone already has; failures wait for whoever asks. */
    void start(ExecutorService pool) {
        if (started) return;
        started = true;
        pool.execute(() -> {
            try {
                get();
            } catch (RuntimeException ignored) {
                // remembered: thrown to the check that asks
            }
        });
    }

    boolean isDone() { return done; }
}
