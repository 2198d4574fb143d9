package io.tiermesh.budget;

import io.tiermesh.contracts.UsageQuery;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Reads a usage query into a report spec and the rollup periods it covers. Pure. */
public final class UsageQueries {

  /** A report without {@code from} covers this many days up to {@code to}. */
  static final int DEFAULT_DAYS = 30;

  private UsageQueries() {}

  public static UsageReports.Spec spec(UsageQuery q, LocalDate today, ZoneId zone,
      String premiumModel) {
    LocalDate to = q.to() == null ? today : date("to", q.to());
    LocalDate from = q.from() == null ? to.minusDays(DEFAULT_DAYS - 1) : date("from", q.from());
    List<String> groupBy = q.groupBy() == null ? List.of() : q.groupBy();
    UsageReports.Spec spec = new UsageReports.Spec(groupBy, from, to, zone, blankToNull(q.tenant()),
        blankToNull(q.keyId()), premiumModel);
    long days = ChronoUnit.DAYS.between(from, to) + 1;
    long keptDays = (spec.hourly() ? UsageRollups.HOURLY_RETENTION
        : UsageRollups.DAILY_RETENTION).toDays();
    if (days > keptDays) {
      throw new IllegalArgumentException("a report " + (spec.hourly() ? "by hour" : "by day")
          + " covers at most " + keptDays + " days (the rollups' retention); asked for " + days);
    }
    return spec;
  }

  /** The first instant of every hour (hourly) or day (daily) the spec's dates cover. */
  public static List<Long> periodStarts(UsageReports.Spec spec) {
    List<Long> out = new ArrayList<>();
    ZoneId zone = spec.zone();
    if (!spec.hourly()) {
      for (LocalDate d = spec.from(); !d.isAfter(spec.to()); d = d.plusDays(1)) {
        out.add(d.atStartOfDay(zone).toInstant().toEpochMilli());
      }
      return out;
    }
    long start = spec.from().atStartOfDay(zone).toInstant().toEpochMilli();
    long end = spec.to().plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli();
    for (long h = UsageRollups.hourOf(start); h * UsageRollups.HOUR_MS < end; h++) {
      out.add(h * UsageRollups.HOUR_MS);
    }
    return out;
  }

  private static LocalDate date(String name, String value) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " must be an ISO date (2026-11-21), not '"
          + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
