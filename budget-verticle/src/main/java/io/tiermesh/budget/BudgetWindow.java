package io.tiermesh.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * Calendar windows a limit resets on, in the policy's time zone: a tenant in Berlin expects
 * "today" to end at Berlin midnight, not UTC midnight.
 */
public enum BudgetWindow {
  /** Period label {@code 2026-11-21}. */
  DAY("day"),
  /** Period label {@code 2026-11}. */
  MONTH("month");

  private final String id;

  BudgetWindow(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static BudgetWindow parse(String id) {
    for (BudgetWindow w : values()) {
      if (w.id.equals(id)) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown budget window " + id);
  }

  /** The label of the period containing {@code now}. */
  public String period(Instant now, ZoneId zone) {
    ZonedDateTime local = now.atZone(zone);
    return switch (this) {
      case DAY -> local.toLocalDate().toString();
      case MONTH -> YearMonth.from(local).toString();
    };
  }

  /** The first instant after the period, where the next one starts. */
  public Instant end(String period, ZoneId zone) {
    LocalDate next = switch (this) {
      case DAY -> LocalDate.parse(period).plusDays(1);
      case MONTH -> YearMonth.parse(period).plusMonths(1).atDay(1);
    };
    return next.atStartOfDay(zone).toInstant();
  }
}
