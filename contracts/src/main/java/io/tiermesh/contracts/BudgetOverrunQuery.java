package io.tiermesh.contracts;

/**
 * Admin API → budget role: list the providers halted after an overrun, first lifting the halt
 * of {@code acknowledgeProvider} when it is not null.
 */
public record BudgetOverrunQuery(String acknowledgeProvider) {}
