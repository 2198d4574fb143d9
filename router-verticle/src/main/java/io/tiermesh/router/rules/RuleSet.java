package io.tiermesh.router.rules;

import java.util.List;

/**
 * A validated rule configuration: only {@link RuleSetParser} builds one from YAML, so every
 * provider, tier and model it names exists in {@code catalog}.
 *
 * @param source  where it was loaded from, for logs and explanations
 * @param aliases the {@code models} section: client model names and what they stand for
 */
public record RuleSet(String source, List<Rule> rules, RoutingPolicy policy, Catalog catalog,
    ModelAliases aliases) {

  public RuleSet {
    rules = List.copyOf(rules);
    aliases = aliases == null ? ModelAliases.NONE : aliases;
  }

  public RuleSet(String source, List<Rule> rules, RoutingPolicy policy, Catalog catalog) {
    this(source, rules, policy, catalog, ModelAliases.NONE);
  }
}
