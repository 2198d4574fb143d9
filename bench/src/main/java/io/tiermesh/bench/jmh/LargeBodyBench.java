package io.tiermesh.bench.jmh;

import io.tiermesh.gateway.InputLimits;
import io.tiermesh.gateway.OpenAiChatApi;
import io.tiermesh.gateway.StoredAnswers;
import io.tiermesh.gateway.StrictJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
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
 * Memory per request for the long conversations the 32 MiB body limit admits: what the gateway
 * allocates for one body of {@code mib} MiB, beyond the buffer the request already holds. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} divided by the body size is the number of extra
 * copies. {@code body} is the gateway's work on it (depth scan, JSON tree, the mesh's
 * {@code ChatRequest}, the Idempotency-Key hash read in slices), with the gateway's strict JSON
 * decoder reading the buffer in place; {@code hashAsText} is the
 * hash as it was computed before, over the body turned into one String.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LargeBodyBench {

  @Param({"1", "16"})
  public int mib;

  /** What the hash covers after the body: the routing hints as applied and the tenant policy. */
  static final String HINTS = "\n[\"public\",\"chat\",\"standard\",\"low\",1,null]";

  Buffer body;

  /** A coding-agent conversation: alternating turns of pasted code and logs, {@code mib} MiB. */
  static String conversation(int bytes) {
    String turn = "line of a long coding session, with code and logs pasted in. ".repeat(400);
    StringBuilder b = new StringBuilder(bytes + turn.length() + 200)
        .append("{\"model\":\"auto\",\"stream\":true,\"messages\":[");
    int i = 0;
    while (b.length() < bytes) {
      b.append(i == 0 ? "" : ",").append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant")
          .append("\",\"content\":").append(Json.encode(turn + i)).append('}');
      i++;
    }
    if (i % 2 == 0) {
      b.append(",{\"role\":\"user\",\"content\":\"and now?\"}");
    }
    return b.append("]}").toString();
  }

  @Setup
  public void setup() {
    body = Buffer.buffer(conversation(mib << 20));
    if (InputLimits.depth(body) != 3 || OpenAiChatApi.parse(body.toJsonObject()).chat().messages()
        .size() < 2) {
      throw new IllegalStateException("the conversation did not parse");
    }
  }

  @Benchmark
  public Object body() {
    InputLimits.depth(body);
    Object parsed = OpenAiChatApi.parse(StrictJson.object(body));
    String hash = StoredAnswers.sha256("/v1/chat/completions\n", body, HINTS);
    return hash.length() > 0 ? parsed : null;
  }

  @Benchmark
  public String hashSliced() {
    return StoredAnswers.sha256("/v1/chat/completions\n", body, HINTS);
  }

  @Benchmark
  public String hashAsText() {
    return StoredAnswers.sha256("/v1/chat/completions\n" + body.toString() + HINTS);
  }
}
