package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.gateway.OpenAiChatApi;
import io.tiermesh.gateway.RoutingHintParser;
import io.tiermesh.gateway.StrictJson;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The gateway's per-request parsing of an OpenAI Chat Completions body (the standard extraction
 * with two tools, streamed), as the request handler does it: body bytes to JSON, JSON to the
 * mesh's {@code ChatRequest}, then the routing hints from {@code X-TierMesh-*} headers and the
 * body's metadata; and the per-piece SSE frame a streamed answer is written as.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GatewayParseBench {

  Buffer body;
  JsonObject metadata;
  MultiMap headers;
  String piece;

  static String clientBody() {
    StringBuilder tools = new StringBuilder();
    for (var t : Payloads.TOOLS) {
      if (tools.length() > 0) {
        tools.append(',');
      }
      tools.append("{\"type\":\"function\",\"function\":{\"name\":\"").append(t.name())
          .append("\",\"description\":\"").append(t.description()).append("\",\"parameters\":")
          .append(t.parametersJson()).append("}}");
    }
    return "{\"model\":\"auto\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"max_tokens\":1024,\"temperature\":0.2,\"messages\":["
        + "{\"role\":\"system\",\"content\":" + Json.encode(Payloads.SYSTEM)
        + "},{\"role\":\"user\",\"content\":" + Json.encode(Payloads.PII_EMAIL)
        + "}],\"tools\":[" + tools + "],\"tool_choice\":\"auto\","
        + "\"metadata\":{\"task\":\"extraction\",\"batch_size\":\"1\"}}";
  }

  @Setup
  public void setup() {
    body = Buffer.buffer(clientBody());
    headers = MultiMap.caseInsensitiveMultiMap()
        .add("Host", "127.0.0.1:8080")
        .add("Authorization", "Bearer tm-live-3f8a2c")
        .add("Content-Type", "application/json")
        .add("X-TierMesh-Classification", "pii")
        .add("X-TierMesh-Quality", "high");
    OpenAiChatApi.Parsed p = parse();
    metadata = p.metadata();
    if (p.chat().messages().size() != 2 || p.chat().tools().size() != 2 || !p.chat().stream()
        || !p.includeUsageChunk()) {
      throw new IllegalStateException("parsed as " + p);
    }
    RoutingHints h = hints();
    if (!"pii".equals(h.classification()) || !"extraction".equals(h.task())
        || !"high".equals(h.quality())) {
      throw new IllegalStateException("hints parsed as " + h);
    }
    piece = Payloads.answerPieces().get(7);
  }

  @Benchmark
  public OpenAiChatApi.Parsed parse() {
    return OpenAiChatApi.parse(body.toJsonObject());
  }

  /**
   * The same body through the gateway's strict decoder (duplicate keys and comments refused):
   * what the request handler really runs; {@link #parse} keeps Vert.x's lax decoder as the
   * baseline for what strictness costs.
   */
  @Benchmark
  public OpenAiChatApi.Parsed parseStrict() {
    return OpenAiChatApi.parse(StrictJson.object(body));
  }

  @Benchmark
  public RoutingHints hints() {
    return RoutingHintParser.parse(headers, metadata);
  }

  /** One streamed piece: the delta object and its SSE frame, as the stream encoder writes it. */
  @Benchmark
  public Buffer streamChunk() {
    return OpenAiChatApi.chunk("chatcmpl-req-7f3a9c2e41", 1_795_000_000L, "gpt-4o-mini",
        OpenAiChatApi.delta(piece, null, false), null, null);
  }
}
