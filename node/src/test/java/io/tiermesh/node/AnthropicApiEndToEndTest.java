package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/messages}: Anthropic clients through every role of a real mesh. */
class AnthropicApiEndToEndTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @BeforeEach
  void reset() {
    mesh.resetSimulators();
  }

  static String message(String content, boolean stream) {
    return "{\"model\":\"auto\",\"max_tokens\":64,\"stream\":" + stream + ",\"system\":\"be brief\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  /** As an Anthropic client sends it: x-api-key only (a non-Bearer Authorization is ignored). */
  private static HttpResponse<String> post(String body, String... headers) throws Exception {
    String[] all = new String[headers.length + 4];
    all[0] = "Authorization";
    all[1] = "none";
    all[2] = "x-api-key";
    all[3] = TestMesh.KEY;
    System.arraycopy(headers, 0, all, 4, headers.length);
    return mesh.post("/v1/messages", body, all);
  }

  /** Event names in order, checking that each data's type repeats its event name. */
  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      if (frame.isBlank()) {
        continue;
      }
      String[] lines = frame.split("\n");
      assertTrue(lines[0].startsWith("event: "), frame);
      JsonObject data = new JsonObject(lines[1].substring("data: ".length()));
      assertEquals(lines[0].substring(7), data.getString("type"));
      out.add(data);
    }
    return out;
  }

  @Test
  void jsonRoundTripGivesAnAnthropicMessage() throws Exception {
    HttpResponse<String> r = post(message("Hello", false));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("local", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    JsonObject m = new JsonObject(r.body());
    assertTrue(m.getString("id").startsWith("msg_"));
    assertEquals("message", m.getString("type"));
    assertEquals("assistant", m.getString("role"));
    assertEquals("end_turn", m.getString("stop_reason"));
    JsonArray content = m.getJsonArray("content");
    assertEquals("text", content.getJsonObject(0).getString("type"));
    assertFalse(content.getJsonObject(0).getString("text").isBlank());
    assertTrue(m.getJsonObject("usage").getInteger("input_tokens") > 0);
    assertTrue(m.getJsonObject("usage").getInteger("output_tokens") > 0);
    assertEquals(1, mesh.local.log().calls());
  }

  @Test
  void streamIsAnthropicsEventSequenceWithTheSameText() throws Exception {
    String whole = new JsonObject(post(message("Determinism check", false)).body())
        .getJsonArray("content").getJsonObject(0).getString("text");
    HttpResponse<String> r = post(message("Determinism check", true));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
    List<JsonObject> ev = events(r.body());
    List<String> names = ev.stream().map(e -> e.getString("type")).toList();
    assertEquals("message_start", names.get(0));
    assertEquals("content_block_start", names.get(1));
    assertEquals(List.of("content_block_stop", "message_delta", "message_stop"),
        names.subList(names.size() - 3, names.size()));
    assertTrue(names.subList(2, names.size() - 3).stream()
        .allMatch("content_block_delta"::equals), names.toString());
    StringBuilder text = new StringBuilder();
    for (JsonObject e : ev) {
      if ("content_block_delta".equals(e.getString("type"))) {
        assertEquals("text_delta", e.getJsonObject("delta").getString("type"));
        text.append(e.getJsonObject("delta").getString("text"));
      }
    }
    assertEquals(whole, text.toString());
    JsonObject delta = ev.get(ev.size() - 2);
    assertEquals("end_turn", delta.getJsonObject("delta").getString("stop_reason"));
    assertTrue(delta.getJsonObject("usage").getInteger("output_tokens") > 0);
  }

  @Test
  void forcedToolGivesToolUseBlocksWholeAndStreamed() throws Exception {
    String body = "{\"model\":\"auto\",\"max_tokens\":100,%s\"tools\":[{\"name\":\"get_weather\","
        + "\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}],"
        + "\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\"},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"weather in Oslo\"}]}";
    HttpResponse<String> r = post(body.formatted(""), "X-TierMesh-Quality", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("hosted", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    JsonObject m = new JsonObject(r.body());
    assertEquals("tool_use", m.getString("stop_reason"));
    JsonObject block = m.getJsonArray("content").stream().map(JsonObject.class::cast)
        .filter(b -> "tool_use".equals(b.getString("type"))).findFirst().orElseThrow();
    assertEquals("get_weather", block.getString("name"));
    assertTrue(block.getValue("input") instanceof JsonObject);

    HttpResponse<String> s = post(body.formatted("\"stream\":true,"), "X-TierMesh-Quality", "high");
    List<JsonObject> ev = events(s.body());
    JsonObject start = ev.stream().filter(e -> "content_block_start".equals(e.getString("type"))
        && "tool_use".equals(e.getJsonObject("content_block").getString("type")))
        .findFirst().orElseThrow();
    assertEquals("get_weather", start.getJsonObject("content_block").getString("name"));
    StringBuilder json = new StringBuilder();
    for (JsonObject e : ev) {
      if ("content_block_delta".equals(e.getString("type"))
          && "input_json_delta".equals(e.getJsonObject("delta").getString("type"))) {
        json.append(e.getJsonObject("delta").getString("partial_json"));
      }
    }
    assertEquals(block.getJsonObject("input"), new JsonObject(json.toString()));
    assertEquals("tool_use", ev.get(ev.size() - 2).getJsonObject("delta").getString("stop_reason"));
  }

  @Test
  void streamCutMidwayEndsWithAnAnthropicErrorEvent() throws Exception {
    mesh.local.faults().install(Fault.dropAfterChunks(3));
    HttpResponse<String> r = post(message("x", true));
    assertEquals(200, r.statusCode());
    List<JsonObject> ev = events(r.body());
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals("error", last.getString("type"));
    assertEquals("api_error", last.getJsonObject("error").getString("type"));
    assertFalse(ev.stream().anyMatch(e -> "message_stop".equals(e.getString("type"))));
  }

  @Test
  void errorsUseAnthropicsShapeAndStatus() throws Exception {
    assertAnthropicError(post("{\"model\":\"auto\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"x\"}]}"), 400, "invalid_request_error", "max_tokens");
    assertAnthropicError(mesh.post("/v1/messages", message("x", false), "Authorization", "x",
        "x-api-key", TestMesh.KEY + "0"), 401, "authentication_error", "invalid API key");
    assertAnthropicError(mesh.post("/v1/messages", message("x", false), "Authorization", "x"),
        401, "authentication_error", "missing API key");
    mesh.local.faults().install(Fault.status(500));
    mesh.hosted.faults().install(Fault.status(500));
    mesh.premium.faults().install(Fault.status(500));
    HttpResponse<String> down = post(message("x", true), "X-TierMesh-Quality", "critical",
        "X-TierMesh-Complexity", "high");
    assertAnthropicError(down, 503, "overloaded_error", "");
    assertEquals(3, new JsonObject(down.body()).getJsonObject("error").getJsonArray("attempts")
        .size());
  }

  private static void assertAnthropicError(HttpResponse<String> r, int status, String type,
      String mentions) {
    assertEquals(status, r.statusCode(), r.body());
    JsonObject body = new JsonObject(r.body());
    assertEquals("error", body.getString("type"));
    assertEquals(type, body.getJsonObject("error").getString("type"));
    assertTrue(body.getJsonObject("error").getString("message").contains(mentions), r.body());
  }

  /** Claude Code's first request as it sends it (trimmed), on its beta path and headers. */
  @Test
  void claudeCodesRequestStreamsWithServerToolsDroppedAndNamed() throws Exception {
    JsonObject body = new JsonObject("""
        {"model":"auto","max_tokens":64,"stream":true,
         "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},
                   {"type":"text","text":"Be careful.","cache_control":{"type":"ephemeral"}}],
         "messages":[
           {"role":"user","content":[{"type":"text","text":"Say hello",
             "cache_control":{"type":"ephemeral"}}]},
           {"role":"system","content":"Reminder: the date is today."}],
         "tools":[{"name":"Bash","description":"run","input_schema":{"type":"object"}},
                  {"type":"web_search_20250305","name":"web_search","max_uses":5}],
         "tool_choice":{"type":"auto"},
         "thinking":{"type":"adaptive"},
         "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},
         "output_config":{"effort":"high"},
         "metadata":{"user_id":"user_abc_account__session_1"}}""");
    HttpResponse<String> r = mesh.post("/v1/messages?beta=true", body.encode(),
        "x-api-key", TestMesh.KEY, "anthropic-version", "2023-06-01",
        "anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("web_search", r.headers().firstValue("X-TierMesh-Dropped-Tools").orElseThrow());
    List<JsonObject> ev = events(r.body());
    int counted = ev.get(0).getJsonObject("message").getJsonObject("usage")
        .getInteger("input_tokens");
    assertTrue(counted > 0, ev.get(0).encode());
    assertEquals("message_stop", ev.get(ev.size() - 1).getString("type"));
    assertEquals(1, mesh.local.log().calls());

    HttpResponse<String> count = mesh.post("/v1/messages/count_tokens?beta=true",
        body.copy().put("stream", (Object) null).encode(), "x-api-key", TestMesh.KEY);
    assertEquals(200, count.statusCode(), count.body());
    assertEquals(counted, new JsonObject(count.body()).getInteger("input_tokens"));
    assertEquals(1, mesh.local.log().calls(), "counting calls no backend");
  }

  @Test
  void forcingAServerToolIsRefusedBeforeAnyBackend() throws Exception {
    HttpResponse<String> r = post("""
        {"model":"auto","max_tokens":5,"tools":[{"type":"web_search_20250305",
         "name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"},
         "messages":[{"role":"user","content":"hi"}]}""");
    assertEquals(400, r.statusCode(), r.body());
    JsonObject err = new JsonObject(r.body());
    assertEquals("invalid_request_error", err.getJsonObject("error").getString("type"));
    assertTrue(err.getJsonObject("error").getString("message").contains("web_search"));
    assertEquals(0, mesh.local.log().calls());
  }

  @Test
  void modelsListIsInAnthropicsShapeForAnthropicClients() throws Exception {
    HttpResponse<String> r = mesh.send("GET", "/v1/models", null, "x-api-key", TestMesh.KEY,
        "anthropic-version", "2023-06-01");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject page = new JsonObject(r.body());
    assertEquals(false, page.getBoolean("has_more"));
    JsonObject first = page.getJsonArray("data").getJsonObject(0);
    assertEquals("model", first.getString("type"));
    assertEquals("auto", first.getString("id"));
    assertEquals("auto", page.getString("first_id"));
    assertTrue(first.getString("created_at").endsWith("Z"));
    assertTrue(page.getJsonArray("data").stream().map(JsonObject.class::cast)
        .anyMatch(m -> "claude-*".equals(m.getString("id"))), "aliases are listed: " + r.body());
  }
}
