package io.tiermesh.contracts;

/**
 * Provider instance → router: how an attempt ended. A failure is carried as data rather than a
 * {@code ReplyException} because the router needs {@code chunksSent} with it: an attempt that
 * already streamed must never be retried (the client would see text twice).
 */
public record ProviderResult(
    String requestId,
    int attempt,
    String nodeId,
    ChatResponse response,
    Usage usage,
    long chunksSent,
    Failure failure) {

  public boolean ok() {
    return failure == null;
  }
}
