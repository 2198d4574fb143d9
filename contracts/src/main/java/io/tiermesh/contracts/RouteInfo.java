package io.tiermesh.contracts;

/** Which target serves an attempt and why: what the gateway reports in response headers. */
public record RouteInfo(int tier, String providerId, String model, String reason) {}
