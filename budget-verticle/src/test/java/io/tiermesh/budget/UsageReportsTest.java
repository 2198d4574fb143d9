package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.budget.UsageRollups.Cell;
import io.tiermesh.budget.UsageRollups.Dims;
import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageReportsTest {

  static final ZoneId UTC = ZoneId.of("UTC");
  static final long DAY1 = Instant.parse("2026-11-20T00:00:00Z").toEpochMilli();
  static final long DAY2 = Instant.parse("2026-11-21T00:00:00Z").toEpochMilli();

  static Cell cell(String tenant, String key, int tier, String provider, String model, long calls,
      long in, long out, long cost, long premium) {
    return new Cell(new Dims(tenant, key, provider, model, tier, "default"), calls, in, out, cost,
        premium);
  }

  static final List<UsageReports.Period> PERIODS = List.of(
      new UsageReports.Period(DAY1, List.of(
          cell("acme", "k1", 1, "local", "llama", 1, 1000, 1000, 0, 30_000))),
      new UsageReports.Period(DAY2, List.of(
          cell("acme", "k2", 2, "hosted", "mini", 1, 1000, 1000, 2_000, 30_000),
          cell("beta", "k3", 3, "premium", "big", 1, 100, 100, 3_000, 3_000))));

  static UsageReports.Spec spec(List<String> groupBy, String premium) {
    return new UsageReports.Spec(groupBy, LocalDate.parse("2026-11-20"),
        LocalDate.parse("2026-11-21"), UTC, null, null, premium);
  }

  @ParameterizedTest(name = "group {0}")
  @CsvSource(delimiter = '|', value = {
      "tier|1,2,3|1,1,1",
      "provider|hosted,local,premium|1,1,1",
      "model|hosted/mini,local/llama,premium/big|1,1,1",
      "tenant|acme,beta|2,1",
      "key|k1,k2,k3|1,1,1",
      "day|2026-11-20,2026-11-21|1,2",
      "route_reason|default|3",
  })
  void groupsAreSortedAndCountCalls(String group, String keys, String calls) {
    UsageReport r = UsageReports.build(spec(List.of(group), null), PERIODS, List.of());
    assertEquals(List.of(keys.split(",")), r.rows().stream().map(UsageReport.Row::key).toList());
    assertEquals(List.of(calls.split(",")),
        r.rows().stream().map(row -> Long.toString(row.calls())).toList());
    assertNull(r.savingsBasisPoints(), "no premium price, no comparison");
  }

  @Test
  void severalDimensionsAtOnce() {
    UsageReport r = UsageReports.build(spec(List.of("day", "tenant"), null), PERIODS, List.of());
    assertEquals(List.of("2026-11-20/acme", "2026-11-21/acme", "2026-11-21/beta"),
        r.rows().stream().map(UsageReport.Row::key).toList());
    assertEquals(List.of("2026-11-21", "beta"), r.rows().get(2).values());
  }

  @Test
  void filtersByTenantAndKey() {
    UsageReports.Spec only = new UsageReports.Spec(List.of("tier"), LocalDate.parse("2026-11-20"),
        LocalDate.parse("2026-11-21"), UTC, "acme", "k2", null);
    UsageReport r = UsageReports.build(only, PERIODS, List.of(
        Map.of("acme\u001fk2\u001frate_limited", "4", "beta\u001fk3\u001frate_limited", "9")));
    assertEquals(List.of("2"), r.rows().stream().map(UsageReport.Row::key).toList());
    assertEquals(List.of(new UsageReport.Refusals("acme", "k2", "rate_limited", 4)),
        r.refusals());
  }

  @Test
  void savingsCompareEveryTokenAgainstThePremiumPrice() {
    UsageReport r = UsageReports.build(spec(List.of("tier"), "premium/big"), PERIODS, List.of());
    assertEquals(63_000, r.totals().premiumCostMicros());
    assertEquals(5_000, r.totals().costMicros());
    assertEquals((63_000 - 5_000) * 10_000 / 63_000, r.savingsBasisPoints());
    assertEquals(30_000, r.rows().get(0).premiumCostMicros(), "the free tier-1 call");
    assertEquals("premium/big", r.premiumModel());
  }

  @Test
  void hoursAreLabelledInTheZone() {
    UsageReports.Spec byHour = new UsageReports.Spec(List.of("hour"),
        LocalDate.parse("2026-11-20"), LocalDate.parse("2026-11-20"),
        ZoneId.of("Europe/Berlin"), null, null, null);
    UsageReport r = UsageReports.build(byHour, List.of(new UsageReports.Period(DAY1,
        PERIODS.get(0).cells())), List.of());
    assertEquals("2026-11-20T01:00+01:00", r.rows().get(0).key());
  }

  @Test
  void unknownDimensionsAndBadRangesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> spec(List.of("colour"), null));
    LocalDate today = LocalDate.parse("2026-11-21");
    assertThrows(IllegalArgumentException.class, () -> UsageQueries.spec(
        new UsageQuery(List.of("day"), "2026-11-22", "2026-11-21", null, null), today, UTC, null));
    assertThrows(IllegalArgumentException.class, () -> UsageQueries.spec(
        new UsageQuery(List.of("day"), "21/11/2026", null, null, null), today, UTC, null));
    assertThrows(IllegalArgumentException.class, () -> UsageQueries.spec(
        new UsageQuery(List.of("hour"), "2026-01-01", "2026-11-21", null, null), today, UTC,
        null), "hourly rollups are kept 90 days");
    UsageReports.Spec dflt = UsageQueries.spec(new UsageQuery("tier"), today, UTC, null);
    assertEquals(LocalDate.parse("2026-10-23"), dflt.from(), "30 days up to today by default");
    assertEquals(30, UsageQueries.periodStarts(dflt).size());
  }
}
