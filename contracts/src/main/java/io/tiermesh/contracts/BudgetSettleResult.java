package io.tiermesh.contracts;

/**
 * Budget role → router.
 *
 * @param chargedMicros  µ$ moved into spend by this attempt (0 for a release)
 * @param reservedMicros what the reservation held
 * @param repeat         the attempt was already closed; nothing changed
 */
public record BudgetSettleResult(long chargedMicros, long reservedMicros, boolean repeat) {}
