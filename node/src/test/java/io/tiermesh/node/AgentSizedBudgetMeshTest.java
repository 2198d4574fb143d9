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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budgets with agent-sized requests, through a whole mesh with a real Redis: Claude Code asks
 * for {@code max_tokens: 128000}. A paid attempt reserves for at most the model's real output
 * limit (16384 on an OpenAI-format backend), and near a spend limit for what the room left pays
 * for: the request is served on the paid tier with that smaller cap (the answer is cut there),
 * and only when not even 1024 output tokens fit does {@code onBudgetExhausted} apply.
 */
class AgentSizedBudgetMeshTest {

  static final String KEY = "tm-agent-budget-test-key";

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
    String common = "timeouts: {connectMs: 1000, firstTokenMs: 5000, totalMs: 20000}";
    // One micro-dollar a token: the $0.006 day limit holds 6000 tokens, far below a
    // 16384-token reservation, well above the 1024-token minimum.
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], %s}
        redis: {url: "%s"}
        budget:
          limits:
            - {scope: global, window: day, usd: "0.006"}
          prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00"}}
        """.formatted(FreePorts.next(), local.port(), common, hosted.port(), common,
        redis.url()), "agent budget test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY)));
  }

  static UpstreamSimulator sim(String name) throws Exception {
    return UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName(name)
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

  static HttpResponse<String> claudeCodeSizedRequest() throws Exception {
    // The simulator would answer 8000 tokens; the cap the backend is sent cuts it.
    String body = """
        {"model":"auto","max_tokens":128000,
         "messages":[{"role":"user","content":"Write the whole module [sim tokens=8000]"}]}""";
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/messages"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("x-api-key", KEY).header("anthropic-version", "2023-06-01")
        .header("X-TierMesh-Quality", "high")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void nearTheCapA128000TokenRequestRunsWithTheCapTheRoomPaysForThenFallsBack()
      throws Exception {
    HttpResponse<String> first = claudeCodeSizedRequest();
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("2", first.headers().firstValue("X-TierMesh-Tier").orElse(""),
        "served on the paid tier, not refused for its 128000");
    JsonObject answer = new JsonObject(first.body());
    assertEquals("max_tokens", answer.getString("stop_reason"), "cut at the fitted cap");
    int output = answer.getJsonObject("usage").getInteger("output_tokens");
    int input = answer.getJsonObject("usage").getInteger("input_tokens");
    assertTrue(output >= 1024 && output < 6000, "output " + output);
    // What was charged never passes the limit: 1 µ$ a token against 6000 µ$.
    assertTrue(input + output <= 6000, input + " + " + output);
    assertEquals(1L, hosted.log().count(e -> e.path().endsWith("/chat/completions")));

    // The room left is now less than 1024 output tokens: exhausted, and the default
    // onBudgetExhausted (fallback) moves the request down to tier 1.
    HttpResponse<String> second = claudeCodeSizedRequest();
    assertEquals(200, second.statusCode(), second.body());
    assertEquals("1", second.headers().firstValue("X-TierMesh-Tier").orElse(""));
    assertEquals(1L, hosted.log().count(e -> e.path().endsWith("/chat/completions")),
        "the paid backend got no second call");
  }
}
