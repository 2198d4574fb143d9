package io.tiermesh.router.rules;

/**
 * A snapshot of budget state, read by the engine so that budget fallback and daily caps stay
 * part of a pure decision. The budget verticle still enforces limits when it reserves; this
 * view only steers away from targets that would be refused.
 */
public interface BudgetView {

  /** Nothing exhausted, no rule used yet: for explain calls and tests. */
  BudgetView UNLIMITED = new BudgetView() {
    @Override
    public boolean tierExhausted(int tier) {
      return false;
    }

    @Override
    public int usedToday(String ruleName) {
      return 0;
    }
  };

  /** Whether a paid tier has no budget left in the current window. Never asked for tier 1. */
  boolean tierExhausted(int tier);

  /** How many decisions the named rule has made today (for {@link Rule#maxPerDay()}). */
  int usedToday(String ruleName);
}
