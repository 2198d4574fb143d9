package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.CacheControl;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ThinkingSetting;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.Usage;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class AnthropicMessagesApiTest {

  private static ChatRequest parse(String json) {
    return AnthropicMessagesApi.parse(new JsonObject(json)).chat();
  }

  @Test
  void stringSystemAndMessagesMapToMeshMessages() {
    ChatRequest c = parse("""
        {"model":"auto","max_tokens":64,"system":"be brief","temperature":0,"top_p":0.5,
         "stop_sequences":["END"],"messages":[{"role":"user","content":"hi"}]}""");
    assertEquals(List.of(ChatMessage.of("system", "be brief"), ChatMessage.of("user", "hi")),
        c.messages());
    assertEquals(64, c.maxTokens());
    assertEquals(0.0, c.temperature());
    assertEquals(0.5, c.topP());
    assertEquals(List.of("END"), c.stop());
    assertEquals(false, c.stream());
  }

  @Test
  void systemBlocksAreJoined() {
    ChatRequest c = parse("""
        {"model":"auto","max_tokens":5,"stream":true,
         "system":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
         "messages":[{"role":"user","content":[{"type":"text","text":"x"},
           {"type":"text","text":"y"}]}]}""");
    assertEquals("a\n\nb", c.messages().get(0).content());
    assertEquals("xy", c.messages().get(1).content());
    assertTrue(c.stream());
  }

  @Test
  void toolUseAndToolResultBecomeToolCallsAndToolMessages() {
    ChatRequest c = parse("""
        {"model":"auto","max_tokens":50,
         "tools":[{"name":"get_weather","description":"weather",
                   "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
         "tool_choice":{"type":"tool","name":"get_weather"},
         "messages":[
          {"role":"user","content":"weather in Oslo?"},
          {"role":"assistant","content":[{"type":"text","text":"checking"},
            {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo"}}]},
          {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"5C"}]},
            {"type":"text","text":"thanks"}]}]}""");
    assertEquals(4, c.messages().size());
    ChatMessage assistant = c.messages().get(1);
    assertEquals("checking", assistant.content());
    assertEquals(List.of(new ToolCall("toolu_1", "get_weather", "{\"city\":\"Oslo\"}")),
        assistant.toolCalls());
    assertEquals(new ChatMessage("tool", "5C", "get_weather", "toolu_1", null),
        c.messages().get(2), "a tool result keeps the id and gains the name of its call");
    assertEquals(ChatMessage.of("user", "thanks"), c.messages().get(3));
    assertEquals("get_weather", c.tools().get(0).name());
    assertEquals("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}",
        c.tools().get(0).parametersJson());
    assertEquals(new ToolChoice.Function("get_weather"), c.toolChoice());
  }

  @Test
  void anErroredToolResultSaysSo() {
    ChatRequest c = parse("""
        {"model":"auto","max_tokens":5,"messages":[{"role":"user","content":[
          {"type":"tool_result","tool_use_id":"t","content":"boom","is_error":true}]}]}""");
    assertEquals(List.of(new ChatMessage("tool", "Error: boom", null, "t", null)), c.messages());
  }

  @ParameterizedTest
  @CsvSource({"auto,auto", "any,required", "none,none"})
  void toolChoiceTypes(String type, String mesh) {
    ToolChoice expected = switch (mesh) {
      case "auto" -> ToolChoice.AUTO;
      case "required" -> ToolChoice.REQUIRED;
      default -> ToolChoice.NONE;
    };
    assertEquals(expected, AnthropicMessagesApi.toolChoice(new JsonObject().put("type", type)));
  }

  static Stream<Arguments> rejected() {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    return Stream.of(
        Arguments.of("{\"max_tokens\":5," + msgs + "}", "'model'"),
        Arguments.of("{\"model\":\"auto\"," + msgs + "}", "'max_tokens'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":0," + msgs + "}", "'max_tokens'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":1.5," + msgs + "}", "'max_tokens'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[]}", "'messages'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\","
            + "\"content\":\"x\"}]}", "user or assistant turn"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[{\"role\":\"bot\","
            + "\"content\":\"x\"}]}", "role"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"thinking\":{\"type\":\"deep\"},"
            + msgs + "}", "'thinking.type'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"thinking\":{\"type\":\"enabled\"},"
            + msgs + "}", "'thinking.budget_tokens'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"context_management\":[],"
            + msgs + "}", "'context_management'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"tools\":[{\"type\":"
            + "\"web_search_20250305\",\"name\":\"web_search\"}],\"tool_choice\":{\"type\":"
            + "\"tool\",\"name\":\"web_search\"}," + msgs + "}", "'tool_choice.name'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"tools\":[{\"type\":"
            + "\"web_search_20250305\",\"name\":\"web_search\"}],\"tool_choice\":{\"type\":"
            + "\"any\"}," + msgs + "}", "web_search"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"type\":\"image\",\"source\":{}}]}]}", "source.type"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\"}]}]}", "'tool_use'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"system\":5," + msgs + "}", "'system'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"stop_sequences\":\"x\"," + msgs + "}",
            "'stop_sequences'"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"tools\":[{\"name\":\"t\"}]," + msgs
            + "}", "input_schema"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"tool_choice\":{\"type\":\"x\"},"
            + msgs + "}", "tool_choice"),
        Arguments.of("{\"model\":\"auto\",\"max_tokens\":5,\"temperature\":\"hot\"," + msgs + "}",
            "'temperature'"));
  }

  @ParameterizedTest
  @MethodSource("rejected")
  void badRequestsAreRefusedNamingTheField(String body, String named) {
    MeshFailure f = assertThrows(MeshFailure.class,
        () -> AnthropicMessagesApi.parse(new JsonObject(body)));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertTrue(f.detail().contains(named), f.detail());
  }

  @ParameterizedTest
  @CsvSource({"stop,end_turn", "length,max_tokens", "tool_calls,tool_use",
      "stop_sequence,stop_sequence", "content_filter,refusal"})
  void stopReasons(String finish, String stop) {
    assertEquals(stop, AnthropicMessagesApi.stopReason(finish));
  }

  @Test
  void responseHasTextAndToolUseBlocksAndUsage() {
    ChatResponse r = new ChatResponse("x", 1, "gpt-4o", new ChatMessage("assistant", "let me see",
        null, null, List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}"))),
        "tool_calls", new Usage(12, 7, false));
    JsonObject m = AnthropicMessagesApi.response("msg_1", r);
    assertEquals(new JsonObject("""
        {"id":"msg_1","type":"message","role":"assistant","model":"gpt-4o",
         "content":[{"type":"text","text":"let me see"},
           {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Oslo"}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":12,"output_tokens":7}}"""), m);
  }

  @Test
  void malformedToolArgumentsAreKeptVerbatim() {
    assertEquals(new JsonObject().put("_raw", "{oops"), AnthropicMessagesApi.toolInput("{oops"));
    assertEquals(new JsonObject(), AnthropicMessagesApi.toolInput(""));
  }

  @Test
  void emptyAnswerHasNoBlocks() {
    JsonObject m = AnthropicMessagesApi.response("msg_2", new ChatResponse("x", 1, "m",
        ChatMessage.of("assistant", ""), "length", null));
    assertTrue(m.getJsonArray("content").isEmpty());
    assertEquals("max_tokens", m.getString("stop_reason"));
    assertEquals(0, m.getJsonObject("usage").getInteger("output_tokens"));
    assertNull(m.getString("stop_sequence"));
  }

  @Test
  void topKUserIdAndSerialToolUseAreCarried() {
    ChatRequest c = parse("""
        {"model":"auto","max_tokens":5,"top_k":40,"metadata":{"user_id":"u1"},
         "tools":[{"name":"w","input_schema":{"type":"object"}}],
         "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
         "messages":[{"role":"user","content":"hi"}]}""");
    assertEquals(new ChatOptions(false, null, null, null, 40, null, false, "u1", null, null), c.options());
    assertNull(parse("""
        {"model":"auto","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""")
        .options());
  }

  /** The shape of Claude Code 2.1's first request, trimmed to one tool of each kind. */
  static final String CLAUDE_CODE_REQUEST = """
      {"model":"claude-opus-5-5","max_tokens":128000,"stream":true,
       "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},
                 {"type":"text","text":"Be careful.","cache_control":{"type":"ephemeral","ttl":"1h"}}],
       "messages":[
         {"role":"user","content":[{"type":"text","text":"Say hello",
           "cache_control":{"type":"ephemeral"}}]},
         {"role":"system","content":"Reminder: the date is today."},
         {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},
           {"type":"redacted_thinking","data":"xyz"},{"type":"text","text":"Hello"}]},
         {"role":"user","content":"again"}],
       "tools":[{"name":"Bash","description":"run","input_schema":{"type":"object"},
                 "cache_control":{"type":"ephemeral"}},
                {"type":"web_search_20250305","name":"web_search","max_uses":5}],
       "tool_choice":{"type":"auto"},
       "thinking":{"type":"adaptive"},
       "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},
       "output_config":{"effort":"high"},
       "metadata":{"user_id":"user_abc_account__session_1"}}""";

  @Test
  void claudeCodesRequestIsAcceptedAndServerToolsAreDropped() {
    AnthropicMessagesApi.Parsed p = AnthropicMessagesApi.parse(new JsonObject(CLAUDE_CODE_REQUEST));
    ChatRequest c = p.chat();
    assertEquals(List.of(
        ChatMessage.of("system", "You are Claude Code.\n\nBe careful.\n\n"
            + "Reminder: the date is today.").withCacheControl(
                new CacheControl("ephemeral", "1h")),
        ChatMessage.of("user", "Say hello").withCacheControl(new CacheControl("ephemeral", null)),
        new ChatMessage("assistant", "Hello", null, null, null, List.of(
            new ContentPart.Thinking("hm", "s", null), new ContentPart.Thinking(null, null, "xyz"),
            new ContentPart.Text("Hello"))),
        ChatMessage.of("user", "again")), c.messages(),
        "system entries join the system prompt in order, keeping the last caching mark; thinking"
            + " history is kept for the backends that take it back");
    assertEquals(List.of("Bash"), c.tools().stream().map(t -> t.name()).toList());
    assertEquals(List.of("web_search"), p.droppedTools());
    assertEquals(ToolChoice.AUTO, c.toolChoice());
    assertEquals(128000, c.maxTokens());
    assertEquals("claude-opus-5-5", c.model());
    assertEquals("user_abc_account__session_1", c.options().user());
    assertEquals(new ThinkingSetting("adaptive", null), c.options().thinking());
  }

  @Test
  void betaFlagsAreSplitInOrderWithoutRepeatsAndCheckedForShape() {
    assertEquals(List.of("claude-code-20250219", "context-management-2025-06-27"),
        AnthropicMessagesApi.betaFlags(List.of("claude-code-20250219, context-management-2025-06-27",
            "claude-code-20250219")));
    assertEquals(List.of(), AnthropicMessagesApi.betaFlags(List.of()));
    MeshFailure bad = assertThrows(MeshFailure.class,
        () -> AnthropicMessagesApi.betaFlags(List.of("ok-flag, not a flag")));
    assertEquals("anthropic-beta", bad.param());
  }

  @Test
  void aMalformedCacheMarkIsRefusedNamingIt() {
    MeshFailure bad = assertThrows(MeshFailure.class, () -> parse("""
        {"model":"auto","max_tokens":8,"messages":[{"role":"user","content":[
          {"type":"text","text":"x"},{"type":"text","text":"y","cache_control":"yes"}]}]}"""));
    assertEquals("messages[0].content[1].cache_control", bad.param());
  }

  @Test
  void onlyServerToolsOfferedMeansNoToolsAndNoChoice() {
    AnthropicMessagesApi.Parsed p = AnthropicMessagesApi.parse(new JsonObject("""
        {"model":"auto","max_tokens":5,"tool_choice":{"type":"auto"},
         "tools":[{"type":"code_execution_20250825","name":"code_execution"}],
         "messages":[{"role":"user","content":"hi"}]}"""));
    assertNull(p.chat().tools());
    assertNull(p.chat().toolChoice(), "a choice without tools would make a backend refuse");
    assertEquals(List.of("code_execution"), p.droppedTools());
  }

  @Test
  void countTokensBodyNeedsNoMaxTokensAndIsCountedWithTools() {
    AnthropicMessagesApi.Parsed p = AnthropicMessagesApi.parse(new JsonObject("""
        {"model":"claude-x","tools":[{"name":"t","input_schema":{"type":"object"}}],
         "messages":[{"role":"user","content":"12345678"}]}"""), false);
    // 8 prompt characters + "t" + {"type":"object"} (17) = 26 characters: 7 tokens.
    assertEquals(7, TokenCount.estimate(p.chat()));
    assertThrows(MeshFailure.class, () -> AnthropicMessagesApi.parse(new JsonObject("""
        {"model":"claude-x","messages":[{"role":"user","content":"x"}]}""")));
  }
}
