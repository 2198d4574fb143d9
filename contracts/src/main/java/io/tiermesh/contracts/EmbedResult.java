package io.tiermesh.contracts;

import java.util.List;

/** Provider instance → router: the vectors (one per input, in order) or why there are none. */
public record EmbedResult(
    String requestId,
    int attempt,
    String nodeId,
    String model,
    List<List<Double>> vectors,
    Usage usage,
    Failure failure,
    int retries) implements AttemptReply<EmbedResult> {

  @Override
  public EmbedResult withRetries(int n) {
    return new EmbedResult(requestId, attempt, nodeId, model, vectors, usage, failure, n);
  }
}
