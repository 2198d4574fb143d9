package io.tiermesh.contracts;

import java.util.List;

/**
 * Router → gateway: the state of every rollout in the rules in force ({@code GET
 * /admin/rollouts}).
 *
 * @param owner the node that runs the controller, or null when none holds the lease
 * @param error why the state could not be read (Redis down), else null
 */
public record RolloutsView(String rulesVersion, String owner, List<Rollout> rollouts,
    String error) {

  /**
   * One rollout.
   *
   * @param weight       the candidate's weight in force
   * @param nextStep     the weight it moves to next, or null at the last step
   * @param halted       why it stopped, or null
   * @param windowStartMs when the rules in force were published (the step's start)
   * @param evidence     the step's evidence so far
   * @param guards       each guard, judged on it
   * @param now          the judgement of the evidence as it stands (what the controller does
   *                     at its next tick)
   * @param last         the controller's last published decision (an advance or a revert),
   *                     or null before its first
   */
  public record Rollout(String rule, String candidate, String other, List<Integer> steps,
      int weight, Integer nextStep, int minSamples, long holdMs, String halted,
      long windowStartMs, Evidence evidence, List<Guard> guards, Decision now,
      Decision last) {}

  /**
   * @param candidateP95Ms the upper bound of the latency bucket holding the candidate's p95;
   *                       null without answers
   * @param agreement      mean agreement of the paired answers; null without pairs
   */
  public record Evidence(long candidateRequests, long candidateFellBack, long candidateAnswered,
      Long candidateP95Ms, long candidateCostMicros, long otherRequests, long pairs,
      Double agreement, long candidateFeedback, Double candidateFeedbackMean,
      long otherFeedback, Double otherFeedbackMean) {}

  /** @param verdict {@code met}, {@code violated} or {@code unknown} */
  public record Guard(String guard, String verdict, String figure) {}

  /**
   * @param action    {@code wait}, {@code advance}, {@code revert}, {@code complete},
   *                  {@code halted}
   * @param published the rules version it published, or null
   */
  public record Decision(String action, int fromWeight, int toWeight, String guard, String why,
      long atMillis, Long published) {}
}
