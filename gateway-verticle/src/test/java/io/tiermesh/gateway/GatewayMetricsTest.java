package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, null);

  private double calls(String provider, String outcome) {
    var c = registry.find(GatewayMetrics.PROVIDER_CALLS).tag("provider", provider)
        .tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void backendFaultsCountAgainstTheirProviderAndOnlyThey() {
    RouteOutcome served = new RouteOutcome("r1", new RouteInfo(2, "hosted", "mini", "fallback"),
        null, null, 0, List.of(
            new Attempt("premium", 3, "n", new Failure(FailureCode.UPSTREAM_ERROR, "500"), 5, 2),
            new Attempt("premium2", 3, "n", new Failure(FailureCode.BUDGET_EXHAUSTED, "cap"), 0),
            new Attempt("premium3", 3, "n", new Failure(FailureCode.CIRCUIT_OPEN, "open"), 0),
            new Attempt("hosted", 2, "n", null, 40)), null);
    metrics.providerCalls(served);
    assertEquals(3, calls("premium", "error"), "the try and its two retries");
    assertEquals(0, calls("premium2", "error"), "a budget refusal never reached the backend");
    assertEquals(0, calls("premium3", "error"), "an open breaker sent nothing");
    assertEquals(1, calls("hosted", "ok"));

    RouteOutcome failed = new RouteOutcome("r2", null, null, null, 0, List.of(
        new Attempt("hosted", 2, "n", new Failure(FailureCode.UPSTREAM_TIMEOUT, "slow"), 9)),
        new Failure(FailureCode.NO_PROVIDER_AVAILABLE, "none"));
    metrics.providerCalls(failed);
    assertEquals(1, calls("hosted", "error"));
    assertEquals(1, calls("hosted", "ok"), "a failed request is no good call");
  }

  @Test
  void theLatencyHistogramHasFixedBucketsAndFewTags() {
    metrics.request("openai", new RouteInfo(1, "local", "llama", "default"), "miss", 200,
        System.nanoTime() - 300_000_000L);
    var timer = registry.find(GatewayMetrics.REQUEST_LATENCY).tag("api", "openai")
        .tag("tier", "1").tag("provider", "local").timer();
    assertEquals(1, timer.count());
    assertEquals(3, timer.getId().getTags().size(), "api, tier, provider only");
    var buckets = timer.takeSnapshot().histogramCounts();
    assertEquals(GatewayMetrics.LATENCY_BUCKETS.length, buckets.length);
    assertEquals(0, buckets[3].count(), "not within 250 ms");
    assertEquals(1, buckets[4].count(), "within 500 ms");
    assertNull(registry.find(GatewayMetrics.REQUEST_LATENCY).tag("model", "llama").timer());
  }
}
