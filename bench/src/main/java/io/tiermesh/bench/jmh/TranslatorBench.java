package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.tiermesh.provider.wire.StreamDecoder;
import io.tiermesh.provider.wire.StreamSink;
import io.tiermesh.provider.wire.WireTranslator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The provider translators on the bodies their backends send (the shapes the upstream simulator
 * and the real APIs use): {@code encodeChat} builds the upstream request of a standard
 * extraction (system + user + two tools), {@code decodeChat} parses a whole answer of about 600
 * characters, {@code decodeStream} parses one streamed answer of {@value Payloads#PIECES} pieces
 * plus the format's preamble and terminator, one network read per frame, with a fresh decoder
 * as each response gets.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TranslatorBench {

  @Param({"openai", "ollama", "anthropic"})
  public String kind;

  WireTranslator translator;
  ChatRequest request;
  Buffer wholeBody;
  List<Buffer> frames;

  /** Counts what a decoder delivers; the provider's real sink forwards it to the bus. */
  static final class CountingSink implements StreamSink {
    int deltas;
    int chars;
    String finish;
    Usage usage;
    String error;

    @Override
    public void delta(String text, List<ToolCallDelta> toolCalls) {
      deltas++;
      chars += text == null ? 0 : text.length();
    }

    @Override
    public void end(String finishReason, Usage u) {
      finish = finishReason;
      usage = u;
    }

    @Override
    public void error(String message) {
      error = message;
    }
  }

  @Setup
  public void setup() {
    translator = WireTranslator.forKind(kind);
    String model = switch (kind) {
      case "openai" -> "gpt-4o-mini";
      case "ollama" -> "llama3.1:8b";
      default -> "claude-sonnet-4-5";
    };
    request = Payloads.extraction(model, false);
    wholeBody = Buffer.buffer(switch (kind) {
      case "openai" -> openAiWhole(model);
      case "ollama" -> ollamaWhole(model);
      default -> anthropicWhole(model);
    });
    frames = switch (kind) {
      case "openai" -> openAiFrames(model);
      case "ollama" -> ollamaFrames(model);
      default -> anthropicFrames(model);
    };

    ChatResponse r = decodeChat();
    if (!Payloads.ANSWER.equals(r.message().content()) || r.usage() == null
        || r.usage().promptTokens() != 412 || r.usage().completionTokens() != 131) {
      throw new IllegalStateException(kind + ": whole answer decoded as " + r);
    }
    CountingSink s = decodeStream();
    if (s.deltas != Payloads.PIECES || s.chars != Payloads.ANSWER.length() || s.finish == null
        || s.usage == null || s.usage.completionTokens() != 131 || s.error != null) {
      throw new IllegalStateException(kind + ": stream decoded as " + s.deltas + " deltas, "
          + s.chars + " chars, finish " + s.finish + ", usage " + s.usage + ", error " + s.error);
    }
    if (encodeChat().length() < Payloads.PII_EMAIL.length()) {
      throw new IllegalStateException(kind + ": request body lost the prompt");
    }
  }

  @Benchmark
  public Buffer encodeChat() {
    return translator.encodeChat(request);
  }

  @Benchmark
  public ChatResponse decodeChat() {
    return translator.decodeChat(wholeBody);
  }

  @Benchmark
  public CountingSink decodeStream() {
    StreamDecoder decoder = translator.streamDecoder();
    CountingSink sink = new CountingSink();
    for (int i = 0; i < frames.size(); i++) {
      decoder.feed(frames.get(i), sink);
    }
    return sink;
  }

  // ---- recorded bodies ----

  private static String q(String s) {
    return Json.encode(s);
  }

  static String openAiWhole(String model) {
    return "{\"id\":\"chatcmpl-sim42\",\"object\":\"chat.completion\",\"created\":1795000000,"
        + "\"model\":" + q(model) + ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        + "\"assistant\",\"content\":" + q(Payloads.ANSWER) + ",\"refusal\":null},"
        + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":412,"
        + "\"completion_tokens\":131,\"total_tokens\":543,\"prompt_tokens_details\":"
        + "{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
        + "\"system_fingerprint\":\"fp_sim\"}";
  }

  static List<Buffer> openAiFrames(String model) {
    String prefix = "data: {\"id\":\"chatcmpl-sim42\",\"object\":\"chat.completion.chunk\","
        + "\"created\":1795000000,\"model\":" + q(model) + ",\"system_fingerprint\":\"fp_sim\","
        + "\"choices\":[";
    List<Buffer> out = new ArrayList<>();
    out.add(Buffer.buffer(prefix + "{\"index\":0,\"delta\":{\"role\":\"assistant\","
        + "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
    for (String piece : Payloads.answerPieces()) {
      out.add(Buffer.buffer(prefix + "{\"index\":0,\"delta\":{\"content\":" + q(piece)
          + "},\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
    }
    out.add(Buffer.buffer(prefix + "{\"index\":0,\"delta\":{},\"logprobs\":null,"
        + "\"finish_reason\":\"stop\"}]}\n\n"));
    out.add(Buffer.buffer(prefix + "],\"usage\":{\"prompt_tokens\":412,\"completion_tokens\":131,"
        + "\"total_tokens\":543}}\n\ndata: [DONE]\n\n"));
    return out;
  }

  static String ollamaWhole(String model) {
    return "{\"model\":" + q(model) + ",\"created_at\":\"2026-11-22T00:30:00.123456789Z\","
        + "\"message\":{\"role\":\"assistant\",\"content\":" + q(Payloads.ANSWER) + "},"
        + "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":4883472917,"
        + "\"load_duration\":31207500,\"prompt_eval_count\":412,\"prompt_eval_duration\":"
        + "402118000,\"eval_count\":131,\"eval_duration\":4450147417}";
  }

  static List<Buffer> ollamaFrames(String model) {
    String head = "{\"model\":" + q(model) + ",\"created_at\":\"2026-11-22T00:30:00.123456789Z\","
        + "\"message\":{\"role\":\"assistant\",\"content\":";
    List<Buffer> out = new ArrayList<>();
    for (String piece : Payloads.answerPieces()) {
      out.add(Buffer.buffer(head + q(piece) + "},\"done\":false}\n"));
    }
    out.add(Buffer.buffer(head + "\"\"},\"done_reason\":\"stop\",\"done\":true,"
        + "\"total_duration\":4883472917,\"load_duration\":31207500,\"prompt_eval_count\":412,"
        + "\"prompt_eval_duration\":402118000,\"eval_count\":131,\"eval_duration\":4450147417}\n"));
    return out;
  }

  static String anthropicWhole(String model) {
    return "{\"id\":\"msg_sim42\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
        + q(model) + ",\"content\":[{\"type\":\"text\",\"text\":" + q(Payloads.ANSWER) + "}],"
        + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":412,"
        + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
        + "\"output_tokens\":131}}";
  }

  private static String event(String name, String data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
  }

  static List<Buffer> anthropicFrames(String model) {
    List<Buffer> out = new ArrayList<>();
    out.add(Buffer.buffer(event("message_start", "{\"type\":\"message_start\",\"message\":"
        + "{\"id\":\"msg_sim42\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + q(model)
        + ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
        + "{\"input_tokens\":412,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
        + "\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
        + event("ping", "{\"type\":\"ping\"}")));
    for (String piece : Payloads.answerPieces()) {
      out.add(Buffer.buffer(event("content_block_delta", "{\"type\":\"content_block_delta\","
          + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" + q(piece) + "}}")));
    }
    out.add(Buffer.buffer(event("content_block_stop", "{\"type\":\"content_block_stop\","
        + "\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
        + "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":131}}")
        + event("message_stop", "{\"type\":\"message_stop\"}")));
    return out;
  }
}
