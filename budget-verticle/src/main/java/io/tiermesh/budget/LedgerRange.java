package io.tiermesh.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;

/**
 * Turns an export's {@code from}/{@code to} into ledger stream bounds. Pure. Entry ids carry
 * the Redis server's millisecond clock, which is what the range is cut on.
 */
public final class LedgerRange {

  public static final int MAX_PAGE = 5_000;

  private LedgerRange() {}

  /** From a day (its first instant in {@code zone}) or an instant; null: the oldest entry. */
  public static String start(String from, ZoneId zone) {
    return from == null || from.isBlank() ? "-" : millis("from", from, zone, false) + "-0";
  }

  /**
   * Up to a day (inclusive: before the next day starts) or an instant (exclusive); null: the
   * newest entry.
   */
  public static String end(String to, ZoneId zone) {
    return to == null || to.isBlank() ? "+" : "(" + millis("to", to, zone, true) + "-0";
  }

  /** An entry id given back by a client: only digits and one dash pass into XRANGE. */
  public static String checkedId(String id) {
    if (!id.matches("[0-9]{1,20}-[0-9]{1,20}")) {
      throw new IllegalArgumentException("not a ledger entry id");
    }
    return id;
  }

  private static long millis(String name, String value, ZoneId zone, boolean dayEnd) {
    try {
      if (value.length() == 10) {
        LocalDate d = LocalDate.parse(value);
        return (dayEnd ? d.plusDays(1) : d).atStartOfDay(zone).toInstant().toEpochMilli();
      }
      return Instant.parse(value).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " must be an ISO date (2026-12-01) or instant"
          + " (2026-12-01T10:00:00Z)");
    }
  }
}
