package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Headers, echoes, body types, admin throttling and what /metrics shows, on a real gateway. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HardeningEndToEndTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static String nosniff(HttpResponse<String> r) {
    return r.headers().firstValue("X-Content-Type-Options").orElse("missing");
  }

  @Test
  void everyAnswerSaysNosniffAndTheDashboardRefusesFraming() throws Exception {
    List<HttpResponse<String>> answers = List.of(
        mesh.post("/v1/chat/completions", TestMesh.chat("hi", false)),
        mesh.post("/v1/chat/completions", "{", "Authorization", "Bearer nope"),
        mesh.post("/v1/chat/completions", "{"),
        mesh.send("GET", "/nowhere", null),
        mesh.send("GET", "/health/live", null),
        mesh.send("GET", "/metrics", null),
        mesh.send("GET", "/dashboard", null));
    for (HttpResponse<String> r : answers) {
      assertEquals("nosniff", nosniff(r), r.uri() + " " + r.statusCode());
    }
    HttpResponse<String> dash = answers.get(answers.size() - 1);
    assertTrue(dash.headers().firstValue("Content-Security-Policy").orElseThrow()
        .contains("frame-ancestors 'none'"));
    assertEquals("DENY", dash.headers().firstValue("X-Frame-Options").orElseThrow());
  }

  @Test
  void aJsonBodySentAsAFormIsReadAsJsonOrRefusedInTheApisShape() throws Exception {
    String big = "x".repeat(4_000);
    for (String type : List.of("application/x-www-form-urlencoded", "multipart/form-data",
        "text/plain")) {
      HttpResponse<String> r = mesh.send("POST", "/v1/chat/completions",
          TestMesh.chat(big, false), "Authorization", "Bearer " + TestMesh.KEY,
          "Content-Type", type);
      assertEquals(200, r.statusCode(), type + ": " + r.body());
      HttpResponse<String> notJson = mesh.send("POST", "/v1/messages", "a=" + big,
          "x-api-key", TestMesh.KEY, "Content-Type", type);
      assertEquals(400, notJson.statusCode(), type);
      assertEquals("invalid_request_error",
          new JsonObject(notJson.body()).getJsonObject("error").getString("type"), type);
      assertEquals("error", new JsonObject(notJson.body()).getString("type"), "Anthropic shape");
    }
  }

  @Test
  void aHugeModelNameIsNotEchoedBack() throws Exception {
    String model = "m".repeat(60_000); // the test mesh takes bodies up to 64 KiB
    HttpResponse<String> r = mesh.post("/v1/chat/completions", "{\"model\":\"" + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals(404, r.statusCode());
    String message = new JsonObject(r.body()).getJsonObject("error").getString("message");
    assertTrue(message.length() < 400, "echoed " + message.length() + " chars");
    assertTrue(message.contains("m".repeat(150)), message);
    assertFalse(message.contains("m".repeat(200)), message);
  }

  @Test
  void duplicateKeysAreRefusedOnEveryClientApi() throws Exception {
    String dup = "{\"model\":\"auto\",\"model\":\"premium/gpt-4o\",\"messages\":[{\"role\":"
        + "\"user\",\"content\":\"x\"}],\"max_tokens\":5}";
    HttpResponse<String> openai = mesh.post("/v1/chat/completions", dup);
    assertEquals(400, openai.statusCode());
    assertTrue(openai.body().contains("duplicate key 'model'"), openai.body());
    HttpResponse<String> anthropic = mesh.post("/v1/messages", dup);
    assertEquals(400, anthropic.statusCode());
    assertEquals("invalid_request_error",
        new JsonObject(anthropic.body()).getJsonObject("error").getString("type"));
    HttpResponse<String> embed = mesh.post("/v1/embeddings",
        "{\"input\":\"x\",\"metadata\":{\"classification\":\"pii\",\"classification\":\"public\"}}");
    assertEquals(400, embed.statusCode());
    assertTrue(embed.body().contains("/metadata/classification"), embed.body());
    HttpResponse<String> comment = mesh.post("/v1/chat/completions",
        "{\"model\":\"auto\", /* x */ \"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals(400, comment.statusCode());
    assertTrue(comment.body().contains("comments are not allowed"), comment.body());
  }

  @Test
  void metricsNameNoBackendAddressOrInstance() throws Exception {
    mesh.post("/v1/chat/completions", TestMesh.chat("hello", false));
    String m = "";
    long deadline = System.currentTimeMillis() + 15_000;
    // Each provider announces itself every few seconds: wait for the local one's gauge.
    while (!m.contains("tiermesh_provider_in_flight{provider=\"local\",tier=\"1\"}")
        && System.currentTimeMillis() < deadline) {
      m = mesh.send("GET", "/metrics", null).body();
    }
    assertTrue(m.contains("tiermesh_provider_in_flight{provider=\"local\",tier=\"1\"}"), m);
    assertFalse(m.contains("instance=\""), "no instance ids");
    assertFalse(m.contains("node=\""), "no node ids");
    for (int port : new int[] {mesh.local.port(), mesh.hosted.port(), mesh.premium.port()}) {
      assertFalse(m.contains(":" + port), "no backend address");
    }
    assertTrue(m.contains("pool_name=\"local\""), "pools named by provider");
  }

  @Test
  void metricsCanRequireTheAdminKeyAndShowIdsWhenConfigured() throws Exception {
    try (TestMesh guarded = new TestMesh("", "", "metrics: {requireAdminKey: true, showIds: true}")) {
      assertEquals(401, guarded.send("GET", "/metrics", null).statusCode());
      assertEquals(401, guarded.get("/metrics").statusCode(), "a client key is no admin key");
      assertEquals(200, guarded.post("/v1/chat/completions", TestMesh.chat("hi", false))
          .statusCode());
      String m = "";
      long deadline = System.currentTimeMillis() + 15_000;
      while (!m.contains("tiermesh_provider_in_flight") && System.currentTimeMillis() < deadline) {
        HttpResponse<String> r = guarded.admin("GET", "/metrics", null);
        assertEquals(200, r.statusCode());
        m = r.body();
      }
      assertTrue(m.contains("instance=\""), "ids shown when configured");
      // (Pool names are Vert.x's meters: MetricLabelsTest covers them, since two nodes in one
      // test JVM share Vert.x's meter backend.)
    }
  }

  /** Last: it leaves this client address blocked from the admin API for a minute. */
  @Test
  @Order(Integer.MAX_VALUE)
  void failedAdminAuthenticationIsThrottledPerAddress() throws Exception {
    int refused = 0;
    for (int i = 0; i < 10; i++) {
      refused += mesh.send("GET", "/admin/keys", null, "Authorization", "Bearer guess-" + i)
          .statusCode() == 401 ? 1 : 0;
    }
    assertEquals(10, refused);
    HttpResponse<String> blocked = mesh.admin("GET", "/admin/keys", null);
    assertEquals(429, blocked.statusCode(), "even the right key waits: a guess teaches nothing");
    assertTrue(Integer.parseInt(blocked.headers().firstValue("Retry-After").orElseThrow()) > 0);
    assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("hi", false)).statusCode(),
        "client APIs are not affected");
  }
}
