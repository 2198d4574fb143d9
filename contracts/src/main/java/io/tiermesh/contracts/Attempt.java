package io.tiermesh.contracts;

/** One try of the fallback chain, as listed to clients when every option failed. */
public record Attempt(String providerId, int tier, String nodeId, Failure failure, long millis) {}
