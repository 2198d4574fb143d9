package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * Cuts clients that trickle their body (slowloris): {@link #start} arms a timer when a POST
 * arrives, {@link #done} disarms it once the whole body has been read. If it fires first, the
 * client gets 408 and the connection is closed, so a stalled upload holds nothing for long.
 * An idle timeout on the server would not do: it would also cut long, quiet streams.
 */
final class BodyTimer {

  private static final String TIMER = "tiermesh.bodyTimer";

  private final Vertx vertx;
  private final long timeoutMs;

  BodyTimer(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  void start(RoutingContext ctx) {
    long id = vertx.setTimer(timeoutMs, t -> {
      if (!ctx.response().ended() && !ctx.response().closed()) {
        ctx.response().putHeader("Connection", "close");
        ErrorShape.forPath(ctx.request().path()).send(ctx.response(), FailureCode.REQUEST_TIMEOUT,
            "the request body did not arrive within " + timeoutMs + " ms", null);
        ctx.request().connection().close();
      }
    });
    ctx.put(TIMER, id);
    ctx.addEndHandler(v -> vertx.cancelTimer(id));
    ctx.next();
  }

  void done(RoutingContext ctx) {
    Long id = ctx.get(TIMER);
    if (id != null) {
      vertx.cancelTimer(id);
    }
    ctx.next();
  }
}
