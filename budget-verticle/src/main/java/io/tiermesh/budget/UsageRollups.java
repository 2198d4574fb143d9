package io.tiermesh.budget;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The layout of the usage rollups (see {@code rollup.lua}): which hash a call is summed into and
 * how its fields are named. Pure, so that the Lua writer, the report reader and the rebuild agree
 * by construction.
 *
 * <p>Hourly hashes are keyed by the epoch hour (UTC), daily ones by the calendar day in the
 * budget's time zone. Each expires at its period's end plus its retention, so their number is
 * bounded whatever the traffic: {@link #HOURLY_RETENTION} hours of hourly data and
 * {@link #DAILY_RETENTION} of daily.
 */
public final class UsageRollups {

  public static final String HOUR_PREFIX = "{tm}:u:h:";
  public static final String DAY_PREFIX = "{tm}:u:d:";
  /** Refused requests per hour and per day: field tenant \31 key id \31 error code. */
  public static final String REFUSED_HOUR_PREFIX = "{tm}:u:rh:";
  public static final String REFUSED_DAY_PREFIX = "{tm}:u:rd:";
  public static final Duration HOURLY_RETENTION = Duration.ofDays(90);
  public static final Duration DAILY_RETENTION = Duration.ofDays(730);
  /** Joins dimensions: a control character no id, model name or reason contains. */
  public static final String SEP = "\u001f";
  static final long HOUR_MS = 3_600_000L;

  private UsageRollups() {}

  /**
   * The dimensions one call is summed under. {@code user} (the person per-user budgets count)
   * came later: a field without one keeps the six-part form, so rollups written before and
   * after read alike.
   */
  public record Dims(String tenant, String keyId, String provider, String model, int tier,
      String reason, String user) {

    public Dims(String tenant, String keyId, String provider, String model, int tier,
        String reason) {
      this(tenant, keyId, provider, model, tier, reason, null);
    }

    public Dims {
      user = clean(user);
      tenant = clean(tenant);
      keyId = clean(keyId);
      provider = clean(provider);
      model = clean(model);
      reason = clean(reason);
    }

    public String encode() {
      String six = String.join(SEP, tenant, keyId, provider, model, Integer.toString(tier),
          reason);
      return user.isEmpty() ? six : six + SEP + user;
    }

    static Dims decode(String s) {
      String[] p = s.split(SEP, -1);
      if (p.length != 6 && p.length != 7) {
        throw new IllegalArgumentException("not rollup dimensions: " + s);
      }
      return new Dims(p[0], p[1], p[2], p[3], Integer.parseInt(p[4]), p[5],
          p.length == 7 ? p[6] : null);
    }

    /** A separator inside a value would shift every later dimension: replaced, not trusted. */
    private static String clean(String v) {
      return v == null ? "" : v.replace(SEP, " ");
    }
  }

  /** One rollup cell: the sums of one set of dimensions in one hour or day. */
  public record Cell(Dims dims, long calls, long promptTokens, long completionTokens,
      long costMicros, long premiumMicros) {}

  public static long hourOf(long epochMs) {
    return Math.floorDiv(epochMs, HOUR_MS);
  }

  public static String hourKey(long epochMs) {
    return HOUR_PREFIX + hourOf(epochMs);
  }

  public static long hourExpireAt(long epochMs) {
    return (hourOf(epochMs) + 1) * HOUR_MS + HOURLY_RETENTION.toMillis();
  }

  public static LocalDate dayOf(long epochMs, ZoneId zone) {
    return Instant.ofEpochMilli(epochMs).atZone(zone).toLocalDate();
  }

  public static String dayKey(long epochMs, ZoneId zone) {
    return DAY_PREFIX + dayOf(epochMs, zone);
  }

  public static String dayKey(LocalDate day) {
    return DAY_PREFIX + day;
  }

  public static long dayExpireAt(long epochMs, ZoneId zone) {
    return dayOf(epochMs, zone).plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli()
        + DAILY_RETENTION.toMillis();
  }

  /** The arguments rollup.lua takes for one call, after its two keys. */
  static List<String> args(long epochMs, ZoneId zone, Dims dims, int promptTokens,
      int completionTokens, long premiumMicros) {
    return List.of(Long.toString(ttl(hourExpireAt(epochMs), epochMs)),
        Long.toString(ttl(dayExpireAt(epochMs, zone), epochMs)),
        dims.encode(), Integer.toString(Math.max(0, promptTokens)),
        Integer.toString(Math.max(0, completionTokens)), Long.toString(Math.max(0, premiumMicros)));
  }

  /** Time left until {@code expireAt}, at least 1 ms (PEXPIRE refuses 0). */
  static long ttl(long expireAt, long now) {
    return Math.max(1, expireAt - now);
  }

  /** The value of one rollup field: {@code calls,prompt,completion,cost µ$,premium µ$}. */
  public static String value(long calls, long promptTokens, long completionTokens,
      long costMicros, long premiumMicros) {
    return calls + "," + promptTokens + "," + completionTokens + "," + costMicros + ","
        + premiumMicros;
  }

  /** The cells of one rollup hash (field → value as Redis returns it). */
  public static List<Cell> cells(Map<String, String> hash) {
    List<Cell> out = new ArrayList<>(hash.size());
    for (Map.Entry<String, String> f : hash.entrySet()) {
      String[] v = f.getValue().split(",", -1);
      if (v.length != 5) {
        continue; // not a rollup field: ignored rather than failing a whole report
      }
      try {
        out.add(new Cell(Dims.decode(f.getKey()), Long.parseLong(v[0]), Long.parseLong(v[1]),
            Long.parseLong(v[2]), Long.parseLong(v[3]), Long.parseLong(v[4])));
      } catch (IllegalArgumentException unreadable) {
        // a foreign field; skipped
      }
    }
    return out;
  }
}
