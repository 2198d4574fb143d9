package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * How the provider reads what an OpenAI-compatible backend answers: whole JSON answers, SSE
 * streams cut at any byte, and error bodies. The bodies are shaped like the ones OpenAI and
 * compatible servers (vLLM, Ollama's /v1, Together) send, edge cases included.
 */
class OpenAiAnswerParsingTest {

  final OpenAiTranslator openAi = new OpenAiTranslator();

  ChatResponse decode(String json) {
    return openAi.decodeChat(Buffer.buffer(json));
  }

  // --- whole answers ---------------------------------------------------------------------

  @Test
  void anAnswerWithoutChoicesIsAMalformedBodyNotAnEmptyAnswer() {
    assertThrows(DecodeException.class, () -> decode("""
        {"id":"c","object":"chat.completion","model":"g","choices":[],
         "usage":{"prompt_tokens":3,"completion_tokens":0}}"""));
    assertThrows(DecodeException.class, () -> decode("{\"id\":\"c\",\"model\":\"g\"}"));
    assertThrows(DecodeException.class, () -> decode("<html>502 Bad Gateway</html>"));
  }

  @Test
  void aToolCallAnswerHasNullContentAndItsCallsInOrder() {
    ChatResponse r = decode("""
        {"id":"c","created":1,"model":"g","choices":[{"index":0,"message":{
          "role":"assistant","content":null,"tool_calls":[
            {"id":"call_a","type":"function","function":{"name":"weather",
             "arguments":"{\\"city\\":\\"Oslo\\"}"}},
            {"id":"call_b","type":"function","function":{"name":"time","arguments":"{}"}}]},
          "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":12}}""");
    assertNull(r.message().content());
    assertEquals(List.of(new ToolCall("call_a", "weather", "{\"city\":\"Oslo\"}"),
        new ToolCall("call_b", "time", "{}")), r.message().toolCalls());
    assertEquals("tool_calls", r.finishReason());
    assertEquals(new Usage(9, 12, false), r.usage());
  }

  @Test
  void anAnswerWithoutUsageHasNullUsageSoTheCallerEstimatesIt() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"role":"assistant",
          "content":"Hi"},"finish_reason":"stop"}]}""");
    assertNull(r.usage());
    assertEquals("Hi", r.message().content());
    assertEquals(0L, r.created(), "no created: 0, not a failure");
  }

  @Test
  void usageWithoutCompletionTokensCountsZeroOfThem() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"content":"Hi"},
          "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"total_tokens":5}}""");
    assertEquals(new Usage(5, 0, false), r.usage());
    assertEquals("assistant", r.message().role(), "a missing role is the assistant's");
  }

  @Test
  void aRefusalIsKeptBesideTheEmptyContent() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"role":"assistant",
          "content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":4,"completion_tokens":6}}""");
    assertEquals("I can't help with that.", r.refusal());
    assertNull(r.message().content());
    assertEquals("stop", r.finishReason());
  }

  @Test
  void aContentFilterStopIsPassedOnAsItIs() {
    assertEquals("content_filter", decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"content":""},
          "finish_reason":"content_filter"}]}""").finishReason());
  }

  @Test
  void logprobsKeepTokenBytesAndAlternatives() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"content":"Hi"},
          "logprobs":{"content":[{"token":"Hi","logprob":-0.25,"bytes":[72,105],
            "top_logprobs":[{"token":"Hi","logprob":-0.25,"bytes":[72,105]},
                            {"token":"Hey","logprob":-1.5,"bytes":null}]}],"refusal":null},
          "finish_reason":"stop"}]}""");
    List<TokenLogprob> lp = r.logprobs();
    assertEquals(1, lp.size());
    assertEquals("Hi", lp.get(0).token());
    assertEquals(-0.25, lp.get(0).logprob());
    assertEquals(List.of(72, 105), lp.get(0).bytes());
    assertEquals(2, lp.get(0).top().size());
    assertEquals("Hey", lp.get(0).top().get(1).token());
    assertNull(lp.get(0).top().get(1).bytes());
  }

  @Test
  void logprobsAbsentOrNullAreNull() {
    assertNull(decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"content":"Hi"},
          "logprobs":null,"finish_reason":"stop"}]}""").logprobs());
  }

  @Test
  void toolCallArgumentsSentAsAnObjectAreKeptAsTheirJson() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[{"index":0,"message":{"role":"assistant",
          "tool_calls":[{"id":"call_a","type":"function","function":{"name":"weather",
            "arguments":{"city":"Oslo"}}}]},"finish_reason":"tool_calls"}]}""");
    assertEquals("{\"city\":\"Oslo\"}", r.message().toolCalls().get(0).argumentsJson());
  }

  @Test
  void onlyTheFirstChoiceIsRead() {
    ChatResponse r = decode("""
        {"id":"c","model":"g","choices":[
          {"index":0,"message":{"content":"first"},"finish_reason":"stop"},
          {"index":1,"message":{"content":"second"},"finish_reason":"length"}]}""");
    assertEquals("first", r.message().content());
    assertEquals("stop", r.finishReason());
  }

  // --- embeddings ------------------------------------------------------------------------

  @Test
  void embeddingsAnsweredOutOfOrderAreReorderedByIndex() {
    Embeddings e = openAi.decodeEmbed(Buffer.buffer("""
        {"data":[{"index":1,"embedding":[0.5]},{"index":0,"embedding":[1,-2.5]}],
         "model":"e","usage":{"prompt_tokens":4,"total_tokens":4}}"""));
    assertEquals(List.of(List.of(1.0, -2.5), List.of(0.5)), e.vectors());
    assertEquals(new Usage(4, 0, false), e.usage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}",
      "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":2,\"embedding\":[2]}]}",
      "{\"data\":[{\"index\":-1,\"embedding\":[1]}]}",
      "{\"data\":[{\"index\":0}]}",
      "{\"object\":\"list\"}"})
  void embeddingsThatLeaveAnInputWithoutAVectorAreMalformed(String body) {
    assertThrows(DecodeException.class, () -> openAi.decodeEmbed(Buffer.buffer(body)));
  }

  // --- error bodies ----------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":null}}"
          + "|Rate limit reached",
      "{\"error\":{\"type\":\"server_error\"}}|",
      "{\"error\":{\"message\":42}}|",
      "{\"object\":\"error\",\"message\":\"max_tokens too large\",\"code\":400}"
          + "|max_tokens too large",
      "{\"message\":\"not an error object\"}|",
      "{\"error\":\"model not found\"}|model not found",
      "[1,2]|",
      "upstream connect error or disconnect/reset before headers|",
      "|"})
  void errorBodiesGiveTheirMessageOrNothing(String body, String message) {
    assertEquals(message, openAi.errorMessage(Buffer.buffer(body == null ? "" : body)));
  }

  // --- streams ---------------------------------------------------------------------------

  /** Everything a stream decoder reported, in order. */
  static final class Events implements StreamSink {
    final List<String> seen = new ArrayList<>();
    final List<ToolCallDelta> tools = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    String refusal = "";
    int logprobs;
    String finish;
    Usage usage;
    int ends;

    @Override
    public void delta(String t, List<ToolCallDelta> toolCalls) {
      delta(t, toolCalls, null, null);
    }

    @Override
    public void delta(String t, List<ToolCallDelta> toolCalls, String r,
        List<TokenLogprob> lp) {
      seen.add("delta");
      if (t != null) {
        text.append(t);
      }
      if (toolCalls != null) {
        tools.addAll(toolCalls);
      }
      if (r != null) {
        refusal += r;
      }
      logprobs += lp == null ? 0 : lp.size();
    }

    @Override
    public void end(String finishReason, Usage u) {
      seen.add("end");
      ends++;
      finish = finishReason;
      usage = u;
    }

    @Override
    public void error(String message) {
      seen.add("error:" + message);
    }
  }

  /**
   * Feeds the transcript cut every {@code slice} bytes (1 splits every multi-byte character
   * and every CRLF), checking the outcome is the same for every cut.
   */
  static List<Events> feedCutEverywhere(String transcript, java.util.function.Consumer<Events>
      check) {
    List<Events> all = new ArrayList<>();
    byte[] bytes = transcript.getBytes(StandardCharsets.UTF_8);
    for (int slice : new int[] {1, 2, 3, 5, 16, bytes.length}) {
      StreamDecoder d = new OpenAiTranslator().streamDecoder();
      Events e = new Events();
      for (int i = 0; i < bytes.length; i += slice) {
        d.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, i,
            Math.min(bytes.length, i + slice))), e);
      }
      check.accept(e);
      all.add(e);
      if (e.ends == 1) {
        assertTrue(d.complete(), "slice " + slice);
      }
    }
    return all;
  }

  @Test
  void usageOnlyInTheLastChunkReachesTheEndWithTheEarlierFinishReason() {
    feedCutEverywhere("""
        data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

        data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hé"},"finish_reason":null}],"usage":null}

        data: {"id":"c","choices":[{"index":0,"delta":{"content":"llo ✓"},"finish_reason":null}],"usage":null}

        data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}

        data: {"id":"c","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}

        data: [DONE]

        """, e -> {
          assertEquals("Héllo ✓", e.text.toString());
          assertEquals(List.of("delta", "delta", "end"), e.seen,
              "the role-only first chunk and the empty finishing delta say nothing");
          assertEquals("length", e.finish);
          assertEquals(new Usage(11, 3, false), e.usage);
        });
  }

  @Test
  void aStreamWithoutUsageEndsWithNullUsage() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}

        data: [DONE]

        """, e -> {
          assertEquals("Hi", e.text.toString());
          assertEquals("stop", e.finish);
          assertNull(e.usage);
        });
  }

  @Test
  void toolCallDeltasSplitAcrossChunksKeepTheirIndexIdAndFragments() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]}}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"ci"}}]}}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"time","arguments":"{}"}}]}}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\\":\\"Oslo\\"}"}}]}}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":15}}

        data: [DONE]

        """, e -> {
          assertEquals(List.of(
              new ToolCallDelta(0, "call_a", "weather", ""),
              new ToolCallDelta(0, null, null, "{\"ci"),
              new ToolCallDelta(1, "call_b", "time", "{}"),
              new ToolCallDelta(0, null, null, "ty\":\"Oslo\"}")), e.tools);
          StringBuilder args = new StringBuilder();
          e.tools.stream().filter(t -> t.index() == 0)
              .forEach(t -> args.append(t.argumentsFragment()));
          assertEquals("{\"city\":\"Oslo\"}", args.toString());
          assertEquals("", e.text.toString());
          assertEquals("tool_calls", e.finish);
          assertEquals(new Usage(20, 15, false), e.usage);
        });
  }

  @Test
  void aToolCallStreamedWholeWithObjectArgumentsKeepsThemAsJson() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":{"city":"Oslo"}}}]},"finish_reason":"tool_calls"}]}

        data: [DONE]

        """, e -> assertEquals(List.of(new ToolCallDelta(0, "call_a", "weather",
            "{\"city\":\"Oslo\"}")), e.tools));
  }

  @Test
  void aStreamedRefusalArrivesAsRefusalTextNotAnswerText() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""}}]}

        data: {"choices":[{"index":0,"delta":{"refusal":"I can't"}}]}

        data: {"choices":[{"index":0,"delta":{"refusal":" help."}}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

        data: [DONE]

        """, e -> {
          assertEquals("I can't help.", e.refusal);
          assertEquals("", e.text.toString());
          assertEquals("stop", e.finish);
        });
  }

  @Test
  void streamedLogprobsArriveWithTheirText() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.1,"bytes":[72,105],"top_logprobs":[]}]}}]}

        data: {"choices":[{"index":0,"delta":{"content":"!"},"logprobs":{"content":[{"token":"!","logprob":-0.2,"bytes":[33],"top_logprobs":[]}]},"finish_reason":"stop"}]}

        data: [DONE]

        """, e -> {
          assertEquals("Hi!", e.text.toString());
          assertEquals(2, e.logprobs);
        });
  }

  @Test
  void crlfLinesCommentsAndEventNamesAreReadLikePlainSse() {
    feedCutEverywhere(": keep-alive\r\n\r\nevent: message\r\ndata:{\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"
        + "data: [DONE]\r\n\r\n", e -> {
          assertEquals("ok", e.text.toString());
          assertEquals(List.of("delta", "end"), e.seen);
        });
  }

  @Test
  void anErrorEventEndsTheStreamWithItsMessageAndNothingAfterItCounts() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"content":"par"}}]}

        data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}

        data: {"choices":[{"index":0,"delta":{"content":"tial"}}]}

        data: [DONE]

        """, e -> assertEquals(List.of("delta",
            "error:The server had an error while processing your request."), e.seen));
  }

  @Test
  void linesAfterDoneAreIgnored() {
    feedCutEverywhere("""
        data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}

        data: [DONE]

        data: {"choices":[{"index":0,"delta":{"content":"b"}}]}

        """, e -> {
          assertEquals("a", e.text.toString());
          assertEquals(1, e.ends);
        });
  }

  @Test
  void aStreamCutBeforeDoneIsNotComplete() {
    StreamDecoder d = openAi.streamDecoder();
    Events e = new Events();
    d.feed(Buffer.buffer("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
        + "\"finish_reason\":\"stop\"}]}\n\ndata: [DO"), e);
    assertFalse(d.complete(), "the finish reason alone is not the end: [DONE] is");
    assertEquals(0, e.ends);
  }

  @Test
  void aChunkThatIsNotJsonThrowsSoTheCallFailsAsMalformed() {
    // The provider turns the exception into upstream_error (nothing sent yet) or
    // stream_interrupted (after the first chunk).
    StreamDecoder d = openAi.streamDecoder();
    assertThrows(DecodeException.class, () -> d.feed(Buffer.buffer("data: {not json}\n\n"),
        new Events()));
  }
}
