package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;

/**
 * Who is calling, once the key checked out.
 *
 * @param keyId  the key's id ({@code bootstrap} for the configured client key)
 * @param limits the effective limits: key over tenant over configured default
 */
public record Principal(String tenant, String keyId, String policy, RateLimits limits) {

  public static final String BOOTSTRAP_KEY_ID = "bootstrap";
}
