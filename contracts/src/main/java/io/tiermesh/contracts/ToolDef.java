package io.tiermesh.contracts;

/** A function the model may call; the JSON-Schema parameters are opaque to the mesh. */
public record ToolDef(String name, String description, String parametersJson) {}
