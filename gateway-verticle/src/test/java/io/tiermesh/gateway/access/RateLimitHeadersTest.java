package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.access.RateLimiter.Decision;
import io.tiermesh.gateway.access.RateLimiter.Window;
import io.tiermesh.gateway.access.RateLimiter.WindowState;
import io.vertx.core.MultiMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateLimitHeadersTest {

  @ParameterizedTest
  @CsvSource({"250,250ms", "1000,1s", "1500,1.5s", "360000,6m0s", "59000,59s",
      "3723000,1h2m3s"})
  void durationsLookLikeOpenAis(long ms, String text) {
    assertEquals(text, RateLimitHeaders.duration(ms));
  }

  @Test
  void tightestRequestWindowIsReportedAndRefusalWaitsForTheExceededWindow() {
    List<Window> w = RateLimiter.forKey("k", new RateLimits(10, 1000, 100));
    Decision d = new Decision(false, List.of(
        new WindowState(w.get(0), 3, 20_000),     // rpm: 6 left after this one
        new WindowState(w.get(1), 100, 3_600_000), // rpd: exhausted
        new WindowState(w.get(2), 200, 20_000)));  // tpm: 800 left
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    RateLimitHeaders.apply(h, d);
    assertEquals("100", h.get("x-ratelimit-limit-requests"));
    assertEquals("0", h.get("x-ratelimit-remaining-requests"));
    assertEquals("1h0m0s", h.get("x-ratelimit-reset-requests"));
    assertEquals("1000", h.get("x-ratelimit-limit-tokens"));
    assertEquals("800", h.get("x-ratelimit-remaining-tokens"));
    assertEquals("3600", h.get("Retry-After"));
  }

  @Test
  void unlimitedWindowsSendNoHeaders() {
    List<Window> w = RateLimiter.forKey("k", new RateLimits(0, 0, 0));
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    RateLimitHeaders.apply(h, new Decision(true, List.of(new WindowState(w.get(0), 5, 1000))));
    assertNull(h.get("x-ratelimit-limit-requests"));
    assertNull(h.get("Retry-After"));
  }
}
