package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/responses}: Codex-style clients through every role of a real mesh. */
class ResponsesApiEndToEndTest {

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

  private static HttpResponse<String> post(JsonObject body, String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + TestMesh.KEY;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return mesh.post("/v1/responses", body.encode(), all);
  }

  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      if (frame.isBlank()) {
        continue;
      }
      String[] lines = frame.split("\n");
      JsonObject data = new JsonObject(lines[1].substring("data: ".length()));
      assertEquals(lines[0].substring("event: ".length()), data.getString("type"));
      out.add(data);
    }
    return out;
  }

  private static JsonObject codexTurn(boolean stream) {
    return new JsonObject("""
        {"model":"auto","instructions":"You are a coding agent.","store":false,
         "tool_choice":"auto","parallel_tool_calls":false,
         "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object",
                   "properties":{"cmd":{"type":"string"}},"required":["cmd"]}},
                  {"type":"web_search"}],
         "input":[{"type":"message","role":"developer","content":[{"type":"input_text",
                   "text":"sandbox: workspace-write"}]},
                  {"type":"message","role":"user","content":[{"type":"input_text",
                   "text":"create hello.txt"}]}]}""").put("stream", stream);
  }

  @Test
  void wholeAnswerIsAResponseObject() throws Exception {
    HttpResponse<String> r = post(new JsonObject().put("model", "auto")
        .put("input", "Hello").put("store", false));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("local", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    JsonObject o = new JsonObject(r.body());
    assertTrue(o.getString("id").startsWith("resp_"));
    assertEquals("response", o.getString("object"));
    assertEquals("completed", o.getString("status"));
    JsonObject item = o.getJsonArray("output").getJsonObject(0);
    assertEquals("message", item.getString("type"));
    assertFalse(item.getJsonArray("content").getJsonObject(0).getString("text").isBlank());
    assertTrue(o.getJsonObject("usage").getInteger("output_tokens") > 0);
    assertEquals(1, mesh.local.log().calls());
  }

  /** A two-turn tool loop as Codex runs it: a streamed function call, then the final text. */
  @Test
  void streamedToolLoopEndsInTextWithServerToolsDropped() throws Exception {
    mesh.local.faults().install(Fault.scripted(Script.toolCalls("exec_command")
        .withToolArguments("{\"cmd\":\"echo hi > hello.txt\"}")), 1, null, null);
    HttpResponse<String> first = post(codexTurn(true));
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("web_search",
        first.headers().firstValue("X-TierMesh-Dropped-Tools").orElseThrow());
    List<JsonObject> ev = events(first.body());
    List<String> types = ev.stream().map(e -> e.getString("type")).toList();
    assertEquals("response.created", types.get(0));
    assertEquals("response.completed", types.get(types.size() - 1), types.toString());
    JsonObject call = ev.stream().filter(e -> "response.output_item.done".equals(e.getString("type"))
        && "function_call".equals(e.getJsonObject("item").getString("type")))
        .findFirst().orElseThrow().getJsonObject("item");
    assertEquals("exec_command", call.getString("name"));
    assertEquals("echo hi > hello.txt", new JsonObject(call.getString("arguments"))
        .getString("cmd"));
    for (int i = 0; i < ev.size(); i++) {
      assertEquals(i, ev.get(i).getInteger("sequence_number"));
    }

    JsonObject second = codexTurn(true);
    second.getJsonArray("input")
        .add(new JsonObject().put("type", "function_call").put("call_id", call.getString("call_id"))
            .put("name", "exec_command").put("arguments", call.getString("arguments")))
        .add(new JsonObject().put("type", "function_call_output")
            .put("call_id", call.getString("call_id")).put("output", "exit code 0"));
    HttpResponse<String> r2 = post(second);
    assertEquals(200, r2.statusCode(), r2.body());
    List<JsonObject> ev2 = events(r2.body());
    StringBuilder text = new StringBuilder();
    for (JsonObject e : ev2) {
      if ("response.output_text.delta".equals(e.getString("type"))) {
        text.append(e.getString("delta"));
      }
    }
    assertFalse(text.toString().isBlank());
    JsonObject done = ev2.get(ev2.size() - 1).getJsonObject("response");
    assertEquals("completed", done.getString("status"));
    JsonArray output = done.getJsonArray("output");
    assertEquals(text.toString(), output.getJsonObject(0).getJsonArray("content")
        .getJsonObject(0).getString("text"));
    assertEquals(2, mesh.local.log().calls(), "one backend call per turn");
  }

  @Test
  void storedResponsesAreRefusedBeforeAnyBackend() throws Exception {
    HttpResponse<String> r = post(new JsonObject().put("model", "auto").put("input", "x")
        .put("previous_response_id", "resp_123"));
    assertEquals(400, r.statusCode(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("invalid_request_error", err.getString("type"));
    assertEquals("previous_response_id", err.getString("param"));
    assertEquals(0, mesh.local.log().calls());
  }

  @Test
  void aBackendFailingMidStreamEndsInResponseFailed() throws Exception {
    mesh.local.faults().install(Fault.dropAfterChunks(3));
    HttpResponse<String> r = post(new JsonObject().put("model", "auto").put("input", "x")
        .put("stream", true));
    assertEquals(200, r.statusCode(), r.body());
    List<JsonObject> ev = events(r.body());
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals("response.failed", last.getString("type"), r.body());
    assertEquals("failed", last.getJsonObject("response").getString("status"));
    assertFalse(ev.stream().anyMatch(e -> "response.completed".equals(e.getString("type"))));
  }

  /** Before the first byte a failure is not the client's to see: the chain falls back. */
  @Test
  void aBackendFailingBeforeTheFirstByteFallsBackAndTheStreamCompletes() throws Exception {
    mesh.hosted.faults().install(Fault.status(500));
    HttpResponse<String> r = post(new JsonObject().put("model", "auto").put("input", "x")
        .put("stream", true), "X-TierMesh-Quality", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse(null), r.body());
    assertEquals("fallback", r.headers().firstValue("X-TierMesh-Route-Reason").orElse(null));
    assertTrue(mesh.hosted.log().calls() >= 1, "tier 2 was tried first");
    List<JsonObject> ev = events(r.body());
    assertEquals("response.created", ev.get(0).getString("type"), r.body());
    assertEquals("response.completed", ev.get(ev.size() - 1).getString("type"), r.body());
    assertFalse(ev.stream().anyMatch(e -> "response.failed".equals(e.getString("type"))));
  }

  /** A backend error after some text: the text so far, then response.failed, never completed. */
  @Test
  void aBackendErrorMidStreamEndsInResponseFailedAfterTheTextSoFar() throws Exception {
    mesh.local.faults().install(Fault.errorAfterChunks(2));
    HttpResponse<String> r = post(new JsonObject().put("model", "auto").put("input", "x")
        .put("stream", true));
    assertEquals(200, r.statusCode(), r.body());
    List<JsonObject> ev = events(r.body());
    assertTrue(ev.stream().anyMatch(e -> "response.output_text.delta".equals(
        e.getString("type"))), "what was delivered stays delivered: " + r.body());
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals("response.failed", last.getString("type"), r.body());
    assertEquals("stream_interrupted", last.getJsonObject("response").getJsonObject("error")
        .getString("code"), r.body());
    assertFalse(ev.stream().anyMatch(e -> "response.completed".equals(e.getString("type"))));
    assertEquals(1, mesh.local.log().calls(), "no retry after the first byte");
  }
}
