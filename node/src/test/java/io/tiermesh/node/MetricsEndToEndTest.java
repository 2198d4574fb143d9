package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: Prometheus text with the gateway's meters after real traffic. */
class MetricsEndToEndTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  /** The value of the first sample whose name and labels match. */
  private static double sample(String text, String name, String... labels) {
    for (String line : text.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= line.contains(l);
      }
      if (all) {
        Matcher m = Pattern.compile(" ([0-9.eE+-]+)$").matcher(line);
        if (m.find()) {
          return Double.parseDouble(m.group(1));
        }
      }
    }
    return -1;
  }

  @Test
  void requestsTokensFirstTokenCacheAndRefusalsAreExported() throws Exception {
    String secretPrompt = "prompt-" + UUID.randomUUID();
    HttpResponse<String> whole = mesh.post("/v1/chat/completions", TestMesh.chat(secretPrompt, false));
    assertEquals(200, whole.statusCode());
    assertEquals(200, mesh.post("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":9,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"s\"}]}").statusCode());
    String det = "{\"model\":\"auto\",\"temperature\":0,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + UUID.randomUUID() + "\"}]}";
    mesh.post("/v1/chat/completions", det);
    mesh.post("/v1/chat/completions", det);
    String limited = new JsonObject(mesh.admin("POST", "/admin/keys",
        "{\"limits\":{\"requestsPerMinute\":1}}").body()).getString("key");
    mesh.post("/v1/chat/completions", TestMesh.chat("a", false), "Authorization", "Bearer " + limited);
    assertEquals(429, mesh.post("/v1/chat/completions", TestMesh.chat("a", false),
        "Authorization", "Bearer " + limited).statusCode());

    HttpResponse<String> r = mesh.send("GET", "/metrics", null);
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
    String m = r.body();
    assertTrue(sample(m, "gen_ai_client_operation_duration_seconds_count", "api=\"openai\"",
        "provider=\"local\"", "model=\"llama3.1:8b\"", "tier=\"1\"", "route_reason=\"default\"",
        "status=\"200\"") >= 1, m);
    assertTrue(sample(m, "gen_ai_client_operation_duration_seconds_count", "api=\"anthropic\"",
        "status=\"200\"") >= 1);
    assertTrue(sample(m, "gen_ai_server_time_to_first_token_seconds_count",
        "provider=\"local\"") >= 1);
    assertTrue(sample(m, "gen_ai_client_token_usage_tokens_sum", "gen_ai_token_type=\"output\"",
        "provider=\"local\"") > 0);
    assertTrue(sample(m, "gen_ai_client_operation_duration_seconds_count", "cache=\"miss\"") >= 1);
    assertTrue(sample(m, "tiermesh_gateway_cache_lookups_total", "result=\"hit\"") >= 1);
    assertTrue(sample(m, "tiermesh_gateway_rate_limit_refusals_total", "scope=\"key\"") >= 1);
    assertTrue(m.contains("vertx_http_client_requests_total"), "Vert.x's client meters are there");
    // Providers announce themselves every few seconds; wait for the first announcements.
    String withProviders = m;
    long deadline = System.currentTimeMillis() + 15_000;
    while ((sample(withProviders, "tiermesh_provider_breaker_state", "provider=\"local\"") < 0
        || sample(withProviders, "tiermesh_provider_in_flight", "provider=\"hosted\"") < 0)
        && System.currentTimeMillis() < deadline) {
      withProviders = mesh.send("GET", "/metrics", null).body();
    }
    assertEquals(0.0, sample(withProviders, "tiermesh_provider_breaker_state",
        "provider=\"local\""), "the local provider's breaker is exported, closed");
    assertTrue(sample(withProviders, "tiermesh_provider_in_flight", "provider=\"hosted\"") >= 0,
        withProviders);
    String requestId = whole.headers().firstValue("X-Request-Id").orElseThrow();
    for (String secret : new String[] {secretPrompt, requestId, TestMesh.KEY, limited}) {
      assertFalse(m.contains(secret), "metrics must not carry " + secret);
    }
  }
}
