package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A rate-limit check that Redis cannot answer is never a silent skip: with
 * {@code access.rateLimitOnRedisError: open} the request is served, with {@code closed} it is
 * refused with 503, and either way it is counted in {@code /metrics}.
 */
class RateLimitOnRedisErrorTest {

  @ParameterizedTest
  @ValueSource(strings = {"open", "closed"})
  void anUnansweredCheckFollowsThePolicyAndIsCounted(String policy) throws Exception {
    try (TestMesh mesh = new TestMesh("""
        access:
          perIp: {requestsPerMinute: 100}
          rateLimitOnRedisError: %s
        """.formatted(policy))) {
      assertEquals(200, mesh.get("/v1/models").statusCode(), "checked while Redis is up");
      assertEquals(0, unchecked(mesh, "admitted") + unchecked(mesh, "refused"));
      mesh.redis.close();
      HttpResponse<String> r = mesh.get("/v1/models");
      if (policy.equals("open")) {
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, unchecked(mesh, "admitted"));
      } else {
        assertEquals(503, r.statusCode(), r.body());
        JsonObject err = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("policy_unavailable", err.getString("code"));
        assertTrue(err.getString("message").contains("rate limits cannot be checked"),
            err.getString("message"));
        assertEquals(1, unchecked(mesh, "refused"));
      }
    }
  }

  private static double unchecked(TestMesh mesh, String outcome) throws Exception {
    String text = mesh.send("GET", "/metrics", null).body();
    String prefix = "tiermesh_gateway_rate_limit_unchecked_total{outcome=\"" + outcome + "\"";
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
