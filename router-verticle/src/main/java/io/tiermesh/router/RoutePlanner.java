package io.tiermesh.router;

import io.tiermesh.contracts.RouteRequest;
import java.util.Set;

/** Turns a request into a plan. Pure: same request and state, same plan. */
public interface RoutePlanner {

  RoutePlan plan(RouteRequest request);

  /**
   * The plan for the explain API, optionally as if some paid tiers had no budget left.
   * Planners without budget awareness ignore the assumption.
   */
  default RoutePlan explain(RouteRequest request, Set<Integer> assumeExhaustedTiers) {
    return plan(request);
  }

  /** The version of the rules in force, for explanations. */
  default String rulesVersion() {
    return null;
  }

  /** Where the rules in force came from, for explanations. */
  default String rulesSource() {
    return null;
  }
}
