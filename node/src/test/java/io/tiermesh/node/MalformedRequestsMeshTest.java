package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client's malformed request is the client's mistake, never a backend fault: through a whole
 * mesh (gateway, router, budget, an Ollama provider in front of the simulator) every kind of
 * malformed chat request seen from real agents, in both client APIs, streamed and not, is a 400
 * naming the field. None reaches the backend (the simulator's request log) and the provider's
 * breaker, which would open after {@value #MAX_FAILURES} counted faults, stays closed.
 */
class MalformedRequestsMeshTest {

  static final String KEY = "tm-malformed-test-key";
  static final String ADMIN = "tm-malformed-admin-key";
  static final int MAX_FAILURES = 3;
  static final int REQUESTS_PER_API = 100;

  static Vertx simVertx;
  static UpstreamSimulator local;
  static LocalRedis redis;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    redis = LocalRedis.start();
    simVertx = Vertx.vertx();
    local = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName("local")
        .withPort(0)).await(10, TimeUnit.SECONDS);
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: 0, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], breaker: {maxFailures: %d, resetMs: 60000},
             timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}}
        redis: {url: "%s"}
        """.formatted(local.port(), MAX_FAILURES, redis.url()), "malformed requests test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN)));
  }

  @AfterAll
  static void stop() {
    node.stop();
    simVertx.close().await();
    redis.close();
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The local provider's breaker as its instance last announced it; a fast run can ask before
   * the first announcement, so this waits (bounded) for one to arrive.
   */
  static String breaker() throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + node.httpPort() + "/admin/providers"))
          .header("Authorization", "Bearer " + ADMIN).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonArray providers = new JsonObject(r.body()).getJsonArray("providers");
      if (!providers.isEmpty()) {
        return providers.getJsonObject(0).getString("breaker");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no provider announced its state within 15 s: " + r.body());
      }
      Thread.sleep(100);
    }
  }

  static final String OPENAI_TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":"
      + "{\"name\":\"weather\",\"parameters\":{\"type\":\"object\"}}}]";

  static String openAiReplay(String arguments) {
    return "\"messages\":[{\"role\":\"user\",\"content\":\"Oslo?\"},{\"role\":\"assistant\","
        + "\"content\":null,\"tool_calls\":[{\"id\":\"call_0\",\"type\":\"function\","
        + "\"function\":{\"name\":\"weather\",\"arguments\":" + arguments + "}}]},{\"role\":"
        + "\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"5C\"}]," + OPENAI_TOOLS;
  }

  static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  /** Body tails (after model and stream) and the param each must be refused with. */
  static final List<String[]> OPENAI = List.of(
      new String[] {openAiReplay("\"\""), "messages[1].tool_calls[0].function.arguments"},
      new String[] {openAiReplay("\"{\\\"city\\\":\\\"Os\""),
          "messages[1].tool_calls[0].function.arguments"},
      new String[] {openAiReplay("\"[\\\"Oslo\\\"]\""),
          "messages[1].tool_calls[0].function.arguments"},
      new String[] {openAiReplay("\"null\""), "messages[1].tool_calls[0].function.arguments"},
      new String[] {USER + ",\"tool_choice\":\"auto\\n\"," + OPENAI_TOOLS, "tool_choice"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[null]}]",
          "messages[0].content[0]"},
      new String[] {USER + ",\"tools\":[null]", "tools[0]"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
          + "\"assistant\",\"content\":null,\"tool_calls\":[null]}]",
          "messages[1].tool_calls[0]"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
          + "\"text\":5}]}]", "messages[0].content[0].text"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
          + "\"image_url\":{\"url\":\"http://127.0.0.1:1/secret.png\"}}]}]",
          "messages[0].content[0].image_url.url"},
      new String[] {USER + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
          + "{\"name\":\"x\",\"schema\":[]}}", "response_format.json_schema.schema"},
      new String[] {USER + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
          + "\"nope\"}}," + OPENAI_TOOLS, "tool_choice"});

  static final List<String[]> ANTHROPIC = List.of(
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
          + "\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"w\","
          + "\"input\":[1]}]}]", "messages[1].content[0].input"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[null]}]",
          "messages[0].content[0]"},
      new String[] {USER + ",\"tools\":[null]", "tools[0]"},
      new String[] {USER + ",\"tool_choice\":{\"type\":\"auto\\n\"}", "tool_choice.type"},
      new String[] {USER + ",\"tool_choice\":{\"type\":\"any\"}", "tool_choice"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
          + "\"source\":{\"type\":\"url\",\"url\":\"http://127.0.0.1:1/x.png\"}}]}]",
          "messages[0].content[0].source.url"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
          + "\"source\":{\"type\":\"file\",\"file_id\":\"f1\"}}]}]",
          "messages[0].content[0].source.type"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\"}]}]",
          "messages[0].content[0].tool_use_id"},
      new String[] {"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\"}]}]",
          "messages[0].content[0].type"},
      new String[] {USER + ",\"tools\":[{\"name\":\"w\",\"input_schema\":5}]",
          "tools[0].input_schema"},
      new String[] {USER + ",\"stop_sequences\":[5]", "stop_sequences[0]"});

  @Test
  void everyMalformedRequestIsA400NamingTheFieldAndNoneReachesTheBackend() throws Exception {
    local.log().clear();
    Map<String, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < REQUESTS_PER_API; i++) {
      String[] c = OPENAI.get(i % OPENAI.size());
      HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"auto\",\"stream\":"
          + (i % 2 == 0) + "," + c[0] + "}");
      statuses.merge("openai " + r.statusCode(), 1, Integer::sum);
      assertEquals(400, r.statusCode(), c[1] + ": " + r.body());
      assertEquals(c[1], new JsonObject(r.body()).getJsonObject("error").getString("param"),
          r.body());
    }
    for (int i = 0; i < REQUESTS_PER_API; i++) {
      String[] c = ANTHROPIC.get(i % ANTHROPIC.size());
      HttpResponse<String> r = post("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":20,"
          + "\"stream\":" + (i % 2 == 0) + "," + c[0] + "}");
      statuses.merge("anthropic " + r.statusCode(), 1, Integer::sum);
      assertEquals(400, r.statusCode(), c[1] + ": " + r.body());
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertEquals("invalid_request_error", error.getString("type"));
      assertEquals(c[1], error.getString("param"), r.body());
    }
    assertEquals(Map.of("anthropic 400", REQUESTS_PER_API, "openai 400", REQUESTS_PER_API),
        statuses);
    assertEquals(0, local.log().count(e -> "POST".equals(e.method())),
        "no malformed request reached the backend");
    assertEquals("CLOSED", breaker());

    // The same conversation, well formed, is served: the mesh itself was up all along.
    HttpResponse<String> ok = post("/v1/chat/completions", "{\"model\":\"auto\","
        + openAiReplay("\"{\\\"city\\\":\\\"Oslo\\\"}\"") + "}");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(1, local.log().count(e -> "POST".equals(e.method())));
    assertTrue(local.log().entries().stream().anyMatch(e -> "/api/chat".equals(e.path())));
    System.out.printf("malformed requests: %s; backend calls 0; breaker CLOSED%n", statuses);
  }
}
