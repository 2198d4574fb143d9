package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every tier does what was asked, through a whole mesh against the simulator in each wire
 * format: a forced tool choice on tier 1 (Ollama, emulated with structured outputs) comes back
 * as a real tool call in both client APIs, streamed and not; tool-call ids differ across turns;
 * images reach every backend kind.
 */
class FidelityMeshTest {

  static final String KEY = "tm-fidelity-test-key";

  static Vertx simVertx;
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  static UpstreamSimulator premium;
  static LocalRedis redis;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    redis = LocalRedis.start();
    simVertx = Vertx.vertx();
    local = sim("local");
    hosted = sim("hosted");
    premium = sim("premium");
    String common = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}";
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted",
                "provider:premium"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: 0, apiKeyEnv: TM_KEY}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.2-vision:11b"], %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], %s}
          - {id: premium, kind: anthropic, tier: 3, baseUrl: "http://127.0.0.1:%d",
             models: [claude-sonnet-4-5], %s}
        redis: {url: "%s"}
        budget:
          prices:
            hosted: {gpt-4o-mini: {input: "0.15", output: "0.60"}}
            premium: {claude-sonnet-4-5: {input: "3.00", output: "15.00"}}
        """.formatted(local.port(), common, hosted.port(), common, premium.port(), common,
        redis.url()), "fidelity test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY)));
  }

  static UpstreamSimulator sim(String name) throws Exception {
    return UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName(name)
        .withPort(0)).await(10, TimeUnit.SECONDS);
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
        .header("Authorization", "Bearer " + KEY).header("x-api-key", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The data payloads of an SSE body. */
  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : sse.split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        out.add(new JsonObject(line.substring(6)));
      }
    }
    return out;
  }

  static final String TOOLS = """
      "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object",
        "properties":{"city":{"type":"string"}},"required":["city"]}}},
       {"type":"function","function":{"name":"clock","parameters":{"type":"object",
        "properties":{"zone":{"type":"string","enum":["CET","UTC"]}},"required":["zone"]}}}]""";

  /** One whole tool call out of an OpenAI answer, streamed or not. */
  static JsonObject openAiCall(HttpResponse<String> r, boolean stream) {
    assertEquals(200, r.statusCode(), r.body());
    if (!stream) {
      JsonObject choice = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0);
      assertEquals("tool_calls", choice.getString("finish_reason"));
      JsonObject message = choice.getJsonObject("message");
      assertNull(message.getValue("content"), "a tool-call turn has null content");
      assertEquals(1, message.getJsonArray("tool_calls").size());
      return message.getJsonArray("tool_calls").getJsonObject(0);
    }
    String id = null;
    String name = null;
    StringBuilder args = new StringBuilder();
    String finish = null;
    for (JsonObject chunk : events(r.body())) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        continue;
      }
      JsonObject choice = choices.getJsonObject(0);
      finish = choice.getString("finish_reason", finish);
      JsonArray calls = choice.getJsonObject("delta").getJsonArray("tool_calls");
      assertNull(choice.getJsonObject("delta").getString("content"), "no text beside the call");
      if (calls != null) {
        JsonObject c = calls.getJsonObject(0);
        assertEquals(0, c.getInteger("index"));
        id = c.getString("id", id);
        JsonObject fn = c.getJsonObject("function");
        name = fn.getString("name", name);
        args.append(fn.getString("arguments", ""));
      }
    }
    assertEquals("tool_calls", finish);
    return new JsonObject().put("id", id).put("function", new JsonObject().put("name", name)
        .put("arguments", args.toString()));
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void tierOneForcedNamedToolIsARealToolCall(boolean stream) throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"auto\",\"stream\":"
        + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Oslo?\"}],"
        + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}}");
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse(""));
    JsonObject call = openAiCall(r, stream);
    assertEquals("clock", call.getJsonObject("function").getString("name"));
    JsonObject args = new JsonObject(call.getJsonObject("function").getString("arguments"));
    assertTrue(Set.of("CET", "UTC").contains(args.getString("zone")), args.encode());
    assertTrue(call.getString("id").startsWith("call_"), call.encode());
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void tierOneRequiredPicksOneOfTheTools(boolean stream) throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"auto\",\"stream\":"
        + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Anything\"}]," + TOOLS
        + ",\"tool_choice\":\"required\"}");
    JsonObject call = openAiCall(r, stream);
    String name = call.getJsonObject("function").getString("name");
    assertTrue(Set.of("weather", "clock").contains(name), name);
    JsonObject args = new JsonObject(call.getJsonObject("function").getString("arguments"));
    assertTrue(args.containsKey("weather".equals(name) ? "city" : "zone"), args.encode());
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void anthropicClientForcedToolOnTierOne(boolean stream) throws Exception {
    HttpResponse<String> r = post("/v1/messages", """
        {"model":"auto","max_tokens":200,"stream":%s,
         "messages":[{"role":"user","content":"Weather in Oslo?"}],
         "tools":[{"name":"weather","input_schema":{"type":"object",
           "properties":{"city":{"type":"string"}},"required":["city"]}}],
         "tool_choice":{"type":"any"}}""".formatted(stream));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse(""));
    if (!stream) {
      JsonObject m = new JsonObject(r.body());
      assertEquals("tool_use", m.getString("stop_reason"));
      JsonObject block = m.getJsonArray("content").getJsonObject(0);
      assertEquals("tool_use", block.getString("type"));
      assertEquals("weather", block.getString("name"));
      assertTrue(block.getJsonObject("input").containsKey("city"), block.encode());
    } else {
      List<JsonObject> ev = events(r.body());
      assertTrue(ev.stream().anyMatch(e -> "content_block_start".equals(e.getString("type"))
          && "tool_use".equals(e.getJsonObject("content_block").getString("type"))
          && "weather".equals(e.getJsonObject("content_block").getString("name"))),
          r.body());
      StringBuilder json = new StringBuilder();
      ev.stream().filter(e -> "content_block_delta".equals(e.getString("type")))
          .map(e -> e.getJsonObject("delta"))
          .filter(d -> "input_json_delta".equals(d.getString("type")))
          .forEach(d -> json.append(d.getString("partial_json")));
      assertTrue(new JsonObject(json.toString()).containsKey("city"), json.toString());
      assertTrue(ev.stream().anyMatch(e -> "message_delta".equals(e.getString("type"))
          && "tool_use".equals(e.getJsonObject("delta").getString("stop_reason"))), r.body());
    }
  }

  @Test
  void aTwoTurnToolLoopOnTierOneGetsFreshIdsAndAnswersTheResult() throws Exception {
    String ask = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
        + "\"Weather in Oslo? tool:weather\"}]," + TOOLS + "}";
    JsonObject first = openAiCall(post("/v1/chat/completions", ask), false);
    JsonObject again = openAiCall(post("/v1/chat/completions", ask), false);
    assertNotEquals(first.getString("id"), again.getString("id"), "ids differ across turns");

    JsonObject assistant = new JsonObject().put("role", "assistant").putNull("content")
        .put("tool_calls", new JsonArray().add(first.put("type", "function")));
    JsonObject body = new JsonObject(ask);
    body.getJsonArray("messages").add(assistant).add(new JsonObject().put("role", "tool")
        .put("tool_call_id", first.getString("id")).put("content", "5C"));
    HttpResponse<String> answer = post("/v1/chat/completions", body.encode());
    assertEquals(200, answer.statusCode(), answer.body());
    JsonObject choice = new JsonObject(answer.body()).getJsonArray("choices").getJsonObject(0);
    assertEquals("stop", choice.getString("finish_reason"));
    assertTrue(choice.getJsonObject("message").getString("content").length() > 0);
  }

  static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

  @ParameterizedTest(name = "{0}")
  @CsvSource({"auto,1", "tier-2,2", "tier-3,3"})
  void anImageReachesEveryBackendKind(String model, String tier) throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"" + model + "\","
        + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
        + "\"What is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + "\"data:image/png;base64," + PNG + "\"}}]}]}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(tier, r.headers().firstValue("X-TierMesh-Tier").orElse(""));
    String text = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content");
    assertTrue(text.startsWith("images:1"), "the backend saw one image: " + text);
  }

  @Test
  void anAnthropicImageBlockReachesTierOne() throws Exception {
    HttpResponse<String> r = post("/v1/messages", """
        {"model":"auto","max_tokens":50,"messages":[{"role":"user","content":[
          {"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}},
          {"type":"text","text":"What is this?"}]}]}""".formatted(PNG));
    assertEquals(200, r.statusCode(), r.body());
    String text = new JsonObject(r.body()).getJsonArray("content").getJsonObject(0)
        .getString("text");
    assertTrue(text.startsWith("images:1"), text);
  }

  @ParameterizedTest(name = "{0} stream={1}")
  @CsvSource({"auto,false", "auto,true", "tier-2,false", "tier-2,true"})
  void logprobsComeBackFromOllamaAndOpenAiBackends(String model, boolean stream)
      throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"" + model + "\","
        + "\"stream\":" + stream + ",\"logprobs\":true,\"top_logprobs\":2,\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"Say hello\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    List<JsonObject> choices = new ArrayList<>();
    if (stream) {
      for (JsonObject chunk : events(r.body())) {
        JsonArray cs = chunk.getJsonArray("choices");
        if (cs != null && !cs.isEmpty()) {
          choices.add(cs.getJsonObject(0));
        }
      }
    } else {
      choices.add(new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0));
    }
    JsonArray entries = new JsonArray();
    for (JsonObject c : choices) {
      JsonObject lp = c.getJsonObject("logprobs");
      if (lp != null) {
        entries.addAll(lp.getJsonArray("content"));
      }
    }
    assertTrue(entries.size() > 0, r.body());
    JsonObject first = entries.getJsonObject(0);
    assertTrue(first.getDouble("logprob") <= 0, first.encode());
    assertEquals(2, first.getJsonArray("top_logprobs").size(), first.encode());
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void anOpenAiBackendsRefusalReachesBothClientApis(boolean stream) throws Exception {
    String refusing = "I can't help with that [sim refusal]";
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"tier-2\",\"stream\":"
        + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + refusing + "\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    if (stream) {
      StringBuilder refusal = new StringBuilder();
      for (JsonObject chunk : events(r.body())) {
        JsonArray cs = chunk.getJsonArray("choices");
        if (cs != null && !cs.isEmpty()) {
          refusal.append(cs.getJsonObject(0).getJsonObject("delta").getString("refusal", ""));
        }
      }
      assertTrue(refusal.length() > 0, r.body());
    } else {
      JsonObject message = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0)
          .getJsonObject("message");
      assertTrue(message.getString("refusal").length() > 0, r.body());
      assertNull(message.getValue("content"));
    }
    HttpResponse<String> a = post("/v1/messages", "{\"model\":\"tier-2\",\"max_tokens\":50,"
        + "\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + refusing + "\"}]}");
    assertEquals(200, a.statusCode(), a.body());
    assertTrue(a.body().contains("\"stop_reason\":\"refusal\""), a.body());
  }

  @ParameterizedTest(name = "{0} stream={1}")
  @CsvSource({"auto,false", "tier-2,false", "tier-3,false", "tier-3,true"})
  void aJsonSchemaFormatIsHonouredOnEveryBackendKind(String model, boolean stream)
      throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"" + model + "\","
        + "\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":"
        + "\"Weather in Oslo as JSON\"}],\"response_format\":{\"type\":\"json_schema\","
        + "\"json_schema\":{\"name\":\"weather\",\"schema\":{\"type\":\"object\","
        + "\"properties\":{\"city\":{\"type\":\"string\"},\"celsius\":{\"type\":"
        + "\"number\"}},\"required\":[\"city\",\"celsius\"]}}}}");
    assertEquals(200, r.statusCode(), r.body());
    String text;
    String finish = null;
    if (stream) {
      StringBuilder sb = new StringBuilder();
      for (JsonObject chunk : events(r.body())) {
        JsonArray cs = chunk.getJsonArray("choices");
        if (cs != null && !cs.isEmpty()) {
          sb.append(cs.getJsonObject(0).getJsonObject("delta").getString("content", ""));
          finish = cs.getJsonObject(0).getString("finish_reason", finish);
        }
      }
      text = sb.toString();
    } else {
      JsonObject choice = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0);
      text = choice.getJsonObject("message").getString("content");
      finish = choice.getString("finish_reason");
    }
    JsonObject answer = new JsonObject(text);
    assertTrue(answer.containsKey("city") && answer.containsKey("celsius"), text);
    assertEquals("stop", finish);
  }
}
