package io.tiermesh.router.rules;

/**
 * Mirror {@code percent} % of a rule's requests to {@code target} for quality comparison. The
 * shadow call never affects the answer; it is policy-checked and budgeted like any call.
 */
public record Shadow(Target target, int percent) {}
