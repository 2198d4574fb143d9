package io.tiermesh.contracts;

/**
 * Provider instance → router: how an attempt ended. A failure is carried as data rather than a
 * {@code ReplyException} because the router needs {@code chunksSent} with it: an attempt that
 * already streamed must never be retried (the client would see text twice).
 *
 * @param retries extra requests the provider sent to its backend for this attempt (each one
 *                reached the backend, so clients are told: {@code X-TierMesh-Attempts})
 */
public record ProviderResult(
    String requestId,
    int attempt,
    String nodeId,
    ChatResponse response,
    Usage usage,
    long chunksSent,
    Failure failure,
    int retries) implements AttemptReply<ProviderResult> {

  /** An attempt without same-backend retries. */
  public ProviderResult(String requestId, int attempt, String nodeId, ChatResponse response,
      Usage usage, long chunksSent, Failure failure) {
    this(requestId, attempt, nodeId, response, usage, chunksSent, failure, 0);
  }

  @Override
  public ProviderResult withRetries(int n) {
    return new ProviderResult(requestId, attempt, nodeId, response, usage, chunksSent, failure,
        n);
  }
}
