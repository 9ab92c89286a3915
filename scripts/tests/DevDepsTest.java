import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dev dependencies chart serves exactly what the dev Secret (Secrets.DEV) points
 * at; its real-node values name the images scripts/images.java builds.
 */
class DevDepsTest {
    static Path chart() { return DevDeps.chart(Repo.root()); }

    static Map<String, Object> values(String file) throws Exception {
        return Yaml.loadMap(java.nio.file.Files.readString(chart().resolve(file)));
    }

    @Test
    void theDevSecretMatchesTheChartDefaults() throws Exception {
        var v = values("values.yaml");
        var s = Secrets.DEV;
        URI db = URI.create(s.get("DATABASE_URL").replace("postgresql+asyncpg", "postgresql"));
        assertEquals("postgres", db.getHost());
        assertEquals(5432, db.getPort());
        assertEquals(Yaml.str(v, "postgres.username") + ":" + Yaml.str(v, "postgres.password"), db.getUserInfo());
        assertEquals("/" + Yaml.str(v, "postgres.database"), db.getPath());

        URI redis = URI.create(s.get("REDIS_URL"));
        assertEquals("redis:6379", redis.getHost() + ":" + redis.getPort());

        assertEquals("http://seaweedfs:8333", s.get("S3_ENDPOINT_URL"));
        assertEquals(Yaml.str(v, "seaweedfs.accessKey"), s.get("S3_ACCESS_KEY_ID"));
        assertEquals(Yaml.str(v, "seaweedfs.secretKey"), s.get("S3_SECRET_ACCESS_KEY"));
        assertEquals(java.util.List.of(s.get("S3_BUCKET")), Yaml.list(v, "seaweedfs.buckets"));

        assertEquals("http://keycloak:8080/realms/" + Yaml.str(v, "keycloak.realm"), s.get("OIDC_ISSUER_URL"));
        assertEquals(Yaml.str(v, "keycloak.clientId"), s.get("OIDC_CLIENT_ID"));
        assertEquals(Yaml.str(v, "keycloak.clientSecret"), s.get("OIDC_CLIENT_SECRET"));

        assertEquals("http://otel-collector:4317", s.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    @Test
    void theRealNodeValuesNameTheLocalImages() throws Exception {
        var v = values(DevDeps.REAL_NODE_VALUES);
        assertEquals(Images.POSTGRES, Yaml.str(v, "postgres.image.repository") + ":" + Yaml.str(v, "postgres.image.tag"));
        assertEquals(Images.REDIS, Yaml.str(v, "redis.image.repository") + ":" + Yaml.str(v, "redis.image.tag"));
        assertEquals(DevDeps.REAL_NODE_VALUES, DevDepsChecks.REAL_NODE_VALUES);
    }
}
