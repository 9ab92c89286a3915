import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ReleaseLock's rules for taking a Lease, on a fake kubectl (FakeCluster): when it is free, busy, or someone's to take over. */
class ReleaseLockTest {
    static final String LEASE = "trevor-lifecycle-lock";

    /** Release trevor's Lease in namespace trevor, as another run would have written it. */
    static Map<String, Object> lease(String holder, Instant renewed, Map<String, String> annotations) {
        return Map.of("apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                "metadata", Map.of("name", LEASE, "namespace", "trevor", "annotations", annotations),
                "spec", Map.of("holderIdentity", holder, "leaseDurationSeconds", 30, "acquireTime", renewed.minusSeconds(20).toString(),
                        "renewTime", renewed.toString()));
    }

    static final String OTHER = "install.java trevor (pid 4242 on elsewhere, user ci)";

    private static String holderOf(FakeCluster fake) {
        var l = fake.get("lease", "trevor", LEASE);
        return l == null ? null : Yaml.str(l, "spec.holderIdentity");
    }

    @Test
    void aFreeReleaseIsLockedByCreatingItsLeaseAndUnlockedByDeletingIt() {
        var fake = new FakeCluster();
        try (var lock = ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "install.java trevor")) {
            assertEquals(ReleaseLock.identity("install.java trevor"), holderOf(fake));
            assertEquals(List.of("kubectl create -f -"), fake.lines("kubectl create", "kubectl patch"));
        }
        assertNull(holderOf(fake));
    }

    @Test
    void aLeaseRenewedWithinItsDurationIsBusy() {
        var fake = new FakeCluster();
        fake.put(lease(OTHER, Instant.now().minusSeconds(5), Map.of()));
        var e = FakeCluster.nothingChanged(() -> ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "upgrade.java trevor"));
        assertTrue(e.getMessage().startsWith("release trevor in trevor is busy: " + OTHER + " holds its lock since"), e.getMessage());
        assertEquals(OTHER, holderOf(fake));
        assertEquals(List.of(), fake.lines("kubectl patch", "kubectl delete"));
    }

    @Test
    void anExpiredLeaseWhoseHolderRunsNowhereHereIsTakenOverOnlyIfNobodyChangedItMeanwhile() {
        var fake = new FakeCluster();
        fake.put(lease(OTHER, Instant.now().minusSeconds(31), Map.of()));
        String rv = Yaml.str(fake.get("lease", "trevor", LEASE), "metadata.resourceVersion");
        try (var lock = ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "upgrade.java trevor")) {
            assertEquals(ReleaseLock.identity("upgrade.java trevor"), holderOf(fake));
            var patch = fake.lines("kubectl patch lease " + LEASE);
            assertEquals(1, patch.size(), patch.toString());
            // The takeover is a JSON patch that first tests the resourceVersion it read.
            assertTrue(patch.get(0).contains("\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + rv + "\"")
                    || patch.get(0).contains("\"value\":\"" + rv + "\""), patch.get(0));
        }
    }

    @Test
    void anExpiredLeaseAnotherRunTookOverJustNowIsBusy() {
        var fake = new FakeCluster();
        fake.put(lease(OTHER, Instant.now().minusSeconds(60), Map.of()));
        // Between this run's read and its patch, another run takes the Lease over (a new resourceVersion).
        fake.on("kubectl patch lease", c -> {
            fake.put(lease("install.java trevor (pid 7 on elsewhere, user ci)", Instant.now(), Map.of()));
            return null;
        });
        var e = FakeCluster.nothingChanged(() -> ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "upgrade.java trevor"));
        assertTrue(e.getMessage().contains("another run took over the expired lock of " + OTHER + " just now"), e.getMessage());
        assertEquals("install.java trevor (pid 7 on elsewhere, user ci)", holderOf(fake));
    }

    @Test
    void anExpiredLeaseWhoseHoldersProcessStillRunsOnThisMachineIsBusy() {
        var fake = new FakeCluster();
        // This JVM stands in for a holder that was stopped (SIGSTOP) or cut off from the cluster: it runs, it renews nothing.
        var alive = LockHolder.current(ReleaseLock.host());
        fake.put(lease(OTHER, Instant.now().minusSeconds(120), alive.annotations()));
        var e = FakeCluster.nothingChanged(() -> ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "upgrade.java trevor"));
        assertTrue(e.getMessage().contains("its process still runs on this machine (pid " + ProcessHandle.current().pid() + ")"), e.getMessage());
        assertEquals(OTHER, holderOf(fake));
    }

    @Test
    void aLeaseRenewedAheadOfTimeNeverExpiresAndIsRefusedWithHowToDeleteIt() {
        var fake = new FakeCluster();
        fake.put(lease(OTHER, Instant.now().plusSeconds(3600), Map.of()));
        var e = FakeCluster.nothingChanged(() -> ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "upgrade.java trevor"));
        assertTrue(e.getMessage().contains("from now. No run renews a lock ahead of time") && e.getMessage().contains("kubectl -n trevor delete lease " + LEASE),
                e.getMessage());
    }

    @Test
    void aLockOthersTookIsNotDeletedOnRelease() {
        var fake = new FakeCluster();
        var lock = ReleaseLock.acquire(fake.kube(), "trevor", "trevor", "install.java trevor");
        fake.put(lease(OTHER, Instant.now(), Map.of()));
        lock.close();
        assertEquals(OTHER, holderOf(fake));
        assertEquals(List.of(), fake.lines("kubectl delete"));
    }

    @Test
    void holderSaysWhoHoldsALiveLockAndNothingForAnExpiredOne() {
        var fake = new FakeCluster();
        assertNull(ReleaseLock.holder(fake.kube(), "trevor", "trevor"));
        fake.put(lease(OTHER, Instant.now().minusSeconds(2), Map.of()));
        assertNotNull(ReleaseLock.holder(fake.kube(), "trevor", "trevor"));
        assertTrue(ReleaseLock.holder(fake.kube(), "trevor", "trevor").startsWith(OTHER + " holds its lock since"));
        fake.put(lease(OTHER, Instant.now().minusSeconds(40), Map.of()));
        assertNull(ReleaseLock.holder(fake.kube(), "trevor", "trevor"));
    }
}
