package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.AccessConfig;

/**
 * What the gateway needs for keys, tenants and limits, with secrets already resolved by the
 * launcher (never read from the environment here, so tests need no environment variables).
 *
 * @param redisUrl   where keys, tenants and rate-limit counters live; null: bootstrap key only,
 *                   no limits
 * @param adminKey   null disables the admin API
 * @param keySecret  HMAC secret for stored keys; null: only the bootstrap key works
 */
public record AccessSettings(AccessConfig config, String redisUrl, String adminKey,
    String adminKeyEnv, String keySecret) {

  public static AccessSettings bootstrapOnly() {
    return new AccessSettings(AccessConfig.DEFAULT, null, null, "TIERMESH_ADMIN_KEY", null);
  }
}
