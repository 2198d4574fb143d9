package io.tiermesh.router.rules;

import io.tiermesh.contracts.HintVocabulary;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A field of {@link RequestFacts} that a rule condition may test, with its YAML name and the
 * values it can take. The value sets are {@link HintVocabulary}'s, which the gateway validates
 * routing hints against, so the rule parser and the hint validator share one vocabulary.
 */
public enum Fact {
  CLASSIFICATION("classification", Kind.SET, HintVocabulary.CLASSIFICATIONS),
  TASK("task", Kind.SET, HintVocabulary.TASKS),
  /** Ordered from lowest to highest, so {@code lte}/{@code gte} compare by position. */
  QUALITY("quality", Kind.ORDINAL, HintVocabulary.QUALITIES),
  /** Ordered from lowest to highest, so {@code lte}/{@code gte} compare by position. */
  COMPLEXITY("complexity", Kind.ORDINAL, HintVocabulary.COMPLEXITIES),
  BATCH_SIZE("batchSize", Kind.NUMBER, List.of()),
  ESTIMATED_PROMPT_TOKENS("estimatedPromptTokens", Kind.NUMBER, List.of()),
  REQUESTED_MODEL("requestedModel", Kind.TEXT, List.of()),
  TENANT("tenant", Kind.TEXT, List.of()),
  HAS_TOOLS("hasTools", Kind.BOOL, List.of()),
  STREAMING("streaming", Kind.BOOL, List.of());

  /** How a fact's values are written in YAML and compared. */
  public enum Kind {
    /** Closed set of lower-case names; eq and in only. */
    SET,
    /** Closed, ordered set of lower-case names; every operator. */
    ORDINAL,
    /** Whole number; every operator. */
    NUMBER,
    /** Free text compared exactly (tenant ids, model names); eq and in only. */
    TEXT,
    /** true / false; eq only. */
    BOOL
  }

  private final String key;
  private final Kind kind;
  private final List<String> allowedValues;

  Fact(String key, Kind kind, List<String> allowedValues) {
    this.key = key;
    this.kind = kind;
    this.allowedValues = allowedValues;
  }

  /** The name used in rule YAML and in explanations. */
  public String key() {
    return key;
  }

  public Kind kind() {
    return kind;
  }

  /** The closed value set of a SET or ORDINAL fact (ordinal order), empty otherwise. */
  public List<String> allowedValues() {
    return allowedValues;
  }

  public boolean ordered() {
    return kind == Kind.ORDINAL || kind == Kind.NUMBER;
  }

  public static Optional<Fact> byKey(String key) {
    return Arrays.stream(values()).filter(f -> f.key.equals(key)).findFirst();
  }

  public static List<String> keys() {
    return Arrays.stream(values()).map(Fact::key).toList();
  }

  /** The canonical value of this fact in a request: String, Long or Boolean. */
  public Object read(RequestFacts f) {
    return switch (this) {
      case CLASSIFICATION -> f.classification();
      case TASK -> f.task();
      case QUALITY -> f.quality();
      case COMPLEXITY -> f.complexity();
      case BATCH_SIZE -> (long) f.batchSize();
      case ESTIMATED_PROMPT_TOKENS -> (long) f.estimatedPromptTokens();
      case REQUESTED_MODEL -> f.requestedModel();
      case TENANT -> f.tenant();
      case HAS_TOOLS -> f.hasTools();
      case STREAMING -> f.streaming();
    };
  }

  /**
   * Orders two canonical values of an ordered fact. Only called on values the parser accepted,
   * so both are members of the fact's domain.
   */
  int compare(Object a, Object b) {
    if (kind == Kind.NUMBER) {
      return Long.compare((Long) a, (Long) b);
    }
    return Integer.compare(allowedValues.indexOf(a), allowedValues.indexOf(b));
  }
}
