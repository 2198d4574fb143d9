package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;

/**
 * A stored API key: everything but the key itself.
 *
 * @param hash   HMAC-SHA256 of the key (the Redis lookup key)
 * @param masked prefix and last four characters, for people to recognise it
 * @param limits overrides of the tenant's limits, fields null where not set
 */
public record ApiKeyRecord(String id, String hash, String tenant, String name, String masked,
    long createdMillis, boolean revoked, RateLimits limits) {}
