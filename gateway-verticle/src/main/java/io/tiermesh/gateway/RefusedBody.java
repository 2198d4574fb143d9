package io.tiermesh.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

/**
 * What happens to the rest of a body the gateway refused as too large (413). Reading it to its
 * end, as a keep-alive connection would need, lets a client make the gateway read 20 MB to be
 * told no; closing at once makes the kernel reset a connection with unread data, and a client
 * still sending may then lose the 413 itself. So the gateway answers with
 * {@code Connection: close}, reads and discards at most {@link #LINGER_BYTES} more (what a
 * client typically has in flight, enough for it to see the answer) for at most the body
 * timeout, and closes. The limit holds: past it nothing is kept and little is read.
 */
final class RefusedBody {

  /** How much of a refused body is read and thrown away before the connection is closed. */
  static final long LINGER_BYTES = 256 * 1024;

  private final long limit;
  private long discarded;

  RefusedBody(long limit) {
    this.limit = limit;
  }

  /** Counts {@code bytes} more thrown away; true once past the bound: time to close. */
  boolean discard(int bytes) {
    discarded += bytes;
    return discarded > limit;
  }

  long discarded() {
    return discarded;
  }

  /**
   * Drains what is left of {@code request} within the bounds and then closes its connection;
   * call before sending the 413 (the request was paused for authentication).
   */
  static void lingerThenClose(Vertx vertx, HttpServerRequest request, long timeoutMs) {
    if (request.isEnded()) {
      return;
    }
    RefusedBody body = new RefusedBody(LINGER_BYTES);
    long timer = vertx.setTimer(timeoutMs, t -> request.connection().close());
    request.handler(chunk -> {
      if (body.discard(chunk.length())) {
        vertx.cancelTimer(timer);
        request.connection().close();
      }
    });
    request.endHandler(v -> vertx.cancelTimer(timer));
    request.resume();
  }
}
