package io.tiermesh.gateway.audit;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The filters of {@code GET /admin/audit}, checked. Pure.
 *
 * @param fromMs first instant (inclusive), or null
 * @param toMs   last instant (exclusive), or null
 * @param cursor continue after this record id (older ones), or null: the newest
 */
public record AuditQuery(Long fromMs, Long toMs, String tenant, String keyId, Integer status,
    int limit, String cursor) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1_000;

  /**
   * @param from   ISO date (UTC day) or instant
   * @param to     ISO date (inclusive) or instant (exclusive)
   */
  public static AuditQuery parse(String from, String to, String tenant, String key,
      String status, String limit, String cursor) {
    Integer st = null;
    if (status != null && !status.isBlank()) {
      try {
        st = Integer.valueOf(status.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("status must be an HTTP status (429)");
      }
    }
    int lim = DEFAULT_LIMIT;
    if (limit != null && !limit.isBlank()) {
      try {
        lim = Integer.parseInt(limit.trim());
      } catch (NumberFormatException e) {
        lim = -1;
      }
      if (lim < 1 || lim > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be from 1 to " + MAX_LIMIT);
      }
    }
    if (cursor != null && !cursor.matches("[0-9]{1,20}-[0-9]{1,20}")) {
      throw new IllegalArgumentException("cursor must be the next_cursor of a previous page");
    }
    return new AuditQuery(millis("from", from, false), millis("to", to, true), blank(tenant),
        blank(key), st, lim, cursor);
  }

  /** XREVRANGE's upper bound: below the cursor, else before {@code to}, else the newest. */
  String end() {
    if (cursor != null) {
      return "(" + cursor;
    }
    return toMs == null ? "+" : "(" + toMs + "-0";
  }

  String start() {
    return fromMs == null ? "-" : fromMs + "-0";
  }

  boolean matches(AuditRecord r) {
    return (tenant == null || tenant.equals(r.tenant()))
        && (keyId == null || keyId.equals(r.keyId()))
        && (status == null || status == r.status());
  }

  private static Long millis(String name, String value, boolean dayEnd) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      if (value.length() == 10) {
        LocalDate d = LocalDate.parse(value);
        return (dayEnd ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant()
            .toEpochMilli();
      }
      return Instant.parse(value).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " must be an ISO date (2026-12-01) or instant"
          + " (2026-12-01T10:00:00Z)");
    }
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
