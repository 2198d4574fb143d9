package io.tiermesh.contracts.config;

import java.util.List;
import java.util.Map;

/**
 * API keys, tenants and request limits at the gateway.
 *
 * @param keySecretEnv environment variable holding the server secret that API keys are
 *                     HMAC-SHA256-hashed with; without it only the bootstrap key (gateway
 *                     {@code apiKeyEnv}) works and keys cannot be created
 * @param keyCacheMs   how long a gateway instance trusts its cached copy of a key or tenant;
 *                     changes are pushed to every node at once, this only bounds a lost push
 * @param perKey       default limits of every key (a tenant or key record may override them)
 * @param perIp        limits per client address (only {@code requestsPerMinute} applies)
 * @param maxJsonDepth deepest nesting of objects and arrays a request body may have
 * @param maxMessages  most messages one chat request may carry
 * @param bodyTimeoutMs a client must deliver its whole body within this, or gets 408
 * @param maxOutputTokens real output-token limits by {@code provider/model} name; requests
 *                     asking for more are refused with 400
 * @param idempotencyTtlMs how long the answer to an {@code Idempotency-Key} is kept for replay
 * @param cacheTtlMs   how long deterministic answers stay in the response cache; 0 disables it
 * @param rateLimitOnRedisError {@code open} (default): a request whose rate limits cannot be
 *                     checked because Redis did not answer is served; {@code closed}: it is
 *                     refused with 503 {@code policy_unavailable}. Counted either way
 * @param trustedProxies addresses or CIDR ranges of the reverse proxies in front of the
 *                     gateway; only from these peers is the forwarding header read for the
 *                     client address. Empty: the socket's peer is the client
 * @param forwardedHeader the header those proxies write: {@code X-Forwarded-For} (default) or
 *                     {@code Forwarded}
 */
public record AccessConfig(
    String keySecretEnv,
    long keyCacheMs,
    RateLimits perKey,
    RateLimits perIp,
    int maxJsonDepth,
    int maxMessages,
    long bodyTimeoutMs,
    Map<String, Integer> maxOutputTokens,
    long idempotencyTtlMs,
    Long cacheTtlMs,
    String rateLimitOnRedisError,
    List<String> trustedProxies,
    String forwardedHeader) {

  public static final String FAIL_OPEN = "open";
  public static final String FAIL_CLOSED = "closed";
  public static final String X_FORWARDED_FOR = "X-Forwarded-For";
  public static final String FORWARDED = "Forwarded";

  /** Whether a rate-limit check that Redis could not answer refuses the request. */
  public boolean rateLimitFailsClosed() {
    return FAIL_CLOSED.equals(rateLimitOnRedisError);
  }

  public static final AccessConfig DEFAULT = new AccessConfig("TIERMESH_KEY_SECRET", 60_000,
      new RateLimits(0, 0, 0), new RateLimits(0, null, null), 64, 1_000, 30_000, Map.of(), 86_400_000, 600_000L,
      FAIL_OPEN, List.of(), X_FORWARDED_FOR);
}
