package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.FreePorts;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Provider capabilities through a whole mesh (gateway, router, budget and providers against the
 * simulator): tier 1's default model has no vision, its other model has; tier 1 is configured
 * without log probabilities and without forced tool calls; tier 2 is an OpenAI-format backend
 * with the defaults. An image moves to tier 1's vision model; log probabilities move a public
 * request up to tier 2 and say so; a private request no local model can serve is a 422 naming
 * the capability and reaches no backend.
 */
class CapabilitiesMeshTest {

  static final String KEY = "tm-capabilities-test-key";
  static final String ADMIN_KEY = "tm-capabilities-admin-key";
  static final String PNG = FidelityMeshTest.PNG;

  static Vertx simVertx;
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  static LocalRedis redis;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    RequiredTool.require("redis-server");
    redis = LocalRedis.start();
    simVertx = Vertx.vertx();
    local = sim("local");
    hosted = sim("hosted");
    String common = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}";
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b", "llava:13b"], %s,
             capabilities: {vision: false, logprobs: false, forcedToolChoice: false,
                            models: {"llava:13b": {vision: true}}}}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], %s}
        redis: {url: "%s"}
        budget:
          prices:
            hosted: {gpt-4o-mini: {input: "0.15", output: "0.60"}}
        """.formatted(FreePorts.next(), local.port(), common, hosted.port(), common,
        redis.url()), "capabilities test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN_KEY)));
  }

  static UpstreamSimulator sim(String name) throws Exception {
    return sim(simVertx, name);
  }

  static UpstreamSimulator sim(Vertx vertx, String name) throws Exception {
    return UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withName(name)
        .withPort(0)).await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
    if (simVertx != null) {
      simVertx.close().await();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void clearLogs() {
    local.log().clear();
    hosted.log().clear();
  }

  static HttpResponse<String> post(String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    boolean auth = true;
    for (int i = 0; i < headers.length; i += 2) {
      auth &= !headers[i].equals("Authorization");
      b.header(headers[i], headers[i + 1]);
    }
    if (auth) {
      b.header("Authorization", "Bearer " + KEY).header("x-api-key", KEY);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Chat calls a simulator received (its log also holds the providers' health probes). */
  static long chats(UpstreamSimulator sim) {
    return sim.log().count(e -> e.path().contains("chat"));
  }

  static String imageChat(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + PNG
        + "\"}}]}]}";
  }

  static String logprobsChat() {
    return "{\"model\":\"auto\",\"logprobs\":true,\"top_logprobs\":2,\"messages\":[{"
        + "\"role\":\"user\",\"content\":\"Hello\"}]}";
  }

  @Test
  void anImageGoesToTheLocalModelThatSeesAndSaysWhy() throws Exception {
    for (String classification : List.of("public", "pii")) {
      local.log().clear();
      HttpResponse<String> r = post("/v1/chat/completions", imageChat("auto"),
          "X-TierMesh-Classification", classification);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse(""));
      assertEquals("llava:13b", r.headers().firstValue("X-TierMesh-Model").orElse(""));
      assertEquals("needs-vision",
          r.headers().firstValue("X-TierMesh-Route-Reason").orElse(""));
      assertEquals(List.of(1), local.log().entries().stream().filter(e -> e.path().contains("chat")).map(e -> e.images()).toList());
    }
  }

  @Test
  void logprobsSkipTierOneAndTheNextTierSaysWhy() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", logprobsChat());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("2", r.headers().firstValue("X-TierMesh-Tier").orElse(""));
    assertEquals("needs-logprobs",
        r.headers().firstValue("X-TierMesh-Route-Reason").orElse(""));
    assertEquals(0, chats(local), "tier 1 was not asked");
    assertEquals(1, chats(hosted));
  }

  @Test
  void explainListsTheSkippedTarget() throws Exception {
    HttpResponse<String> r = post("/admin/route/explain", logprobsChat(),
        "Authorization", "Bearer " + ADMIN_KEY);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject plan = new JsonObject(r.body());
    assertEquals("needs-logprobs", plan.getString("reason"));
    assertTrue(plan.getJsonArray("notes").contains(
        "capability: skipped tier 1 local/llama3.1:8b: lacks logprobs"), r.body());
    assertEquals("hosted", plan.getJsonArray("chain").getJsonObject(0).getString("provider"));
  }

  @Test
  void aPrivateRequestNoLocalModelCanServeIsA422NamingTheCapabilityInBothApis()
      throws Exception {
    HttpResponse<String> openAi = post("/v1/chat/completions", logprobsChat(),
        "X-TierMesh-Classification", "pii");
    assertEquals(422, openAi.statusCode(), openAi.body());
    JsonObject error = new JsonObject(openAi.body()).getJsonObject("error");
    assertEquals("capability_unsupported", error.getString("code"));
    assertTrue(error.getString("message").contains("needs logprobs"), error.encode());
    assertEquals("capability_unsupported",
        openAi.headers().firstValue("X-TierMesh-Route-Reason").orElse(""));

    HttpResponse<String> anthropic = post("/v1/messages", """
        {"model":"auto","max_tokens":100,"metadata":{"classification":"pii"},
         "messages":[{"role":"user","content":"Weather in Oslo?"}],
         "tools":[{"name":"weather","input_schema":{"type":"object",
           "properties":{"city":{"type":"string"}}}}],
         "tool_choice":{"type":"any"}}""");
    assertEquals(422, anthropic.statusCode(), anthropic.body());
    JsonObject aError = new JsonObject(anthropic.body()).getJsonObject("error");
    assertEquals("invalid_request_error", aError.getString("type"));
    assertTrue(aError.getString("message").contains("needs forced_tool_choice"),
        aError.encode());

    HttpResponse<String> streamed = post("/v1/chat/completions",
        logprobsChat().replace("{\"model\"", "{\"stream\":true,\"model\""),
        "X-TierMesh-Classification", "pii");
    assertEquals(422, streamed.statusCode(), streamed.body());

    assertEquals(0, chats(local) + chats(hosted),
        "no backend saw the request");
  }

  @Test
  void aNamedModelThatCannotSeeIsA422() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", imageChat("local/llama3.1:8b"));
    assertEquals(422, r.statusCode(), r.body());
    assertEquals(0, chats(local) + chats(hosted));
  }

  @Test
  void textRequestsAreUntouched() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse(""));
    assertEquals("default", r.headers().firstValue("X-TierMesh-Route-Reason").orElse(""));
  }
}
