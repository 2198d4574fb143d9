package io.tiermesh.provider;

import io.tiermesh.contracts.AttemptCall;
import io.tiermesh.contracts.AttemptReply;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.provider.wire.WireTranslator;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * One attempt against the backend, whatever it asks for: sends the encoded request, enforces the
 * total timeout, turns a non-200 status or a transport error into a failure, and on a 200 reads
 * the answer (whole by default; a stream overrides {@link #answered}). Completes exactly once; an
 * abort or cancel resets the request, so the backend stops working on it.
 *
 * @param <R> the reply the attempt ends with
 */
abstract class UpstreamAttempt<R extends AttemptReply<R>> {

  /** What every attempt of one provider instance shares. */
  record Backend(Vertx vertx, HttpClient client, ProviderConfig config, String basePath,
      String apiKey, WireTranslator translator, String nodeId) {

    /** A request to {@code path} with the backend's own headers and credentials. */
    RequestOptions request(HttpMethod method, String path) {
      RequestOptions options = new RequestOptions().setMethod(method).setURI(basePath + path)
          .setConnectTimeout(config.timeouts().connectMs()).setFollowRedirects(false)
          .setHeaders(HttpHeaders.headers());
      translator.prepare(options.getHeaders());
      if (apiKey != null) {
        translator.authorize(options.getHeaders(), apiKey);
      }
      return options;
    }
  }

  protected final Backend backend;
  protected final ProviderConfig config;
  private final AttemptCall call;
  /** The request in the backend's format, encoded once before the first attempt. */
  private final Buffer body;
  protected final Promise<R> promise = Promise.promise();

  private HttpClientRequest request;
  private long totalTimer = -1;
  private long retryAfterMs = -1;
  private boolean resetOnRequest;

  UpstreamAttempt(Backend backend, AttemptCall call, Buffer body) {
    this.backend = backend;
    this.config = backend.config();
    this.call = call;
    this.body = body;
  }

  /** The backend path this attempt posts to. */
  protected abstract String path();

  /** The reply for a 200 answer read whole; a {@link MeshFailure} thrown is the attempt's. */
  protected abstract R decode(Buffer answer);

  /** The reply when the attempt failed with {@code failure}. */
  protected abstract R failed(Failure failure);

  /** Headers this request adds to the backend's own (a chat request's flags). */
  protected void requestHeaders(io.vertx.core.MultiMap headers) {}

  /** Called once the total timeout runs, with its length (streams add a first-token one). */
  protected void onStart(long totalMs) {}

  Future<R> run() {
    ProviderConfig.Timeouts t = config.timeouts();
    long remaining = call.deadlineMillis() - System.currentTimeMillis();
    long total = Math.max(1, Math.min(t.totalMs(), remaining));
    totalTimer = backend.vertx().setTimer(total, id -> abort(new MeshFailure(
        FailureCode.UPSTREAM_TIMEOUT, "backend " + config.id() + " did not finish within "
        + total + " ms")));
    onStart(total);
    RequestOptions options = backend.request(HttpMethod.POST, path())
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Request-Id", call.requestId());
    requestHeaders(options.getHeaders());
    backend.client().request(options)
        .compose(req -> {
          request = req;
          if (resetOnRequest) {
            req.reset(); // aborted (timeout, cancel) before the connection was even ready
          }
          return req.send(body);
        })
        .onSuccess(this::onResponse)
        .onFailure(err -> abort(UpstreamFailures.ofTransport(config.id(), err)));
    return promise.future();
  }

  private void onResponse(HttpClientResponse resp) {
    if (resp.statusCode() != 200) {
      retryAfterMs = UpstreamRetryPolicy.retryAfterMs(resp.getHeader("Retry-After"));
      resp.body().onComplete(ar -> {
        Buffer b = ar.succeeded() ? ar.result() : Buffer.buffer();
        String detail = UpstreamFailures.detail(config.id(), resp.statusCode(),
            backend.translator().errorMessage(b), backend.apiKey());
        abort(new MeshFailure(UpstreamFailures.ofStatus(resp.statusCode()), detail));
      });
      return;
    }
    answered(resp);
  }

  /** A 200 answer: read whole and decoded. */
  protected void answered(HttpClientResponse resp) {
    resp.body().onComplete(ar -> {
      if (ar.failed()) {
        abort(UpstreamFailures.ofTransport(config.id(), ar.cause()));
        return;
      }
      R decoded;
      try {
        decoded = decode(ar.result());
      } catch (MeshFailure f) {
        abort(f);
        return;
      } catch (RuntimeException malformed) {
        abort(new MeshFailure(FailureCode.UPSTREAM_ERROR,
            "backend " + config.id() + " sent a malformed answer"));
        return;
      }
      finish(decoded);
    });
  }

  /** The backend's Retry-After in millis, or -1. */
  long retryAfterMs() {
    return retryAfterMs;
  }

  /** The gateway drained part of a stream: more chunks may follow. Only streams have credits. */
  void grant(int credits) {}

  /** The reply when the client went away; a stream reports what was generated so far. */
  protected R cancelled() {
    return failed(new Failure(FailureCode.CLIENT_CLOSED, "the client closed the request"));
  }

  /** The client went away: reset the upstream request (the backend stops generating). */
  void cancel() {
    if (promise.future().isComplete()) {
      return;
    }
    // Complete first: the reset fails the request synchronously, which must not win.
    finish(cancelled());
    reset();
  }

  /** Ends the attempt as failed and releases the connection; later events are ignored. */
  void abort(MeshFailure failure) {
    if (promise.future().isComplete()) {
      return;
    }
    finish(failed(failure.toData()));
    reset();
  }

  /** Releases the connection: the backend sees the request cancelled and stops generating. */
  protected void reset() {
    if (request != null) {
      request.reset();
    } else {
      resetOnRequest = true;
    }
  }

  protected void finish(R result) {
    cancelTimer(totalTimer);
    promise.tryComplete(result);
  }

  protected final void cancelTimer(long id) {
    if (id >= 0) {
      backend.vertx().cancelTimer(id);
    }
  }
}
