package io.tiermesh.router.rules;

import java.util.List;

/**
 * A validated rule configuration: only {@link RuleSetParser} builds one from YAML, so every
 * provider, tier and model it names exists in {@code catalog}.
 *
 * @param source where it was loaded from, for logs and explanations
 */
public record RuleSet(String source, List<Rule> rules, RoutingPolicy policy, Catalog catalog) {

  public RuleSet {
    rules = List.copyOf(rules);
  }
}
