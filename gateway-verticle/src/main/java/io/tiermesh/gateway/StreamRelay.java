package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.StreamChunk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Writes one client's SSE stream from the chunks providers send. It commits to the first
 * attempt that delivers a chunk and ignores every other attempt, so a retry can never put text
 * twice into one answer. A stream that cannot finish properly ends with an error event and no
 * {@code [DONE]}, never a silent cut with a 200.
 */
final class StreamRelay {

  private static final System.Logger LOG = System.getLogger(StreamRelay.class.getName());

  /** How long a successful outcome may precede its last chunk (they travel different paths). */
  static final long END_GRACE_MS = 5_000;

  private final Vertx vertx;
  private final HttpServerResponse resp;
  private final StreamEncoder encoder;
  private final Runnable onFinish;

  private int committedAttempt;
  private long expectedSeq;
  private String model;
  private boolean finished;
  private long graceTimer = -1;
  private StreamFlow flow;
  private RetryAfter retryAfter;
  /**
   * Frames of chunks that arrived in this turn of the event loop, written together at its end:
   * a backend's read often holds several chunks, and one write and flush to the client per
   * chunk was about a third of the gateway's CPU per streamed chunk.
   */
  private Buffer pending;
  private int pendingChunks;
  private int pendingAttempt;

  StreamRelay(Vertx vertx, HttpServerResponse resp, StreamEncoder encoder, Runnable onFinish) {
    this.vertx = vertx;
    this.resp = resp;
    this.encoder = encoder;
    this.onFinish = onFinish;
  }

  /** Grants credits as the client drains and cancels the upstream when the client leaves. */
  StreamRelay withFlow(StreamFlow flow) {
    this.flow = flow;
    return this;
  }

  /** Names when to come back on a 503 sent before the stream started. */
  StreamRelay withRetryAfter(RetryAfter retryAfter) {
    this.retryAfter = retryAfter;
    return this;
  }

  boolean started() {
    return committedAttempt != 0;
  }

  void onChunk(StreamChunk c) {
    if (finished) {
      return;
    }
    if (committedAttempt == 0) {
      committedAttempt = c.attempt();
      RouteInfo route = c.route();
      model = route == null ? null : route.model();
      if (route != null) {
        // Attempts are numbered by executions, so this one's number plus its own retries
        // counts every request that reached a backend.
        GatewayVerticle.routeHeaders(resp, route, c.attempt() + c.retries());
      }
      resp.setStatusCode(200)
          .setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-cache");
    } else if (c.attempt() != committedAttempt) {
      return;
    }
    if (c.seq() != expectedSeq) {
      // Which chunk was missing and from which attempt tells a drop on the bus from a
      // duplicate or a reordering.
      LOG.log(System.Logger.Level.WARNING, "stream " + c.requestId() + " attempt " + c.attempt()
          + ": expected chunk " + expectedSeq + ", got " + c.seq() + (c.end() ? " (its end)" : ""));
      fail(FailureCode.STREAM_INTERRUPTED, "stream lost chunks in transit");
      return;
    }
    expectedSeq++;
    boolean first = c.seq() == 0;
    if (!c.end()) {
      Buffer frames = encoder.encode(c, model, first);
      if (first) {
        // The first chunk goes out at once with the headers: nothing waits on a batch then.
        resp.write(frames);
        if (flow != null) {
          flow.written(c.attempt());
        }
        return;
      }
      if (pending == null) {
        // A copy: an encoder's caller (the answer recorder) may keep the frames it returned.
        pending = Buffer.buffer(Math.max(256, frames.length() * 8)).appendBuffer(frames);
        pendingAttempt = c.attempt();
        vertx.getOrCreateContext().runOnContext(v -> flushPending());
      } else {
        pending.appendBuffer(frames);
      }
      pendingChunks++;
      if (pending.length() >= MAX_PENDING_BYTES) {
        flushPending();
      }
      return;
    }
    Buffer last = encoder.encode(c, model, first);
    if (pending != null) {
      last = pending.appendBuffer(last);
      pending = null;
      pendingChunks = 0;
    }
    resp.end(last);
    finish();
  }

  /** Bounds what one batch holds, so a burst of chunks never sits in memory unwritten. */
  static final int MAX_PENDING_BYTES = 64 * 1024;

  /** Writes the batched frames; each chunk in it counts as written for flow control. */
  private void flushPending() {
    if (pending == null) {
      return;
    }
    Buffer frames = pending;
    int chunks = pendingChunks;
    pending = null;
    pendingChunks = 0;
    if (finished || resp.ended() || resp.closed()) {
      return;
    }
    resp.write(frames);
    if (flow != null) {
      for (int i = 0; i < chunks; i++) {
        flow.written(pendingAttempt);
      }
    }
  }

  void onOutcome(RouteOutcome outcome) {
    if (finished) {
      return;
    }
    if (outcome.ok()) {
      graceTimer = vertx.setTimer(END_GRACE_MS,
          id -> fail(FailureCode.STREAM_INTERRUPTED, "the end of the stream never arrived"));
      return;
    }
    if (!started()) {
      if (outcome.reason() != null) {
        resp.putHeader("X-TierMesh-Route-Reason", outcome.reason());
      }
      if (retryAfter != null) {
        retryAfter.put(resp, outcome.failure().code(), outcome.attempts());
      }
      encoder.errors().send(resp, outcome.failure().code(), outcome.failure().message(),
          outcome.attempts());
      finish();
      return;
    }
    fail(outcome.failure().code(), outcome.failure().message());
  }

  void fail(FailureCode code, String message) {
    if (finished) {
      return;
    }
    if (!started()) {
      encoder.errors().send(resp, code, message, null);
    } else if (!resp.ended() && !resp.closed()) {
      // The chunks already relayed reach the client before the error event, as unbatched.
      Buffer error = encoder.errors().streamError(code, message);
      if (pending != null) {
        error = pending.appendBuffer(error);
        pending = null;
        pendingChunks = 0;
      }
      resp.end(error);
    }
    finish();
  }

  void clientGone() {
    if (!finished && flow != null) {
      flow.cancel();
    }
    finish();
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (graceTimer >= 0) {
      vertx.cancelTimer(graceTimer);
    }
    onFinish.run();
  }
}
