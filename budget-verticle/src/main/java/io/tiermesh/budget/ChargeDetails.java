package io.tiermesh.budget;

/**
 * What the ledger records about a settled call besides its cost.
 *
 * @param routeReason why the router picked this target (low-cardinality label)
 */
public record ChargeDetails(String tenant, int tier, String providerId, String model,
    int promptTokens, int completionTokens, String routeReason) {}
