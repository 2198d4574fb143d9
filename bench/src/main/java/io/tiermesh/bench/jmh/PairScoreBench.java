package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.router.compare.PairScore;
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
 * Scoring one shadow pair, which the router does on its event loop once both answers are in
 * (after the client's answer left, so it adds nothing to that answer, but it is time the loop
 * does not serve other requests): two prose answers of about 1 KiB or of the 32 KiB cap that
 * share most of their words, or two JSON objects of about 1 KiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PairScoreBench {

  @Param({"text-1k", "text-32k", "json-1k"})
  public String pair;

  ChatResponse primary;
  ChatResponse shadow;

  @Setup
  public void setup() {
    int size = pair.equals("text-32k") ? 32_768 : 1_024;
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    int i = 0;
    if (pair.startsWith("json")) {
      a.append('{');
      b.append('{');
      while (a.length() < size) {
        a.append("\"field").append(i).append("\":\"value ").append(i).append("\",");
        b.append("\"field").append(i).append("\":\"value ").append(i % 7 == 0 ? -i : i)
            .append("\",");
        i++;
      }
      a.append("\"end\":true}");
      b.append("\"end\":true}");
    } else {
      String[] words = {"The", "meeting", "agreed", "to", "ship", "the", "release", "on",
          "Friday,", "pending", "review;", "owners", "were", "named."};
      while (a.length() < size) {
        a.append(words[i % words.length]).append(' ');
        b.append(i % 9 == 0 ? "Monday," : words[i % words.length]).append(' ');
        i++;
      }
    }
    primary = new ChatResponse("a", 1L, "m", ChatMessage.of("assistant", a.toString()), "stop",
        null);
    shadow = new ChatResponse("b", 1L, "m", ChatMessage.of("assistant", b.toString()), "stop",
        null);
  }

  @Benchmark
  public PairScore score() {
    return PairScore.of(primary, shadow);
  }
}
