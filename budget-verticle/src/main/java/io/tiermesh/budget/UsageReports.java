package io.tiermesh.budget;

import io.tiermesh.budget.UsageRollups.Cell;
import io.tiermesh.contracts.UsageReport;
import io.tiermesh.contracts.UsageReport.Refusals;
import io.tiermesh.contracts.UsageReport.Row;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Folds usage rollup cells into a usage report. Pure: no Redis, no Vert.x. */
public final class UsageReports {

  /** The dimensions a report may group by. */
  public static final List<String> DIMENSIONS =
      List.of("tenant", "key", "user", "model", "provider", "tier", "route_reason", "day",
          "hour");
  /** The groups of earlier releases ({@code ?group=}); all are dimensions. */
  public static final List<String> GROUPS = List.of("day", "tier", "provider", "model", "tenant");

  private UsageReports() {}

  /**
   * The cells of one rollup hash.
   *
   * @param startMs the first instant of its hour, or of its day in the report's zone
   */
  public record Period(long startMs, List<Cell> cells) {}

  /** What to sum and how to label it. */
  public record Spec(List<String> groupBy, LocalDate from, LocalDate to, ZoneId zone,
      String tenant, String keyId, String premiumModel) {

    public Spec {
      groupBy = List.copyOf(groupBy);
      for (String g : groupBy) {
        if (!DIMENSIONS.contains(g)) {
          throw new IllegalArgumentException("group_by must be among " + DIMENSIONS + ", not '"
              + g + "'");
        }
      }
      if (from.isAfter(to)) {
        throw new IllegalArgumentException("from " + from + " is after to " + to);
      }
    }

    /** Hourly rollups are read only when the report groups by hour. */
    public boolean hourly() {
      return groupBy.contains("hour");
    }
  }

  /**
   * @param refused the refusal counts of the same periods: field tenant\31key\31code → count
   */
  public static UsageReport build(Spec spec, List<Period> periods,
      List<Map<String, String>> refused) {
    Map<String, long[]> sums = new TreeMap<>();
    Map<String, List<String>> labels = new TreeMap<>();
    long[] total = new long[5];
    for (Period p : periods) {
      String day = Instant.ofEpochMilli(p.startMs()).atZone(spec.zone()).toLocalDate().toString();
      String hour = Instant.ofEpochMilli(p.startMs()).atZone(spec.zone()).toOffsetDateTime()
          .toString();
      for (Cell c : p.cells()) {
        UsageRollups.Dims d = c.dims();
        if (spec.tenant() != null && !spec.tenant().equals(d.tenant())
            || spec.keyId() != null && !spec.keyId().equals(d.keyId())) {
          continue;
        }
        List<String> values = new ArrayList<>(spec.groupBy().size());
        for (String g : spec.groupBy()) {
          values.add(value(g, d, day, hour));
        }
        String sortKey = String.join(UsageRollups.SEP, values);
        labels.putIfAbsent(sortKey, values);
        long[] s = sums.computeIfAbsent(sortKey, k -> new long[5]);
        for (long[] acc : List.of(s, total)) {
          acc[0] += c.calls();
          acc[1] += c.promptTokens();
          acc[2] += c.completionTokens();
          acc[3] += c.costMicros();
          acc[4] += c.premiumMicros();
        }
      }
    }
    List<Row> rows = new ArrayList<>(sums.size());
    sums.forEach((k, s) -> rows.add(row(labels.get(k), s)));
    Long savings = spec.premiumModel() != null && total[4] > 0
        ? (total[4] - total[3]) * 10_000 / total[4] : null;
    return new UsageReport(String.join(",", spec.groupBy()), spec.groupBy(),
        spec.from().toString(), spec.to().toString(), spec.zone().getId(), spec.premiumModel(),
        rows, new Row("total", List.of(), total[0], total[1], total[2], total[3], total[4]),
        savings, refusals(spec, refused));
  }

  private static List<Refusals> refusals(Spec spec, List<Map<String, String>> refused) {
    Map<String, long[]> counts = new TreeMap<>();
    for (Map<String, String> hash : refused) {
      hash.forEach((field, count) -> {
        String[] p = field.split(UsageRollups.SEP, -1);
        if (p.length != 3 || spec.tenant() != null && !spec.tenant().equals(p[0])
            || spec.keyId() != null && !spec.keyId().equals(p[1])) {
          return;
        }
        counts.computeIfAbsent(field, f -> new long[1])[0] += Long.parseLong(count);
      });
    }
    List<Refusals> out = new ArrayList<>(counts.size());
    counts.forEach((field, n) -> {
      String[] p = field.split(UsageRollups.SEP, -1);
      out.add(new Refusals(p[0], p[1], p[2], n[0]));
    });
    return out;
  }

  private static String value(String dimension, UsageRollups.Dims d, String day, String hour) {
    return switch (dimension) {
      case "tenant" -> d.tenant();
      case "key" -> d.keyId();
      case "user" -> d.user();
      case "model" -> d.provider() + "/" + d.model();
      case "provider" -> d.provider();
      case "tier" -> Integer.toString(d.tier());
      case "route_reason" -> d.reason();
      case "day" -> day;
      case "hour" -> hour;
      default -> throw new IllegalArgumentException(dimension);
    };
  }

  private static Row row(List<String> values, long[] s) {
    return new Row(String.join("/", values), values, s[0], s[1], s[2], s[3], s[4]);
  }
}
