package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;

/**
 * A stored API key: everything but the key itself.
 *
 * @param hash          HMAC-SHA256 of the key (the Redis lookup key)
 * @param masked        prefix and last four characters, for people to recognise it
 * @param limits        overrides of the tenant's limits, fields null where not set
 * @param owner         the person the key belongs to (per-user budgets count all of their
 *                      keys together), or null
 * @param expiresMillis when the key stops working (epoch ms), or null for never
 */
public record ApiKeyRecord(String id, String hash, String tenant, String name, String masked,
    long createdMillis, boolean revoked, RateLimits limits, String owner, Long expiresMillis) {

  public ApiKeyRecord(String id, String hash, String tenant, String name, String masked,
      long createdMillis, boolean revoked, RateLimits limits) {
    this(id, hash, tenant, name, masked, createdMillis, revoked, limits, null, null);
  }

  /** Past its expiry a key is refused exactly like an unknown one. */
  public boolean expiredAt(long nowMillis) {
    return expiresMillis != null && nowMillis >= expiresMillis;
  }
}
