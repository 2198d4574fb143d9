package io.tiermesh.budget;

/**
 * What one model charges, in µ$ per million tokens. A local model costs {@link #FREE}.
 *
 * @param inputMicrosPerMillion price of a million prompt tokens
 * @param outputMicrosPerMillion price of a million completion tokens
 */
public record ModelPrice(long inputMicrosPerMillion, long outputMicrosPerMillion) {

  public static final ModelPrice FREE = new ModelPrice(0, 0);

  private static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;

  public ModelPrice {
    if (inputMicrosPerMillion < 0 || outputMicrosPerMillion < 0) {
      throw new IllegalArgumentException("negative price");
    }
  }

  /**
   * The cost of a call, rounded up to the next µ$ so that a reservation computed from the worst
   * case is never below what the settle will charge.
   */
  public long costMicros(int promptTokens, int completionTokens) {
    if (promptTokens < 0 || completionTokens < 0) {
      throw new IllegalArgumentException("negative token count");
    }
    long scaled = Math.addExact(
        Math.multiplyExact((long) promptTokens, inputMicrosPerMillion),
        Math.multiplyExact((long) completionTokens, outputMicrosPerMillion));
    // Math.ceilDiv is Java 18+; scaled is non-negative so this is the same.
    return Math.addExact(scaled, TOKENS_PER_PRICE_UNIT - 1) / TOKENS_PER_PRICE_UNIT;
  }
}
