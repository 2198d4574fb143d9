package io.tiermesh.router.rules;

import java.util.List;

/**
 * A staged rollout of a two-armed split: the {@code candidate} arm's weight moves up through
 * {@code steps} as evidence allows, and falls back when a guard is violated. The weight in force
 * is the one the split declares; the rollout controller changes it by publishing new rules.
 *
 * @param candidate  the split arm whose weight the steps set (the other arm gets the rest)
 * @param steps      the candidate's weights, ascending, each 1–100
 * @param minSamples answers of the candidate arm a window needs before any decision
 * @param holdMs     how long a step runs, at least, before the next one
 * @param guards     the limits evidence must stay within
 * @param halted     why the controller stopped this rollout (a guard was violated), or null;
 *                   written by the controller into the rules it publishes, removed by the
 *                   operator's next rules to resume
 */
public record Rollout(Target candidate, List<Integer> steps, int minSamples, long holdMs,
    Guards guards, String halted) {

  public Rollout {
    steps = List.copyOf(steps);
  }

  /**
   * Limits on a window's evidence; null: not guarded.
   *
   * @param maxQualityDrop     at most this share of disagreement between the candidate's
   *                           answers and the other arm's on the same requests (1 − agreement
   *                           of the shadow pairs), and at most this drop of the mean feedback
   *                           score from the other arm's
   * @param maxP95Ms           the candidate arm's p95 latency
   * @param maxFallbackRate    the share of the candidate arm's requests not answered by it
   * @param maxCostUsdPerMonth the rule's traffic over the window's rate for a 30-day month,
   *                           priced at the candidate's cost per request
   */
  public record Guards(Double maxQualityDrop, Long maxP95Ms, Double maxFallbackRate,
      Double maxCostUsdPerMonth) {

    public static final Guards NONE = new Guards(null, null, null, null);
  }

  /** The weight after {@code weight}, or null when {@code weight} is the last step or above. */
  public Integer nextStep(int weight) {
    for (int s : steps) {
      if (s > weight) {
        return s;
      }
    }
    return null;
  }

  /** The highest step below {@code weight}, or 0: where a violated guard sends the weight. */
  public int lastGood(int weight) {
    int good = 0;
    for (int s : steps) {
      if (s < weight) {
        good = s;
      }
    }
    return good;
  }
}
