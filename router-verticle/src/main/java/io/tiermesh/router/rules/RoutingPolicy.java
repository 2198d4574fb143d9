package io.tiermesh.router.rules;

import java.util.Map;
import java.util.Set;

/**
 * The rules the engine applies whatever the rule list says: which classifications are private
 * (tier 1 only, on every path), what a forced model with private data gets, what happens when a
 * tier's budget is gone, and each tenant's execution policy.
 *
 * @param legalIsPrivate     whether {@code legal} joins the always-private classifications
 * @param privateForcedModel what a forced non-local model name gets with private data
 * @param onBudgetExhausted  what happens when the chosen tier's budget is exhausted
 * @param defaultTenant      policy for tenants not listed in {@code tenants}
 * @param tenants            per-tenant policies
 */
public record RoutingPolicy(
    boolean legalIsPrivate,
    ForcedPrivate privateForcedModel,
    BudgetAction onBudgetExhausted,
    TenantPolicy defaultTenant,
    Map<String, TenantPolicy> tenants) {

  /** Classifications that never leave tier 1, whatever the configuration. */
  public static final Set<String> ALWAYS_PRIVATE = Set.of("pii", "hipaa", "confidential");
  public static final String LEGAL = "legal";

  public enum ForcedPrivate {
    /** 403 {@code policy_violation}. */
    REJECT,
    /** Serve from tier 1 instead, reason {@code private-data}. */
    REROUTE
  }

  public enum BudgetAction {
    /** Skip exhausted tiers: the next lower tier serves (the default). */
    FALLBACK,
    /** 429 {@code budget_exhausted}. */
    REJECT
  }

  public static final RoutingPolicy DEFAULT = new RoutingPolicy(
      false, ForcedPrivate.REJECT, BudgetAction.FALLBACK, TenantPolicy.MULTI_CLOUD, Map.of());

  public RoutingPolicy {
    tenants = Map.copyOf(tenants);
  }

  public boolean isPrivate(String classification) {
    return ALWAYS_PRIVATE.contains(classification)
        || (legalIsPrivate && LEGAL.equals(classification));
  }

  public TenantPolicy tenantPolicy(String tenant) {
    return tenants.getOrDefault(tenant, defaultTenant);
  }
}
