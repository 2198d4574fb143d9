package io.tiermesh.contracts;

import java.util.List;

/**
 * The values a routing hint may take. The gateway validates headers against these lists and the
 * rule engine's facts ({@code Fact.allowedValues()}) are built from them, so a value the
 * gateway accepts is always one a rule can name, and the other way round.
 */
public final class HintVocabulary {

  public static final List<String> CLASSIFICATIONS =
      List.of("public", "internal", "confidential", "pii", "hipaa", "legal");
  /**
   * The classifications from least to most protective. When a request labels itself more
   * than once (repeated headers, a header and body metadata, a tenant default and a content
   * detector), the label latest in this list applies: {@code legal} above {@code internal}
   * because a rules file may make it private, and the always-private labels above both.
   */
  public static final List<String> CLASSIFICATION_PROTECTION =
      List.of("public", "internal", "legal", "confidential", "pii", "hipaa");
  public static final List<String> TASKS =
      List.of("chat", "code", "docs", "extraction", "summarization", "research", "translation",
          "embedding");
  /** Ordered from lowest to highest: rules compare with {@code lte}/{@code gte}. */
  public static final List<String> QUALITIES = List.of("low", "standard", "high", "critical");
  /** Ordered from lowest to highest: rules compare with {@code lte}/{@code gte}. */
  public static final List<String> COMPLEXITIES = List.of("low", "medium", "high");

  public static final int MIN_BATCH_SIZE = 1;
  public static final int MAX_BATCH_SIZE = 1_000_000;

  private HintVocabulary() {}

  /** The more protective of two classifications; null stands for "not given". */
  public static String moreProtective(String a, String b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return CLASSIFICATION_PROTECTION.indexOf(b) > CLASSIFICATION_PROTECTION.indexOf(a) ? b : a;
  }
}
