package io.tiermesh.provider;

import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.provider.wire.Embeddings;
import io.tiermesh.provider.wire.WireTranslator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/** One embedding attempt against the backend, bounded by the total timeout. */
final class UpstreamEmbed {

  private final Vertx vertx;
  private final HttpClient client;
  private final ProviderConfig config;
  private final String basePath;
  private final String apiKey;
  private final WireTranslator translator;
  private final EmbedCall call;
  private final String nodeId;
  private final Promise<EmbedResult> promise = Promise.promise();
  private HttpClientRequest request;
  private long retryAfterMs = -1;

  UpstreamEmbed(Vertx vertx, HttpClient client, ProviderConfig config, String basePath,
      String apiKey, WireTranslator translator, EmbedCall call, String nodeId) {
    this.vertx = vertx;
    this.client = client;
    this.config = config;
    this.basePath = basePath;
    this.apiKey = apiKey;
    this.translator = translator;
    this.call = call;
    this.nodeId = nodeId;
  }

  Future<EmbedResult> run() {
    long remaining = call.deadlineMillis() - System.currentTimeMillis();
    long total = Math.max(1, Math.min(config.timeouts().totalMs(), remaining));
    long timer = vertx.setTimer(total, id -> abort(new MeshFailure(FailureCode.UPSTREAM_TIMEOUT,
        "backend " + config.id() + " did not finish within " + total + " ms")));
    String model = config.resolveEmbeddingModel(call.requestedModel());
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setURI(basePath + translator.embedPath())
        .setConnectTimeout(config.timeouts().connectMs())
        .setFollowRedirects(false)
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Request-Id", call.requestId());
    translator.prepare(options.getHeaders());
    if (apiKey != null) {
      translator.authorize(options.getHeaders(), apiKey);
    }
    Buffer body = translator.encodeEmbed(model, call.input(), call.dimensions());
    client.request(options)
        .compose(req -> {
          request = req;
          return req.send(body);
        })
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200) {
            retryAfterMs = RetryPolicy.retryAfterMs(resp.getHeader("Retry-After"));
            throw new MeshFailure(UpstreamFailures.ofStatus(resp.statusCode()),
                UpstreamFailures.detail(config.id(), resp.statusCode(),
                    translator.errorMessage(b), apiKey));
          }
          return b;
        }))
        .onSuccess(b -> {
          Embeddings e;
          try {
            e = translator.decodeEmbed(b);
          } catch (RuntimeException malformed) {
            abort(new MeshFailure(FailureCode.UPSTREAM_ERROR,
                "backend " + config.id() + " sent a malformed embeddings answer"));
            return;
          }
          if (e.vectors().size() != call.input().size()) {
            abort(new MeshFailure(FailureCode.UPSTREAM_ERROR, "backend " + config.id()
                + " sent " + e.vectors().size() + " vectors for " + call.input().size()
                + " inputs"));
            return;
          }
          long chars = call.input().stream().mapToLong(String::length).sum();
          Usage usage = e.usage() != null ? e.usage()
              : new Usage(UsageEstimator.tokens(chars), 0, true);
          promise.tryComplete(new EmbedResult(call.requestId(), call.attempt(), nodeId,
              e.model() != null ? e.model() : model, e.vectors(), usage, null, 0));
        })
        .onFailure(err -> abort(UpstreamFailures.ofTransport(config.id(), err)));
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  long retryAfterMs() {
    return retryAfterMs;
  }

  private void abort(MeshFailure f) {
    if (promise.future().isComplete()) {
      return;
    }
    // Complete first: the reset fails the request synchronously, which must not win.
    promise.tryComplete(new EmbedResult(call.requestId(), call.attempt(), nodeId, null, null,
        null, f.toData(), 0));
    if (request != null) {
      request.reset();
    }
  }
}
