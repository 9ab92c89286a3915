//SOURCES ../kube/Kube.java
//SOURCES ../tools/Problem.java
//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The resource metrics API (metrics.k8s.io) for a cluster with a real node: metrics-server
 * (sigs.k8s.io, built by {@link NodeBinaries} from scripts/controlplane/metrics) as a host
 * daemon with the cluster's kubeconfig, scraping the real kubelets' /metrics/resource, served
 * through the kube-apiserver's aggregation layer. Without it an HPA has no CPU numbers and
 * reports FailedGetResourceMetric forever.
 *
 * <p>How the API server reaches it: the APIService v1beta1.metrics.k8s.io names the Service
 * kube-system/{@value #SERVICE}, which has no selector; its EndpointSlice points at the
 * daemon's port on the node's bridge address (the gateway, a host address, as the kubelet's
 * and CoreDNS's are), where the API server connects directly (--enable-aggregator-routing).
 * The API server's aggregation-layer flags are in {@link NodeConfigs#controlPlanePatches}.
 *
 * <p>What it trusts, and why that is acceptable here: metrics-server serves a self-signed
 * certificate made for localhost, so the APIService skips verifying it
 * (insecureSkipTLSVerify), and it does not verify the kubelet's self-signed serving
 * certificate either (--kubelet-insecure-tls), as the API server itself does not (no
 * --kubelet-certificate-authority). Both ends are processes of this machine on the node's
 * own bridge; a production cluster's metrics-server is installed by its own chart, not by this.
 */
final class NodeMetrics {
    private NodeMetrics() {}

    static final String DAEMON = "metrics-server";
    static final String API_SERVICE = "v1beta1.metrics.k8s.io";
    static final String NAMESPACE = "kube-system";
    static final String SERVICE = "trevor-metrics-server";
    /**
     * How often metrics-server scrapes the kubelets: its default is 60 s, its least 10 s. The
     * HPA acts on what the last two scrapes saw, so each scrape less between a load's start or end
     * and the HPA's next sync (every 5 s here) is a step sooner; 10 s needs a kubelet request
     * timeout below 9 s (metrics-server refuses a resolution under 10/9 of it).
     */
    static final Duration RESOLUTION = Duration.ofSeconds(10);
    static final Duration KUBELET_REQUEST_TIMEOUT = Duration.ofSeconds(5);

    /**
     * The daemon's command line: its API clients (its own, and the delegated authentication and
     * authorization of requests the aggregator forwards) use the cluster's kubeconfig; it
     * serves on the bridge address; it scrapes only the real nodes (the fake nodes, label
     * type=kwok, have no kubelet and addresses that are no address of this machine).
     */
    static List<String> args(Path binary, Path kubeconfig, Path certDir, String bindAddress, int port) {
        String kc = kubeconfig.toString();
        return List.of(binary.toString(), "--kubeconfig", kc, "--authentication-kubeconfig", kc, "--authorization-kubeconfig", kc,
                "--bind-address", bindAddress, "--secure-port", String.valueOf(port), "--cert-dir", certDir.toString(),
                "--kubelet-preferred-address-types", "InternalIP", "--kubelet-insecure-tls", "--node-selector", "type!=kwok",
                "--metric-resolution", RESOLUTION.toSeconds() + "s", "--kubelet-request-timeout", KUBELET_REQUEST_TIMEOUT.toSeconds() + "s", "-v", "1");
    }

    /** The APIService, its selector-less Service and the EndpointSlice to the daemon, as one List. */
    static String manifests(String address, int port) {
        return """
                {"apiVersion": "v1", "kind": "List", "items": [
                  {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "%1$s", "namespace": "%2$s", "labels": {"app.kubernetes.io/managed-by": "trevor-real-node"}},
                   "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": %4$d}]}},
                  {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"name": "%1$s", "namespace": "%2$s",
                                "labels": {"kubernetes.io/service-name": "%1$s", "endpointslice.kubernetes.io/managed-by": "trevor-real-node"}},
                   "addressType": "IPv4",
                   "endpoints": [{"addresses": ["%3$s"], "conditions": {"ready": true}}],
                   "ports": [{"name": "https", "port": %4$d, "protocol": "TCP"}]},
                  {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                   "metadata": {"name": "%5$s", "labels": {"app.kubernetes.io/managed-by": "trevor-real-node"}},
                   "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                            "insecureSkipTLSVerify": true, "service": {"name": "%1$s", "namespace": "%2$s", "port": 443}}}
                ]}
                """.formatted(SERVICE, NAMESPACE, address, port, API_SERVICE);
    }

    /** Registers the daemon with the aggregator (kubectl apply; repeatable). */
    static void register(Kube kube, String address, int port) {
        var r = kube.runWithInput(manifests(address, port), "apply", "-f", "-");
        if (!r.ok()) throw new Problem.Failed("could not register metrics-server with the API server (APIService " + API_SERVICE + "): " + r.said());
    }

    /**
     * Removes the APIService and its Service: an APIService whose server is gone makes discovery
     * fail, and with it kubectl's every call (a warning) and the namespace controller (namespaces
     * stay Terminating). Best effort: the cluster may already be gone.
     */
    static void unregister(Kube kube) {
        if (!kube.run(Duration.ofSeconds(15), "get", "--raw", "/readyz", "--request-timeout=5s").ok()) return;
        kube.run(Duration.ofSeconds(30), "delete", "apiservice", API_SERVICE, "--ignore-not-found", "--wait=false");
        kube.run(Duration.ofSeconds(30), "delete", "service,endpointslice", SERVICE, "-n", NAMESPACE, "--ignore-not-found", "--wait=false");
    }

    /** Null once the API server says the APIService is Available and a node has metrics; else what it says. */
    static String notServing(Kube kube, String node) {
        var api = kube.get(null, "apiservice", API_SERVICE);
        if (api == null) return "no APIService " + API_SERVICE;
        if (!Kube.conditionTrue(api, "Available")) {
            for (var c : Yaml.maps(api, "status.conditions")) {
                if ("Available".equals(c.get("type"))) return "APIService not Available: " + c.get("reason") + ": " + c.get("message");
            }
            return "APIService not Available yet";
        }
        var r = kube.run(Duration.ofSeconds(20), "get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/" + node, "--request-timeout=10s");
        return r.ok() ? null : "no metrics for node " + node + " yet: " + Kube.firstLine(r.said());
    }

    /** True when the cluster serves the resource metrics API (an APIService for it that is Available). */
    static boolean apiAvailable(Kube kube) {
        var api = kube.get(null, "apiservice", API_SERVICE);
        return api != null && Kube.conditionTrue(api, "Available");
    }

    /** A usage line of the metrics API's NodeMetrics object, e.g. "cpu 412m, memory 1820Mi". */
    static String usage(Map<String, Object> nodeMetrics) {
        return "cpu " + Yaml.str(nodeMetrics, "usage.cpu") + ", memory " + Yaml.str(nodeMetrics, "usage.memory");
    }
}
