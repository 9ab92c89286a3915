//SOURCES ../tools/Yaml.java

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real node's configuration files, rendered from one {@link Settings}: containerd's
 * config.toml, the CNI network, the KubeletConfiguration, the KubeProxyConfiguration, the
 * Corefile, the pods' resolv.conf and the kwokctl patches the control plane needs for a
 * real kubelet. Pure text in, text out, so every setting that matters is unit-tested.
 */
final class NodeConfigs {
    private NodeConfigs() {}

    /**
     * Everything the files depend on; paths are absolute. dns is the pods' nameserver (the one
     * CoreDNS, on real-0's bridge); healthHost is where the health endpoints listen (127.0.0.1
     * on the machine's own network, the node's address inside a network namespace of its own);
     * kubeconfig is how the node's daemons reach the apiserver; context is the cluster's
     * kubeconfig context (CoreDNS's), nodeLabel the label key the kubelet puts on its node.
     */
    record Settings(String cluster, String context, String nodeLabel, Path clusterDir, Path dir, String nodeName, String bridge, String subnet, String gateway,
                    String serviceCidr, String cgroupRoot, String sandboxImage, Ports ports, String dns, String healthHost, Path kubeconfig) {
        /** real-0's: on the machine's own network, with the cluster's kubeconfig. */
        Settings(String cluster, String context, String nodeLabel, Path clusterDir, Path dir, String nodeName, String bridge, String subnet,
                 String gateway, String serviceCidr, String cgroupRoot, String sandboxImage, Ports ports) {
            this(cluster, context, nodeLabel, clusterDir, dir, nodeName, bridge, subnet, gateway, serviceCidr, cgroupRoot, sandboxImage, ports, gateway,
                    "127.0.0.1", clusterDir.resolve("kubeconfig.yaml"));
        }

        Path caCert() { return clusterDir.resolve("pki/ca.crt"); }
        Path run() { return dir.resolve("run"); }
        Path socket() { return run().resolve("containerd.sock"); }
        Path containerdConfig() { return dir.resolve("containerd.toml"); }
        Path containerdRoot() { return dir.resolve("containerd"); }
        Path runcRoot() { return run().resolve("runc"); }
        Path cniConfDir() { return dir.resolve("cni/net.d"); }
        Path cniConflist() { return cniConfDir().resolve("10-" + NETWORK + ".conflist"); }
        Path ipamDir() { return dir.resolve("cni/ipam"); }
        Path kubeletRoot() { return dir.resolve("kubelet"); }
        Path kubeletConfig() { return dir.resolve("kubelet.yaml"); }
        Path podLogs() { return dir.resolve("pod-logs"); }
        Path resolvConf() { return dir.resolve("resolv.conf"); }
        Path kubeProxyConfig() { return dir.resolve("kube-proxy.yaml"); }
        Path corefile() { return dir.resolve("Corefile"); }
    }

    /** Loopback ports of the node's health endpoints, chosen free at `up`. */
    record Ports(int kubeletHealthz, int proxyHealthz, int proxyMetrics, int dnsReady) {}

    /** The CNI network's name (also the prefix of its cache files under /var/lib/cni). */
    static final String NETWORK = "trevor-rn";
    /** The CNI plugins from Debian's containernetworking-plugins. */
    static final Path CNI_BIN = Path.of("/usr/lib/cni");

    /**
     * containerd 1.6 (config version 2) with nothing shared with a system containerd: its
     * own root, state and socket; runc's state and the pods' network namespaces under that
     * state; no /opt/containerd; no registry configuration (nothing is ever pulled).
     */
    static String containerdToml(Settings s) {
        return """
                # Written by trevor-chart-ops RealNode for cluster %s. Root, state and socket are under %s;
                # only the shims' sockets go to /run/containerd/s (fixed in containerd 1.6), and `down` removes them.
                version = 2
                root = %s
                state = %s
                # The opt plugin would create /opt/containerd; the others need kernels or tools not here.
                disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

                [grpc]
                  address = %s

                [plugins."io.containerd.grpc.v1.cri"]
                  # No registry: the sandbox image is imported from a local archive.
                  sandbox_image = %s
                  # Root here lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (-998 for the
                  # sandbox); without this every pod fails with "can't get final child's PID from pipe: EOF".
                  restrict_oom_score_adj = true
                  netns_mounts_under_state_dir = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  enable_selinux = false
                  disable_apparmor = true
                  tolerate_missing_hugetlb_controller = true
                  disable_hugetlb_controller = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "overlayfs"
                    default_runtime_name = "runc"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                        SystemdCgroup = false
                        Root = %s
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = %s
                    conf_dir = %s
                    max_conf_num = 1
                  [plugins."io.containerd.grpc.v1.cri".registry]
                    config_path = ""
                """.formatted(s.cluster(), s.dir(), toml(s.containerdRoot()), toml(s.run()), toml(s.socket()), toml(s.sandboxImage()),
                toml(s.runcRoot()), toml(CNI_BIN), toml(s.cniConfDir()));
    }

    /**
     * One bridge of the node's own; host-local addresses with their leases under the node's
     * folder; no masquerading (pods talk only to each other, the node and the Services).
     * isGateway is false because with it the bridge plugin sets the machine-wide
     * net.ipv4.ip_forward=1; the bridge already has the gateway address (NodeHost makes
     * it, with forwarding on that bridge only), and the default route names it.
     */
    static String cniConflist(Settings s) {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": %s,
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": %s,
                      "isGateway": false,
                      "ipMasq": false,
                      "hairpinMode": true,
                      "ipam": {
                        "type": "host-local",
                        "dataDir": %s,
                        "ranges": [[{"subnet": %s, "gateway": %s}]],
                        "routes": [{"dst": "0.0.0.0/0", "gw": %s}]
                      }
                    },
                    {"type": "portmap", "capabilities": {"portMappings": true}}
                  ]
                }
                """.formatted(Yaml.json(NETWORK), Yaml.json(s.bridge()), Yaml.json(s.ipamDir().toString()), Yaml.json(s.subnet()),
                        Yaml.json(s.gateway()), Yaml.json(s.gateway()));
    }

    /** The kubelet's KubeletConfiguration (its flags are in {@link #kubeletArgs}). */
    static Map<String, Object> kubeletConfig(Settings s) {
        var c = new LinkedHashMap<String, Object>();
        c.put("apiVersion", "kubelet.config.k8s.io/v1beta1");
        c.put("kind", "KubeletConfiguration");
        // Since 1.35 the kubelet refuses cgroup v1 unless told otherwise; this machine has v1.
        c.put("failCgroupV1", false);
        c.put("cgroupDriver", "cgroupfs");
        // Every pod cgroup lives under a root of this node's own, removed by `down`.
        c.put("cgroupRoot", "/" + s.cgroupRoot());
        c.put("failSwapOn", false);
        c.put("containerRuntimeEndpoint", "unix://" + s.socket());
        // Served on the bridge address that is the node's InternalIP: the apiserver reaches
        // it there for logs, exec, port-forward. TLS with a self-signed certificate.
        c.put("address", s.gateway());
        c.put("port", 10250);
        c.put("readOnlyPort", 0);
        c.put("healthzBindAddress", s.healthHost());
        c.put("healthzPort", s.ports().kubeletHealthz());
        // Only the apiserver may call it: client certificates of the cluster's CA, and
        // SubjectAccessReviews for what they may do.
        c.put("authentication", Map.of(
                "anonymous", Map.of("enabled", false),
                "webhook", Map.of("enabled", true),
                "x509", Map.of("clientCAFile", s.caCert().toString())));
        c.put("authorization", Map.of("mode", "Webhook"));
        c.put("clusterDomain", "cluster.local");
        c.put("clusterDNS", List.of(s.dns()));
        c.put("resolvConf", s.resolvConf().toString());
        c.put("podLogsDir", s.podLogs().toString());
        // Images cannot be pulled again, so the kubelet must never delete one.
        c.put("imageGCHighThresholdPercent", 100);
        c.put("imageGCLowThresholdPercent", 99);
        c.put("evictionHard", Map.of("memory.available", "100Mi", "nodefs.available", "1%", "imagefs.available", "1%",
                "nodefs.inodesFree", "1%"));
        c.put("serializeImagePulls", false);
        c.put("maxPods", 110);
        c.put("registerNode", true);
        c.put("protectKernelDefaults", false);
        return c;
    }

    static List<String> kubeletArgs(Settings s, Path kubelet) {
        return List.of(kubelet.toString(),
                "--config=" + s.kubeletConfig(),
                "--kubeconfig=" + s.kubeconfig(),
                "--root-dir=" + s.kubeletRoot(),
                "--cert-dir=" + s.kubeletRoot().resolve("pki"),
                "--hostname-override=" + s.nodeName(),
                "--node-ip=" + s.gateway(),
                "--node-labels=" + s.nodeLabel() + "=real",
                // Lowering its own oom_score_adj (-999 by default) needs CAP_SYS_RESOURCE.
                "--oom-score-adj=0",
                "--v=2");
    }

    /**
     * kube-proxy in iptables mode. masqueradeAll makes hairpin traffic (a pod reaching
     * itself through its Service) work whatever br_netfilter says; the conntrack sizes and
     * timeouts are 0 (leave the machine's as they are), and NodePorts only on the bridge.
     */
    static Map<String, Object> kubeProxyConfig(Settings s) {
        var c = new LinkedHashMap<String, Object>();
        c.put("apiVersion", "kubeproxy.config.k8s.io/v1alpha1");
        c.put("kind", "KubeProxyConfiguration");
        c.put("mode", "iptables");
        c.put("clientConnection", Map.of("kubeconfig", s.kubeconfig().toString()));
        c.put("hostnameOverride", s.nodeName());
        c.put("bindAddress", s.gateway());
        c.put("clusterCIDR", s.subnet());
        c.put("healthzBindAddress", s.healthHost() + ":" + s.ports().proxyHealthz());
        c.put("metricsBindAddress", s.healthHost() + ":" + s.ports().proxyMetrics());
        c.put("nodePortAddresses", List.of(s.subnet()));
        var ipt = new LinkedHashMap<String, Object>();
        ipt.put("masqueradeAll", true);
        // true would set net.ipv4.conf.all.route_localnet=1 on the machine.
        ipt.put("localhostNodePorts", false);
        c.put("iptables", ipt);
        var ct = new LinkedHashMap<String, Object>();
        ct.put("maxPerCore", 0);
        ct.put("min", 0);
        ct.put("tcpEstablishedTimeout", "0s");
        ct.put("tcpCloseWaitTimeout", "0s");
        c.put("conntrack", ct);
        return c;
    }

    static List<String> kubeProxyArgs(Settings s, Path kubeProxy) {
        return List.of(kubeProxy.toString(), "--config=" + s.kubeProxyConfig(), "--v=2");
    }

    /**
     * Cluster DNS on the bridge gateway, which is the pods' nameserver. It answers the
     * cluster's names from the API and nothing else: no forwarding, so no pod query ever
     * leaves the machine.
     */
    static String corefile(Settings s) {
        return """
                cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
                    bind %1$s
                    errors
                    ready 127.0.0.1:%2$d
                    kubernetes cluster.local in-addr.arpa ip6.arpa {
                        kubeconfig %3$s %4$s
                        pods insecure
                        fallthrough in-addr.arpa ip6.arpa
                        ttl 30
                    }
                    cache 30
                    loadbalance
                }
                .:53 {
                    bind %1$s
                    errors
                }
                """.formatted(s.gateway(), s.ports().dnsReady(), s.kubeconfig(), s.context());
    }

    static List<String> corednsArgs(Settings s, Path coredns) {
        return List.of(coredns.toString(), "-conf", s.corefile().toString());
    }

    /** For pods with dnsPolicy Default too: the cluster DNS, never the machine's resolver. */
    static String resolvConf(Settings s) {
        return "nameserver " + s.dns() + "\n";
    }

    /**
     * What the control plane needs for a real kubelet, as kwokctl componentsPatches. They
     * change nothing for the fake nodes, so every kwok cluster gets them and a real node
     * can join any cluster this project creates:
     * <ul>
     *   <li>the apiserver calls kubelets at their InternalIP (the real node's has no DNS
     *       name) with the cluster's admin certificate, which the kubelet trusts;</li>
     *   <li>the aggregation layer is on (the request-header CA and name of kwokctl's front-proxy client certificate), so
     *       the resource metrics API a real node registers (NodeMetrics) is served through the
     *       API server; a cluster without it registers no APIService and never uses them;</li>
     *   <li>kwok-controller manages only the nodes annotated kwok.x-k8s.io/node=fake, so it
     *       leaves the real node to its kubelet (kwokctl itself passes
     *       --manage-all-nodes=true, hence the override);</li>
     *   <li>the controller-manager and the scheduler run without leader election.</li>
     * </ul>
     */
    static List<Map<String, Object>> controlPlanePatches(Path clusterDir) {
        var apiserver = new LinkedHashMap<String, Object>();
        apiserver.put("name", "kube-apiserver");
        apiserver.put("extraArgs", List.of(
                arg("kubelet-preferred-address-types", "InternalIP", false),
                arg("kubelet-client-certificate", clusterDir.resolve("pki/admin.crt").toString(), false),
                arg("kubelet-client-key", clusterDir.resolve("pki/admin.key").toString(), false),
                // The aggregation layer, for the resource metrics API (NodeMetrics): kwokctl already has the API
                // server proxy with the admin certificate (--proxy-client-cert-file); these tell an aggregated
                // server (through kube-system/extension-apiserver-authentication) to trust the user in these
                // headers from that certificate alone (CA and common name).
                arg("requestheader-client-ca-file", clusterDir.resolve("pki/ca.crt").toString(), false),
                arg("requestheader-allowed-names", ADMIN_CN, false),
                arg("requestheader-username-headers", "X-Remote-User", false),
                arg("requestheader-group-headers", "X-Remote-Group", false),
                arg("requestheader-extra-headers-prefix", "X-Remote-Extra-", false),
                // To the aggregated server's endpoint itself (its EndpointSlice), not through its ClusterIP:
                // the API server is a host process, and a host address behind kube-proxy's DNAT adds nothing.
                arg("enable-aggregator-routing", "true", false)));
        var kwok = new LinkedHashMap<String, Object>();
        kwok.put("name", "kwok-controller");
        kwok.put("extraArgs", List.of(
                arg("manage-all-nodes", "false", true),
                arg("manage-nodes-with-annotation-selector", FAKE_NODE_SELECTOR, false)));
        // One controller-manager and one scheduler: leader election guards nothing here, and on a
        // loaded machine a lease renewal that misses its 10 s deadline makes them exit for good
        // ("leaderelection lost"), which kwokctl does not restart: Jobs then never get a pod.
        var controllers = new LinkedHashMap<String, Object>();
        controllers.put("name", "kube-controller-manager");
        // A real node's kubelet that a loaded 2-core machine starves for 50 s (the default grace)
        // gets its node tainted not-ready, and every pending pod then waits on "untolerated taint":
        // a dev cluster gives its kubelets 2 minutes before it calls them gone. The HPAs are
        // looked at every 2 s, not 15: a scale up or down shows within a dev loop's patience
        // (a first install's wait for minReplicas pods is mostly the wait for the next sync),
        // and the chart's behavior (windows, policies) still decides how far and how fast.
        controllers.put("extraArgs", List.of(arg("leader-elect", "false", false), arg("node-monitor-grace-period", "2m", false),
                arg("horizontal-pod-autoscaler-sync-period", HPA_SYNC.toSeconds() + "s", false)));
        var scheduler = new LinkedHashMap<String, Object>();
        scheduler.put("name", "kube-scheduler");
        scheduler.put("extraArgs", List.of(arg("leader-elect", "false", false)));
        return List.of(apiserver, kwok, controllers, scheduler);
    }

    /** How often the controller-manager looks at each HPA (its default is 15 s). */
    static final java.time.Duration HPA_SYNC = java.time.Duration.ofSeconds(2);

    /** The common name of the admin certificate kwokctl makes (pki/admin.crt), which the API server proxies with. */
    static final String ADMIN_CN = "kwok-admin";

    /** The annotation KwokCluster puts on its fake nodes. */
    static final String FAKE_NODE_SELECTOR = "kwok.x-k8s.io/node=fake";

    private static Map<String, Object> arg(String key, String value, boolean override) {
        var m = new LinkedHashMap<String, Object>();
        m.put("key", key);
        m.put("value", value);
        if (override) m.put("override", true);
        return m;
    }

    /**
     * A TOML basic string, written by the one JSON writer: TOML's basic strings take every
     * escape Yaml.json writes, so its string is one, except that TOML wants DEL (0x7f) escaped too, which no
     * path or image name here holds.
     */
    static String toml(Object o) {
        return Yaml.json(o.toString());
    }

    /** The longest socket path the node creates (unix sockets are limited to 107 bytes). */
    static List<Path> sockets(Settings s) {
        var out = new ArrayList<Path>();
        out.add(Path.of(s.socket() + ".ttrpc"));
        out.add(s.kubeletRoot().resolve("pod-resources/kubelet.sock"));
        out.add(s.kubeletRoot().resolve("plugins_registry"));
        return out;
    }
}
