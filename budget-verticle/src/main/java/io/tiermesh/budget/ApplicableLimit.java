package io.tiermesh.budget;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * A {@link ScopeLimit} resolved for one call at one instant: the concrete counter plus what the
 * store needs to enforce and alert on it.
 *
 * @param alertAtMicros spend plus reservations at which the once-per-window alert fires
 * @param windowEnd when the counter's period ends (alert markers expire then)
 */
public record ApplicableLimit(ScopeKey key, OptionalLong limitMicros, OptionalLong maxRequests,
    OptionalLong alertAtMicros, Instant windowEnd) {}
