package io.tiermesh.contracts;

/** A role's answer to a readiness probe. */
public record HealthReport(String role, String nodeId, boolean ready, String detail) {}
