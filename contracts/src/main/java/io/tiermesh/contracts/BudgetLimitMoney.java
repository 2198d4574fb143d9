package io.tiermesh.contracts;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The money side of a budget limit — {@code usd}, {@code cutoffUsd} and {@code alerts} — read
 * the one way the config file and the admin API both use, so that a limit means the same
 * wherever it was written and is refused with the same words.
 *
 * <p>An alert level is a share of the budget ({@code 0.8}) or a dollar amount ({@code "8.00"});
 * both become shares here, which is what the budget role judges spend against.
 *
 * @param budgetMicros the budget ({@code usd}) in µ$, or null for a requests-only limit
 * @param cutoffMicros the hard cap in µ$: {@code cutoffUsd}, or the budget when none is given
 * @param alerts       ascending shares of the budget, or null when none were given (the policy's
 *                     default share then applies)
 */
public record BudgetLimitMoney(Long budgetMicros, Long cutoffMicros, List<Double> alerts) {

  /** The largest amount a limit may name: far above any real budget, far below overflow. */
  static final BigDecimal MAX_DOLLARS = BigDecimal.valueOf(9_000_000_000L);

  public BudgetLimitMoney {
    alerts = alerts == null ? null : List.copyOf(alerts);
  }

  /**
   * Reads the three fields as written (strings, numbers, a list; null when absent). Throws
   * IllegalArgumentException naming the field at fault.
   */
  public static BudgetLimitMoney parse(Object usd, Object cutoffUsd, Object alerts) {
    Long budget = usd == null ? null : micros(usd, "usd");
    Long cutoff = budget;
    if (cutoffUsd != null) {
      if (budget == null) {
        throw new IllegalArgumentException("cutoffUsd needs 'usd', the budget it sits above");
      }
      cutoff = micros(cutoffUsd, "cutoffUsd");
      if (cutoff < budget) {
        throw new IllegalArgumentException("cutoffUsd must be at least 'usd' (the cut-off of a"
            + " budget is at or above it)");
      }
    }
    if (alerts == null) {
      return new BudgetLimitMoney(budget, cutoff, null);
    }
    if (!(alerts instanceof List<?> levels)) {
      throw new IllegalArgumentException("'alerts' must be a list of levels: shares of 'usd'"
          + " (0.8) or dollar amounts (\"8.00\")");
    }
    if (budget == null && !levels.isEmpty()) {
      throw new IllegalArgumentException("'alerts' need 'usd': they are levels of a spend"
          + " budget");
    }
    List<Double> shares = new ArrayList<>();
    double previous = 0;
    for (Object level : levels) {
      double share;
      if (level instanceof Number n) {
        share = n.doubleValue();
      } else if (level instanceof String s) {
        share = shareOf(micros(s, "alerts"), budget);
      } else {
        throw new IllegalArgumentException("each of 'alerts' is a share of 'usd' (0.8) or a"
            + " dollar amount (\"8.00\")");
      }
      // Spend never passes the cut-off, so a level above it could never fire.
      if (!(share > previous) || Double.isNaN(share)
          || Math.ceil(budget * share) > cutoff) {
        throw new IllegalArgumentException("'alerts' must be ascending levels above 0 (shares"
            + " of 'usd', 1.0 = the whole budget, or dollar amounts), none above the cut-off");
      }
      // Each level is claimed once per window under its whole percent: two in one percent
      // would share that claim and the second would never fire.
      if (!shares.isEmpty() && Math.round(share * 100) == Math.round(previous * 100)) {
        throw new IllegalArgumentException("'alerts' must be at least 1 % of 'usd' apart");
      }
      shares.add(share);
      previous = share;
    }
    return new BudgetLimitMoney(budget, cutoff, shares);
  }

  /**
   * A dollar level as a share of the budget, never judged above the level itself: the alert
   * fires once spend reaches {@code ceil(budget × share)}, which must not exceed it by rounding.
   */
  static double shareOf(long levelMicros, long budgetMicros) {
    if (budgetMicros == 0) {
      return levelMicros == 0 ? 0 : Double.POSITIVE_INFINITY;
    }
    double share = (double) levelMicros / budgetMicros;
    while (share > 0 && Math.ceil(budgetMicros * share) > levelMicros) {
      share = Math.nextDown(share);
    }
    return share;
  }

  /** Dollars as a string ("20.00") or a number, at most six decimals, never negative. */
  public static long micros(Object v, String field) {
    BigDecimal d;
    try {
      d = v instanceof String s ? new BigDecimal(s.trim())
          : v instanceof Number n ? new BigDecimal(n.toString()) : null;
    } catch (NumberFormatException e) {
      d = null;
    }
    if (d == null || d.signum() < 0 || d.compareTo(MAX_DOLLARS) > 0) {
      throw new IllegalArgumentException("'" + field + "' " + ClientText.quote(String.valueOf(v))
          + " is not a dollar amount (e.g. \"20.00\")");
    }
    if (d.stripTrailingZeros().scale() > 6) {
      throw new IllegalArgumentException("'" + field + "' " + d.toPlainString()
          + " is more precise than one micro-dollar (at most 6 decimals)");
    }
    return d.movePointRight(6).longValueExact();
  }
}
