package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;

/**
 * A customer of the mesh: every key belongs to one.
 *
 * @param policy the execution policy name the router applies ({@code local_only},
 *               {@code local_and_hosted}, {@code multi_cloud}, or a configured name); null
 *               means the router's default
 * @param limits overrides of the configured per-key defaults for the tenant's keys
 */
public record Tenant(String id, String policy, RateLimits limits) {

  public static final String DEFAULT_ID = "default";

  public static Tenant implicitDefault() {
    return new Tenant(DEFAULT_ID, null, RateLimits.NONE);
  }
}
