package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.contracts.UsageReport;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageReportsTest {

  static final ModelPrice PREMIUM = new ModelPrice(15_000_000, 15_000_000);
  static final long DAY1 = Instant.parse("2026-11-20T23:30:00Z").toEpochMilli();
  static final long DAY2 = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();

  static LedgerEntry entry(String tenant, int tier, String provider, String model, int in, int out,
      long cost, long ts) {
    return new LedgerEntry("1-0", "r", 1, tenant, tier, provider, model, in, out, cost, cost,
        "default", ts, List.of(), false, false);
  }

  static final List<LedgerEntry> LEDGER = List.of(
      entry("acme", 1, "local", "llama", 1000, 1000, 0, DAY1),
      entry("acme", 2, "hosted", "mini", 1000, 1000, 2_000, DAY2),
      entry("beta", 3, "premium", "big", 100, 100, 3_000, DAY2));

  @ParameterizedTest(name = "group {0}")
  @CsvSource(delimiter = '|', value = {
      "tier|1,2,3|1,1,1",
      "provider|hosted,local,premium|1,1,1",
      "model|hosted/mini,local/llama,premium/big|1,1,1",
      "tenant|acme,beta|2,1",
      "day|2026-11-20,2026-11-21|1,2",
  })
  void groupsAreSortedAndCountCalls(String group, String keys, String calls) {
    UsageReport r = UsageReports.build(group, LEDGER, ZoneId.of("UTC"), Optional.empty());
    assertEquals(List.of(keys.split(",")), r.rows().stream().map(UsageReport.Row::key).toList());
    assertEquals(List.of(calls.split(",")),
        r.rows().stream().map(row -> Long.toString(row.calls())).toList());
    assertNull(r.savingsBasisPoints(), "no premium price, no comparison");
  }

  @Test
  void daysFollowTheConfiguredZone() {
    // 23:30 UTC on the 20th is already the 21st in Berlin.
    UsageReport r = UsageReports.build("day", LEDGER, ZoneId.of("Europe/Berlin"), Optional.empty());
    assertEquals(List.of("2026-11-21"), r.rows().stream().map(UsageReport.Row::key).toList());
  }

  @Test
  void savingsCompareEveryTokenAgainstThePremiumPrice() {
    UsageReport r = UsageReports.build("tier", LEDGER, ZoneId.of("UTC"),
        Optional.of(Map.entry("premium/big", PREMIUM)));
    // 4,200 tokens at $15 per million = 63,000 µ$ on premium; actually spent 5,000 µ$.
    assertEquals(63_000, r.totals().premiumCostMicros());
    assertEquals(5_000, r.totals().costMicros());
    assertEquals(4_200, r.totals().promptTokens() + r.totals().completionTokens());
    assertEquals((63_000 - 5_000) * 10_000 / 63_000, r.savingsBasisPoints());
    assertEquals(30_000, r.rows().get(0).premiumCostMicros(), "the free tier-1 call");
    assertEquals("premium/big", r.premiumModel());
  }

  @Test
  void unknownGroupIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> UsageReports.build("colour", LEDGER, ZoneId.of("UTC"), Optional.empty()));
  }
}
