//SOURCES ../tools/Yaml.java

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The connections a set of NetworkPolicies must allow and must deny, derived from the
 * policies themselves and the pods they select, never from a hand-written list: change a
 * value (an extra ingress namespace, a different database port) and the matrix moves.
 *
 * <p>For every policy and every workload it selects:
 * <ul>
 *   <li>ingress: each `from` peer becomes a source (its namespace and pod labels) that must
 *       reach the workload on each listed port; a namespace no policy names, and a pod of the
 *       workload's own namespace without the peer's labels, must not;</li>
 *   <li>egress: each listed port becomes a connection to the workloads that listen on it (the
 *       dependencies) and a DNS lookup where DNS is allowed; a port no rule lists, on a pod
 *       that listens on it (the matrix's own listener), must not connect.</li>
 * </ul>
 * The expectation of each row is what Kubernetes' NetworkPolicy semantics give for that
 * connection under all the policies (the source's egress and the destination's ingress).
 * Two kinds of row are the isolation a policy promises, so they are "denied" whatever the
 * rules say: another namespace → an ingress-isolated workload, and an egress-isolated
 * workload → a port no rule lists. Where a rule still admits them (a rule that admits every
 * namespace), the row keeps "denied" and says which policy admits it; the real connection
 * then fails the row by name.
 */
final class NetpolMatrix {
    private NetpolMatrix() {}

    static final String NAME_LABEL = "kubernetes.io/metadata.name";
    /** The namespace no policy names: "another namespace". */
    static final String OTHER_NAMESPACE = "netpol-other";
    /** Where the matrix runs its listener, for the denied-egress rows. */
    static final String PROBE_NAMESPACE = "netpol-probe";
    static final int LISTENER_PORT = 9999;

    /** A pod template of a rendered workload: where it runs, its labels, its named ports. */
    record Workload(String name, String kind, String namespace, Map<String, String> labels, Map<String, Integer> ports) {
        /** A controller (Deployment, StatefulSet…) adopts any pod with its labels: never impersonate it with a probe. */
        boolean controlled() { return !kind.equals("Job") && !kind.equals("Pod"); }
    }

    /**
     * One side of a connection. workload names a real workload (its own pods are used), or is
     * null for a stand-in probe pod with these labels in this namespace; dnsIp is set for the
     * cluster DNS, which may be a pod or an address outside any pod.
     */
    record Peer(String display, String namespace, Map<String, String> labels, String workload, String dnsIp, Map<String, Integer> ports) {
        static Peer of(Workload w) { return new Peer(w.namespace() + "/" + w.name(), w.namespace(), w.labels(), w.name(), null, w.ports()); }

        static Peer probe(String namespace, Map<String, String> labels) {
            String l = labels.isEmpty() ? "no labels" : labels.entrySet().stream().filter(e -> !e.getKey().startsWith("app.kubernetes.io/instance")
                            && !e.getKey().startsWith("app.kubernetes.io/name")).map(e -> e.getKey().replace("app.kubernetes.io/", "") + "=" + e.getValue())
                    .reduce((a, b) -> a + "," + b).orElse("release labels");
            return new Peer("probe " + namespace + " (" + l + ")", namespace, labels, null, null, Map.of());
        }
    }

    enum Kind { TCP, DNS }

    /** A connection and its expectation; why says which rule makes it so. */
    record Row(Peer source, Peer dest, int port, Kind kind, boolean allowed, String why) {
        String describe() {
            return source.display() + " → " + dest.display() + (kind == Kind.DNS ? " DNS" : " :" + port) + " " + (allowed ? "allowed" : "denied");
        }
    }

    /** The cluster DNS as policies see it: CoreDNS pods labelled k8s-app=kube-dns, or an address (dnsIp, may be null). */
    static Peer clusterDns(String dnsIp) {
        return new Peer("cluster DNS" + (dnsIp == null ? "" : " " + dnsIp), "kube-system", Map.of("k8s-app", "kube-dns"), null, dnsIp, Map.of());
    }

    static Peer listener() {
        return new Peer(PROBE_NAMESPACE + "/listener", PROBE_NAMESPACE, Map.of("app.kubernetes.io/name", "netpol-listener"), null, null,
                Map.of("listen", LISTENER_PORT));
    }

    /** Workloads of rendered manifests (Deployment, StatefulSet, DaemonSet, Job, Pod); defaultNs for those without one. */
    static List<Workload> workloads(List<Map<String, Object>> docs, String defaultNs) {
        var out = new ArrayList<Workload>();
        for (var d : docs) {
            String kind = Yaml.str(d, "kind");
            if (kind == null) continue;
            String tpl = switch (kind) {
                case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job" -> "spec.template";
                case "Pod" -> "";
                default -> null;
            };
            if (tpl == null) continue;
            String ns = Objects.requireNonNullElse(Yaml.str(d, "metadata.namespace"), defaultNs);
            String base = tpl.isEmpty() ? "" : tpl + ".";
            var labels = Yaml.strings(d, base + "metadata.labels");
            var ports = new LinkedHashMap<String, Integer>();
            for (String list : List.of("spec.containers", "spec.initContainers")) {
                for (var c : Yaml.maps(d, base + list)) {
                    for (var p : Yaml.maps(c, "ports")) {
                        Object n = p.get("containerPort");
                        if (n instanceof Number num) ports.put(Objects.requireNonNullElse(Yaml.str(p, "name"), "#" + num), num.intValue());
                    }
                }
            }
            out.add(new Workload(Yaml.str(d, "metadata.name"), kind, ns, labels, ports));
        }
        return out;
    }

    static List<Map<String, Object>> policies(List<Map<String, Object>> docs) {
        return docs.stream().filter(d -> "NetworkPolicy".equals(Yaml.str(d, "kind"))).toList();
    }

    /**
     * The matrix of these policies over these workloads. dnsIp is where the pods' DNS
     * answers when it is not a pod (null: a CoreDNS pod). Policies without a namespace are in defaultNs.
     */
    static List<Row> derive(List<Map<String, Object>> policies, List<Workload> workloads, String defaultNs, String dnsIp) {
        var rows = new LinkedHashMap<String, Row>();
        var dns = clusterDns(dnsIp);
        for (var p : policies) {
            String ns = Objects.requireNonNullElse(Yaml.str(p, "metadata.namespace"), defaultNs);
            var types = policyTypes(p);
            for (var w : workloads) {
                if (!w.namespace().equals(ns) || !selects(Yaml.map(p, "spec.podSelector"), w.labels())) continue;
                var target = Peer.of(w);
                if (types.contains("Ingress")) {
                    var ports = new LinkedHashSet<Integer>();
                    for (var rule : Yaml.maps(p, "spec.ingress")) {
                        var rulePorts = resolvePorts(rule, w);
                        ports.addAll(rulePorts);
                        for (var peer : Yaml.maps(rule, "from")) {
                            Peer src = standIn(peer, ns, workloads);
                            if (src == null) continue;
                            for (int port : rulePorts) add(rows, evaluate(policies, defaultNs, src, target, port, Kind.TCP, null));
                        }
                    }
                    for (int port : ports) {
                        add(rows, evaluate(policies, defaultNs, Peer.probe(OTHER_NAMESPACE, Map.of()), target, port, Kind.TCP, "another namespace"));
                        add(rows, evaluate(policies, defaultNs, Peer.probe(ns, Map.of()), target, port, Kind.TCP, null));
                    }
                }
                if (types.contains("Egress")) {
                    // A source the matrix can use: the workload's own pods, or a probe with its labels when no controller owns them.
                    Peer src = w.controlled() ? target : Peer.probe(ns, identity(w.labels()));
                    var listed = new LinkedHashSet<Integer>();
                    for (var rule : Yaml.maps(p, "spec.egress")) {
                        for (var port : Yaml.maps(rule, "ports")) {
                            if (port.get("port") instanceof Number n) listed.add(n.intValue());
                        }
                    }
                    if (listed.contains(53) || Yaml.maps(p, "spec.egress").stream().anyMatch(r -> Yaml.list(r, "ports").isEmpty())) {
                        add(rows, evaluate(policies, defaultNs, src, dns, 53, Kind.DNS, null));
                    }
                    for (var other : workloads) {
                        if (other == w) continue;
                        for (int port : other.ports().values()) {
                            if (listed.contains(port) && other.controlled()) add(rows, evaluate(policies, defaultNs, src, Peer.of(other), port, Kind.TCP, null));
                        }
                    }
                    if (!listed.contains(LISTENER_PORT)) {
                        add(rows, evaluate(policies, defaultNs, src, listener(), LISTENER_PORT, Kind.TCP, "a port no egress rule lists"));
                    }
                }
            }
        }
        // A workload no policy isolates still gets its "another namespace" row when a policy names it as a destination? No:
        // only isolation is promised; unisolated destinations appear through the egress rows above.
        return new ArrayList<>(rows.values());
    }

    /** The labels that say which pod this is (name, instance, component), for a stand-in; its other labels only describe it. */
    static Map<String, String> identity(Map<String, String> labels) {
        var out = new LinkedHashMap<String, String>();
        for (String k : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component")) {
            if (labels.containsKey(k)) out.put(k, labels.get(k));
        }
        return out.isEmpty() ? labels : out;
    }

    private static boolean has(Object root, String path) { return Yaml.at(root, path) != null; }

    private static void add(Map<String, Row> rows, Row r) {
        rows.putIfAbsent(r.source().display() + "|" + r.dest().display() + "|" + r.port() + "|" + r.kind(), r);
    }

    /** The pods a `from` peer stands for: a real workload when its labels are a controller's, else a probe with the peer's labels. */
    private static Peer standIn(Map<String, Object> peer, String policyNs, List<Workload> workloads) {
        if (peer.containsKey("ipBlock")) return null;
        var nsSel = has(peer, "namespaceSelector") ? Yaml.map(peer, "namespaceSelector") : null;
        var podSel = has(peer, "podSelector") ? Yaml.map(peer, "podSelector") : null;
        String ns;
        if (nsSel == null) ns = policyNs;
        else {
            var ml = Yaml.strings(nsSel, "matchLabels");
            ns = ml.containsKey(NAME_LABEL) ? ml.get(NAME_LABEL) : "netpol-any";
        }
        var labels = podSel == null ? Map.<String, String>of() : Yaml.strings(podSel, "matchLabels");
        for (var w : workloads) {
            if (w.namespace().equals(ns) && !labels.isEmpty() && selects(podSel, w.labels()) && w.controlled()) return Peer.of(w);
        }
        return Peer.probe(ns, labels);
    }

    /** The expectation of one connection under all policies; promise marks rows that must be denied whatever the rules say. */
    static Row evaluate(List<Map<String, Object>> policies, String defaultNs, Peer src, Peer dst, int port, Kind kind, String promise) {
        String egress = direction(policies, defaultNs, "Egress", src, dst, port, kind);
        String ingress = dst.dnsIp() != null || dst.workload() == null && dst.namespace().equals("kube-system")
                ? "+no policy isolates the cluster DNS here" : direction(policies, defaultNs, "Ingress", dst, src, port, kind);
        boolean allowed = egress.startsWith("+") && ingress.startsWith("+");
        String why = (allowed ? "" : egress.startsWith("+") ? ingress : egress).replaceFirst("^[+-]", "");
        if (allowed) why = "egress: " + egress.substring(1) + "; ingress: " + ingress.replaceFirst("^[+-]", "");
        if (promise != null) {
            if (allowed) return new Row(src, dst, port, kind, false, promise + " must be denied, but " + why);
            return new Row(src, dst, port, kind, false, promise + ": " + why);
        }
        return new Row(src, dst, port, kind, allowed, why);
    }

    /**
     * Whether the policies selecting `self` let this connection through in this direction:
     * "+reason" or "-reason". other is the far end (the destination for Egress, the source for Ingress).
     */
    private static String direction(List<Map<String, Object>> policies, String defaultNs, String type, Peer self, Peer other, int port, Kind kind) {
        boolean isolated = false;
        for (var p : policies) {
            String ns = Objects.requireNonNullElse(Yaml.str(p, "metadata.namespace"), defaultNs);
            if (!ns.equals(self.namespace()) || !selects(Yaml.map(p, "spec.podSelector"), self.labels()) || !policyTypes(p).contains(type)) continue;
            isolated = true;
            var rules = Yaml.maps(p, type.equals("Ingress") ? "spec.ingress" : "spec.egress");
            for (int i = 0; i < rules.size(); i++) {
                var rule = rules.get(i);
                if (!portMatches(rule, port, kind, type.equals("Ingress") ? self : other)) continue;
                var peers = Yaml.maps(rule, type.equals("Ingress") ? "from" : "to");
                if (peers.isEmpty()) {
                    return "+" + Yaml.str(p, "metadata.name") + " " + type.toLowerCase() + " rule " + (i + 1) + " (any peer)";
                }
                for (var peer : peers) {
                    if (peerMatches(peer, ns, other)) {
                        return "+" + Yaml.str(p, "metadata.name") + " " + type.toLowerCase() + " rule " + (i + 1)
                                + (peerAdmitsEveryNamespace(peer) ? " (admits every namespace)" : "");
                    }
                }
            }
        }
        return isolated ? "-no " + type.toLowerCase() + " rule of the policies selecting " + self.display() + " admits it" : "+not isolated for " + type.toLowerCase();
    }

    private static boolean peerAdmitsEveryNamespace(Map<String, Object> peer) {
        return has(peer, "namespaceSelector") && Yaml.map(peer, "namespaceSelector.matchLabels").isEmpty()
                && Yaml.list(peer, "namespaceSelector.matchExpressions").isEmpty();
    }

    private static boolean peerMatches(Map<String, Object> peer, String policyNs, Peer other) {
        if (peer.containsKey("ipBlock")) {
            String cidr = Yaml.str(peer, "ipBlock.cidr");
            return other.dnsIp() != null && cidr != null && inCidr(other.dnsIp(), cidr);
        }
        if (other.dnsIp() != null && other.workload() == null) return false; // an address outside any pod matches ipBlocks only
        var nsSel = has(peer, "namespaceSelector") ? Yaml.map(peer, "namespaceSelector") : null;
        var podSel = has(peer, "podSelector") ? Yaml.map(peer, "podSelector") : null;
        boolean nsOk = nsSel == null ? other.namespace().equals(policyNs) : selects(nsSel, Map.of(NAME_LABEL, other.namespace()));
        boolean podOk = podSel == null || selects(podSel, other.labels());
        return nsOk && podOk;
    }

    private static boolean portMatches(Map<String, Object> rule, int port, Kind kind, Peer owner) {
        var ports = Yaml.maps(rule, "ports");
        if (ports.isEmpty()) return true;
        for (var p : ports) {
            String proto = Objects.requireNonNullElse(Yaml.str(p, "protocol"), "TCP");
            // A lookup goes out as UDP first; the TCP rule alone would not answer it.
            if (kind == Kind.DNS ? !proto.equals("UDP") : !proto.equals("TCP")) continue;
            Object v = p.get("port");
            if (v == null) return true;
            if (v instanceof Number n) {
                Object end = p.get("endPort");
                int hi = end instanceof Number e ? e.intValue() : n.intValue();
                if (port >= n.intValue() && port <= hi) return true;
            } else {
                Integer named = owner.ports().get(String.valueOf(v));
                if (named != null && named == port) return true;
            }
        }
        return false;
    }

    private static List<Integer> resolvePorts(Map<String, Object> rule, Workload w) {
        var out = new ArrayList<Integer>();
        var ports = Yaml.maps(rule, "ports");
        if (ports.isEmpty()) out.addAll(new LinkedHashSet<>(w.ports().values()));
        for (var p : ports) {
            if (!"TCP".equals(Objects.requireNonNullElse(Yaml.str(p, "protocol"), "TCP"))) continue;
            Object v = p.get("port");
            if (v instanceof Number n) out.add(n.intValue());
            else if (v != null && w.ports().containsKey(String.valueOf(v))) out.add(w.ports().get(String.valueOf(v)));
        }
        return out;
    }

    private static List<String> policyTypes(Map<String, Object> p) {
        var declared = Yaml.list(p, "spec.policyTypes");
        if (!declared.isEmpty()) return declared.stream().map(String::valueOf).toList();
        // Kubernetes' default: Ingress always, Egress when the policy has egress rules.
        return has(p, "spec.egress") ? List.of("Ingress", "Egress") : List.of("Ingress");
    }

    /** A LabelSelector (matchLabels and matchExpressions) against labels; an empty selector selects everything. */
    static boolean selects(Map<String, Object> selector, Map<String, String> labels) {
        if (selector == null) return true;
        var ml = Yaml.strings(selector, "matchLabels");
        for (var e : ml.entrySet()) if (!e.getValue().equals(labels.get(e.getKey()))) return false;
        for (var ex : Yaml.maps(selector, "matchExpressions")) {
            String key = Yaml.str(ex, "key");
            var vs = Yaml.list(ex, "values").stream().map(String::valueOf).toList();
            boolean has = labels.containsKey(key);
            boolean ok = switch (Objects.requireNonNullElse(Yaml.str(ex, "operator"), "")) {
                case "In" -> has && vs.contains(labels.get(key));
                case "NotIn" -> !has || !vs.contains(labels.get(key));
                case "Exists" -> has;
                case "DoesNotExist" -> !has;
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
    }

    static boolean inCidr(String ip, String cidr) {
        try {
            String[] c = cidr.split("/");
            long a = v4(ip), n = v4(c[0]);
            int bits = Integer.parseInt(c[1]);
            long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
            return (a & mask) == (n & mask);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static long v4(String ip) {
        String[] o = ip.split("\\.");
        if (o.length != 4) throw new IllegalArgumentException(ip);
        long v = 0;
        for (String s : o) v = (v << 8) | Integer.parseInt(s);
        return v;
    }
}
