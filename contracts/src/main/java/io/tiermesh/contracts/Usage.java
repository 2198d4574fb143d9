package io.tiermesh.contracts;

/**
 * Token counts of one call.
 *
 * @param estimated true when the backend reported no usage and the mesh counted it itself
 */
public record Usage(int promptTokens, int completionTokens, boolean estimated) {

  public static final Usage ZERO = new Usage(0, 0, false);

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
