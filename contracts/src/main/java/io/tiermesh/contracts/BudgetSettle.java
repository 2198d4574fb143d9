package io.tiermesh.contracts;

/**
 * Router → budget role: close an attempt's reservation with what it really used. Idempotent per
 * request id and attempt: a repeated settle never charges twice.
 *
 * @param release  the attempt produced nothing billable: give the reservation back, no charge
 * @param routeReason why the router chose the target, kept in the ledger
 */
public record BudgetSettle(
    String requestId,
    int attempt,
    String tenant,
    int tier,
    String providerId,
    String model,
    int promptTokens,
    int completionTokens,
    String routeReason,
    boolean release) {}
