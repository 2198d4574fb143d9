package io.tiermesh.provider;

import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ProviderAck;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.StreamControl;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.provider.wire.StreamDecoder;
import io.tiermesh.provider.wire.StreamSink;
import io.tiermesh.provider.wire.WireTranslator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.List;

/**
 * One attempt against the backend: sends the request, enforces the first-token and total
 * timeouts, and either decodes the whole answer or relays the stream chunk by chunk to the
 * gateway that owns the client connection. Completes exactly once.
 *
 * <p>Flow control: the gateway grants chunk credits as its client drains
 * ({@link StreamControl}); when the credits are spent the upstream response is paused, so a slow
 * reader holds back the backend instead of filling memory anywhere in between.
 */
final class UpstreamCall implements StreamSink {

  private final Vertx vertx;
  private final HttpClient client;
  private final ProviderConfig config;
  private final String basePath;
  private final String apiKey;
  private final WireTranslator translator;
  private final ProviderCall call;
  private final String nodeId;
  private final Promise<ProviderResult> promise = Promise.promise();
  private final EventBus bus;
  /** Same-backend retries before this one: told to the gateway on the first chunk. */
  private final int retry;
  /** The request in the backend's format, encoded once before the first attempt. */
  private final Buffer body;

  private HttpClientRequest request;
  private long firstTokenTimer = -1;
  private long totalTimer = -1;
  private long seq;
  private long completionChars;
  private HttpClientResponse response;
  private long allowedChunks = StreamControl.INITIAL_CREDITS;
  private boolean paused;
  private long retryAfterMs = -1;
  private boolean resetOnRequest;
  private boolean replaying;
  /** Decoded events beyond the credits: at most one network read's worth, replayed on grant. */
  private final java.util.ArrayDeque<Runnable> held = new java.util.ArrayDeque<>();

  UpstreamCall(Vertx vertx, HttpClient client, ProviderConfig config, String basePath,
      String apiKey, WireTranslator translator, ProviderCall call, Buffer body, String nodeId,
      int retry) {
    this.retry = retry;
    this.body = body;
    this.vertx = vertx;
    this.client = client;
    this.config = config;
    this.basePath = basePath;
    this.apiKey = apiKey;
    this.translator = translator;
    this.call = call;
    this.nodeId = nodeId;
    this.bus = vertx.eventBus();
  }

  Future<ProviderResult> run() {
    ProviderConfig.Timeouts t = config.timeouts();
    long remaining = call.deadlineMillis() - System.currentTimeMillis();
    long total = Math.max(1, Math.min(t.totalMs(), remaining));
    totalTimer = vertx.setTimer(total, id -> abort(new MeshFailure(FailureCode.UPSTREAM_TIMEOUT,
        "backend " + config.id() + " did not finish within " + total + " ms")));
    if (call.chat().stream()) {
      // A non-streamed answer arrives whole at the end, so only streams have a first token.
      firstTokenTimer = vertx.setTimer(Math.min(t.firstTokenMs(), total), id ->
          abort(new MeshFailure(FailureCode.UPSTREAM_TIMEOUT,
              "backend " + config.id() + " sent nothing within " + t.firstTokenMs() + " ms")));
    }

    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setURI(basePath + translator.chatPath())
        .setConnectTimeout(t.connectMs())
        .setFollowRedirects(false)
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Request-Id", call.requestId());
    translator.prepareChat(options.getHeaders(), call.chat());
    if (apiKey != null) {
      translator.authorize(options.getHeaders(), apiKey);
    }
    client.request(options)
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
    response = resp;
    if (resp.statusCode() != 200) {
      retryAfterMs = RetryPolicy.retryAfterMs(resp.getHeader("Retry-After"));
      resp.body().onComplete(ar -> {
        Buffer b = ar.succeeded() ? ar.result() : Buffer.buffer();
        String detail = UpstreamFailures.detail(config.id(), resp.statusCode(),
            translator.errorMessage(b), apiKey);
        abort(new MeshFailure(UpstreamFailures.ofStatus(resp.statusCode()), detail));
      });
      return;
    }
    if (!call.chat().stream()) {
      resp.body().onComplete(ar -> {
        if (ar.failed()) {
          abort(UpstreamFailures.ofTransport(config.id(), ar.cause()));
          return;
        }
        ChatResponse decoded;
        try {
          decoded = translator.decodeChat(call.chat(), ar.result());
        } catch (RuntimeException malformed) {
          abort(new MeshFailure(FailureCode.UPSTREAM_ERROR,
              "backend " + config.id() + " sent a malformed answer"));
          return;
        }
        Usage usage = decoded.usage() != null ? decoded.usage()
            : UsageEstimator.estimate(call.chat().promptChars(),
                decoded.message().textLength());
        ChatResponse response = decoded.withUsage(usage);
        finish(new ProviderResult(call.requestId(), call.attempt(), nodeId, response, usage, 0,
            null));
      });
      return;
    }
    StreamDecoder decoder = translator.streamDecoder(call.chat());
    resp.handler(data -> {
      if (promise.future().isComplete()) {
        return;
      }
      try {
        decoder.feed(data, this);
      } catch (RuntimeException malformed) {
        abort(new MeshFailure(seq == 0 ? FailureCode.UPSTREAM_ERROR
            : FailureCode.STREAM_INTERRUPTED, "backend " + config.id() + " sent a malformed chunk"));
      }
    });
    resp.exceptionHandler(err -> abort(cutFailure()));
    resp.endHandler(v -> {
      Runnable check = () -> {
        if (!decoder.complete()) {
          abort(cutFailure());
        }
      };
      if (held.isEmpty()) {
        check.run();
      } else {
        held.add(check);
      }
    });
  }

  private MeshFailure cutFailure() {
    return new MeshFailure(seq == 0 ? FailureCode.UPSTREAM_ERROR : FailureCode.STREAM_INTERRUPTED,
        "backend " + config.id() + " closed the stream after " + seq + " chunks");
  }

  @Override
  public void delta(String text, List<ToolCallDelta> toolCalls) {
    delta(text, toolCalls, null, null);
  }

  @Override
  public void delta(String text, List<ToolCallDelta> toolCalls, String refusal,
      List<TokenLogprob> logprobs) {
    if (promise.future().isComplete()) {
      return;
    }
    if (!replaying && (!held.isEmpty() || seq >= allowedChunks)) {
      held.add(() -> delta(text, toolCalls, refusal, logprobs));
      pause();
      return;
    }
    cancelTimer(firstTokenTimer);
    if (text != null) {
      completionChars += text.length();
    }
    if (refusal != null) {
      completionChars += refusal.length();
    }
    if (seq == 0 && call.ackAddress() != null) {
      bus.send(call.ackAddress(), new ProviderAck(call.requestId(), call.attempt(), nodeId, true));
    }
    bus.send(call.streamAddress(), new StreamChunk(call.requestId(), call.attempt(), seq,
        seq == 0 ? call.route() : null, text, toolCalls, false, null, null,
        seq == 0 ? retry : 0, refusal, logprobs));
    seq++;
    if (seq >= allowedChunks) {
      pause();
    }
  }

  private void pause() {
    if (!paused && response != null) {
      paused = true;
      response.pause();
    }
  }

  /** The gateway drained part of the stream: more chunks may follow. */
  void grant(int credits) {
    allowedChunks += credits;
    replaying = true;
    while (!held.isEmpty() && seq < allowedChunks && !promise.future().isComplete()) {
      held.poll().run();
    }
    replaying = false;
    if (paused && held.isEmpty() && seq < allowedChunks && !promise.future().isComplete()) {
      paused = false;
      response.resume();
    }
  }

  /** True while the upstream is held back for lack of credits. */
  boolean paused() {
    return paused;
  }

  /**
   * The client went away: reset the upstream request (the backend stops generating) and report
   * what was generated so far, so it can be billed.
   */
  void cancel() {
    if (promise.future().isComplete()) {
      return;
    }
    // Complete first: the reset fails the request synchronously, which must not win.
    finish(new ProviderResult(call.requestId(), call.attempt(), nodeId, null,
        UsageEstimator.estimate(call.chat().promptChars(), completionChars), seq,
        new io.tiermesh.contracts.Failure(FailureCode.CLIENT_CLOSED,
            "the client closed the request after " + seq + " chunks")));
    reset();
  }

  /** The backend's Retry-After in millis, or -1. */
  long retryAfterMs() {
    return retryAfterMs;
  }

  @Override
  public void end(String finishReason, Usage usage) {
    if (promise.future().isComplete()) {
      return;
    }
    if (!replaying && !held.isEmpty()) {
      held.add(() -> end(finishReason, usage));
      return;
    }
    Usage u = usage != null ? usage
        : UsageEstimator.estimate(call.chat().promptChars(), completionChars);
    bus.send(call.streamAddress(), new StreamChunk(call.requestId(), call.attempt(), seq,
        seq == 0 ? call.route() : null, null, null, true,
        finishReason == null ? "stop" : finishReason, u, seq == 0 ? retry : 0));
    finish(new ProviderResult(call.requestId(), call.attempt(), nodeId, null, u, seq, null));
  }

  @Override
  public void error(String message) {
    if (!replaying && !held.isEmpty()) {
      held.add(() -> error(message));
      return;
    }
    abort(new MeshFailure(seq == 0 ? FailureCode.UPSTREAM_ERROR : FailureCode.STREAM_INTERRUPTED,
        "backend " + config.id() + " reported an error mid-stream"));
  }

  /** Ends the attempt as failed and releases the connection; later events are ignored. */
  void abort(MeshFailure failure) {
    if (promise.future().isComplete()) {
      return;
    }
    finish(new ProviderResult(call.requestId(), call.attempt(), nodeId, null,
        completionChars > 0 ? UsageEstimator.estimate(call.chat().promptChars(), completionChars)
            : null, seq, failure.toData()));
    reset();
  }

  /** Releases the connection: the backend sees the request cancelled and stops generating. */
  private void reset() {
    held.clear();
    if (request != null) {
      request.reset();
    } else {
      resetOnRequest = true;
    }
  }

  private void finish(ProviderResult result) {
    cancelTimer(firstTokenTimer);
    cancelTimer(totalTimer);
    promise.tryComplete(result);
  }

  private void cancelTimer(long id) {
    if (id >= 0) {
      vertx.cancelTimer(id);
    }
  }
}
