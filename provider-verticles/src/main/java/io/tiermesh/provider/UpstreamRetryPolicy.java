package io.tiermesh.provider;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.config.ProviderConfig.RetryConfig;
import java.util.Set;

/**
 * When and after how long an attempt is retried on the same backend, and the budget that
 * bounds how many retries a provider instance spends in total. Plain logic, no clock: the
 * caller passes the random draw and the time left.
 *
 * <p>The budget is a token bucket of retry credits: each call earns {@code budgetRatio} of a
 * credit (up to {@code budgetBurst} saved), each retry spends one. Under a storm where every
 * call fails, retries therefore stay below {@code budgetRatio × calls + budgetBurst}.
 */
final class UpstreamRetryPolicy {

  /** Failures a second try of the same backend can cure. Timeouts are not: they already cost
   *  the whole first-token wait, and the fallback chain is the better use of the deadline. */
  static final Set<FailureCode> RETRYABLE = Set.of(FailureCode.UPSTREAM_RATE_LIMITED,
      FailureCode.UPSTREAM_ERROR, FailureCode.UPSTREAM_UNREACHABLE);

  private final RetryConfig config;
  private double credits;
  private long calls;
  private long retries;

  UpstreamRetryPolicy(RetryConfig config) {
    this.config = config;
    this.credits = config.budgetBurst();
  }

  /** A new call arrived: it earns its share of a retry. */
  void onCall() {
    calls++;
    credits = Math.min(config.budgetBurst(), credits + config.budgetRatio());
  }

  /**
   * The wait before retry number {@code retry} (1-based), or -1 for no retry.
   *
   * @param chunksSent   chunks already relayed: after the first byte a retry would repeat text
   * @param retryAfterMs the backend's Retry-After, or -1
   * @param remainingMs  time left before the request's deadline
   * @param random       a uniform draw in [0, 1) for the jitter
   */
  long delayBeforeRetry(int retry, FailureCode code, long chunksSent, long retryAfterMs,
      long remainingMs, double random) {
    if (retry > config.maxRetries() || chunksSent > 0 || !RETRYABLE.contains(code)) {
      return -1;
    }
    long delay = backoff(retry, config.baseDelayMs(), config.maxDelayMs(), random);
    if (retryAfterMs >= 0) {
      if (retryAfterMs > config.maxDelayMs()) {
        return -1; // a long wait is better spent on the next target of the chain
      }
      delay = Math.max(delay, retryAfterMs);
    }
    if (delay >= remainingMs || credits < 1) {
      return -1;
    }
    credits -= 1;
    retries++;
    return delay;
  }

  /** Exponential backoff with jitter over the upper half: spreads a herd, never waits ~0. */
  static long backoff(int retry, long baseMs, long maxMs, double random) {
    long exp = Math.min(maxMs, baseMs << Math.min(20, retry - 1));
    return exp / 2 + (long) (random * (exp - exp / 2));
  }

  long calls() {
    return calls;
  }

  long retries() {
    return retries;
  }

  /** Parses a Retry-After header (delta-seconds; HTTP dates are rare from APIs and ignored). */
  static long retryAfterMs(String header) {
    if (header == null) {
      return -1;
    }
    try {
      double seconds = Double.parseDouble(header.trim());
      return seconds < 0 ? -1 : (long) (seconds * 1000);
    } catch (NumberFormatException httpDate) {
      return -1;
    }
  }
}
