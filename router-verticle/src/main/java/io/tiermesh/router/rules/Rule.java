package io.tiermesh.router.rules;

import java.util.List;

/**
 * One entry of the ordered rule list; the first rule whose {@code when} holds (and whose daily
 * cap is not reached) decides.
 *
 * @param name      unique; used in explanations, metrics and the per-day counter key
 * @param when      the condition
 * @param target    where to go; null exactly when {@code split} is used
 * @param maxPerDay at most this many decisions per day by this rule, then it is skipped; null
 *                  for no cap
 * @param split     weighted targets (sum 100) chosen by request hash; empty when
 *                  {@code target} is set
 * @param shadow    optional mirroring of a sample; null for none
 * @param reason    the stable route reason reported for this rule (defaults to the name)
 * @param fallback  what follows the target in the chain
 * @param rollout   a staged rollout of the split's candidate arm, or null
 */
public record Rule(
    String name,
    Condition when,
    Target target,
    Integer maxPerDay,
    List<WeightedTarget> split,
    Shadow shadow,
    String reason,
    Fallback fallback,
    Rollout rollout) {

  public Rule(String name, Condition when, Target target, Integer maxPerDay,
      List<WeightedTarget> split, Shadow shadow, String reason, Fallback fallback) {
    this(name, when, target, maxPerDay, split, shadow, reason, fallback, null);
  }

  public Rule {
    split = split == null ? List.of() : List.copyOf(split);
    fallback = fallback == null ? Fallback.DOWN : fallback;
    reason = reason == null ? name : reason;
  }

  /** The split arm the rollout moves, or null without a rollout. */
  public WeightedTarget candidateArm() {
    if (rollout == null) {
      return null;
    }
    for (WeightedTarget w : split) {
      if (w.target().equals(rollout.candidate())) {
        return w;
      }
    }
    return null;
  }

  /** Matches every request and is never skipped: nothing after it can run. */
  public boolean unconditional() {
    return maxPerDay == null && when.unconditional();
  }
}
