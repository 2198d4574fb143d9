package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.config.ProviderConfig;
import io.vertx.core.http.HttpServerResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code Retry-After} of a 503 whose cause will pass by itself: an open circuit breaker
 * lets a trial call through after its {@code resetMs}, and a lost provider node is replaced or
 * failed over within moments. Other 503s (nothing configured, overload, draining) carry none:
 * there is no honest time to name. Plain logic, so the rule is tested without HTTP.
 */
final class RetryAfter {

  /** A node loss is failed over at once; the next try only needs the cluster to settle. */
  static final long NODE_LOST_SECONDS = 1;

  private final Map<String, Long> resetMsByProvider;
  private final long shortestResetMs;

  /** @param resetMsByProvider each provider's breaker {@code resetMs} */
  RetryAfter(Map<String, Long> resetMsByProvider) {
    this.resetMsByProvider = Map.copyOf(resetMsByProvider);
    this.shortestResetMs = resetMsByProvider.values().stream().min(Long::compare)
        .orElse(ProviderConfig.BreakerConfig.DEFAULT.resetMs());
  }

  static RetryAfter of(List<ProviderConfig> catalog) {
    Map<String, Long> resetMs = new HashMap<>();
    for (ProviderConfig p : catalog) {
      resetMs.put(p.id(), (p.breaker() == null ? ProviderConfig.BreakerConfig.DEFAULT
          : p.breaker()).resetMs());
    }
    return new RetryAfter(resetMs);
  }

  /**
   * Seconds until the soonest cause of this failure may have passed, or -1 when the failure is
   * not a 503 caused by an open breaker or a lost node. An open breaker counts its whole
   * {@code resetMs}: when it opened is not known here, so that is the longest wait.
   */
  long seconds(FailureCode code, List<Attempt> attempts) {
    if (code.httpStatus() != 503) {
      return -1;
    }
    long soonest = Long.MAX_VALUE;
    if (attempts != null) {
      for (Attempt a : attempts) {
        if (a.failure() != null) {
          soonest = Math.min(soonest, causeSeconds(a.failure().code(), a.providerId()));
        }
      }
    }
    soonest = Math.min(soonest, causeSeconds(code, null));
    return soonest == Long.MAX_VALUE ? -1 : soonest;
  }

  private long causeSeconds(FailureCode cause, String providerId) {
    return switch (cause) {
      case CIRCUIT_OPEN -> Math.max(1, ((providerId == null ? shortestResetMs
          : resetMsByProvider.getOrDefault(providerId, shortestResetMs)) + 999) / 1000);
      case NODE_LOST -> NODE_LOST_SECONDS;
      default -> Long.MAX_VALUE;
    };
  }

  /** Sets the header when the failure has a time to name; call before the error is sent. */
  void put(HttpServerResponse resp, FailureCode code, List<Attempt> attempts) {
    long s = seconds(code, attempts);
    if (s > 0) {
      resp.putHeader("Retry-After", String.valueOf(s));
    }
  }
}
