package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/route/explain} with a client key: a caller may explain its own request, by
 * request id and with the body it sent, and nothing else — not another key's request, not
 * another body, not as another tenant or with other hints.
 */
class OwnRequestExplainTest {

  private static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static HttpResponse<String> explain(String key, String requestId, String body,
      String... more) throws Exception {
    String[] headers = new String[6 + more.length];
    headers[0] = "Authorization";
    headers[1] = "Bearer " + key;
    headers[2] = "Content-Type";
    headers[3] = "application/json";
    headers[4] = "X-Request-Id";
    headers[5] = requestId;
    System.arraycopy(more, 0, headers, 6, more.length);
    return mesh.send("POST", "/v1/route/explain", body, headers);
  }

  @Test
  void theCallerExplainsItsOwnRequestWithTheHintsItHad() throws Exception {
    String body = TestMesh.chat("explain me", false);
    HttpResponse<String> answer = mesh.post("/v1/chat/completions", body,
        "X-TierMesh-Quality", "high");
    assertEquals(200, answer.statusCode(), answer.body());
    String id = answer.headers().firstValue("X-Request-Id").orElseThrow();

    // No quality header this time: the explanation uses the hints the request had.
    HttpResponse<String> r = explain(TestMesh.KEY, id, body);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject out = new JsonObject(r.body());
    assertEquals(id, out.getString("requestId"));
    assertEquals("quality-high", out.getString("reason"), r.body());
    assertEquals("high", out.getJsonObject("facts").getString("quality"), r.body());
    assertFalse(out.getJsonArray("checks").isEmpty());
    assertFalse(out.containsKey("rulesSource"), "where the rules file lives is the operator's");
    JsonObject served = out.getJsonObject("served");
    assertEquals(answer.headers().firstValue("X-TierMesh-Provider").orElseThrow(),
        served.getString("provider"));
    assertEquals(Integer.parseInt(answer.headers().firstValue("X-TierMesh-Tier").orElseThrow()),
        served.getInteger("tier"));
    assertEquals(200, served.getInteger("status"));
    assertEquals(answer.headers().firstValue("X-TierMesh-Cost-USD").orElseThrow(),
        served.getString("cost_usd"));
    assertEquals(answer.headers().firstValue("X-TierMesh-Budget-Remaining").orElseThrow(),
        served.getString("budget_remaining_usd"));
  }

  @Test
  void aStreamsCostComesWithTheExplanationAskedRightAfterIt() throws Exception {
    String body = TestMesh.chat("stream me", true);
    HttpResponse<String> answer = mesh.post("/v1/chat/completions", body,
        "X-TierMesh-Quality", "high");
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(answer.body().endsWith("data: [DONE]\n\n"), answer.body());
    assertTrue(answer.headers().firstValue("X-TierMesh-Cost-USD").isEmpty(),
        "a stream's headers leave before its cost is known");
    String id = answer.headers().firstValue("X-Request-Id").orElseThrow();
    HttpResponse<String> r = explain(TestMesh.KEY, id, body);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject served = new JsonObject(r.body()).getJsonObject("served");
    assertEquals(200, served.getInteger("status"), r.body());
    String cost = served.getString("cost_usd");
    assertTrue(cost != null && Double.parseDouble(cost) > 0, r.body());
    assertTrue(served.getString("budget_remaining_usd") != null, r.body());
  }

  @Test
  void aRefusedRequestIsExplainedWithItsRefusal() throws Exception {
    String body = "{\"model\":\"premium/gpt-4o\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"my record\"}]}";
    HttpResponse<String> answer = mesh.post("/v1/chat/completions", body,
        "X-TierMesh-Classification", "pii");
    assertEquals(403, answer.statusCode(), answer.body());
    String id = answer.headers().firstValue("X-Request-Id").orElseThrow();
    HttpResponse<String> r = explain(TestMesh.KEY, id, body);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject out = new JsonObject(r.body());
    assertEquals("policy_violation", out.getJsonObject("refusal").getString("code"), r.body());
    assertEquals(403, out.getJsonObject("served").getInteger("status"));
  }

  @Test
  void anotherKeyAnotherBodyOrAnUnknownIdIsRefused() throws Exception {
    String body = TestMesh.chat("mine", false);
    HttpResponse<String> answer = mesh.post("/v1/chat/completions", body);
    assertEquals(200, answer.statusCode(), answer.body());
    String id = answer.headers().firstValue("X-Request-Id").orElseThrow();

    HttpResponse<String> created = mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"default\",\"name\":\"other\"}");
    assertEquals(201, created.statusCode(), created.body());
    JsonObject other = new JsonObject(created.body());
    try {
      HttpResponse<String> foreign = explain(other.getString("key"), id, body);
      assertEquals(404, foreign.statusCode(), foreign.body());
      assertTrue(foreign.body().contains("not_found"), foreign.body());

      HttpResponse<String> changed = explain(TestMesh.KEY, id, TestMesh.chat("not mine", false));
      assertEquals(400, changed.statusCode(), changed.body());
      assertTrue(changed.body().contains("differs"), changed.body());

      assertEquals(404, explain(TestMesh.KEY, "0123456789abcdef", body).statusCode());
      HttpResponse<String> noId = mesh.post("/v1/route/explain", body);
      assertEquals(400, noId.statusCode(), noId.body());
      assertEquals(401, explain("tm-wrong-key-000000000000", id, body).statusCode());
    } finally {
      assertEquals(200, mesh.admin("DELETE", "/admin/keys/" + other.getString("id"), null)
          .statusCode());
    }
  }
}
