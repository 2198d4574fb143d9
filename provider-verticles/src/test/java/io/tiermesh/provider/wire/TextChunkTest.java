package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI stream decoder reads plain text chunks without a JSON tree; for any chunk, plain
 * or not, well-formed or not, it must tell the sink exactly what the tree path tells it.
 */
class TextChunkTest {

  /** Every call the sink received, spelled out; a thrown exception is recorded by its class. */
  private static final class Recorder implements StreamSink {
    final List<String> calls = new ArrayList<>();

    @Override
    public void delta(String text, List<ToolCallDelta> toolCalls) {
      calls.add("delta " + text + " " + toolCalls);
    }

    @Override
    public void delta(String text, List<ToolCallDelta> toolCalls, String refusal,
        List<TokenLogprob> logprobs) {
      calls.add("delta4 " + text + " " + toolCalls + " " + refusal + " " + logprobs);
    }

    @Override
    public void end(String finishReason, Usage usage) {
      calls.add("end " + finishReason + " " + usage);
    }

    @Override
    public void error(String message) {
      calls.add("error " + message);
    }
  }

  private static final String[] CHUNKS = {
      "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
          + "\"logprobs\":null,\"finish_reason\":null}]}",
      "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello \\\"x\\\" \\u00e9\"},"
          + "\"logprobs\":null,\"finish_reason\":null}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}",
      "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":null}",
      "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
      "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
      "{\"choices\":null}",
      "{}",
      "{\"choices\":[{\"delta\":null}]}",
      "{\"choices\":[{\"finish_reason\":\"stop\"}]}",
      "{\"choices\":[{\"delta\":{\"content\":5}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"choices\":[{\"delta\":{\"content\":\"b\"}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"delta\":{\"content\":\"b\"}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"second\"}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"x\",\"refusal\":null,\"tool_calls\":null}}]}",
      "{\"choices\":[{\"delta\":{\"refusal\":\"no\"}}]}",
      "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"function\":"
          + "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"x\"},\"logprobs\":{\"content\":[{\"token\":\"x\","
          + "\"logprob\":-0.1,\"bytes\":[120],\"top_logprobs\":[]}]}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":3}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"x\",\"reasoning_content\":{\"deep\":[1,2]}}}]}",
      "{\"error\":{\"message\":\"overloaded\"}}",
      "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]} trailing",
      "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]",
      "[1,2]",
      "{\"choices\":[1]}",
      "not json",
      "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"extra\":{\"a\":[{\"b\":null}]},\"n\":1.5}",
  };

  private static List<String> run(List<String> lines, boolean fast) {
    OpenAiTranslator.SseDecoder decoder = new OpenAiTranslator.SseDecoder(fast);
    Recorder sink = new Recorder();
    for (String line : lines) {
      try {
        decoder.feed(Buffer.buffer(line + "\n"), sink);
      } catch (RuntimeException e) {
        sink.calls.add("threw " + e.getClass().getSimpleName());
      }
    }
    return sink.calls;
  }

  @Test
  void theFastPathTellsTheSinkWhatTheTreePathTells() {
    Random random = new Random(3);
    for (int t = 0; t < 3000; t++) {
      List<String> lines = new ArrayList<>();
      int n = 1 + random.nextInt(6);
      for (int i = 0; i < n; i++) {
        lines.add("data: " + CHUNKS[random.nextInt(CHUNKS.length)]);
      }
      lines.add("data: [DONE]");
      assertEquals(run(lines, false), run(lines, true), () -> "lines " + lines);
    }
  }

  @Test
  void plainTextChunksTakeTheFastPath() {
    Recorder sink = new Recorder();
    OpenAiTranslator.SseDecoder decoder = new OpenAiTranslator.SseDecoder(true);
    org.junit.jupiter.api.Assertions.assertTrue(TextChunk.read(CHUNKS[0], decoder, sink));
    org.junit.jupiter.api.Assertions.assertTrue(TextChunk.read(CHUNKS[1], decoder, sink));
    org.junit.jupiter.api.Assertions.assertFalse(TextChunk.read(CHUNKS[4], decoder, sink));
    assertEquals(List.of("delta Hello \"x\" \u00e9 null"), sink.calls);
  }

  @Test
  void everyChunkAloneAgrees() {
    for (String chunk : CHUNKS) {
      List<String> lines = List.of("data: " + chunk, "data: [DONE]");
      assertEquals(run(lines, false), run(lines, true), () -> "chunk " + chunk);
    }
  }
}
