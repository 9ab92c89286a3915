//SOURCES ../kube/Release.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The migration hook's output, shown while Helm runs it. The chart deletes a successful
 * hook Job at once (hook-delete-policy hook-succeeded), so its logs are read as they are
 * written, by `kubectl logs -f` on each new migration pod, or never. On a cluster whose
 * nodes run no containers (kwok's fake nodes) there are no logs, and this stays quiet.
 */
final class HookLogs implements AutoCloseable {
    private final Release rel;
    private final Consumer<String> say;
    private final Set<String> seen = new HashSet<>();
    private final List<Process> followers = new CopyOnWriteArrayList<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread watcher;
    private volatile boolean stopped;

    private HookLogs(Release rel, Consumer<String> say) {
        this.rel = rel;
        this.say = say;
        // Pods that exist already belong to an earlier run.
        for (var p : pods()) seen.add(Yaml.str(p, "metadata.uid"));
        watcher = new Thread(this::watch, "hook-logs");
        watcher.setDaemon(true);
        watcher.start();
    }

    static HookLogs follow(Release rel, Consumer<String> say) { return new HookLogs(rel, say); }

    /** Every line the migration pods wrote while followed, as "POD: line". */
    List<String> lines() { return List.copyOf(lines); }

    private List<java.util.Map<String, Object>> pods() {
        try {
            return rel.kube.list(rel.namespace, "pods", rel.hookJobSelector());
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private void watch() {
        while (!stopped) {
            for (var p : pods()) {
                String uid = Yaml.str(p, "metadata.uid");
                String phase = Yaml.str(p, "status.phase");
                // Logs exist once a container started; a real node reports a container ID then.
                boolean started = Yaml.maps(p, "status.containerStatuses").stream().anyMatch(c -> Yaml.str(c, "containerID") != null);
                if (seen.contains(uid) || "Pending".equals(phase) || !started) continue;
                seen.add(uid);
                followPod(Yaml.str(p, "metadata.name"));
            }
            Wait.sleep(1000);
        }
    }

    private void followPod(String pod) {
        var cmd = new ArrayList<>(rel.kube.base());
        cmd.addAll(List.of("logs", "-f", pod, "-n", rel.namespace, "--all-containers"));
        Process proc;
        try {
            proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return;
        }
        followers.add(proc);
        var t = new Thread(() -> {
            try (var r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    // kubectl's own complaint (no kubelet to ask, the pod gone): not the migration's output.
                    if (line.startsWith("Error from server") || line.startsWith("error: ")) continue;
                    lines.add(pod + ": " + line);
                    say.accept("migrate " + pod + ": " + line);
                }
            } catch (IOException ignored) {
                // the pod went away
            }
        }, "hook-logs-" + pod);
        t.setDaemon(true);
        t.start();
    }

    @Override public void close() {
        stopped = true;
        // A follower ends by itself when its container exits; give the last lines a moment.
        long end = System.nanoTime() + 3_000_000_000L;
        for (var p : followers) {
            try {
                long left = Math.max(0, end - System.nanoTime());
                p.waitFor(left, java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroy();
        }
    }
}
