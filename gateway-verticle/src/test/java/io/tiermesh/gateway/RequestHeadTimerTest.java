package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request-head timeout on a real HTTP server, driven from raw sockets: a head trickled a
 * byte at a time and a silent kept-alive connection are closed, a slow answer (a long stream)
 * is not.
 */
class RequestHeadTimerTest {

  private static final long TIMEOUT_MS = 500;

  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    RequestHeadTimer timer = new RequestHeadTimer(vertx, TIMEOUT_MS);
    Router router = Router.router(vertx);
    router.route().handler(timer::onRequest);
    router.get("/fast").handler(ctx -> ctx.response().end("fast"));
    // an answer that takes three timeouts, written in pieces like a stream
    router.get("/slow").handler(ctx -> {
      ctx.response().setChunked(true).write("a");
      vertx.setTimer(3 * TIMEOUT_MS, id -> ctx.response().end("b"));
    });
    server = vertx.createHttpServer(RequestHeadTimer.serverOptions())
        .connectionHandler(timer::onConnection).requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", server.actualPort());
    s.setSoTimeout(10_000);
    return s;
  }

  /** Reads one answer whose body ends with {@code last}. */
  private static String readAnswer(InputStream in, String last) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith(last)) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after: " + sb);
      }
      sb.append((char) b);
    }
    return sb.toString();
  }

  @Test
  void aTrickledHeadIsCutAfterTheTimeout() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write("GET /fast HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      long t0 = System.nanoTime();
      int sent = 0;
      boolean cut = false;
      // one header byte per read timeout of 100 ms: never a whole head, never silent long
      s.setSoTimeout(100);
      while (!cut && (System.nanoTime() - t0) / 1_000_000 < 10 * TIMEOUT_MS) {
        try {
          out.write('X');
          sent++;
          cut = s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
          // pace of the trickle
        } catch (IOException reset) {
          cut = true;
        }
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(cut, "head trickled for " + ms + " ms (" + sent + " bytes) and never cut");
      assertTrue(ms >= TIMEOUT_MS - 50 && ms < 4 * TIMEOUT_MS, "cut after " + ms + " ms");
    }
  }

  @Test
  void aSlowAnswerIsNotCutAndAnIdleKeptAliveConnectionIs() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      long t0 = System.nanoTime();
      String answer = readAnswer(in, "b\r\n0\r\n\r\n");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      assertTrue(ms >= 3 * TIMEOUT_MS - 50, "the answer took its time: " + ms + " ms");
      // kept alive: the next request is served on the same connection
      out.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(readAnswer(in, "fast").startsWith("HTTP/1.1 200"));
      // then silence: closed after the timeout
      long idle = System.nanoTime();
      assertEquals(-1, in.read());
      long idleMs = (System.nanoTime() - idle) / 1_000_000;
      assertTrue(idleMs >= TIMEOUT_MS - 50 && idleMs < 4 * TIMEOUT_MS, "closed after "
          + idleMs + " ms");
    }
  }
}
