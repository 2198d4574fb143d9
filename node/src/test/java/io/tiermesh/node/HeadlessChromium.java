package io.tiermesh.node;

import io.tiermesh.testsupport.FreePorts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One headless Chromium driven over the DevTools protocol, for tests that use a page as a person
 * does (type, pick, click, wait for the answer) rather than dumping it after a fixed time: a
 * streamed answer takes as long as it takes. Console errors, uncaught exceptions and policy
 * violations the page reports are collected. Everything is bounded in time; {@link #close()}
 * ends the browser and removes its profile.
 */
final class HeadlessChromium implements AutoCloseable {

  private static final long CALL_TIMEOUT_S = 30;

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

  private HeadlessChromium(Process process, Path profile, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
  }

  static HeadlessChromium start(String binary, int width, int height) throws Exception {
    int port = FreePorts.next();
    Path profile = Files.createTempDirectory("tiermesh-chromium");
    Process p = new ProcessBuilder(binary, "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
        "--hide-scrollbars", "--user-data-dir=" + profile,
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=" + port,
        "--window-size=" + width + "," + height, "about:blank")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      String ws = null;
      long deadline = System.currentTimeMillis() + 30_000;
      while (ws == null && System.currentTimeMillis() < deadline) {
        try {
          JsonArray targets = new JsonArray(http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
              HttpResponse.BodyHandlers.ofString()).body());
          for (int i = 0; i < targets.size(); i++) {
            if ("page".equals(targets.getJsonObject(i).getString("type"))) {
              ws = targets.getJsonObject(i).getString("webSocketDebuggerUrl");
            }
          }
        } catch (java.io.IOException notYet) {
          // the browser is still starting
        }
        if (ws == null) {
          TimeUnit.MILLISECONDS.sleep(200);
        }
      }
      if (ws == null) {
        throw new AssertionError("chromium offered no page to drive within 30 s");
      }
      Listener listener = new Listener();
      WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), listener)
          .get(10, TimeUnit.SECONDS);
      HeadlessChromium c = new HeadlessChromium(p, profile, socket);
      listener.owner = c;
      c.call("Runtime.enable", new JsonObject());
      c.call("Log.enable", new JsonObject());
      c.call("Page.enable", new JsonObject());
      return c;
    } catch (Exception | AssertionError e) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      deleteTree(profile);
      throw e;
    }
  }

  /** Loads {@code url} and waits for its scripts to have run. */
  void open(String url) throws Exception {
    call("Page.navigate", new JsonObject().put("url", url));
    waitFor("document.readyState === 'complete'", 30_000);
  }

  /** The value of a JavaScript expression (awaited if it is a promise), as JSON-able value. */
  Object eval(String expression) throws Exception {
    JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (r.containsKey("exceptionDetails")) {
      throw new AssertionError("page script failed: " + r.getJsonObject("exceptionDetails"));
    }
    return r.getJsonObject("result").getValue("value");
  }

  /** Polls {@code condition} until it is true; fails after {@code timeoutMs}. */
  void waitFor(String condition, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (Boolean.TRUE.equals(eval("!!(" + condition + ")"))) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("not true within " + timeoutMs + " ms: " + condition);
  }

  /** Sets the page's viewport (CSS pixels), as a phone or a desktop window has it. */
  void viewport(int width, int height, boolean mobile) throws Exception {
    call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", width)
        .put("height", height).put("deviceScaleFactor", 1).put("mobile", mobile));
  }

  /** A PNG of the whole page (beyond the viewport when the page is longer). */
  byte[] screenshot() throws Exception {
    JsonObject r = call("Page.captureScreenshot", new JsonObject().put("format", "png")
        .put("captureBeyondViewport", true));
    return Base64.getDecoder().decode(r.getString("data"));
  }

  /** Console errors, uncaught exceptions and browser-reported errors seen so far. */
  List<String> errors() {
    synchronized (errors) {
      return List.copyOf(errors);
    }
  }

  JsonObject call(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> f = new CompletableFuture<>();
    pending.put(id, f);
    socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params)
        .encode(), true).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    JsonObject answer = f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    if (answer.containsKey("error")) {
      throw new AssertionError(method + " failed: " + answer.getJsonObject("error"));
    }
    return answer.getJsonObject("result");
  }

  private void onMessage(JsonObject m) {
    Integer id = m.getInteger("id");
    if (id != null) {
      CompletableFuture<JsonObject> f = pending.remove(id);
      if (f != null) {
        f.complete(m);
      }
      return;
    }
    String method = m.getString("method", "");
    JsonObject params = m.getJsonObject("params", new JsonObject());
    switch (method) {
      case "Runtime.exceptionThrown" -> errors.add("uncaught: "
          + params.getJsonObject("exceptionDetails"));
      case "Runtime.consoleAPICalled" -> {
        if ("error".equals(params.getString("type"))) {
          errors.add("console.error: " + params.getJsonArray("args"));
        }
      }
      case "Log.entryAdded" -> {
        JsonObject entry = params.getJsonObject("entry", new JsonObject());
        if ("error".equals(entry.getString("level"))) {
          errors.add(entry.getString("source") + ": " + entry.getString("text") + " "
              + entry.getString("url", ""));
        }
      }
      default -> { }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      // Chromium's helper processes write into the profile too: end them all before removing it.
      List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
      all.add(process.toHandle());
      all.forEach(ProcessHandle::destroy);
      for (ProcessHandle h : all) {
        try {
          h.onExit().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException slow) {
          h.destroyForcibly();
          h.onExit().get(10, TimeUnit.SECONDS);
        }
      }
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();
    private volatile HeadlessChromium owner;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        if (owner != null) {
          owner.onMessage(new JsonObject(text));
        }
      }
      ws.request(1);
      return null;
    }
  }
}
