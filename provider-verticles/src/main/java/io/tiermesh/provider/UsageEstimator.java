package io.tiermesh.provider;

import io.tiermesh.contracts.Usage;

/**
 * Token counts for backends that report none. Four characters per token is the usual English
 * average for BPE tokenizers; the result is flagged so reports can tell it from real counts.
 */
final class UsageEstimator {

  private UsageEstimator() {}

  static int tokens(long chars) {
    return (int) ((chars + 3) / 4);
  }

  static Usage estimate(long promptChars, long completionChars) {
    return new Usage(tokens(promptChars), tokens(completionChars), true);
  }
}
