package io.tiermesh.gateway.access;

import io.tiermesh.gateway.access.RateLimiter.Kind;
import io.tiermesh.gateway.access.RateLimiter.WindowState;
import io.vertx.core.MultiMap;

/**
 * OpenAI's rate-limit headers from window states: for requests and for tokens, the limited
 * window with the least room left is reported ({@code x-ratelimit-limit-*},
 * {@code -remaining-*}, {@code -reset-*} in OpenAI's duration form such as {@code 6m0s}), and
 * a refusal carries {@code Retry-After} in whole seconds.
 */
public final class RateLimitHeaders {

  private RateLimitHeaders() {}

  public static void apply(MultiMap headers, RateLimiter.Decision d) {
    for (Kind kind : Kind.values()) {
      WindowState tightest = null;
      for (WindowState s : d.states()) {
        if (s.window().kind() == kind && s.window().limit() > 0
            && (tightest == null || s.remaining() < tightest.remaining())) {
          tightest = s;
        }
      }
      if (tightest != null) {
        String suffix = kind == Kind.REQUESTS ? "requests" : "tokens";
        headers.set("x-ratelimit-limit-" + suffix, String.valueOf(tightest.window().limit()));
        headers.set("x-ratelimit-remaining-" + suffix, String.valueOf(tightest.remaining()));
        headers.set("x-ratelimit-reset-" + suffix, duration(tightest.resetMs()));
      }
    }
    if (!d.allowed()) {
      headers.set("Retry-After", String.valueOf(Math.max(1, (d.retryAfterMs() + 999) / 1000)));
    }
  }

  /** OpenAI's reset form: {@code 1h2m3s}, {@code 6m0s}, {@code 1.5s}, {@code 250ms}. */
  static String duration(long ms) {
    if (ms < 1_000) {
      return ms + "ms";
    }
    long h = ms / 3_600_000;
    long m = ms % 3_600_000 / 60_000;
    double s = ms % 60_000 / 1000.0;
    String sec = s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s);
    if (h > 0) {
      return h + "h" + m + "m" + sec + "s";
    }
    if (m > 0) {
      return m + "m" + sec + "s";
    }
    return sec + "s";
  }
}
