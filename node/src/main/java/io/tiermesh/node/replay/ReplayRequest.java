package io.tiermesh.node.replay;

import java.util.Map;

/**
 * One request of the replayed month: its category, the privacy class and canary marker of a
 * private request ({@code null} otherwise), the headers sent, and the tier the users' rules
 * should pick for it. The body is made when it is sent, from {@code textSeed}: a whole month of
 * 100k-token prompts would not fit in the client's memory at once.
 */
public record ReplayRequest(String id, String category, String classification, String canary,
    Map<String, String> headers, boolean stream, int promptTokens, int outputTokens,
    int expectedTier, long textSeed) {

  public boolean isPrivate() {
    return classification != null;
  }

  /** The JSON body; the same every time for the same request. */
  public String body() {
    return ReferenceWorkload.body(this);
  }
}
