package io.tiermesh.contracts;

import java.util.List;

/**
 * Gateway → router: explain how {@code request} would be routed, calling nothing. The router
 * also accepts a bare {@link RouteRequest} on the explain address.
 *
 * @param assumeExhaustedTiers paid tiers to treat as out of budget for this explanation only
 *                             (a what-if for the budget rule); empty for the live view
 */
public record ExplainRequest(RouteRequest request, List<Integer> assumeExhaustedTiers) {}
