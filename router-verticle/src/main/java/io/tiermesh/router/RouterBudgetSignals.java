package io.tiermesh.router;

import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.router.rules.BudgetView;

/**
 * What the router knows about budgets when it decides: which paid tiers are out of budget
 * (rule 3, {@code onBudgetExhausted}) and how often a capped rule was used today
 * ({@code maxPerDay}). The numbers live in Redis and belong to the budget role
 * ({@link BusBudgetSignals} reads them over the bus); counting in the router would be wrong as
 * soon as two routers run. These signals only steer decisions: the atomic reservation in the
 * budget role stays the enforcement, whatever a cached view says.
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

  /** The note of signals that are not {@link #enforced()}: no budget role reached yet. */
  String NOT_WIRED_NOTE = "budget: no budget signals yet (budget role not"
      + " wired): no tier counts as exhausted and maxPerDay caps are not enforced";

  /** The explain note saying why {@link #enforced()} is false. */
  default String notEnforcedNote() {
    return NOT_WIRED_NOTE;
  }

  /**
   * A reservation on a target of {@code tier} was refused; the signals may learn from it at
   * once instead of waiting for their next refresh. Called on the router's event loop.
   */
  default void reserveRefused(int tier, BudgetReserveResult refusal) {}
}
