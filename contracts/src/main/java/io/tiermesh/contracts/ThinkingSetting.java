package io.tiermesh.contracts;

/**
 * An Anthropic client's {@code thinking} setting, carried to backends whose model takes it.
 *
 * @param type         {@code enabled}, {@code adaptive} or {@code disabled}
 * @param budgetTokens the reasoning budget for {@code enabled}, else null
 */
public record ThinkingSetting(String type, Integer budgetTokens) {

  public boolean on() {
    return !"disabled".equals(type);
  }
}
