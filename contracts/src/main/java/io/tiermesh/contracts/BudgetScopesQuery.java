package io.tiermesh.contracts;

import java.util.List;

/**
 * Explain → budget role: which limits would these targets spend from, for this caller, and how
 * much room is left in each.
 *
 * @param keyId   the API key id the request came with, or null
 * @param user    the person per-user limits count, or null
 * @param targets the paid targets of the chain, in order
 */
public record BudgetScopesQuery(String tenant, String keyId, String user,
    List<RouteInfo> targets) {}
