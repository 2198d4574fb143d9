package io.tiermesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static JsonObject sample(int round, String target, String mode, double p50,
      double p99, double rps) {
    return new JsonObject().put("round", round).put("target", target).put("mode", mode)
        .put("saturated_rps", rps).put("paced_p50_ms", p50).put("paced_p99_ms", p99)
        .put("paced_ttfb_p50_ms", p50).put("loadavg", "2.00 2.00 2.00");
  }

  /** The run of 2026-12-04: one round of the direct baseline had a 350 ms p99. */
  private static JsonArray noisyBaseline() {
    JsonArray s = new JsonArray();
    double[] directP99 = {1.0, 350.0, 1.1};
    for (int r = 1; r <= 3; r++) {
      s.add(sample(r, "direct", "json", 0.43, directP99[r - 1], 50_000));
      s.add(sample(r, "nginx", "json", 0.48, 1.3, 40_000));
      s.add(sample(r, "tiermesh-single", "json", 0.58 + r * 0.01, 1.5, 16_000)
          .put("cpu_us_per_request_saturated", 60.0 + r));
    }
    return s;
  }

  @Test
  void aRoundWhoseBaselineIsAnOutlierIsFlagged() {
    assertEquals(Set.of(2), Report.outlierRounds(noisyBaseline()));
  }

  @Test
  void ordinaryRoundToRoundSpreadIsNotFlagged() {
    JsonArray s = new JsonArray();
    double[] p99 = {1.0, 1.9, 0.8, 1.4};
    for (int r = 1; r <= 4; r++) {
      s.add(sample(r, "direct", "json", 0.4 + r * 0.05, p99[r - 1], 50_000));
    }
    assertEquals(Set.of(), Report.outlierRounds(s));
  }

  @Test
  void addedLatencyIsTakenPerRoundAndLeavesTheOutlierOut() {
    Report report = new Report(noisyBaseline(), 3, 6, 500, 64);
    assertEquals(List.of(1, 3), report.validRounds());
    List<Double> added = report.differencePerRound("tiermesh-single", "direct", "json",
        "paced_p99_ms");
    assertEquals(2, added.size());
    assertEquals(0.5, added.get(0), 1e-9);
    assertEquals(0.4, added.get(1), 1e-9);
    String table = report.table();
    assertTrue(table.contains("Left out: round(s) [2]"), table);
    assertTrue(table.contains("| 0.450 (0.400 … 0.500) |"), table);
    assertTrue(table.contains("round 2 (left out)"), table);
    // The outlier round shows only in the round-by-round table, never in a median.
    String medians = table.substring(0, table.indexOf("Round by round"));
    assertTrue(!medians.contains("-34"), medians);
  }

  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertEquals(2.5, Report.median(List.of(4.0, 1.0, 3.0, 2.0)), 1e-9);
    assertEquals(3.0, Report.median(List.of(5.0, 1.0, 3.0)), 1e-9);
  }

  @Test
  void theBaselineBuildIsComparedWithinEachRound() {
    JsonArray s = new JsonArray();
    for (int r = 1; r <= 3; r++) {
      s.add(sample(r, "direct", "json", 0.43, 1.0, 50_000));
      s.add(sample(r, "nginx", "json", 0.48, 1.3, 40_000));
      // The machine gets slower every round; the new build is always 5 µs cheaper.
      s.add(sample(r, "tiermesh-single", "json", 0.58, 1.5, 16_000)
          .put("cpu_us_per_request_saturated", 50.0 + 10 * r));
      s.add(sample(r, "tiermesh-single" + BenchMain.BASE, "json", 0.6, 1.6, 15_000)
          .put("cpu_us_per_request_saturated", 55.0 + 10 * r));
    }
    String table = new Report(s, 3, 6, 500, 64).table();
    assertTrue(table.contains("| tiermesh-single | CPU µs/req, JSON, saturated | 70 (60 … 80) "
        + "| 75 (65 … 85) | -5 (-5 … -5) |"), table);
  }

  @Test
  void aRunOfTheLightLoadAloneRendersItsTables() {
    JsonArray s = new JsonArray();
    for (int r = 1; r <= 3; r++) {
      s.add(new JsonObject().put("round", r).put("target", "direct").put("mode", "light")
          .put("light_users", 4).put("light_think_ms", 0).put("light_rps", 900.0)
          .put("light_p50_ms", 1.0).put("light_p99_ms", 3.0));
      s.add(new JsonObject().put("round", r).put("target", "tiermesh-single").put("mode", "light")
          .put("light_users", 4).put("light_think_ms", 0).put("light_rps", 300.0)
          .put("light_p50_ms", 3.0).put("light_p99_ms", 9.0)
          .put("cpu_us_per_request_light", 100.0 + r));
    }
    String table = new Report(s, 3, 6, 500, 64).table();
    assertTrue(!table.contains("req/s @64"), table);
    assertTrue(table.contains("| tiermesh-single | 300 | 3.000 | 9.000 | 2.000 (2.000 … 2.000) "
        + "| 6.000 (6.000 … 6.000) | 102 (101 … 103) |"), table);
  }
}
