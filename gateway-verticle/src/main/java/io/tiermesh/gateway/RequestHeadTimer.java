package io.tiermesh.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Cuts connections that do not deliver a request head in time: the classic slowloris sends its
 * headers a byte at a time and, without this, holds a connection for ever (the server has no
 * idle timeout, so that long quiet streams live). Armed when a connection opens and again when
 * an answer is over (the wait for the next request on a kept-alive connection), disarmed as
 * soon as a request's head has been parsed; while a request is being answered nothing runs, so
 * streams are never cut. {@link BodyTimer} takes over for the body.
 *
 * <p>The server must not offer the cleartext HTTP/2 upgrade ({@link #serverOptions()}): to
 * detect an {@code Upgrade: h2c} header Vert.x holds a new connection until its whole first
 * head has arrived, before any handler sees it, so a trickled head would never be timed.
 *
 * <p>One instance per gateway verticle; its handlers all run on that verticle's event loop.
 */
final class RequestHeadTimer {

  private final Vertx vertx;
  private final long timeoutMs;
  private final Map<HttpConnection, Long> armed = new HashMap<>();

  RequestHeadTimer(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** Options for a server this timer guards: HTTP/1.1, no h2c upgrade (see above). */
  static HttpServerOptions serverOptions() {
    return new HttpServerOptions().setHttp2ClearTextEnabled(false);
  }

  /** For {@code HttpServer.connectionHandler}. */
  void onConnection(HttpConnection conn) {
    conn.closeHandler(v -> disarm(conn));
    arm(conn);
  }

  /** The first route of the router: the head is here. */
  void onRequest(RoutingContext ctx) {
    HttpConnection conn = ctx.request().connection();
    disarm(conn);
    ctx.addEndHandler(v -> arm(conn));
    ctx.next();
  }

  private void arm(HttpConnection conn) {
    disarm(conn);
    armed.put(conn, vertx.setTimer(timeoutMs, id -> {
      armed.remove(conn);
      conn.close();
    }));
  }

  private void disarm(HttpConnection conn) {
    Long id = armed.remove(conn);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }
}
