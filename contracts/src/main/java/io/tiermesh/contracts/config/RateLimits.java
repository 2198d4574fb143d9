package io.tiermesh.contracts.config;

/**
 * Request-rate limits of one API key, tenant or client address. A null field means "not set
 * here": a key inherits its tenant's value, a tenant the configured default; a value of 0 or
 * below in the default means unlimited.
 *
 * @param requestsPerMinute fixed one-minute window
 * @param tokensPerMinute   prompt plus completion tokens per one-minute window (charged after
 *                          the answer, so one request may overshoot; the next is refused)
 * @param requestsPerDay    fixed UTC-day window
 */
public record RateLimits(Integer requestsPerMinute, Integer tokensPerMinute,
    Integer requestsPerDay) {

  public static final RateLimits NONE = new RateLimits(null, null, null);

  /** This value where set, else {@code fallback}'s. */
  public RateLimits orElse(RateLimits fallback) {
    if (fallback == null) {
      return this;
    }
    return new RateLimits(
        requestsPerMinute != null ? requestsPerMinute : fallback.requestsPerMinute,
        tokensPerMinute != null ? tokensPerMinute : fallback.tokensPerMinute,
        requestsPerDay != null ? requestsPerDay : fallback.requestsPerDay);
  }
}
