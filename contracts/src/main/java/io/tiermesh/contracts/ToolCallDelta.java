package io.tiermesh.contracts;

/** A fragment of a streamed tool call; id and name come with the first fragment of an index. */
public record ToolCallDelta(int index, String id, String name, String argumentsFragment) {}
