package io.tiermesh.contracts;

/** Admin API → budget role: a usage report grouped by {@code day}, {@code tier},
 * {@code provider}, {@code model} or {@code tenant}. */
public record UsageQuery(String group) {}
