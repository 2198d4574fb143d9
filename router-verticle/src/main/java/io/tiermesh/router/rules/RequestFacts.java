package io.tiermesh.router.rules;

import java.util.Locale;

/**
 * What the rules may look at: the routing hints, filled in with defaults and estimates, plus a
 * few properties of the request itself. Built by {@link FactsExtractor}; tests build it directly.
 *
 * @param classification data class, one of {@link Fact#CLASSIFICATION}; default {@code public}
 * @param task           one of {@link Fact#TASK}; default {@code chat}
 * @param quality        one of {@link Fact#QUALITY}; default {@code standard}
 * @param complexity     one of {@link Fact#COMPLEXITY}; the hint, else the estimate
 * @param batchSize      how many items the caller says this request stands for; at least 1
 * @param estimatedPromptTokens rough prompt size (characters / 4, tool schemas included)
 * @param requestedModel the model name the client sent; {@code auto} when none
 * @param tenant         the caller's tenant id; {@code default} when none
 * @param hasTools       whether tool definitions were sent
 * @param streaming      whether the client asked for a stream
 */
public record RequestFacts(
    String classification,
    String task,
    String quality,
    String complexity,
    int batchSize,
    int estimatedPromptTokens,
    String requestedModel,
    String tenant,
    boolean hasTools,
    boolean streaming) {

  public static final String DEFAULT_CLASSIFICATION = "public";
  public static final String DEFAULT_TASK = "chat";
  public static final String DEFAULT_QUALITY = "standard";
  public static final String DEFAULT_COMPLEXITY = "low";
  public static final String AUTO_MODEL = "auto";
  public static final String DEFAULT_TENANT = "default";

  /**
   * Fills defaults and rejects values outside the closed sets: a value no rule can name would
   * otherwise silently fall through to the catch-all rule.
   *
   * @throws IllegalArgumentException naming the fact and its allowed values
   */
  public RequestFacts {
    classification = member(Fact.CLASSIFICATION, classification, DEFAULT_CLASSIFICATION);
    task = member(Fact.TASK, task, DEFAULT_TASK);
    quality = member(Fact.QUALITY, quality, DEFAULT_QUALITY);
    complexity = member(Fact.COMPLEXITY, complexity, DEFAULT_COMPLEXITY);
    if (batchSize < 1) {
      batchSize = 1;
    }
    if (estimatedPromptTokens < 0) {
      estimatedPromptTokens = 0;
    }
    requestedModel = blank(requestedModel) ? AUTO_MODEL : requestedModel.trim();
    tenant = blank(tenant) ? DEFAULT_TENANT : tenant;
  }

  /** Whether the client left the choice to the rules. */
  public boolean autoModel() {
    return AUTO_MODEL.equalsIgnoreCase(requestedModel);
  }

  private static String member(Fact fact, String value, String dflt) {
    if (blank(value)) {
      return dflt;
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!fact.allowedValues().contains(v)) {
      throw new IllegalArgumentException(
          fact.key() + ": '" + value + "' is not one of " + fact.allowedValues());
    }
    return v;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
