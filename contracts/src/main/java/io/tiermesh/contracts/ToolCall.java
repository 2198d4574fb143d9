package io.tiermesh.contracts;

/** A function call requested by the model; arguments stay the JSON text the model produced. */
public record ToolCall(String id, String name, String argumentsJson) {}
