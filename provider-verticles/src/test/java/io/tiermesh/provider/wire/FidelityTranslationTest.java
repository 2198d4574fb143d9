package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What each backend kind receives for tool choices, images and tool loops, and how forced tool
 * calls on Ollama (emulated with structured outputs) come back as real tool calls, whole and
 * streamed.
 */
class FidelityTranslationTest {

  static final String WEATHER_SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}";
  static final String TIME_SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":\"string\"}}}";
  static final List<ToolDef> TOOLS = List.of(new ToolDef("weather", "w", WEATHER_SCHEMA),
      new ToolDef("time", null, TIME_SCHEMA));
  static final ContentPart.Image PNG = ContentPart.Image.inline("image/png", "iVBORw0KGgo=",
      "low");

  static ChatRequest ask(ToolChoice choice, boolean stream, ChatMessage... messages) {
    return new ChatRequest("m", List.of(messages), null, null, null, null, TOOLS, choice, null,
        null, stream);
  }

  static JsonObject ollama(ChatRequest r) {
    return new OllamaTranslator().encodeChat(r).toJsonObject();
  }

  @Test
  void ollamaForcedNamedToolBecomesItsSchemaAsTheFormat() {
    JsonObject body = ollama(ask(new ToolChoice.Function("weather"), false,
        ChatMessage.of("user", "Oslo?")));
    assertEquals(new JsonObject(WEATHER_SCHEMA), body.getJsonObject("format"));
    assertFalse(body.containsKey("tools"), "the format, not the tools, forces the call");
  }

  @Test
  void ollamaRequiredWithSeveralToolsAllowsEachUnderItsName() {
    JsonObject format = ollama(ask(ToolChoice.REQUIRED, false, ChatMessage.of("user", "x")))
        .getJsonObject("format");
    JsonArray anyOf = format.getJsonArray("anyOf");
    assertEquals(2, anyOf.size());
    JsonObject first = anyOf.getJsonObject(0).getJsonObject("properties");
    assertEquals(new JsonArray().add("weather"),
        first.getJsonObject("name").getJsonArray("enum"));
    assertEquals(new JsonObject(WEATHER_SCHEMA), first.getJsonObject("arguments"));
  }

  @Test
  void ollamaNoneOmitsTheToolsAndAutoSendsThem() {
    assertFalse(ollama(ask(ToolChoice.NONE, false, ChatMessage.of("user", "x")))
        .containsKey("tools"));
    JsonObject auto = ollama(ask(ToolChoice.AUTO, false, ChatMessage.of("user", "x")));
    assertEquals(2, auto.getJsonArray("tools").size());
    assertFalse(auto.containsKey("format"));
  }

  @Test
  void ollamaForcedAnswerComesBackAsAToolCall() {
    String answer = """
        {"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant",
         "content":"{\\"city\\":\\"Oslo\\"}"},"done":true,"done_reason":"stop",
         "prompt_eval_count":5,"eval_count":6}""";
    ChatResponse r = new OllamaTranslator().decodeChat(
        ask(new ToolChoice.Function("weather"), false, ChatMessage.of("user", "x")),
        Buffer.buffer(answer));
    assertEquals("tool_calls", r.finishReason());
    assertNull(r.message().content(), "a tool-call turn has null content");
    ToolCall call = r.message().toolCalls().get(0);
    assertEquals("weather", call.name());
    assertEquals("{\"city\":\"Oslo\"}", call.argumentsJson());
    assertTrue(call.id().startsWith("call_"));

    String named = answer.replace("{\\\"city\\\":\\\"Oslo\\\"}",
        "{\\\"name\\\":\\\"time\\\",\\\"arguments\\\":{\\\"zone\\\":\\\"CET\\\"}}");
    ChatResponse r2 = new OllamaTranslator().decodeChat(
        ask(ToolChoice.REQUIRED, false, ChatMessage.of("user", "x")), Buffer.buffer(named));
    assertEquals(new ToolCall(r2.message().toolCalls().get(0).id(), "time",
        "{\"zone\":\"CET\"}"), r2.message().toolCalls().get(0));
    assertEquals("tool_calls", r2.finishReason());
  }

  @Test
  void ollamaToolCallIdsDifferAcrossAnswersAndToolTurnsHaveNullContent() {
    String answer = """
        {"model":"m","message":{"role":"assistant","content":"","tool_calls":[
          {"function":{"name":"weather","arguments":{"city":"Oslo"}}},
          {"function":{"name":"time","arguments":{"zone":"CET"}}}]},"done":true}""";
    OllamaTranslator t = new OllamaTranslator();
    ChatResponse a = t.decodeChat(Buffer.buffer(answer));
    ChatResponse b = t.decodeChat(Buffer.buffer(answer));
    assertNull(a.message().content());
    assertEquals("tool_calls", a.finishReason());
    assertNotEquals(a.message().toolCalls().get(0).id(), a.message().toolCalls().get(1).id());
    assertNotEquals(a.message().toolCalls().get(0).id(), b.message().toolCalls().get(0).id(),
        "a second turn must not reuse the first turn's ids");
  }

  /** Records stream events, tool-call ids replaced by whether one was given. */
  static final class Events implements StreamSink {
    final List<String> seen = new ArrayList<>();

    @Override
    public void delta(String text, List<ToolCallDelta> toolCalls) {
      if (toolCalls == null) {
        seen.add("text:" + text);
        return;
      }
      for (ToolCallDelta d : toolCalls) {
        seen.add("tool:" + d.index() + ":" + (d.id() != null) + ":" + d.name() + ":"
            + d.argumentsFragment());
      }
    }

    @Override
    public void end(String finishReason, Usage usage) {
      seen.add("end:" + finishReason);
    }

    @Override
    public void error(String message) {
      seen.add("error:" + message);
    }
  }

  static List<String> stream(ChatRequest r, String transcript) {
    StreamDecoder d = new OllamaTranslator().streamDecoder(r);
    Events e = new Events();
    Buffer all = Buffer.buffer(transcript);
    for (int i = 0; i < all.length(); i += 5) {
      d.feed(all.getBuffer(i, Math.min(all.length(), i + 5)), e);
    }
    assertTrue(d.complete());
    return e.seen;
  }

  @Test
  void ollamaForcedNamedToolStreamsItsArgumentsAsToolCallDeltas() {
    String transcript = """
        {"message":{"role":"assistant","content":"{\\"city\\":"},"done":false}
        {"message":{"role":"assistant","content":"\\"Oslo\\"}"},"done":false}
        {"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}
        """;
    assertEquals(List.of("tool:0:true:weather:{\"city\":", "tool:0:false:null:\"Oslo\"}",
        "end:tool_calls"), stream(ask(new ToolChoice.Function("weather"), true,
        ChatMessage.of("user", "x")), transcript));
  }

  @Test
  void ollamaRequiredAmongSeveralStreamsOneWholeCallAtTheEnd() {
    String transcript = """
        {"message":{"role":"assistant","content":"{\\"name\\":\\"time\\","},"done":false}
        {"message":{"role":"assistant","content":"\\"arguments\\":{}}"},"done":false}
        {"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}
        """;
    assertEquals(List.of("tool:0:true:time:{}", "end:tool_calls"),
        stream(ask(ToolChoice.REQUIRED, true, ChatMessage.of("user", "x")), transcript));
  }

  @Test
  void imagesReachEachBackendKindInItsOwnShape() {
    ChatMessage withImage = new ChatMessage("user", "what is this?", null, null, null,
        List.of(new ContentPart.Text("what is this?"), PNG));
    ChatRequest r = new ChatRequest("m", List.of(withImage), 10, null, null, null, null, null,
        null, null, false);
    JsonObject o = ollama(r).getJsonArray("messages").getJsonObject(0);
    assertEquals("what is this?", o.getString("content"));
    assertEquals(new JsonArray().add("iVBORw0KGgo="), o.getJsonArray("images"));

    JsonObject openAi = new OpenAiTranslator().encodeChat(r).toJsonObject()
        .getJsonArray("messages").getJsonObject(0);
    assertEquals(new JsonArray("""
        [{"type":"text","text":"what is this?"},{"type":"image_url","image_url":
          {"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}}]"""),
        openAi.getJsonArray("content"));

    JsonObject anthropic = new AnthropicTranslator().encodeChat(r).toJsonObject()
        .getJsonArray("messages").getJsonObject(0);
    assertEquals(new JsonArray("""
        [{"type":"text","text":"what is this?"},{"type":"image","source":{"type":"base64",
          "media_type":"image/png","data":"iVBORw0KGgo="}}]"""),
        anthropic.getJsonArray("content"));
  }

  /** An allowed remote image: OpenAI and Anthropic backends get the address to fetch. */
  @Test
  void remoteImagesReachOpenAiAndAnthropicBackendsAsAddresses() {
    ChatMessage withImage = new ChatMessage("user", "what is this?", null, null, null,
        List.of(new ContentPart.Text("what is this?"),
            ContentPart.Image.remote("https://img.example.com/cat.png", null)));
    ChatRequest r = new ChatRequest("m", List.of(withImage), 10, null, null, null, null, null,
        null, null, false);
    JsonObject openAi = new OpenAiTranslator().encodeChat(r).toJsonObject()
        .getJsonArray("messages").getJsonObject(0);
    assertEquals("https://img.example.com/cat.png", openAi.getJsonArray("content")
        .getJsonObject(1).getJsonObject("image_url").getString("url"));
    JsonObject anthropic = new AnthropicTranslator().encodeChat(r).toJsonObject()
        .getJsonArray("messages").getJsonObject(0);
    assertEquals(new JsonObject().put("type", "url").put("url", "https://img.example.com/cat.png"),
        anthropic.getJsonArray("content").getJsonObject(1).getJsonObject("source"));
  }

  @Test
  void toolResultsKeepTheirIdAndNameOnOllama() {
    JsonObject tool = ollama(ask(ToolChoice.AUTO, false, ChatMessage.of("user", "x"),
        new ChatMessage("assistant", null, null, null,
            List.of(new ToolCall("call_a", "weather", "{\"city\":\"Oslo\"}"))),
        new ChatMessage("tool", "5C", "weather", "call_a", null)))
        .getJsonArray("messages").getJsonObject(2);
    assertEquals("weather", tool.getString("tool_name"));
    assertEquals("5C", tool.getString("content"));
  }

  @Test
  void toolChoicesAndFormatsOnOpenAiAndAnthropic() {
    ChatRequest named = ask(new ToolChoice.Function("time"), false, ChatMessage.of("user", "x"));
    assertEquals(new JsonObject("{\"type\":\"function\",\"function\":{\"name\":\"time\"}}"),
        new OpenAiTranslator().encodeChat(named).toJsonObject().getJsonObject("tool_choice"));
    assertEquals(new JsonObject("{\"type\":\"tool\",\"name\":\"time\"}"),
        new AnthropicTranslator().encodeChat(named).toJsonObject().getJsonObject("tool_choice"));
    assertEquals("none", new OpenAiTranslator().encodeChat(ask(ToolChoice.NONE, false,
        ChatMessage.of("user", "x"))).toJsonObject().getString("tool_choice"));
    assertEquals(new JsonObject("{\"type\":\"any\"}"), new AnthropicTranslator()
        .encodeChat(ask(ToolChoice.REQUIRED, false, ChatMessage.of("user", "x")))
        .toJsonObject().getJsonObject("tool_choice"));

    ChatRequest schema = new ChatRequest("m", List.of(ChatMessage.of("user", "x")), null, null,
        null, null, null, null, new ResponseFormat.JsonSchema("w", null, WEATHER_SCHEMA, true),
        null, false);
    assertEquals(new JsonObject("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\","
        + "\"schema\":" + WEATHER_SCHEMA + ",\"strict\":true}}"),
        new OpenAiTranslator().encodeChat(schema).toJsonObject().getJsonObject("response_format"));
    assertEquals(new JsonObject(WEATHER_SCHEMA), ollama(schema).getJsonObject("format"));
  }

  @Test
  void optionsReachTheBackendsThatTakeThem() {
    ChatRequest r = new ChatRequest("m", List.of(ChatMessage.of("user", "x")), 50, null, null,
        null, TOOLS, null, null, null, false, new ChatOptions(true, 0.5, -0.5,
            java.util.Map.of("42", -100), 40, "low", false, "end-user-7", true, 2));
    JsonObject openAi = new OpenAiTranslator().encodeChat(r).toJsonObject();
    assertEquals(50, openAi.getInteger("max_completion_tokens"));
    assertFalse(openAi.containsKey("max_tokens"), "the name the client used, not rewritten");
    assertEquals(0.5, openAi.getDouble("presence_penalty"));
    assertEquals(-0.5, openAi.getDouble("frequency_penalty"));
    assertEquals(new JsonObject().put("42", -100), openAi.getJsonObject("logit_bias"));
    assertEquals("low", openAi.getString("reasoning_effort"));
    assertEquals(false, openAi.getBoolean("parallel_tool_calls"));
    assertEquals("end-user-7", openAi.getString("user"));
    assertFalse(openAi.containsKey("top_k"), "OpenAI has no top_k");
    assertEquals(true, openAi.getBoolean("logprobs"));
    assertEquals(2, openAi.getInteger("top_logprobs"));

    JsonObject anthropic = new AnthropicTranslator().encodeChat(r).toJsonObject();
    assertEquals(50, anthropic.getInteger("max_tokens"));
    assertEquals(40, anthropic.getInteger("top_k"));
    assertEquals(new JsonObject().put("user_id", "end-user-7"),
        anthropic.getJsonObject("metadata"));
    assertEquals(new JsonObject().put("type", "auto").put("disable_parallel_tool_use", true),
        anthropic.getJsonObject("tool_choice"));

    assertFalse(anthropic.containsKey("logprobs"), "Anthropic has no log probabilities");
    JsonObject ollamaBody = ollama(r);
    assertEquals(true, ollamaBody.getBoolean("logprobs"));
    assertEquals(2, ollamaBody.getInteger("top_logprobs"));
    JsonObject options = ollamaBody.getJsonObject("options");
    assertEquals(50, options.getInteger("num_predict"));
    assertEquals(40, options.getInteger("top_k"));
    assertEquals(0.5, options.getDouble("presence_penalty"));
    assertEquals(-0.5, options.getDouble("frequency_penalty"));

    ChatRequest plain = new ChatRequest("m", List.of(ChatMessage.of("user", "x")), 50, null,
        null, null, null, null, null, null, false);
    assertEquals(50, new OpenAiTranslator().encodeChat(plain).toJsonObject()
        .getInteger("max_tokens"));
  }

  @Test
  void anthropicStopSequenceAndRefusalKeepTheirMeaning() {
    String body = """
        {"id":"msg_1","model":"c","content":[{"type":"text","text":"a"}],
         "stop_reason":"%s","usage":{"input_tokens":1,"output_tokens":1}}""";
    AnthropicTranslator t = new AnthropicTranslator();
    assertEquals("stop_sequence", t.decodeChat(Buffer.buffer(body.formatted("stop_sequence")))
        .finishReason());
    assertEquals("content_filter", t.decodeChat(Buffer.buffer(body.formatted("refusal")))
        .finishReason());
  }

  @Test
  void refusalsAndLogprobsAreDecoded() {
    ChatResponse openAi = new OpenAiTranslator().decodeChat(Buffer.buffer("""
        {"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,
          "refusal":"I can't."},"finish_reason":"stop","logprobs":{"content":[
          {"token":"I","logprob":-0.5,"bytes":[73],"top_logprobs":[
            {"token":"I","logprob":-0.5,"bytes":[73]},{"token":"We","logprob":-2.0,
             "bytes":[87,101]}]}],"refusal":null}}]}"""));
    assertEquals("I can't.", openAi.refusal());
    assertEquals(new TokenLogprob("I", -0.5, List.of(73), List.of(
        new TokenLogprob("I", -0.5, List.of(73), null),
        new TokenLogprob("We", -2.0, List.of(87, 101), null))), openAi.logprobs().get(0));

    ChatResponse ollama = new OllamaTranslator().decodeChat(Buffer.buffer("""
        {"model":"m","message":{"role":"assistant","content":"Hi"},"done":true,
         "logprobs":[{"token":"Hi","logprob":-0.1,"bytes":[72,105],"top_logprobs":[]}]}"""));
    assertEquals(List.of(new TokenLogprob("Hi", -0.1, List.of(72, 105), List.of())),
        ollama.logprobs());

    List<String> seen = new ArrayList<>();
    StreamSink sink = new StreamSink() {
      @Override
      public void delta(String text, List<ToolCallDelta> toolCalls) {
        seen.add("plain:" + text);
      }

      @Override
      public void delta(String text, List<ToolCallDelta> toolCalls, String refusal,
          List<TokenLogprob> logprobs) {
        seen.add("rich:" + text + ":" + refusal + ":" + (logprobs == null ? 0 : logprobs.size()));
      }

      @Override
      public void end(String finishReason, Usage usage) {
        seen.add("end:" + finishReason);
      }

      @Override
      public void error(String message) {
        seen.add("error");
      }
    };
    StreamDecoder d = new OpenAiTranslator().streamDecoder();
    d.feed(Buffer.buffer("""
        data: {"choices":[{"index":0,"delta":{"refusal":"No."}}]}

        data: {"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-1,"bytes":[97],"top_logprobs":[]}]}}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

        data: [DONE]

        """), sink);
    assertEquals(List.of("rich:null:No.:0", "rich:a:null:1", "end:stop"), seen);
  }

  @Test
  void toolStrictReachesOpenAiBackendsOnly() {
    ChatRequest r = new ChatRequest("m", List.of(ChatMessage.of("user", "x")), null, null, null,
        null, List.of(new ToolDef("weather", null, WEATHER_SCHEMA, true)), null, null, null,
        false);
    assertEquals(true, new OpenAiTranslator().encodeChat(r).toJsonObject().getJsonArray("tools")
        .getJsonObject(0).getJsonObject("function").getBoolean("strict"));
    assertFalse(ollama(r).getJsonArray("tools").getJsonObject(0).getJsonObject("function")
        .containsKey("strict"));
  }

  @Test
  void anthropicBackendsGiveJsonFormatsThroughAForcedTool() {
    ChatRequest r = new ChatRequest("m", List.of(ChatMessage.of("user", "Weather?")), 100, null,
        null, null, null, null, new ResponseFormat.JsonSchema("weather", null, WEATHER_SCHEMA,
        true), null, false);
    JsonObject body = new AnthropicTranslator().encodeChat(r).toJsonObject();
    assertEquals(new JsonObject(WEATHER_SCHEMA), body.getJsonArray("tools").getJsonObject(0)
        .getJsonObject("input_schema"));
    assertEquals(new JsonObject("{\"type\":\"tool\",\"name\":\"weather\"}"),
        body.getJsonObject("tool_choice"));
    ChatResponse answer = new AnthropicTranslator().decodeChat(r, Buffer.buffer("""
        {"id":"msg_1","model":"c","content":[{"type":"tool_use","id":"toolu_1",
          "name":"weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use",
         "usage":{"input_tokens":3,"output_tokens":4}}"""));
    assertEquals(ChatMessage.of("assistant", "{\"city\":\"Oslo\"}"), answer.message());
    assertEquals("stop", answer.finishReason());

    StreamDecoder d = new AnthropicTranslator().streamDecoder(r);
    List<String> seen = new ArrayList<>();
    d.feed(Buffer.buffer("""
        data: {"type":"message_start","message":{"usage":{"input_tokens":9}}}

        data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}

        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}

        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"Oslo\\"}"}}

        data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":4}}

        data: {"type":"message_stop"}

        """), new StreamSink() {
          @Override
          public void delta(String text, List<ToolCallDelta> toolCalls) {
            seen.add(text != null ? "text:" + text : "tool");
          }

          @Override
          public void end(String finishReason, Usage usage) {
            seen.add("end:" + finishReason);
          }

          @Override
          public void error(String message) {
            seen.add("error");
          }
        });
    assertEquals(List.of("text:{\"city\":", "text:\"Oslo\"}", "end:stop"), seen);

    ChatRequest withTools = new ChatRequest("m", List.of(ChatMessage.of("user", "x")), 100, null,
        null, null, TOOLS, null, new ResponseFormat.JsonMode(), null, false);
    assertEquals(2, new AnthropicTranslator().encodeChat(withTools).toJsonObject()
        .getJsonArray("tools").size(), "the client's own tools win over the format");
  }
}
