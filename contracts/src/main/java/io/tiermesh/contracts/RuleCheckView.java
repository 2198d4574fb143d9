package io.tiermesh.contracts;

/**
 * How one rule fared for a request, as the explain API reports it.
 *
 * @param index   position in the rule list, from 1
 * @param matched whether this rule decided
 * @param why     the condition's explanation, or why a matching rule was skipped
 */
public record RuleCheckView(int index, String rule, boolean matched, String why) {}
