package io.tiermesh.budget;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * A {@link ScopeLimit} resolved for one call at one instant: the concrete counter plus what the
 * store needs to enforce it.
 *
 * @param windowEnd when the counter's period ends
 */
public record ApplicableLimit(ScopeKey key, OptionalLong limitMicros, OptionalLong maxRequests,
    Instant windowEnd) {}
