package io.tiermesh.node.replay;

import java.util.Map;

/**
 * One request of the replayed month: its category, the privacy class and canary marker of a
 * private request ({@code null} otherwise), the headers and body sent, and the tier the users'
 * rules should pick for it.
 */
public record ReplayRequest(String id, String category, String classification, String canary,
    Map<String, String> headers, String body, boolean stream, int promptTokens,
    int outputTokens, int expectedTier) {

  public boolean isPrivate() {
    return classification != null;
  }
}
