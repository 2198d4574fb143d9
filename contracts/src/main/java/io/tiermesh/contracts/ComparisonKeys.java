package io.tiermesh.contracts;

import java.util.List;

/**
 * Where paired answers' scores and client feedback are kept in Redis: routers write them,
 * gateways read them for the comparison report. Scores and counts only, never a prompt or an
 * answer, so a private request's pair (compared on tier 1, where its shadow must run) leaves
 * nothing of its content behind.
 *
 * <p>One hash per hour ({@link #PAIRS_PREFIX} or {@link #FEEDBACK_PREFIX} + hours since the
 * epoch), expiring {@link #RETENTION_SECONDS} after its hour. A field is
 * {@code tenant SEP rule SEP primary SEP shadow SEP metric} for pairs and
 * {@code tenant SEP rule SEP arm SEP metric} for feedback, an arm being {@code provider/model};
 * every value is a running sum.
 */
public final class ComparisonKeys {

  public static final String PAIRS_PREFIX = "{tm}:cmp:h:";
  public static final String FEEDBACK_PREFIX = "{tm}:fb:h:";
  public static final String SEP = "\u001f";
  /** Scores and feedback are kept 30 days. */
  public static final long RETENTION_SECONDS = 30L * 24 * 3600;
  /** Upper bounds (ms) of the latency histogram's buckets; one more bucket holds the rest. */
  public static final List<Long> LATENCY_BOUNDS_MS = List.of(25L, 50L, 100L, 200L, 300L, 500L,
      750L, 1_000L, 1_500L, 2_000L, 3_000L, 5_000L, 10_000L, 30_000L);
  /** Agreement is histogrammed in tenths: field {@code a0} … {@code a9}. */
  public static final int AGREEMENT_BUCKETS = 10;

  private ComparisonKeys() {}

  public static long hour(long epochMillis) {
    return epochMillis / 3_600_000L;
  }

  /** The histogram bucket of a latency: its index in {@link #LATENCY_BOUNDS_MS}, or the size. */
  public static int latencyBucket(long ms) {
    for (int i = 0; i < LATENCY_BOUNDS_MS.size(); i++) {
      if (ms <= LATENCY_BOUNDS_MS.get(i)) {
        return i;
      }
    }
    return LATENCY_BOUNDS_MS.size();
  }

  /** Names may hold anything but the separator; it is replaced so a field splits cleanly. */
  public static String part(String s) {
    return s == null ? "" : s.replace(SEP, " ");
  }
}
