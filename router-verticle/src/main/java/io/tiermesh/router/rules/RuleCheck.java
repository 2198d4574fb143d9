package io.tiermesh.router.rules;

/**
 * How one rule fared for a request: the explain API lists these for every rule up to the one
 * that decided.
 *
 * @param index   position in the rule list, from 1
 * @param matched whether this rule decided
 * @param why     the condition's explanation, or why a matching rule was skipped
 */
public record RuleCheck(int index, String rule, boolean matched, String why) {}
