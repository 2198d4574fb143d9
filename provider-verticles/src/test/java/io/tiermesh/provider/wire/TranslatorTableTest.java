package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every translator on recorded bodies: request encoding, whole-answer decoding, stream decoding
 * (fed in small slices, as the network splits frames), embeddings. Rows are data.
 */
class TranslatorTableTest {

  /** A conversation with everything a translator must map: system, tool call, tool result. */
  static final ChatRequest TOOL_CONVERSATION = new ChatRequest("m",
      List.of(ChatMessage.of("system", "Be brief."),
          ChatMessage.of("user", "Weather in Oslo?"),
          new ChatMessage("assistant", null, null, null,
              List.of(new ToolCall("call_1", "weather", "{\"city\":\"Oslo\"}"))),
          new ChatMessage("tool", "-3C", "weather", "call_1", null)),
      256, 0.5, null, List.of("END"),
      List.of(new ToolDef("weather", "current weather",
          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}")),
      ToolChoice.REQUIRED, null, null, true);

  static Stream<Arguments> encodings() {
    return Stream.of(
        Arguments.of("anthropic", TOOL_CONVERSATION, """
            {"model":"m","max_tokens":256,"system":"Be brief.",
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Weather in Oslo?"}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"weather",
                 "input":{"city":"Oslo"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1",
                 "content":"-3C"}]}],
             "temperature":0.5,"stop_sequences":["END"],
             "tools":[{"name":"weather","input_schema":{"type":"object","properties":
               {"city":{"type":"string"}}},"description":"current weather"}],
             "tool_choice":{"type":"any"},"stream":true}"""),
        Arguments.of("anthropic", new ChatRequest("m", List.of(ChatMessage.of("user", "hi")),
            null, null, null, null, null, null, null, null, false), """
            {"model":"m","max_tokens":8192,
             "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"""),
        Arguments.of("openai", TOOL_CONVERSATION, """
            {"model":"m","messages":[
               {"role":"system","content":"Be brief."},
               {"role":"user","content":"Weather in Oslo?"},
               {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                 "function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
               {"role":"tool","content":"-3C","tool_call_id":"call_1"}],
             "max_tokens":256,"temperature":0.5,"stop":["END"],
             "tools":[{"type":"function","function":{"name":"weather",
               "description":"current weather","parameters":{"type":"object","properties":
               {"city":{"type":"string"}}}}}],
             "tool_choice":"required","stream":true,"stream_options":{"include_usage":true}}"""));
  }

  @ParameterizedTest(name = "{0} encodes request {index}")
  @MethodSource("encodings")
  void encodesRequests(String kind, ChatRequest request, String expected) {
    assertEquals(new JsonObject(expected),
        WireTranslator.forKind(kind).encodeChat(request).toJsonObject());
  }

  static Stream<Arguments> responses() {
    return Stream.of(
        Arguments.of("anthropic", """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn",
             "stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,
             "cache_read_input_tokens":2,"output_tokens":5}}""",
            new ChatResponse("msg_1", 0, "claude-sonnet-4-5", ChatMessage.of("assistant",
                "Hello"), "stop", new Usage(12, 5, false))),
        Arguments.of("anthropic", """
            {"id":"msg_2","type":"message","role":"assistant","model":"c",
             "content":[{"type":"tool_use","id":"toolu_1","name":"weather",
               "input":{"city":"Oslo"}}],"stop_reason":"tool_use",
             "usage":{"input_tokens":3,"output_tokens":4}}""",
            new ChatResponse("msg_2", 0, "c", new ChatMessage("assistant", null, null, null,
                List.of(new ToolCall("toolu_1", "weather", "{\"city\":\"Oslo\"}"))),
                "tool_calls", new Usage(3, 4, false))),
        Arguments.of("anthropic", """
            {"id":"msg_3","model":"c","content":[{"type":"text","text":"cut"}],
             "stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}""",
            new ChatResponse("msg_3", 0, "c", ChatMessage.of("assistant", "cut"), "length",
                new Usage(1, 1, false))),
        Arguments.of("openai", """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"g",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},
             "finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":1,
             "total_tokens":8}}""",
            new ChatResponse("chatcmpl-1", 1700000000L, "g", ChatMessage.of("assistant", "Hi"),
                "stop", new Usage(7, 1, false))));
  }

  @ParameterizedTest(name = "{0} decodes response {index}")
  @MethodSource("responses")
  void decodesResponses(String kind, String body, ChatResponse expected) {
    assertEquals(expected, WireTranslator.forKind(kind).decodeChat(Buffer.buffer(body)));
  }

  /** What a stream decoder reported, flattened for comparison. */
  static final class Recorder implements StreamSink {
    final List<String> events = new ArrayList<>();

    @Override
    public void delta(String text, List<ToolCallDelta> toolCalls) {
      events.add(text != null ? "text:" + text : "tool:" + toolCalls);
    }

    @Override
    public void end(String finishReason, Usage usage) {
      events.add("end:" + finishReason + ":" + usage);
    }

    @Override
    public void error(String message) {
      events.add("error:" + message);
    }
  }

  static final String ANTHROPIC_TEXT_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: ping
      data: {"type":"ping"}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  static final String ANTHROPIC_TOOL_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"usage":{"input_tokens":9,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking"}}

      event: content_block_start
      data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"Oslo\\"}"}}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":7}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  static final String ANTHROPIC_ERROR_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"usage":{"input_tokens":9,"output_tokens":1}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

      event: error
      data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

      """;

  static Stream<Arguments> streams() {
    return Stream.of(
        Arguments.of("anthropic", ANTHROPIC_TEXT_STREAM, List.of("text:Hello", "text: world",
            "end:stop:Usage[promptTokens=25, completionTokens=2, estimated=false]"), true),
        Arguments.of("anthropic", ANTHROPIC_TOOL_STREAM, List.of("text:Checking",
            "tool:[ToolCallDelta[index=0, id=toolu_1, name=weather, argumentsFragment=]]",
            "tool:[ToolCallDelta[index=0, id=null, name=null, argumentsFragment={\"city\":]]",
            "tool:[ToolCallDelta[index=0, id=null, name=null, argumentsFragment=\"Oslo\"}]]",
            "end:tool_calls:Usage[promptTokens=9, completionTokens=7, estimated=false]"), true),
        Arguments.of("anthropic", ANTHROPIC_ERROR_STREAM, List.of("text:Hi",
            "error:Overloaded"), true),
        Arguments.of("anthropic", "event: message_start\ndata: {\"type\":\"message_start\","
            + "\"message\":{}}\n\n", List.of(), false),
        Arguments.of("openai", """
            data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}

            data: {"id":"c","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}

            data: {"id":"c","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}

            data: [DONE]

            """, List.of("text:Hel", "text:lo",
            "end:stop:Usage[promptTokens=4, completionTokens=2, estimated=false]"), true),
        Arguments.of("ollama", """
            {"model":"l","message":{"role":"assistant","content":"Hel"},"done":false}
            {"model":"l","message":{"role":"assistant","content":"lo"},"done":false}
            {"model":"l","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":4,"eval_count":2}
            """, List.of("text:Hel", "text:lo",
            "end:stop:Usage[promptTokens=4, completionTokens=2, estimated=false]"), true));
  }

  @ParameterizedTest(name = "{0} decodes stream {index}")
  @MethodSource("streams")
  void decodesStreamsSplitAnywhere(String kind, String transcript, List<String> expected,
      boolean complete) {
    for (int slice : new int[] {1, 7, 64, transcript.length()}) {
      StreamDecoder d = WireTranslator.forKind(kind).streamDecoder();
      Recorder r = new Recorder();
      Buffer all = Buffer.buffer(transcript);
      for (int i = 0; i < all.length(); i += slice) {
        d.feed(all.getBuffer(i, Math.min(all.length(), i + slice)), r);
      }
      assertEquals(expected, r.events, kind + " in slices of " + slice);
      assertEquals(complete, d.complete(), "terminator seen");
    }
  }

  static Stream<Arguments> embeddings() {
    return Stream.of(
        Arguments.of("openai", "/v1/embeddings",
            "{\"model\":\"e\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"float\"}", """
            {"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.0,1.0]},
             {"object":"embedding","index":0,"embedding":[1.0,0.0]}],"model":"e",
             "usage":{"prompt_tokens":2,"total_tokens":2}}""",
            new Embeddings("e", List.of(List.of(1.0, 0.0), List.of(0.0, 1.0)),
                new Usage(2, 0, false))),
        Arguments.of("ollama", "/api/embed", "{\"model\":\"e\",\"input\":[\"a\",\"b\"]}", """
            {"model":"e","embeddings":[[1.0,0.0],[0.0,1.0]],"total_duration":1,
             "prompt_eval_count":2}""",
            new Embeddings("e", List.of(List.of(1.0, 0.0), List.of(0.0, 1.0)),
                new Usage(2, 0, false))));
  }

  @ParameterizedTest(name = "{0} embeddings")
  @MethodSource("embeddings")
  void mapsEmbeddings(String kind, String path, String request, String response,
      Embeddings expected) {
    WireTranslator t = WireTranslator.forKind(kind);
    assertEquals(path, t.embedPath());
    assertEquals(new JsonObject(request),
        t.encodeEmbed("e", List.of("a", "b"), null).toJsonObject());
    assertEquals(expected, t.decodeEmbed(Buffer.buffer(response)));
  }

  @Test
  void anthropicHasNoEmbeddingsAndSendsItsHeaders() {
    WireTranslator t = WireTranslator.forKind("anthropic");
    assertEquals(null, t.embedPath());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    t.prepare(headers);
    t.authorize(headers, "sk-ant-test");
    assertEquals(AnthropicTranslator.API_VERSION, headers.get("anthropic-version"));
    assertEquals("sk-ant-test", headers.get("x-api-key"));
    assertEquals(null, headers.get("Authorization"), "the key goes in x-api-key only");
    assertEquals("Overloaded", t.errorMessage(Buffer.buffer(
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")));
  }
}
