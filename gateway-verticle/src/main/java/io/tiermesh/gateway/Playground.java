package io.tiermesh.gateway;

import io.tiermesh.contracts.HintVocabulary;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The developers' page at {@code /playground}: a chat against the client API with the key the
 * developer types in (kept in the tab's session storage), showing how each answer was routed.
 * Static files from the jar, the Markdown renderer and sanitizer included (vendored from npm,
 * see {@code playground/vendor/README.md}); the page holds no data, so serving it needs no key.
 * No inline script or style: the policy allows scripts and styles from this origin only.
 */
final class Playground {

  /** The only files served, by name under {@code /playground/}: nothing else is reachable. */
  private static final Map<String, Asset> ASSETS = load();

  /**
   * Scripts and styles from the gateway only; fetches to the gateway only; images from the
   * gateway or inline data (a Markdown image pointing elsewhere is not loaded, so an answer
   * cannot make the browser call out); nothing may frame the page, which types a key.
   */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";

  private record Asset(String type, Buffer bytes) {}

  private Playground() {}

  private static Map<String, Asset> load() {
    Map<String, Asset> m = new LinkedHashMap<>();
    m.put("", new Asset("text/html; charset=utf-8", read("playground/index.html")));
    m.put("playground.js", new Asset("text/javascript; charset=utf-8",
        read("playground/playground.js")));
    m.put("playground.css", new Asset("text/css; charset=utf-8",
        read("playground/playground.css")));
    m.put("vendor/marked.umd.js", new Asset("text/javascript; charset=utf-8",
        read("playground/vendor/marked.umd.js")));
    m.put("vendor/purify.min.js", new Asset("text/javascript; charset=utf-8",
        read("playground/vendor/purify.min.js")));
    m.put("hints.json", new Asset("application/json", hints().toBuffer()));
    return Map.copyOf(m);
  }

  /** The hint values the page offers: the gateway's own list, so the page never drifts. */
  static JsonObject hints() {
    return new JsonObject()
        .put("classification", new JsonArray(HintVocabulary.CLASSIFICATIONS))
        .put("task", new JsonArray(HintVocabulary.TASKS))
        .put("quality", new JsonArray(HintVocabulary.QUALITIES))
        .put("complexity", new JsonArray(HintVocabulary.COMPLEXITIES));
  }

  private static Buffer read(String name) {
    try (InputStream in = Playground.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the page and its files now, off the event loop (the first use of the class loads
   * them), and fails the gateway's construction if one of them is empty.
   */
  static void loadNow() {
    ASSETS.forEach((name, asset) -> {
      if (asset.bytes().length() == 0) {
        throw new IllegalStateException("playground file " + name + " is empty");
      }
    });
  }

  static void mount(Router router) {
    router.get("/playground").handler(ctx -> serve(ctx, ""));
    router.get("/playground/*").handler(ctx -> {
      String name = ctx.request().path().substring("/playground/".length());
      Asset a = ASSETS.get(name);
      if (a == null) {
        ctx.next(); // the gateway's 404
        return;
      }
      serve(ctx, name);
    });
  }

  private static void serve(RoutingContext ctx, String name) {
    Asset a = ASSETS.get(name);
    ctx.response().putHeader("Content-Type", a.type())
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .end(a.bytes());
  }
}
