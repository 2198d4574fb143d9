package io.tiermesh.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The JMH benchmarks are wired: the annotation processor generated the benchmark list, and every
 * benchmark method with every parameter runs once in this JVM without error — including each
 * state's setup, which checks that its scenario takes the path its name says (a rule scenario
 * reaches the expected rule and tier, a recorded stream decodes to all its pieces, a record
 * survives the wire codec). Single-shot, no forks: a few seconds, not a measurement.
 */
class JmhWiringTest {

  /** benchmark method → how many parameter cases it has. */
  static final Map<String, Integer> EXPECTED = Map.ofEntries(
      Map.entry("RuleDecisionBench.decide", 5),
      Map.entry("RuleDecisionBench.plan", 5),
      Map.entry("CodecBench.local", 4),
      Map.entry("CodecBench.wireEncode", 4),
      Map.entry("CodecBench.wireDecode", 4),
      Map.entry("PairScoreBench.score", 3),
      Map.entry("TranslatorBench.encodeChat", 3),
      Map.entry("TranslatorBench.decodeChat", 3),
      Map.entry("TranslatorBench.decodeStream", 3),
      Map.entry("GatewayParseBench.parse", 1),
      Map.entry("GatewayParseBench.parseStrict", 1),
      Map.entry("GatewayParseBench.hints", 1),
      Map.entry("DetectorBench.scan", 2),
      Map.entry("PromptTokenBoundBench.bound", 4),
      Map.entry("GatewayParseBench.streamChunk", 1),
      Map.entry("LargeBodyBench.body", 2),
      Map.entry("LargeBodyBench.hashSliced", 2),
      Map.entry("LargeBodyBench.hashAsText", 2));

  @Test
  void everyBenchmarkRunsOnceInProcess() throws Exception {
    Options opts = new OptionsBuilder()
        .include(JmhWiringTest.class.getPackageName() + "\\..*Bench\\..*")
        .forks(0)
        .mode(Mode.SingleShotTime)
        .timeUnit(TimeUnit.MICROSECONDS)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementBatchSize(1)
        .measurementTime(TimeValue.milliseconds(1))
        .shouldFailOnError(true)
        .output("target/jmh-wiring.log")
        .build();
    Collection<RunResult> results = new Runner(opts).run();

    Map<String, Integer> seen = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      String simple = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      seen.merge(simple, 1, Integer::sum);
      assertTrue(r.getPrimaryResult().getSampleCount() >= 1, simple + " produced no sample");
    }
    assertEquals(new TreeMap<>(EXPECTED), seen);
  }

  @Test
  void reportRendersIntoItsOwnSectionOnly() {
    JsonArray results = new JsonArray().add(new JsonObject()
        .put("jmhVersion", "1.37").put("jdkVersion", "17").put("forks", 1)
        .put("warmupIterations", 3).put("warmupTime", "1 s")
        .put("measurementIterations", 5).put("measurementTime", "1 s")
        .put("jvmArgs", new JsonArray().add("-Xmx256m"))
        .put("benchmark", "io.tiermesh.bench.jmh.CodecBench.wireEncode")
        .put("params", new JsonObject().put("type", "StreamChunk"))
        .put("primaryMetric", new JsonObject().put("score", 1234.4).put("scoreError", 12.0)
            .put("scoreUnit", "ns/op").put("rawData", new JsonArray()
                .add(new JsonArray().add(1300.0).add(1190.4).add(1250.0))))
        .put("secondaryMetrics", new JsonObject().put(JmhReport.ALLOC,
            new JsonObject().put("score", 2048.0))));
    String doc = "# Benchmarks\n\nbefore\n\n" + JmhReport.START + "\nold\n" + JmhReport.END
        + "\n\nafter\n";
    String out = JmhReport.splice(doc, JmhReport.section(results, "quiet box"));
    assertTrue(out.startsWith("# Benchmarks\n\nbefore\n\n" + JmhReport.START), out);
    assertTrue(out.endsWith(JmhReport.END + "\n\nafter\n"), out);
    assertTrue(out.contains("| CodecBench.wireEncode | StreamChunk | 1234 ns | 12 ns | 1190 ns | 2048 B |"),
        out);
    assertTrue(!out.contains("\nold\n"), out);
    // A document without the markers gets the section appended, the rest untouched.
    String appended = JmhReport.splice("# Benchmarks\n\ntext\n", "S");
    assertEquals("# Benchmarks\n\ntext\n\nS\n", appended);
  }
}
