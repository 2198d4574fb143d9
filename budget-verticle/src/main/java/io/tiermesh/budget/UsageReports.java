package io.tiermesh.budget;

import io.tiermesh.contracts.UsageReport;
import io.tiermesh.contracts.UsageReport.Row;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/** Folds ledger entries into a usage report. Pure: no Redis, no Vert.x. */
public final class UsageReports {

  public static final List<String> GROUPS = List.of("day", "tier", "provider", "model", "tenant");

  private UsageReports() {}

  /**
   * @param premium the premium model's name and price, used to cost every entry's tokens as if
   *                the premium tier had served them; empty = no comparison
   */
  public static UsageReport build(String group, List<LedgerEntry> entries, ZoneId zone,
      Optional<Map.Entry<String, ModelPrice>> premium) {
    Function<LedgerEntry, String> key = switch (group) {
      case "day" -> e -> Instant.ofEpochMilli(e.timeMs()).atZone(zone).toLocalDate().toString();
      case "tier" -> e -> Integer.toString(e.tier());
      case "provider" -> LedgerEntry::providerId;
      case "model" -> e -> e.providerId() + "/" + e.model();
      case "tenant" -> LedgerEntry::tenant;
      default -> throw new IllegalArgumentException("group must be one of " + GROUPS);
    };
    Map<String, long[]> sums = new TreeMap<>();
    long[] total = new long[5];
    for (LedgerEntry e : entries) {
      long premiumCost = premium.map(p -> p.getValue().costMicros(e.promptTokens(),
          e.completionTokens())).orElse(0L);
      long[] s = sums.computeIfAbsent(key.apply(e), k -> new long[5]);
      for (long[] acc : List.of(s, total)) {
        acc[0]++;
        acc[1] += e.promptTokens();
        acc[2] += e.completionTokens();
        acc[3] += e.costMicros();
        acc[4] += premiumCost;
      }
    }
    List<Row> rows = new ArrayList<>();
    sums.forEach((k, s) -> rows.add(row(k, s)));
    Long savings = premium.isPresent() && total[4] > 0
        ? (total[4] - total[3]) * 10_000 / total[4] : null;
    return new UsageReport(group, premium.map(Map.Entry::getKey).orElse(null), rows,
        row("total", total), savings);
  }

  private static Row row(String key, long[] s) {
    return new Row(key, s[0], s[1], s[2], s[3], s[4]);
  }
}
