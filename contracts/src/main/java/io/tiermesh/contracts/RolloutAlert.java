package io.tiermesh.contracts;

/**
 * Router → budget role: the rollout controller reverted a rollout because a guard was
 * violated; the budget role tells operators as it tells budget events (log, counter, webhooks).
 *
 * @param rule      the rule whose split was reverted
 * @param guard     the violated guard, e.g. {@code maxP95Ms}
 * @param figures   what was seen, e.g. {@code p95 1600-1800 ms (limit 1000)}
 * @param candidate the arm the rollout moves, e.g. {@code tier-2}
 * @param fromWeight the candidate's weight before
 * @param toWeight  its weight now
 * @param published the published rules version that reverted it, or null when not recorded
 * @param node      the node that runs the controller
 */
public record RolloutAlert(String rule, String guard, String figures, String candidate,
    int fromWeight, int toWeight, Long published, String node) {}
