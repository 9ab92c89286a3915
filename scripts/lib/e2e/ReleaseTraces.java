//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../report/Report.java
//SOURCES ../report/ScriptRunner.java
//SOURCES ../tools/Text.java
//SOURCES ../tools/Wait.java
//SOURCES ../tools/Yaml.java

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a lifecycle run leaves behind that a check looks at, with the run's own eyes rather
 * than its word: the env Secret's decoded data and migration Jobs still running (files left
 * behind: SecretMarker.writtenUnder).
 */
final class ReleaseTraces {
    private final Kube kube;

    ReleaseTraces(Kube kube) { this.kube = kube; }

    /** A Secret's data, decoded; empty when there is no such Secret. */
    Map<String, String> secretData(String namespace, String secret) {
        var s = kube.get(namespace, "secret", secret);
        var out = new LinkedHashMap<String, String>();
        if (s == null) return out;
        Yaml.map(s, "data").forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8)));
        return out;
    }

    /** The names of the migration Jobs in namespace that have neither completed nor failed, nor are being deleted. */
    List<String> activeMigrationJobs(String namespace) {
        var out = new ArrayList<String>();
        for (var j : kube.list(namespace, "jobs", "app.kubernetes.io/component=migrate")) {
            if (Yaml.at(j, "metadata.deletionTimestamp") != null) continue;
            if (Kube.conditionTrue(j, "Complete") || Kube.conditionTrue(j, "Failed")) continue;
            out.add(Yaml.str(j, "metadata.name"));
        }
        return out;
    }

    /**
     * Waits until the run's migration Job runs in namespace: the moment to interrupt it mid-hook.
     * If none comes, or the run ends first, the check fails with what the run printed.
     */
    void awaitMigrationJob(String namespace, Duration max, ScriptRunner.Started run) throws InterruptedException {
        try {
            // On a loaded machine the script's JVM, its checks and helm may take longer than max
            // to get there: while it prints, it is moving, and the wait goes on (up to 10 minutes).
            Wait.whileMoving("a migration Job running in " + namespace, max, Duration.ofMinutes(10), null, () -> {
                if (!run.alive()) throw new IllegalStateException("the script ended with exit " + run.exitValue());
                return activeMigrationJobs(namespace).isEmpty() ? "none yet; the script printed " + run.printed().length() + " characters" : null;
            });
        } catch (IllegalStateException | Problem e) {
            var r = run.await(Duration.ofSeconds(30));
            Report.fail("no migration Job ran in %s (%s); the script said: %s", namespace, e.getMessage(),
                    Text.lastLines(r.out() + "\n" + r.err(), 6, " | "));
        }
    }
}
