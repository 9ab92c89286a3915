import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connectivity matrix comes from the rendered policies: prod.yaml with real-node.yaml
 * on top, and the dev-deps chart with its policies on, as `e2e --real` installs them.
 */
class NetpolMatrixTest {
    static Helm helm;
    static Path repo;
    static final String NS = "trevor-real";

    @BeforeAll
    static void tools() {
        repo = Repo.root();
        helm = Helm.at(Tools.helm(4, null));
    }

    static List<Map<String, Object>> render(Path chart, String release, List<String> files, List<String> sets) {
        var r = helm.template(release, chart, NS, new Helm.Values(files.stream().map(repo::resolve).toList(), sets));
        assertTrue(r.ok(), r.said());
        var docs = new ArrayList<Map<String, Object>>();
        for (var o : Manifests.parse(r.out())) docs.add(o.body());
        return docs;
    }

    static List<NetpolMatrix.Row> matrix(List<String> trevorSets) {
        var docs = new ArrayList<>(render(repo.resolve("helm/trevor"), "trevor", List.of("values/prod.yaml", "values/real-node.yaml"), trevorSets));
        docs.addAll(render(repo.resolve("helm/trevor-dev-deps"), "trevor-dev-deps", List.of("helm/trevor-dev-deps/values-real-node.yaml"),
                List.of("networkPolicy.enabled=true")));
        return NetpolMatrix.derive(NetpolMatrix.policies(docs), NetpolMatrix.workloads(docs, NS), NS, "10.244.0.1");
    }

    static NetpolMatrix.Row row(List<NetpolMatrix.Row> rows, String source, String dest, int port) {
        return rows.stream().filter(r -> r.source().display().equals(source) && r.dest().display().equals(dest) && r.port() == port).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + source + " → " + dest + " :" + port + " in:\n"
                        + String.join("\n", rows.stream().map(NetpolMatrix.Row::describe).toList())));
    }

    static void expect(boolean allowed, List<NetpolMatrix.Row> rows, String source, String dest, int port) {
        var r = row(rows, source, dest, port);
        assertEquals(allowed, r.allowed(), r.describe() + " (" + r.why() + "); the matrix:\n"
                + String.join("\n", rows.stream().map(NetpolMatrix.Row::describe).toList()));
    }

    @Test
    void prodPoliciesGiveTheRowsTheIssueNames() {
        var rows = matrix(List.of());
        expect(true, rows, "probe ingress-nginx (no labels)", NS + "/trevor", 8000);
        expect(true, rows, "probe monitoring (no labels)", NS + "/trevor", 8000);
        expect(true, rows, "probe " + NS + " (component=test)", NS + "/trevor", 8000);
        expect(false, rows, "probe netpol-other (no labels)", NS + "/trevor", 8000);
        expect(false, rows, "probe " + NS + " (no labels)", NS + "/trevor", 8000);
        expect(true, rows, NS + "/trevor", NS + "/postgres", 5432);
        expect(true, rows, NS + "/trevor", NS + "/redis", 6379);
        expect(true, rows, NS + "/trevor-worker", NS + "/redis", 6379);
        expect(true, rows, "probe " + NS + " (component=migrate)", NS + "/postgres", 5432);
        expect(false, rows, "probe " + NS + " (component=migrate)", NS + "/redis", 6379);
        expect(false, rows, "probe " + NS + " (no labels)", NS + "/postgres", 5432);
        expect(false, rows, NS + "/trevor", "netpol-probe/listener", NetpolMatrix.LISTENER_PORT);
        expect(true, rows, NS + "/trevor", "cluster DNS 10.244.0.1", 53);
        expect(true, rows, "probe " + NS + " (component=test)", "cluster DNS 10.244.0.1", 53);
        long allowed = rows.stream().filter(NetpolMatrix.Row::allowed).count();
        assertTrue(rows.size() >= 10 && allowed >= 4 && rows.size() - allowed >= 4, rows.size() + " rows, " + allowed + " allowed");
    }

    @Test
    void aValuesChangeMovesTheMatrix() {
        var rows = matrix(List.of("networkPolicy.ingressNamespace=edge"));
        expect(true, rows, "probe edge (no labels)", NS + "/trevor", 8000);
        assertTrue(rows.stream().noneMatch(r -> r.source().namespace().equals("ingress-nginx")));

        rows = matrix(List.of("--set-json=networkPolicy.egress=[{\"name\":\"postgres\",\"ports\":[{\"port\":6543}]}]"));
        // PostgreSQL's own policy still names the API as a source; the API's egress no longer lists 5432.
        expect(false, rows, NS + "/trevor", NS + "/postgres", 5432);
        expect(false, rows, NS + "/trevor", "netpol-probe/listener", NetpolMatrix.LISTENER_PORT);
    }

    @Test
    void withoutTheDnsRuleTheLookupsAreDenied() {
        var rows = matrix(List.of("networkPolicy.dns.podLabels.k8s-app=nothing", "--set-json=networkPolicy.dns.ipBlocks=[]"));
        expect(false, rows, NS + "/trevor", "cluster DNS 10.244.0.1", 53);
        // Without real-node.yaml's address, the host-process CoreDNS is not what the rule admits.
        var docs = render(repo.resolve("helm/trevor"), "trevor", List.of("values/prod.yaml"), List.of());
        rows = NetpolMatrix.derive(NetpolMatrix.policies(docs), NetpolMatrix.workloads(docs, NS), NS, "10.244.0.1");
        expect(false, rows, NS + "/trevor", "cluster DNS 10.244.0.1", 53);
        rows = NetpolMatrix.derive(NetpolMatrix.policies(docs), NetpolMatrix.workloads(docs, NS), NS, null);
        expect(true, rows, NS + "/trevor", "cluster DNS", 53);
    }

    @Test
    void anIngressRuleThatAdmitsEveryNamespaceKeepsTheDeniedRowAndSaysWhy() {
        var rows = matrix(List.of("--set-json=networkPolicy.extraIngress=[{\"from\":[{\"namespaceSelector\":{}}],\"ports\":[{\"port\":\"http\"}]}]"));
        var other = row(rows, "probe netpol-other (no labels)", NS + "/trevor", 8000);
        assertFalse(other.allowed());
        assertTrue(other.why().startsWith("another namespace must be denied, but"), other.why());
        assertTrue(other.why().contains("admits every namespace"), other.why());
    }

    @Test
    void noPoliciesNoRows() {
        var docs = render(repo.resolve("helm/trevor"), "trevor", List.of("values/real-node.yaml"), List.of());
        assertEquals(List.of(), NetpolMatrix.derive(NetpolMatrix.policies(docs), NetpolMatrix.workloads(docs, NS), NS, null));
    }

    @Test
    void labelSelectorsAndCidrs() {
        Map<String, Object> sel = Yaml.loadMap("""
                matchLabels: {a: "1"}
                matchExpressions:
                  - {key: c, operator: In, values: [x, y]}
                  - {key: d, operator: DoesNotExist}
                """);
        assertTrue(NetpolMatrix.selects(sel, Map.of("a", "1", "c", "y")));
        assertFalse(NetpolMatrix.selects(sel, Map.of("a", "1", "c", "z")));
        assertFalse(NetpolMatrix.selects(sel, Map.of("a", "1", "c", "x", "d", "")));
        assertTrue(NetpolMatrix.selects(Map.of(), Map.of("any", "thing")));
        assertTrue(NetpolMatrix.inCidr("10.244.0.1", "10.244.0.1/32"));
        assertFalse(NetpolMatrix.inCidr("10.244.0.2", "10.244.0.1/32"));
        assertTrue(NetpolMatrix.inCidr("10.1.2.3", "0.0.0.0/0"));
    }
}
