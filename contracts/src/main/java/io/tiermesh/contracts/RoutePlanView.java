package io.tiermesh.contracts;

import java.util.List;
import java.util.Map;

/**
 * The router's decision for a request, without executing it: the explain API's answer. Fields
 * after {@code refusal} were added later and may be null from an older router.
 *
 * @param notes        rule checks and policy changes flattened into readable lines
 * @param rule         the rule that decided ({@code (forced-model)}, {@code (no-rule)} otherwise)
 * @param shadow       the mirror target, or null
 * @param checks       every rule examined, in order, ending with the one that decided
 * @param facts        the request facts the rules saw (name → value)
 * @param rulesVersion hash of the active rule file's text
 * @param rulesSource  where the active rules came from
 * @param routerNode   the node whose router answered
 */
public record RoutePlanView(
    String reason,
    boolean localOnly,
    List<RouteInfo> chain,
    List<String> notes,
    Failure refusal,
    String rule,
    RouteInfo shadow,
    List<RuleCheckView> checks,
    Map<String, String> facts,
    String rulesVersion,
    String rulesSource,
    String routerNode) {

  public RoutePlanView(
      String reason, boolean localOnly, List<RouteInfo> chain, List<String> notes,
      Failure refusal) {
    this(reason, localOnly, chain, notes, refusal, null, null, null, null, null, null, null);
  }

  /** The same view as answered by {@code node} with the rules of {@code version}. */
  public RoutePlanView answeredBy(String version, String source, String node) {
    return new RoutePlanView(reason, localOnly, chain, notes, refusal, rule, shadow, checks,
        facts, version, source, node);
  }
}
