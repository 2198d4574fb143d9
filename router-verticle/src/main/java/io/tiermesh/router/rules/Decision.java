package io.tiermesh.router.rules;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The engine's answer for one request. Either {@code refusal} is set and {@code chain} is empty,
 * or the chain holds at least one target, every one of which the privacy and tenant policies
 * allow; the same holds for the shadow.
 *
 * @param ruleName  the rule that decided; {@link #FORCED} for a forced model name,
 *                  {@link #NO_RULE} when no rule matched
 * @param reason    stable, low-cardinality route reason ({@code private-data}, {@code embedding},
 *                  {@code critical-high}, {@code quality-high}, {@code default},
 *                  {@code forced-model}, {@code budget-fallback}, {@code tenant-policy}, a
 *                  rule's configured reason, or the failure code when refused)
 * @param localOnly whether only tier-1 providers may serve this request (private data or a
 *                  local-only tenant); providers must refuse it otherwise
 * @param chain     candidates in order: the first serves, the rest are the fallback; the first
 *                  carries {@code reason}, later ones the reason {@code fallback}
 * @param shadow    a mirror target for quality comparison, or null
 * @param checks    every rule examined, in order, ending with the one that decided
 * @param notes     what the policies changed (dropped targets, budget moves, private reroute)
 * @param refusal   why nothing may serve, or null
 * @param maxPerDay the deciding rule's daily cap, or null when it has none
 * @param ruleTargets the chain entries that are the deciding rule's own target (not its
 *                  fallback): with a {@code maxPerDay} cap, each attempt on one of them counts
 *                  against the cap in the budget role's reservation, so the cap holds across
 *                  routers; empty when the rule has no cap
 */
public record Decision(
    String ruleName,
    String reason,
    boolean localOnly,
    List<RouteInfo> chain,
    RouteInfo shadow,
    List<RuleCheck> checks,
    List<String> notes,
    Failure refusal,
    Integer maxPerDay,
    List<RouteInfo> ruleTargets) {

  public static final String FORCED = "(forced-model)";
  public static final String NO_RULE = "(no-rule)";
  public static final String FALLBACK_REASON = "fallback";
  public static final String SHADOW_REASON = "shadow";

  public Decision {
    chain = List.copyOf(chain);
    checks = List.copyOf(checks);
    notes = List.copyOf(notes);
    ruleTargets = List.copyOf(ruleTargets);
  }

  /** A decision whose rule has no daily cap. */
  public Decision(String ruleName, String reason, boolean localOnly, List<RouteInfo> chain,
      RouteInfo shadow, List<RuleCheck> checks, List<String> notes, Failure refusal) {
    this(ruleName, reason, localOnly, chain, shadow, checks, notes, refusal, null, List.of());
  }

  public boolean refused() {
    return refusal != null;
  }

  public Optional<RouteInfo> shadowTarget() {
    return Optional.ofNullable(shadow);
  }

  /** The explain API's view: rule checks and policy notes flattened into notes. */
  public RoutePlanView toPlanView() {
    List<String> all = new ArrayList<>();
    if (ruleName != null) {
      all.add("rule: " + ruleName);
    }
    for (RuleCheck c : checks) {
      all.add("rule " + c.index() + " '" + c.rule() + "': "
          + (c.matched() ? "matched" : "no") + " (" + c.why() + ")");
    }
    all.addAll(notes);
    if (shadow != null) {
      all.add("shadow: " + shadow.providerId() + "/" + shadow.model());
    }
    return new RoutePlanView(reason, localOnly, chain, all, refusal);
  }
}
