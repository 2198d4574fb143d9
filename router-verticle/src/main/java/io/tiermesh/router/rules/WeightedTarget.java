package io.tiermesh.router.rules;

/** One arm of a traffic split; weights of a rule's arms sum to 100. */
public record WeightedTarget(Target target, int weight) {}
