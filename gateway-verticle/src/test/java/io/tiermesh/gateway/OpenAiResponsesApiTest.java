package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.Usage;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiResponsesApiTest {

  /** The shape of a Codex CLI 0.16x turn after one tool call, trimmed. */
  static final String CODEX_REQUEST = """
      {"model":"gpt-5.1-codex","instructions":"You are Codex.","store":false,"stream":true,
       "include":["reasoning.encrypted_content"],"prompt_cache_key":"abc",
       "reasoning":{"effort":"medium","summary":"auto"},"parallel_tool_calls":false,
       "tool_choice":"auto",
       "tools":[{"type":"function","name":"exec_command","description":"run","strict":false,
                 "parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},
                {"type":"web_search"},
                {"type":"namespace","name":"mcp__files","tools":[]}],
       "input":[
         {"type":"message","role":"developer","content":[{"type":"input_text","text":"sandbox"}]},
         {"type":"message","role":"developer","content":[{"type":"input_text","text":"cwd"}]},
         {"type":"message","role":"user","content":[{"type":"input_text","text":"write a file"}]},
         {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"xx"},
         {"type":"function_call","call_id":"call_1","name":"exec_command",
          "arguments":"{\\"cmd\\":\\"echo hi > f\\"}"},
         {"type":"function_call_output","call_id":"call_1","output":"done"}]}""";

  @Test
  void metadataIsASourceOfRoutingHintsAsOnChat() {
    // OpenAI's Responses API takes a metadata object; the gateway reads hints from it exactly
    // as from chat's, and a label there outranks a laxer header.
    ClientApi.Parsed p = ClientApi.RESPONSES.parse(new JsonObject("""
        {"model":"auto","input":"hello","metadata":{"Classification":"pii","task":"code"}}"""));
    assertEquals(new JsonObject().put("Classification", "pii").put("task", "code"),
        p.metadata());
    io.vertx.core.MultiMap headers = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("X-TierMesh-Classification", "public");
    assertEquals(new io.tiermesh.contracts.RoutingHints("pii", "code", null, null, null),
        RoutingHintParser.parse(headers, p.metadata()));
    MeshFailure notAnObject = assertThrows(MeshFailure.class,
        () -> ClientApi.RESPONSES.parse(new JsonObject(
            "{\"model\":\"auto\",\"input\":\"hi\",\"metadata\":\"pii\"}")));
    assertEquals(FailureCode.BAD_REQUEST, notAnObject.code());
    assertEquals("metadata", notAnObject.param());
  }

  @Test
  void codexRequestBecomesTheTypedChatRequest() {
    OpenAiResponsesApi.Parsed p = OpenAiResponsesApi.parse(new JsonObject(CODEX_REQUEST));
    ChatRequest c = p.chat();
    assertEquals(List.of(
        ChatMessage.of("system", "You are Codex.\n\nsandbox\n\ncwd"),
        ChatMessage.of("user", "write a file"),
        new ChatMessage("assistant", null, null, null,
            List.of(new ToolCall("call_1", "exec_command", "{\"cmd\":\"echo hi > f\"}"))),
        new ChatMessage("tool", "done", "exec_command", "call_1", null)), c.messages());
    assertEquals(List.of("exec_command"), c.tools().stream().map(t -> t.name()).toList());
    assertEquals(List.of("web_search", "mcp__files"), p.droppedTools());
    assertEquals(ToolChoice.AUTO, c.toolChoice());
    assertEquals(false, c.options().parallelToolCalls());
    assertTrue(c.stream());
  }

  @Test
  void stringInputTextFormatAndMaxOutputTokens() {
    ChatRequest c = OpenAiResponsesApi.parse(new JsonObject("""
        {"model":"auto","input":"hi","max_output_tokens":50,
         "text":{"format":{"type":"json_schema","name":"out","strict":true,
                  "schema":{"type":"object"}}}}""")).chat();
    assertEquals(List.of(ChatMessage.of("user", "hi")), c.messages());
    assertEquals(50, c.maxTokens());
    assertEquals(new ResponseFormat.JsonSchema("out", null, "{\"type\":\"object\"}", true),
        c.responseFormat());
    assertNull(c.options());
  }

  @Test
  void consecutiveCallsAreOneAssistantTurn() {
    ChatRequest c = OpenAiResponsesApi.parse(new JsonObject("""
        {"model":"auto","input":[{"role":"user","content":"x"},
          {"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]},
          {"type":"function_call","call_id":"a","name":"f","arguments":"{}"},
          {"type":"function_call","call_id":"b","name":"g","arguments":"{}"},
          {"type":"function_call_output","call_id":"a","output":"1"},
          {"type":"function_call_output","call_id":"b","output":[{"type":"input_text","text":"2"}]}]}
        """)).chat();
    assertEquals(4, c.messages().size());
    assertEquals("ok", c.messages().get(1).content());
    assertEquals(2, c.messages().get(1).toolCalls().size());
    assertEquals("g", c.messages().get(3).name());
    assertEquals("2", c.messages().get(3).content());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"auto\",\"input\":\"x\",\"store\":true}|store",
      "{\"model\":\"auto\",\"input\":\"x\",\"previous_response_id\":\"resp_1\"}|previous_response_id",
      "{\"model\":\"auto\",\"input\":\"x\",\"background\":true}|background",
      "{\"model\":\"auto\",\"input\":[]}|input",
      "{\"model\":\"auto\",\"input\":[{\"type\":\"item_reference\",\"id\":\"x\"}]}|input[0].type",
      "{\"model\":\"auto\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\"}]}]}|input[0].content[0].type",
      "{\"model\":\"auto\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":{\"type\":\"web_search\"}}|tool_choice.type",
      "{\"model\":\"auto\",\"input\":\"x\",\"tool_choice\":\"required\"}|tool_choice",
      "{\"model\":\"auto\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"a\",\"name\":\"f\",\"arguments\":\"[1\"}]}|input[0].arguments",
      "{\"model\":\"auto\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"n\"}}}|text.format.schema",
      "{\"input\":\"x\"}|model"})
  void unsupportedOrMalformedIsA400NamingTheField(String body, String param) {
    MeshFailure f = assertThrows(MeshFailure.class,
        () -> OpenAiResponsesApi.parse(new JsonObject(body)));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertEquals(param, f.param(), f.detail());
  }

  @Test
  void wholeResponseHasMessageAndFunctionCallItems() {
    ChatResponse r = new ChatResponse("x", 7, "m", new ChatMessage("assistant", "hi", null, null,
        List.of(new ToolCall("call_9", "f", "{\"a\":1}"))), "tool_calls", new Usage(3, 4, false));
    JsonObject o = OpenAiResponsesApi.response("resp_1", r);
    assertEquals("response", o.getString("object"));
    assertEquals("completed", o.getString("status"));
    assertEquals(new JsonObject("""
        {"type":"function_call","id":"fc_call_9","call_id":"call_9","name":"f",
         "arguments":"{\\"a\\":1}","status":"completed"}"""),
        o.getJsonArray("output").getJsonObject(1));
    assertEquals("hi", o.getJsonArray("output").getJsonObject(0).getJsonArray("content")
        .getJsonObject(0).getString("text"));
    assertEquals(7, o.getJsonObject("usage").getInteger("total_tokens"));
    assertEquals("incomplete", OpenAiResponsesApi.response("resp_2", new ChatResponse("x", 7,
        "m", ChatMessage.of("assistant", "cut"), "length", null)).getString("status"));
  }

  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      String[] lines = frame.split("\n");
      JsonObject data = new JsonObject(lines[1].substring("data: ".length()));
      assertEquals(lines[0].substring("event: ".length()), data.getString("type"));
      assertEquals(out.size(), data.getInteger("sequence_number"));
      out.add(data);
    }
    return out;
  }

  @Test
  void streamOfTextThenToolCallIsTheTypedEventSequence() {
    ResponsesStreamEncoder enc = new ResponsesStreamEncoder("resp_1");
    StringBuilder sse = new StringBuilder();
    sse.append(enc.encode(new StreamChunk("r", 1, 0, null, "He", null, false, null, null), "m",
        true));
    sse.append(enc.encode(new StreamChunk("r", 1, 1, null, "llo", null, false, null, null), "m",
        false));
    sse.append(enc.encode(new StreamChunk("r", 1, 2, null, null,
        List.of(new ToolCallDelta(0, "call_1", "f", "{\"a\"")), false, null, null), "m", false));
    sse.append(enc.encode(new StreamChunk("r", 1, 3, null, null,
        List.of(new ToolCallDelta(0, null, null, ":1}")), false, null, null), "m", false));
    sse.append(enc.encode(new StreamChunk("r", 1, 4, null, null, null, true, "tool_calls",
        new Usage(5, 6, false)), "m", false));
    List<JsonObject> ev = events(sse.toString());
    assertEquals(List.of("response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done", "response.completed"),
        ev.stream().map(e -> e.getString("type")).toList());
    assertEquals("Hello", ev.get(6).getString("text"));
    assertEquals("{\"a\":1}", ev.get(13).getJsonObject("item").getString("arguments"));
    assertEquals("call_1", ev.get(13).getJsonObject("item").getString("call_id"));
    JsonObject done = ev.get(14).getJsonObject("response");
    assertEquals("completed", done.getString("status"));
    assertEquals(2, done.getJsonArray("output").size());
    assertEquals(11, done.getJsonObject("usage").getInteger("total_tokens"));
  }

  @Test
  void failureAfterTheFirstEventIsResponseFailed() {
    ResponsesStreamEncoder enc = new ResponsesStreamEncoder("resp_1");
    String sse = enc.encode(new StreamChunk("r", 1, 0, null, "He", null, false, null, null), "m",
        true).toString() + enc.errors().streamError(FailureCode.STREAM_INTERRUPTED, "cut");
    List<JsonObject> ev = events(sse);
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals("response.failed", last.getString("type"));
    assertEquals("failed", last.getJsonObject("response").getString("status"));
    assertEquals("cut", last.getJsonObject("response").getJsonObject("error")
        .getString("message"));
  }

  /** Codex with its newest default model offers its tools inside the input. */
  @Test
  void toolGroupsInsideTheInputAreDroppedAndNamed() {
    OpenAiResponsesApi.Parsed p = OpenAiResponsesApi.parse(new JsonObject("""
        {"model":"gpt-6.2-sol","store":false,"stream":true,"tool_choice":"auto",
         "reasoning":{"effort":"low","context":"all_turns"},"text":{"verbosity":"low"},
         "client_metadata":{"turn_id":"t"},
         "input":[{"type":"additional_tools","id":"at_1","role":"developer",
                   "tools":[{"type":"namespace","name":"functions","tools":[]},
                            {"type":"namespace","name":"clock","tools":[]}]},
                  {"type":"message","id":"msg_1","role":"user",
                   "content":[{"type":"input_text","text":"hi"}]}]}"""));
    assertEquals(List.of("functions", "clock"), p.droppedTools());
    assertNull(p.chat().tools());
    assertNull(p.chat().toolChoice());
    assertEquals(List.of(ChatMessage.of("user", "hi")), p.chat().messages());
  }
}
