package io.tiermesh.budget;

import java.util.OptionalLong;

/**
 * One counter as read from Redis.
 *
 * @param requests admitted requests in the window: settled ones plus open reservations
 */
public record ScopeUsage(ScopeKey key, long spentMicros, long reservedMicros, long requests,
    OptionalLong limitMicros, OptionalLong maxRequests) {

  public long committedMicros() {
    return spentMicros + reservedMicros;
  }

  /** µ$ still available to new reservations; negative only after a provider overran its reservation. */
  public OptionalLong remainingMicros() {
    return limitMicros.isPresent()
        ? OptionalLong.of(limitMicros.getAsLong() - committedMicros())
        : OptionalLong.empty();
  }

  public OptionalLong remainingRequests() {
    return maxRequests.isPresent()
        ? OptionalLong.of(maxRequests.getAsLong() - requests)
        : OptionalLong.empty();
  }
}
