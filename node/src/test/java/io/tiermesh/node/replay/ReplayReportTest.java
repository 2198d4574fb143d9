package io.tiermesh.node.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayReportTest {

  private static final JsonObject USAGE = new JsonObject()
      .put("premium_model", "demo-premium/gpt-4o")
      .put("rows", new JsonArray()
          .add(row("1", 2, "0.000000", "0.300000"))
          .add(row("2", 1, "0.100000", "1.500000"))
          .add(row("3", 1, "0.600000", "0.600000")))
      .put("total", row("total", 4, "0.700000", "2.400000"));
  private static final JsonObject BUDGETS = new JsonObject().put("open_reservations", 0)
      .put("budgets", new JsonArray().add(new JsonObject().put("scope", "tier:3")
          .put("window", "month").put("period", "2026-11").put("limit_usd", "0.800000")
          .put("spent_usd", "0.600000").put("reserved_usd", "0.000000")
          .put("remaining_usd", "0.200000")));

  private static JsonObject row(String key, int calls, String cost, String premium) {
    return new JsonObject().put("key", key).put("calls", calls).put("prompt_tokens", 1000L)
        .put("completion_tokens", 100L).put("cost_usd", cost).put("premium_cost_usd", premium);
  }

  private static ReplayOutcome outcome(String category, int status, int tier, String reason) {
    int expected = category.equals("legal extraction") ? 3 : 1;
    ReplayRequest r = new ReplayRequest("id", category, null, null, Map.of(), false, 1, 1,
        expected, 0L);
    return new ReplayOutcome(r, status, "g", tier, "p", reason, 0L, 1, 1, status == 200,
        status == 200 ? null : "budget_exhausted");
  }

  private static ReplayReport report(List<ReplayOutcome> outcomes, PrivacyAudit privacy) {
    return new ReplayReport(new ReplayReport.Inputs("2026-11-22", "test mesh", 10, 1, 4, 1500,
        outcomes, USAGE, BUDGETS, privacy));
  }

  @Test
  void savingsAreOneMinusSpendOverAllPremium() {
    ReplayReport r = report(List.of(outcome("simple query", 200, 1, "default")),
        new PrivacyAudit(0, 0, 0, 3, 0));
    // 1 - 0.7 / 2.4 = 70.83 %
    assertEquals(new BigDecimal("70.83"), r.savingsPercent());
    assertEquals("70.83", r.json().getString("savings_percent"));
    assertTrue(r.clean());
  }

  @Test
  void theMarkdownShowsSpendBudgetsPrivacyAndTheFullMonth() {
    String md = report(List.of(outcome("legal extraction", 200, 2, "budget-fallback")),
        new PrivacyAudit(0, 0, 0, 3, 0)).markdown();
    assertTrue(md.contains("| tier 3 | 1 | 1,000 | 100 | $0.6000 | $0.6000 |"), md);
    assertTrue(md.contains("| **total** | 4 |"), md);
    assertTrue(md.contains("| tier:3 | month | 2026-11 | $0.8000 | $0.6000 | $0.0000 | "
        + "$0.2000 | 75.0 % |"), md);
    assertTrue(md.contains("**Private requests that reached a non-local backend: 0**"), md);
    // docs/reference-workload.md: $129.50 instead of 65.3 M tokens at $15 = $979.50, 86.78 % saved.
    assertTrue(md.contains("Projection, not a measurement: the reference month at full scale, "
        + "priced from the workload table (docs/reference-workload.md) with every request on its "
        + "rule's tier, would cost $129.5000 (tier 2 $50.0000, tier 3 $79.5000) instead of "
        + "$979.5000, 86.78 % saved."), md);
    assertTrue(md.contains("1 paid request(s) were served below their rule's tier"), md);
    assertTrue(md.contains("| legal extraction | 1 |"), md);
  }

  @Test
  void failuresAndPrivacyBreachesMakeTheReportUnclean() {
    ReplayReport failed = report(List.of(outcome("simple query", 429, 0, null)),
        new PrivacyAudit(0, 0, 0, 0, 0));
    assertFalse(failed.clean());
    assertTrue(failed.markdown().contains("- 1 × 429 budget_exhausted"));
    assertFalse(report(List.of(), new PrivacyAudit(1, 1, 0, 5, 1)).clean());
    assertFalse(report(List.of(), new PrivacyAudit(2, 1, 1, 5, 0)).clean());
  }

  @Test
  void theChartHasOneSpendAndOneAllPremiumBarPerTier() {
    String html = report(List.of(), new PrivacyAudit(0, 0, 0, 0, 0)).html();
    assertEquals(6, html.split("<rect ", -1).length - 1);
    assertTrue(html.contains("$0.6000 spent"));
    assertTrue(html.contains("$1.5000 all-premium"));
    assertTrue(html.contains("70.83 % saved"));
  }
}
