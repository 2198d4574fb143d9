package io.tiermesh.router;

import io.tiermesh.router.rules.BudgetView;

/**
 * What the router knows about budgets when it decides: which paid tiers are out of budget
 * (rule 3, {@code onBudgetExhausted}) and how often a capped rule was used today
 * ({@code maxPerDay}). The numbers live in Redis and belong to the budget role, which implements
 * this over the bus; counting in the router would be wrong as soon as two routers run.
 */
public interface RouterBudgetSignals {

  /**
   * Until the budget role provides signals: nothing counts as exhausted and {@code maxPerDay}
   * caps are <b>not enforced</b>. Explanations say so rather than pretend otherwise.
   */
  RouterBudgetSignals NOT_WIRED = new RouterBudgetSignals() {
    @Override
    public BudgetView view() {
      return BudgetView.UNLIMITED;
    }

    @Override
    public boolean enforced() {
      return false;
    }
  };

  /** A snapshot for one decision; must answer without blocking. */
  BudgetView view();

  /** Whether {@link #view()} reflects real spend and counts. */
  boolean enforced();

  /** Called once per served decision, so that the budget role can count a capped rule. */
  default void ruleChosen(String ruleName) {}
}
