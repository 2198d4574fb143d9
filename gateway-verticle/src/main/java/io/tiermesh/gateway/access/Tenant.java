package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.privacy.PrivacySettings;

/**
 * A customer of the mesh: every key belongs to one.
 *
 * @param policy the execution policy name the router applies ({@code local_only},
 *               {@code local_and_hosted}, {@code multi_cloud}, or a configured name); null
 *               means the router's default
 * @param limits overrides of the configured per-key defaults for the tenant's keys
 * @param privacy default classification and content detectors for the tenant's requests
 * @param trustUserField whether per-user budgets may count a request by its own user field
 *               (OpenAI {@code user}, Anthropic {@code metadata.user_id}) when its key has no
 *               owner: only for tenants whose keys sit behind their own trusted front end,
 *               since any caller can write any name there
 */
public record Tenant(String id, String policy, RateLimits limits, PrivacySettings privacy,
    boolean trustUserField) {

  public Tenant {
    privacy = privacy == null ? PrivacySettings.NONE : privacy;
  }

  public Tenant(String id, String policy, RateLimits limits, PrivacySettings privacy) {
    this(id, policy, limits, privacy, false);
  }

  public Tenant(String id, String policy, RateLimits limits) {
    this(id, policy, limits, PrivacySettings.NONE);
  }

  public static final String DEFAULT_ID = "default";

  /** The default tenant where no store is configured (no Redis or no key secret). */
  public static Tenant implicitDefault() {
    return empty(DEFAULT_ID);
  }

  /** A tenant the store holds no record for: the router's defaults apply. */
  public static Tenant empty(String id) {
    return new Tenant(id, null, RateLimits.NONE);
  }
}
