package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.redis.RedisTarget;

/**
 * What the gateway needs for keys, tenants and limits, with secrets already resolved by the
 * launcher (never read from the environment here, so tests need no environment variables).
 *
 * @param durable    where keys, tenants and the audit trail live (the budget's Redis: none of
 *                   it may be evicted); null: bootstrap key only, no audit trail
 * @param ephemeral  where rate-limit counters, idempotency records and cached answers live (may
 *                   evict); null: no limits, no reuse of answers
 * @param adminKey   null disables the admin API
 * @param keySecret  HMAC secret for stored keys; null: only the bootstrap key works
 */
public record AccessSettings(AccessConfig config, RedisTarget durable, RedisTarget ephemeral,
    String adminKey, String adminKeyEnv, String keySecret) {

  public static AccessSettings bootstrapOnly() {
    return new AccessSettings(AccessConfig.DEFAULT, null, null, null, "TIERMESH_ADMIN_KEY", null);
  }
}
