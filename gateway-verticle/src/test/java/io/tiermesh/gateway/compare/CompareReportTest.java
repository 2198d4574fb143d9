package io.tiermesh.gateway.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ComparisonKeys;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompareReportTest {

  static String f(String tenant, String rule, String primary, String shadow, String metric) {
    return String.join(ComparisonKeys.SEP, tenant, rule, primary, shadow, metric);
  }

  @Test
  void hoursAndTenantsAddUpPerRuleAndModelPairAndFiltersApply() {
    Map<String, String> h1 = new HashMap<>();
    h1.put(f("acme", "support", "local/a", "hosted/b", "pairs"), "3");
    h1.put(f("acme", "support", "local/a", "hosted/b", "scored"), "3");
    h1.put(f("acme", "support", "local/a", "hosted/b", "agree"), "2.5");
    h1.put(f("beta", "support", "local/a", "hosted/b", "pairs"), "1");
    h1.put(f("beta", "support", "local/a", "hosted/b", "scored"), "1");
    h1.put(f("beta", "support", "local/a", "hosted/b", "agree"), "0.5");
    h1.put(f("acme", "other", "local/a", "hosted/b", "pairs"), "9");
    h1.put(f("acme", "support", "local/a", "hosted/b", "pCost"), "0");
    h1.put(f("acme", "support", "local/a", "hosted/b", "sCost"), "120");
    h1.put(f("beta", "support", "local/a", "hosted/b", "sCost"), "30");
    Map<String, String> fb = new HashMap<>();
    fb.put(String.join(ComparisonKeys.SEP, "acme", "support", "local/a", "n"), "2");
    fb.put(String.join(ComparisonKeys.SEP, "acme", "support", "local/a", "sum"), "1.5");
    CompareReport all = new CompareReport("support", null);
    all.addPairs(h1);
    all.addFeedback(fb);
    JsonObject row = all.json().getJsonObject(0);
    assertEquals(1, all.json().size());
    assertEquals(4, row.getLong("pairs"));
    assertEquals(0.75, row.getDouble("agreement"), 1e-9);
    assertEquals(0.75, row.getJsonObject("feedback").getDouble("meanScore"), 1e-9);
    // The shadow's own calls cost something, the client's (tier 1) nothing.
    assertEquals(0.00015, row.getJsonObject("shadowArm").getDouble("costUsd"), 1e-12);
    assertEquals(0.0, row.getJsonObject("primaryArm").getDouble("costUsd"));
    assertTrue(all.csv().split("\r\n")[0].endsWith(",feedbackMeanScore,shadowCostUsd"));
    CompareReport beta = new CompareReport("support", "beta");
    beta.addPairs(h1);
    beta.addFeedback(fb);
    JsonObject b = beta.json().getJsonObject(0);
    assertEquals(1, b.getLong("pairs"));
    assertEquals(0, b.getJsonObject("feedback").getLong("count"));
    assertNull(b.getJsonObject("feedback").getValue("meanScore"));
  }

  @Test
  void percentilesAreTheBucketUpperBounds() {
    long[] hist = new long[ComparisonKeys.LATENCY_BOUNDS_MS.size() + 1];
    assertNull(CompareReport.percentile(hist, 0.5));
    hist[ComparisonKeys.latencyBucket(40)] = 95; // ≤ 50 ms
    hist[ComparisonKeys.latencyBucket(1_200)] = 5; // ≤ 1,500 ms
    assertEquals(50L, CompareReport.percentile(hist, 0.50));
    assertEquals(50L, CompareReport.percentile(hist, 0.95));
    hist[ComparisonKeys.latencyBucket(1_200)] = 6;
    assertEquals(1_500L, CompareReport.percentile(hist, 0.95));
    hist[hist.length - 1] = 1_000; // beyond the last bound
    assertEquals(30_000L, CompareReport.percentile(hist, 0.95));
  }

  @Test
  void csvQuotesWhatASpreadsheetWouldMisread() {
    Map<String, String> h = new HashMap<>();
    h.put(f("t", "=cmd", "p,1", "s", "pairs"), "1");
    CompareReport r = new CompareReport(null, null);
    r.addPairs(h);
    String[] lines = r.csv().split("\r\n");
    assertEquals(2, lines.length);
    assertTrue(lines[1].startsWith("'=cmd,\"p,1\",s,1,0,"), lines[1]);
  }
}
