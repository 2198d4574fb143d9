package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.StreamControl;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpServerResponse;

/**
 * The gateway's half of stream flow control. The provider may run {@link
 * StreamControl#INITIAL_CREDITS} chunks ahead; each batch of written chunks is granted back
 * only once the client connection has taken it (its write queue is not full), so a slow reader
 * stops the provider, which pauses its upstream response. Also carries the client's cancel.
 */
final class StreamFlow {

  private final EventBus bus;
  private final String requestId;
  private final HttpServerResponse resp;
  private int sinceGrant;
  private boolean awaitingDrain;
  private int attempt;

  StreamFlow(EventBus bus, String requestId, HttpServerResponse resp) {
    this.bus = bus;
    this.requestId = requestId;
    this.resp = resp;
  }

  /** One chunk of {@code attempt} was written to the client. */
  void written(int attempt) {
    this.attempt = attempt;
    sinceGrant++;
    if (sinceGrant < StreamControl.GRANT_BATCH || awaitingDrain) {
      return;
    }
    if (resp.writeQueueFull()) {
      awaitingDrain = true;
      resp.drainHandler(v -> {
        awaitingDrain = false;
        grant();
      });
    } else {
      grant();
    }
  }

  private void grant() {
    if (sinceGrant > 0 && !resp.closed()) {
      Endpoints.STREAM_CONTROL.publish(bus,
          StreamControl.credit(requestId, attempt, sinceGrant));
      sinceGrant = 0;
    }
  }

  /** The client went away: every provider holding an attempt of this request resets it. */
  void cancel() {
    Endpoints.STREAM_CONTROL.publish(bus, StreamControl.cancel(requestId, attempt));
  }

  static void cancel(EventBus bus, String requestId) {
    Endpoints.STREAM_CONTROL.publish(bus, StreamControl.cancel(requestId, 0));
  }

  /**
   * A non-streamed request has no relay, but a client that leaves before its answer must stop
   * the backend call all the same (it would otherwise run, and be billed, to the end).
   */
  static void cancelWhenClientLeaves(EventBus bus, String requestId, HttpServerResponse resp) {
    resp.closeHandler(v -> {
      if (!resp.ended()) {
        cancel(bus, requestId);
      }
    });
  }
}
