package io.tiermesh.provider;

import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.Usage;
import io.tiermesh.provider.wire.Embeddings;
import io.vertx.core.buffer.Buffer;

/** One embedding attempt against the backend: one vector per input, in order, or a failure. */
final class UpstreamEmbed extends UpstreamAttempt<EmbedResult> {

  private final EmbedCall call;

  UpstreamEmbed(Backend backend, EmbedCall call, Buffer body) {
    super(backend, call, body);
    this.call = call;
  }

  @Override
  protected String path() {
    return backend.translator().embedPath();
  }

  @Override
  protected EmbedResult decode(Buffer answer) {
    Embeddings e = backend.translator().decodeEmbed(answer);
    if (e.vectors().size() != call.input().size()) {
      throw new MeshFailure(FailureCode.UPSTREAM_ERROR, "backend " + config.id() + " sent "
          + e.vectors().size() + " vectors for " + call.input().size() + " inputs");
    }
    long chars = call.input().stream().mapToLong(String::length).sum();
    Usage usage = e.usage() != null ? e.usage() : new Usage(UsageEstimator.tokens(chars), 0, true);
    return new EmbedResult(call.requestId(), call.attempt(), backend.nodeId(),
        e.model() != null ? e.model() : config.resolveEmbeddingModel(call.requestedModel()),
        e.vectors(), usage, null, 0);
  }

  @Override
  protected EmbedResult failed(Failure failure) {
    return failed(call, backend.nodeId(), failure);
  }

  static EmbedResult failed(EmbedCall call, String nodeId, Failure failure) {
    return new EmbedResult(call.requestId(), call.attempt(), nodeId, null, null, null, failure,
        0);
  }
}
