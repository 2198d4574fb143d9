package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.RecordCodec;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
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
 * The bus codec of the records on the request path: gateway → router ({@code RouteRequest}),
 * router → provider ({@code ProviderCall}), provider → router ({@code ProviderResult}) and
 * provider → gateway per streamed piece ({@code StreamChunk}). {@code local} is what a
 * same-node send costs (the record itself is handed over); {@code wireEncode} /
 * {@code wireDecode} are the JSON the clustered path pays on each side of the TCP hop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {

  @Param({"RouteRequest", "ProviderCall", "ProviderResult", "StreamChunk"})
  public String type;

  RecordCodec<Object> codec;
  Object value;
  Buffer encoded;

  static final RouteInfo ROUTE = new RouteInfo(2, "hosted-openai", "gpt-4o-mini", "quality-high");

  static Object sample(String name) {
    return switch (name) {
      case "RouteRequest" -> new RouteRequest("req-7f3a9c2e41", "acme",
          Payloads.extraction("auto", true),
          new RoutingHints("internal", "extraction", "high", null, null),
          "tiermesh.stream.gw-1.req-7f3a9c2e41", 1_795_000_000_000L, "multi_cloud");
      case "ProviderCall" -> new ProviderCall("req-7f3a9c2e41", 1,
          Payloads.extraction("gpt-4o-mini", true), ROUTE, false,
          "tiermesh.ack.gw-1.req-7f3a9c2e41", "tiermesh.stream.gw-1.req-7f3a9c2e41",
          1_795_000_000_000L);
      case "ProviderResult" -> new ProviderResult("req-7f3a9c2e41", 1, "node-b",
          new ChatResponse("chatcmpl-sim42", 1_795_000_000L, "gpt-4o-mini",
              ChatMessage.of("assistant", Payloads.ANSWER), "stop", new Usage(412, 131, false)),
          new Usage(412, 131, false), 0, null);
      case "StreamChunk" -> new StreamChunk("req-7f3a9c2e41", 1, 7, null,
          Payloads.answerPieces().get(7), null, false, null, null);
      default -> throw new IllegalArgumentException("unknown record " + name);
    };
  }

  @Setup
  @SuppressWarnings("unchecked")
  public void setup() {
    value = sample(type);
    codec = new RecordCodec<>((Class<Object>) value.getClass());
    encoded = Buffer.buffer();
    codec.encodeToWire(encoded, value);
    if (!value.equals(codec.decodeFromWire(0, encoded))) {
      throw new IllegalStateException(type + " does not survive the wire codec");
    }
  }

  @Benchmark
  public Object local() {
    return codec.transform(value);
  }

  @Benchmark
  public Buffer wireEncode() {
    Buffer b = Buffer.buffer();
    codec.encodeToWire(b, value);
    return b;
  }

  @Benchmark
  public Object wireDecode() {
    return codec.decodeFromWire(0, encoded);
  }
}
