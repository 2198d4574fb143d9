package io.tiermesh.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money is a {@code long} count of micro-dollars (µ$) everywhere in the budget code: integer
 * maths keeps counters, ledger and limits exactly equal, which floating point cannot promise.
 */
public final class Money {

  public static final long MICROS_PER_DOLLAR = 1_000_000L;

  private Money() {}

  /** Parses a dollar amount such as {@code "120"} or {@code "0.015"}; sub-µ$ digits are refused. */
  public static long ofDollars(String dollars) {
    BigDecimal micros = new BigDecimal(dollars).movePointRight(6);
    if (micros.signum() < 0) {
      throw new IllegalArgumentException("negative amount: " + dollars);
    }
    try {
      return micros.setScale(0, RoundingMode.UNNECESSARY).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("more precise than one micro-dollar: " + dollars);
    }
  }

  /** Renders µ$ as dollars with all six decimals, for logs and the admin API. */
  public static String format(long micros) {
    return "$" + BigDecimal.valueOf(micros, 6).toPlainString();
  }
}
