package io.tiermesh.contracts;

/**
 * Router → any gateway: the outcome of an idempotent request whose own gateway left the
 * cluster before it could take the answer. The receiving gateway stores a success under the
 * claim (so the client's retry gets it replayed) or releases the claim after a failure (so the
 * retry runs).
 */
public record OrphanedOutcome(IdempotencyClaim claim, RouteOutcome outcome) {}
