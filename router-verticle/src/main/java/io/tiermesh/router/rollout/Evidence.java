package io.tiermesh.router.rollout;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What one step of a rollout has seen so far: the answers of each split arm and the paired
 * answers that compare them. Sums only, as they are kept in Redis by every router
 * ({@link RolloutKeys}), plus the client feedback of the window's hours.
 *
 * @param candidate    the arm the rollout moves
 * @param other        the arm it replaces
 * @param pairs        scored pairs of one arm's answer with the other's to the same request
 * @param agreementSum their agreement scores, summed (each 0 to 1)
 * @param feedbackCandidate feedback {count, sum of scores} on the candidate's answers
 * @param feedbackOther     the same for the other arm
 */
public record Evidence(Arm candidate, Arm other, long pairs, double agreementSum,
    double[] feedbackCandidate, double[] feedbackOther) {

  /** Latency histogram bounds (ms), fine enough to judge a p95 limit within about 10 %. */
  public static final List<Long> LATENCY_BOUNDS_MS = List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L,
      80L, 90L, 100L, 125L, 150L, 175L, 200L, 250L, 300L, 350L, 400L, 450L, 500L, 600L, 700L,
      800L, 900L, 1_000L, 1_100L, 1_200L, 1_400L, 1_600L, 1_800L, 2_000L, 2_500L, 3_000L,
      4_000L, 5_000L, 7_500L, 10_000L, 15_000L, 20_000L, 30_000L, 60_000L);

  public static final Evidence NONE = new Evidence(Arm.NONE, Arm.NONE, 0, 0, new double[2],
      new double[2]);

  /**
   * One arm's answers in the window.
   *
   * @param requests   requests that fell in this arm (a client's mistake is not counted)
   * @param fellBack   of those, answered by another target or by none (a backend failure)
   * @param latency    answers per latency bucket ({@link #LATENCY_BOUNDS_MS}, one more for the
   *                   rest); only answered requests
   * @param costMicros what the answered requests were charged
   */
  public record Arm(long requests, long fellBack, long[] latency, long costMicros) {

    public static final Arm NONE = new Arm(0, 0, new long[LATENCY_BOUNDS_MS.size() + 1], 0);

    public long answered() {
      return Arrays.stream(latency).sum();
    }

    /**
     * The p95 latency as the bounds of its bucket: {lower (exclusive), upper (inclusive)}; the
     * last bucket's upper bound is {@link Long#MAX_VALUE}. Null without answers.
     */
    public long[] p95Bounds() {
      long n = answered();
      if (n == 0) {
        return null;
      }
      long rank = (long) Math.ceil(n * 0.95);
      long seen = 0;
      for (int i = 0; i < latency.length; i++) {
        seen += latency[i];
        if (seen >= rank) {
          long lower = i == 0 ? 0 : LATENCY_BOUNDS_MS.get(i - 1);
          long upper = i < LATENCY_BOUNDS_MS.size() ? LATENCY_BOUNDS_MS.get(i) : Long.MAX_VALUE;
          return new long[] {lower, upper};
        }
      }
      return null;
    }
  }

  /** The same evidence with another candidate arm. */
  public Evidence withCandidate(Arm arm) {
    return new Evidence(arm, other, pairs, agreementSum, feedbackCandidate, feedbackOther);
  }

  /** The bucket of a latency: its index in {@link #LATENCY_BOUNDS_MS}, or the size. */
  public static int latencyBucket(long ms) {
    for (int i = 0; i < LATENCY_BOUNDS_MS.size(); i++) {
      if (ms <= LATENCY_BOUNDS_MS.get(i)) {
        return i;
      }
    }
    return LATENCY_BOUNDS_MS.size();
  }

  /**
   * Reads the sums of one evidence hash ({@link RolloutKeys} fields) and the feedback
   * {count, sum} per arm.
   */
  public static Evidence of(Map<String, String> hash, double[] feedbackCandidate,
      double[] feedbackOther) {
    return new Evidence(arm(hash, RolloutKeys.CANDIDATE), arm(hash, RolloutKeys.OTHER),
        (long) num(hash, RolloutKeys.PAIRS), num(hash, RolloutKeys.AGREEMENT),
        feedbackCandidate, feedbackOther);
  }

  private static Arm arm(Map<String, String> hash, String arm) {
    long[] latency = new long[LATENCY_BOUNDS_MS.size() + 1];
    for (int i = 0; i < latency.length; i++) {
      latency[i] = (long) num(hash, arm + RolloutKeys.LATENCY + i);
    }
    return new Arm((long) num(hash, arm + RolloutKeys.REQUESTS),
        (long) num(hash, arm + RolloutKeys.FELL_BACK), latency,
        (long) num(hash, arm + RolloutKeys.COST));
  }

  private static double num(Map<String, String> hash, String field) {
    String v = hash.get(field);
    if (v == null) {
      return 0;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
