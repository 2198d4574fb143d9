package io.tiermesh.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The operations page at {@code /dashboard}: one static HTML file whose script reads the admin
 * API with the admin key the operator types in, and {@code /metrics}. The page itself holds no
 * data, so serving it needs no key.
 */
final class Dashboard {

  /** Loaded with the class (off the event loop: gateways are constructed by the launcher). */
  private static final Buffer PAGE = load();

  private Dashboard() {}

  private static Buffer load() {
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
      if (in == null) {
        throw new IllegalStateException("dashboard.html is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the page now, off the event loop (the first use of the class loads it), and fails
   * the gateway's construction if the jar holds an empty page.
   */
  static void loadNow() {
    if (PAGE.length() == 0) {
      throw new IllegalStateException("dashboard.html is empty");
    }
  }

  static void serve(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        // The page types the admin key: no other site may frame it (clickjacking).
        .putHeader("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
            + "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
        .putHeader("X-Frame-Options", "DENY")
        .end(PAGE);
  }
}
