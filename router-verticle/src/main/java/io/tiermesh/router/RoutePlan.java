package io.tiermesh.router;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import java.util.List;

/**
 * What to try, in order. {@code localOnly} is the privacy verdict carried to every provider so
 * that the sink can refuse what the router should never have sent. A non-null {@code refusal}
 * means the request must not run at all (e.g. a private request forced onto a cloud model).
 *
 * @param shadow      where to mirror a copy for quality comparison, or null
 * @param explanation the full explain view (rule checks, facts), or null for a bare plan
 * @param rule        the rule that decided, or null for planners without rules
 * @param ruleMaxPerDay that rule's daily cap, or null
 * @param ruleTargets chain entries that count against the cap when attempted (see
 *                    {@link io.tiermesh.router.rules.Decision#ruleTargets()})
 */
public record RoutePlan(
    List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes, Failure refusal,
    RouteInfo shadow, RoutePlanView explanation, String rule, Integer ruleMaxPerDay,
    List<RouteInfo> ruleTargets) {

  public RoutePlan {
    ruleTargets = ruleTargets == null ? List.of() : List.copyOf(ruleTargets);
  }

  public RoutePlan(
      List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes,
      Failure refusal, RouteInfo shadow, RoutePlanView explanation) {
    this(chain, localOnly, reason, notes, refusal, shadow, explanation, null, null, List.of());
  }

  /** Whether an attempt on {@code target} counts against the deciding rule's daily cap. */
  public boolean countsAgainstRuleCap(RouteInfo target) {
    return ruleMaxPerDay != null && rule != null && ruleTargets.contains(target);
  }

  public RoutePlan(
      List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes,
      Failure refusal) {
    this(chain, localOnly, reason, notes, refusal, null, null);
  }

  public RoutePlanView view() {
    return explanation != null ? explanation
        : new RoutePlanView(reason, localOnly, chain, notes, refusal);
  }
}
