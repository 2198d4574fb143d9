package io.tiermesh.contracts;

/**
 * A function the model may call; the JSON-Schema parameters are opaque to the mesh.
 *
 * @param strict OpenAI's {@code strict}: the arguments must match the schema exactly; null when
 *               the client did not say
 */
public record ToolDef(String name, String description, String parametersJson, Boolean strict) {

  public ToolDef(String name, String description, String parametersJson) {
    this(name, description, parametersJson, null);
  }
}
