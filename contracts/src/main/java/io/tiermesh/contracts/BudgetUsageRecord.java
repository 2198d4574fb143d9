package io.tiermesh.contracts;

/**
 * Router → budget role, fire and forget: a free (tier 1) call that needs no reservation but
 * belongs in the usage report, so savings against the premium tier count all traffic.
 */
public record BudgetUsageRecord(
    String requestId,
    int attempt,
    String tenant,
    int tier,
    String providerId,
    String model,
    int promptTokens,
    int completionTokens,
    String routeReason) {}
