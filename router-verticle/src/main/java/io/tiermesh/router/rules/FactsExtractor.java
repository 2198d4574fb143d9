package io.tiermesh.router.rules;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.ToolDef;
import java.util.List;

/** Turns a parsed request and its hints into the {@link RequestFacts} the rules see. */
public final class FactsExtractor {

  /** Characters per token for the prompt-size estimate; good enough to compare requests. */
  public static final int CHARS_PER_TOKEN = 4;

  private final ComplexityEstimator estimator;

  public FactsExtractor(ComplexityEstimator estimator) {
    this.estimator = estimator;
  }

  public FactsExtractor() {
    this(new ComplexityEstimator());
  }

  /**
   * @throws IllegalArgumentException when a hint is outside its allowed set (the gateway
   *     validates first, so this only fires on a caller that skipped it)
   */
  public RequestFacts extract(ChatRequest request, RoutingHints hints, String tenant) {
    RoutingHints h = hints == null ? RoutingHints.NONE : hints;
    List<ToolDef> tools = request.tools() == null ? List.of() : request.tools();
    int chars = request.messages() == null ? 0 : request.promptChars();
    for (ToolDef t : tools) {
      chars += ComplexityEstimator.schemaLength(t);
    }
    String complexity = h.complexity() != null
        ? h.complexity()
        : estimator.estimate(request.messages(), tools);
    return new RequestFacts(
        h.classification(),
        h.task(),
        h.quality(),
        complexity,
        h.batchSize() == null ? 1 : h.batchSize(),
        chars / CHARS_PER_TOKEN,
        request.model(),
        tenant,
        !tools.isEmpty(),
        request.stream());
  }

  /**
   * Facts for an embeddings call: the task is always {@code embedding}, whatever the hint said,
   * so the embedding rule sees it.
   */
  public RequestFacts extractEmbedding(
      String model, List<String> inputs, RoutingHints hints, String tenant) {
    RoutingHints h = hints == null ? RoutingHints.NONE : hints;
    int chars = 0;
    for (String s : inputs == null ? List.<String>of() : inputs) {
      chars += s == null ? 0 : s.length();
    }
    return new RequestFacts(
        h.classification(), "embedding", h.quality(),
        h.complexity() == null ? "low" : h.complexity(),
        h.batchSize() == null ? Math.max(1, inputs == null ? 1 : inputs.size()) : h.batchSize(),
        chars / CHARS_PER_TOKEN, model, tenant, false, false);
  }
}
