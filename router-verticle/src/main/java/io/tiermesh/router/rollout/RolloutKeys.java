package io.tiermesh.router.rollout;

/**
 * Where the rollouts' evidence and decisions are kept in Redis (under the {@code {tm}} hash
 * tag, like the rules history they change):
 * <ul>
 *   <li>{@code {tm}:ro:ev:<rules version>:<rule>} the evidence sums of one rule under one
 *       version of the rules. Every step of a rollout is a new published version, so each step
 *       starts with empty sums; a reverted rollout is halted, so sums of a version put back in
 *       force are never judged again. Kept
 *       {@link #EVIDENCE_TTL_SECONDS}.
 *   <li>{@code {tm}:ro:last:<rule>} the controller's last decision on the rule.
 *   <li>{@code {tm}:ro:owner} the node that runs the controller (a lease).
 * </ul>
 * Evidence fields: {@code c} or {@code o} (candidate or other arm) followed by {@code n}
 * (requests), {@code fb} (fell back), {@code L<i>} (answers in latency bucket i), {@code cost}
 * (micro-dollars); and {@code pairs}, {@code agree} for the paired answers.
 */
public final class RolloutKeys {

  public static final String EVIDENCE = "{tm}:ro:ev:";
  public static final String LAST = "{tm}:ro:last:";
  public static final String OWNER = "{tm}:ro:owner";
  public static final long EVIDENCE_TTL_SECONDS = 14L * 24 * 3600;

  public static final String CANDIDATE = "c";
  public static final String OTHER = "o";
  public static final String REQUESTS = "n";
  public static final String FELL_BACK = "fb";
  public static final String LATENCY = "L";
  public static final String COST = "cost";
  public static final String PAIRS = "pairs";
  public static final String AGREEMENT = "agree";

  private RolloutKeys() {}

  public static String evidence(String rulesVersion, String rule) {
    return EVIDENCE + rulesVersion + ":" + rule;
  }
}
