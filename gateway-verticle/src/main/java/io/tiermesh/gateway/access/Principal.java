package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.privacy.PrivacySettings;

/**
 * Who is calling, once the key checked out.
 *
 * @param keyId  the key's id ({@code bootstrap} for the configured client key)
 * @param limits the effective limits: key over tenant over configured default
 * @param privacy the tenant's default classification and content detectors
 */
public record Principal(String tenant, String keyId, String policy, RateLimits limits,
    PrivacySettings privacy) {

  public Principal {
    privacy = privacy == null ? PrivacySettings.NONE : privacy;
  }

  public Principal(String tenant, String keyId, String policy, RateLimits limits) {
    this(tenant, keyId, policy, limits, PrivacySettings.NONE);
  }

  public static final String BOOTSTRAP_KEY_ID = "bootstrap";
}
