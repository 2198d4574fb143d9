package io.tiermesh.budget;

/**
 * A provider whose paid traffic is stopped because it reported more usage than was reserved.
 *
 * @param providerId     the provider
 * @param requestId      the request whose settle overran
 * @param chargedMicros  what that request was charged (the provider's own report)
 * @param reservedMicros what had been reserved for it
 * @param atMillis       when it was charged
 * @param untilMillis    when the halt lifts by itself (the day window's end), or null
 */
public record HaltedProvider(String providerId, String requestId, long chargedMicros,
    long reservedMicros, long atMillis, Long untilMillis) {}
