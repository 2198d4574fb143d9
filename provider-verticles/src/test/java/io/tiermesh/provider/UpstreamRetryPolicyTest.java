package io.tiermesh.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.config.ProviderConfig.RetryConfig;
import org.junit.jupiter.api.Test;

class UpstreamRetryPolicyTest {

  static final RetryConfig CONFIG = new RetryConfig(2, 100, 2_000, 0.2, 3.0);

  record Case(String name, int retry, FailureCode code, long chunks, long retryAfter,
      long remaining, double random, long expected) {}

  @Test
  void decidesRetriesAndDelays() {
    Case[] cases = {
        new Case("first retry, lowest jitter", 1, FailureCode.UPSTREAM_ERROR, 0, -1, 10_000, 0,
            50),
        new Case("first retry, highest jitter", 1, FailureCode.UPSTREAM_ERROR, 0, -1, 10_000,
            0.999, 99),
        new Case("second retry doubles", 2, FailureCode.UPSTREAM_UNREACHABLE, 0, -1, 10_000, 0,
            100),
        new Case("beyond maxRetries", 3, FailureCode.UPSTREAM_ERROR, 0, -1, 10_000, 0, -1),
        new Case("Retry-After longer than backoff wins", 1, FailureCode.UPSTREAM_RATE_LIMITED,
            0, 1_000, 10_000, 0, 1_000),
        new Case("Retry-After beyond maxDelay goes to the chain", 1,
            FailureCode.UPSTREAM_RATE_LIMITED, 0, 3_000, 10_000, 0, -1),
        new Case("never after the first byte", 1, FailureCode.UPSTREAM_ERROR, 1, -1, 10_000, 0,
            -1),
        new Case("bad request is not retried", 1, FailureCode.UPSTREAM_BAD_REQUEST, 0, -1,
            10_000, 0, -1),
        new Case("timeouts go to the chain", 1, FailureCode.UPSTREAM_TIMEOUT, 0, -1, 10_000, 0,
            -1),
        new Case("no time left", 1, FailureCode.UPSTREAM_ERROR, 0, -1, 40, 0, -1),
    };
    for (Case c : cases) {
      UpstreamRetryPolicy p = new UpstreamRetryPolicy(CONFIG);
      assertEquals(c.expected(), p.delayBeforeRetry(c.retry(), c.code(), c.chunks(),
          c.retryAfter(), c.remaining(), c.random()), c.name());
    }
  }

  @Test
  void budgetBoundsExtraAttemptsUnderAStorm() {
    UpstreamRetryPolicy p = new UpstreamRetryPolicy(CONFIG);
    int calls = 1_000;
    long retries = 0;
    for (int i = 0; i < calls; i++) {
      p.onCall();
      for (int r = 1; p.delayBeforeRetry(r, FailureCode.UPSTREAM_RATE_LIMITED, 0, 0, 10_000,
          0.5) >= 0; r++) {
        retries++;
      }
    }
    assertTrue(retries <= 0.2 * calls + CONFIG.budgetBurst(), "retries " + retries);
    assertTrue(retries >= 0.2 * calls - 1, "the budget is actually spent: " + retries);
  }

  @Test
  void parsesRetryAfter() {
    assertEquals(2_000, UpstreamRetryPolicy.retryAfterMs("2"));
    assertEquals(500, UpstreamRetryPolicy.retryAfterMs(" 0.5 "));
    assertEquals(-1, UpstreamRetryPolicy.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"));
    assertEquals(-1, UpstreamRetryPolicy.retryAfterMs(null));
  }
}
