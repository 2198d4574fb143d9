package io.tiermesh.budget;

/** What the router does with a call whose budget is exhausted. */
public enum ExhaustionAction {
  /** Try the next lower tier of the fallback chain (the default). */
  FALLBACK,
  /** Answer 429 {@code budget_exhausted}. */
  REJECT
}
