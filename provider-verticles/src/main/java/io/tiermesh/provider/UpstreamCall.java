package io.tiermesh.provider;

import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ProviderAck;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.StreamControl;
import io.tiermesh.contracts.ThinkingDelta;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.tiermesh.provider.wire.StreamDecoder;
import io.tiermesh.provider.wire.StreamSink;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpClientResponse;
import java.util.List;

/**
 * One chat attempt against the backend: besides what every attempt does, enforces the
 * first-token timeout and either decodes the whole answer or relays the stream chunk by chunk
 * to the gateway that owns the client connection.
 *
 * <p>Flow control: the gateway grants chunk credits as its client drains
 * ({@link StreamControl}); when the credits are spent the upstream response is paused, so a slow
 * reader holds back the backend instead of filling memory anywhere in between.
 */
final class UpstreamCall extends UpstreamAttempt<ProviderResult> implements StreamSink {

  private final ProviderCall call;
  private final EventBus bus;
  /** Same-backend retries before this one: told to the gateway on the first chunk. */
  private final int retry;

  private long firstTokenTimer = -1;
  private long seq;
  private long completionChars;
  private HttpClientResponse response;
  private long allowedChunks = StreamControl.INITIAL_CREDITS;
  private boolean paused;
  private boolean replaying;
  /** Decoded events beyond the credits: at most one network read's worth, replayed on grant. */
  private final java.util.ArrayDeque<Runnable> held = new java.util.ArrayDeque<>();

  UpstreamCall(Backend backend, ProviderCall call, Buffer body, int retry) {
    super(backend, call, body);
    this.call = call;
    this.retry = retry;
    this.bus = backend.vertx().eventBus();
  }

  @Override
  protected String path() {
    return backend.translator().chatPath();
  }

  @Override
  protected void requestHeaders(io.vertx.core.MultiMap headers) {
    backend.translator().chatHeaders(headers, call.chat());
  }

  @Override
  protected void onStart(long totalMs) {
    if (call.chat().stream()) {
      // A non-streamed answer arrives whole at the end, so only streams have a first token.
      long firstTokenMs = config.timeouts().firstTokenMs();
      firstTokenTimer = backend.vertx().setTimer(Math.min(firstTokenMs, totalMs), id ->
          abort(new MeshFailure(FailureCode.UPSTREAM_TIMEOUT,
              "backend " + config.id() + " sent nothing within " + firstTokenMs + " ms")));
    }
  }

  @Override
  protected ProviderResult decode(Buffer answer) {
    ChatResponse decoded = backend.translator().decodeChat(call.chat(), answer);
    Usage usage = decoded.usage() != null ? decoded.usage()
        : UsageEstimator.estimate(call.chat().promptChars(), decoded.message().textLength());
    return new ProviderResult(call.requestId(), call.attempt(), backend.nodeId(),
        decoded.withUsage(usage), usage, 0, null);
  }

  @Override
  protected void answered(HttpClientResponse resp) {
    response = resp;
    if (!call.chat().stream()) {
      super.answered(resp);
      return;
    }
    StreamDecoder decoder = backend.translator().streamDecoder(call.chat());
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
    piece(text, toolCalls, refusal, logprobs, null);
  }

  @Override
  public void thinking(ThinkingDelta thinking) {
    piece(null, null, null, null, thinking);
  }

  private void piece(String text, List<ToolCallDelta> toolCalls, String refusal,
      List<TokenLogprob> logprobs, ThinkingDelta thinking) {
    if (promise.future().isComplete()) {
      return;
    }
    if (!replaying && (!held.isEmpty() || seq >= allowedChunks)) {
      held.add(() -> piece(text, toolCalls, refusal, logprobs, thinking));
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
    if (thinking != null && thinking.text() != null) {
      completionChars += thinking.text().length();
    }
    if (seq == 0 && call.ackAddress() != null) {
      Endpoints.ACK.send(bus, call.ackAddress(), new ProviderAck(call.requestId(), call.attempt(),
          backend.nodeId(), true));
    }
    Endpoints.STREAM.send(bus, call.streamAddress(), new StreamChunk(call.requestId(), call.attempt(), seq,
        seq == 0 ? call.route() : null, text, toolCalls, false, null, null,
        seq == 0 ? retry : 0, refusal, logprobs, thinking));
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

  @Override
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

  /** What was generated before the client went away, so it can be billed. */
  @Override
  protected ProviderResult cancelled() {
    return new ProviderResult(call.requestId(), call.attempt(), backend.nodeId(), null,
        UsageEstimator.estimate(call.chat().promptChars(), completionChars), seq,
        new Failure(FailureCode.CLIENT_CLOSED,
            "the client closed the request after " + seq + " chunks"));
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
    Endpoints.STREAM.send(bus, call.streamAddress(), new StreamChunk(call.requestId(), call.attempt(), seq,
        seq == 0 ? call.route() : null, null, null, true,
        finishReason == null ? "stop" : finishReason, u, seq == 0 ? retry : 0));
    finish(new ProviderResult(call.requestId(), call.attempt(), backend.nodeId(), null, u, seq,
        null));
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

  @Override
  protected ProviderResult failed(Failure failure) {
    return new ProviderResult(call.requestId(), call.attempt(), backend.nodeId(), null,
        completionChars > 0 ? UsageEstimator.estimate(call.chat().promptChars(), completionChars)
            : null, seq, failure);
  }

  @Override
  protected void reset() {
    held.clear();
    super.reset();
  }

  @Override
  protected void finish(ProviderResult result) {
    cancelTimer(firstTokenTimer);
    super.finish(result);
  }
}
