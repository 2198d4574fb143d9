package io.tiermesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How a single node's cost grows with the work: CPU per request against the prompt's size and
 * the streamed answer's length, and resident memory against the number of streams held open at
 * a slow backend. Each step is a closed loop of a few users for a fixed time, CPU read from
 * /proc before and after, so a step measures only its own requests.
 */
final class Growth {

  static final String START = "<!-- bench:growth:start -->";
  static final String END = "<!-- bench:growth:end -->";
  private static final String SENTENCE = "The quarterly report lists revenue by region, "
      + "churn by plan and the open incidents of the support queue; summarise the trends. ";

  private Growth() {}

  /** A chat request whose user message is about {@code bytes} long, with a simulator directive. */
  static String body(int bytes, String directive, boolean stream) {
    return body(bytes, directive, stream, 16);
  }

  /** @param maxTokens the answer's limit: the simulator stops there whatever tokens= asks */
  static String body(int bytes, String directive, boolean stream, int maxTokens) {
    StringBuilder text = new StringBuilder(bytes + 64);
    while (text.length() < bytes) {
      text.append(SENTENCE);
    }
    text.setLength(bytes);
    if (!directive.isEmpty()) {
      text.append(" [sim ").append(directive).append(']');
    }
    return new JsonObject().put("model", "auto").put("stream", stream).put("max_tokens", maxTokens)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", text.toString()))).encode();
  }

  static JsonArray run(Vertx vertx, BenchMain.Target node, int seconds) throws Exception {
    warm(vertx, node);
    JsonArray rows = new JsonArray();
    for (int kib : List.of(1, 16, 128, 1024)) {
      // Fewer users for big prompts: the point is CPU per request, not queueing.
      int users = kib >= 128 ? 2 : 4;
      rows.add(step(vertx, node, "prompt", kib, body(kib * 1024, "", false), users, seconds)
          .put("prompt_kib", kib));
    }
    for (int chunks : List.of(10, 100, 1000, 10_000)) {
      rows.add(step(vertx, node, "stream_length", chunks,
          body(64, "tokens=" + chunks, true, chunks + 16), 4, seconds).put("chunks", chunks));
    }
    for (int open : List.of(10, 100, 1000)) {
      rows.add(openStreams(vertx, node, open));
    }
    return rows;
  }

  /**
   * A fresh node runs interpreted code for its first thousands of requests, and longer on a
   * busy box (9-20 ms of CPU per request instead of 0.15 ms at load average 30, where the JIT's
   * threads get little time): mixed requests until at least 30,000 have been served and two
   * 5-second passes in a row agree on CPU per request within 15 %, at most 4 minutes.
   */
  static void warm(Vertx vertx, BenchMain.Target node) throws Exception {
    double last = Double.MAX_VALUE;
    long served = 0;
    for (int pass = 0; pass < 48; pass++) {
      long before = cpu(node);
      ClosedLoad.Result r = ClosedLoad.run(vertx, node.url(),
          pass % 2 == 0 ? body(1024, "", false) : body(64, "tokens=16", true), node.apiKey(),
          4, 0, 5);
      double perRequest = BenchMain.ticksToMicros(cpu(node) - before)
          / Math.max(1, r.requests());
      System.out.printf(Locale.ROOT, "warm-up pass %d: %.0f µs CPU per request%n", pass,
          perRequest);
      served += r.requests();
      if (served >= 30_000 && pass % 2 == 1 && Math.abs(perRequest - last) < 0.15 * last) {
        return;
      }
      if (pass % 2 == 1) {
        last = perRequest;
      }
    }
  }

  static JsonObject step(Vertx vertx, BenchMain.Target node, String kind, long size,
      String body, int users, int seconds) throws Exception {
    // One unmeasured pass warms the JIT for this size.
    ClosedLoad.run(vertx, node.url(), body, node.apiKey(), users, 0, Math.max(2, seconds / 3));
    String load = BenchMain.loadAverage();
    long before = cpu(node);
    ClosedLoad.Result r = ClosedLoad.run(vertx, node.url(), body, node.apiKey(), users, 0,
        seconds);
    long ticks = cpu(node) - before;
    JsonObject row = new JsonObject().put("kind", kind).put("size", size).put("loadavg", load)
        .put("users", users).put("requests", r.requests()).put("errors", r.errors())
        .put("first_error", r.firstError())
        .put("p50_ms", r.p50Ms())
        .put("cpu_us_per_request", BenchMain.ticksToMicros(ticks) / Math.max(1, r.requests()));
    System.out.println(row.encode());
    return row;
  }

  /**
   * Opens {@code n} streams at a backend that sends one chunk every 200 ms, waits until all
   * have started, reads the node's resident memory, then closes them.
   */
  private static JsonObject openStreams(Vertx vertx, BenchMain.Target node, int n)
      throws Exception {
    URI uri = URI.create(node.url());
    HttpClient client = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()).setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(n));
    System.gc();
    long rssBefore = rssKib(node);
    String load = BenchMain.loadAverage();
    Buffer body = Buffer.buffer(body(64, "chunk-delay=200 tokens=300", true, 400));
    AtomicInteger started = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Future<HttpClientResponse>> open = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setURI(uri.getPath())
          .putHeader("Content-Type", "application/json")
          .putHeader("Authorization", "Bearer " + node.apiKey()).setTimeout(120_000);
      open.add(client.request(o).compose(req -> req.send(body)).onComplete(ar -> {
        if (ar.succeeded() && ar.result().statusCode() == 200) {
          ar.result().handler(b -> { });
          started.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
      }));
    }
    long deadline = System.currentTimeMillis() + 120_000;
    while (started.get() + failed.get() < n && System.currentTimeMillis() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    // Let every stream send a few chunks, so each holds its steady-state buffers.
    TimeUnit.SECONDS.sleep(3);
    long rssOpen = rssKib(node);
    Promise<Void> closed = Promise.promise();
    client.close().onComplete(ar -> closed.tryComplete());
    closed.future().await();
    JsonObject row = new JsonObject().put("kind", "open_streams").put("size", n)
        .put("loadavg", load).put("started", started.get()).put("failed", failed.get())
        .put("rss_before_mib", rssBefore / 1024.0).put("rss_open_mib", rssOpen / 1024.0)
        .put("kib_per_stream", (rssOpen - rssBefore) / (double) Math.max(1, started.get()));
    System.out.println(row.encode());
    // The node ends the cancelled streams; give it a moment before the next step.
    TimeUnit.SECONDS.sleep(3);
    return row;
  }

  private static long cpu(BenchMain.Target t) throws IOException {
    long sum = 0;
    for (ManagedProcess p : t.tiermesh()) {
      sum += p.cpuTicks();
    }
    return sum;
  }

  private static long rssKib(BenchMain.Target t) throws IOException {
    long sum = 0;
    for (ManagedProcess p : t.tiermesh()) {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(p.process.pid()),
          "status"))) {
        if (line.startsWith("VmRSS:")) {
          sum += Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    }
    return sum;
  }

  static String table(JsonArray rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| growth | size | requests | errors | p50 ms | CPU µs/request | per unit |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (Object o : rows) {
      JsonObject r = (JsonObject) o;
      String kind = r.getString("kind");
      if (kind.equals("open_streams")) {
        continue;
      }
      double cpu = r.getDouble("cpu_us_per_request");
      String size;
      String unit;
      if (kind.equals("prompt")) {
        int kib = r.getInteger("prompt_kib");
        size = kib >= 1024 ? kib / 1024 + " MiB prompt" : kib + " KiB prompt";
        unit = String.format(Locale.ROOT, "%.2f ms CPU per MiB", cpu / 1000 / (kib / 1024.0));
      } else {
        int chunks = r.getInteger("chunks");
        size = String.format(Locale.ROOT, "%,d chunks", chunks);
        unit = String.format(Locale.ROOT, "%.1f µs CPU per chunk", cpu / chunks);
      }
      if (r.getLong("errors") > 0 && r.getString("first_error") != null) {
        unit += " (first error: " + r.getString("first_error").replace('|', '/')
            .replaceAll("\\s+", " ") + ")";
      }
      sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.0f | %s |%n",
          kind.replace('_', ' '), size, r.getLong("requests"), r.getLong("errors"),
          r.getDouble("p50_ms"), cpu, unit));
    }
    sb.append("\n| open streams at a slow backend | started | failed | node RSS before MiB | "
        + "RSS with the streams open MiB | KiB per open stream |\n|---|---|---|---|---|---|\n");
    for (Object o : rows) {
      JsonObject r = (JsonObject) o;
      if (r.getString("kind").equals("open_streams")) {
        sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.0f | %.0f | %.0f |%n",
            r.getInteger("size"), r.getInteger("started"), r.getInteger("failed"),
            r.getDouble("rss_before_mib"), r.getDouble("rss_open_mib"),
            r.getDouble("kib_per_stream")));
      }
    }
    return sb.toString();
  }

  /** Replaces the growth section of RESULTS.md (added at the end the first time). */
  static void writeInto(Path file, JsonArray rows, String header) throws IOException {
    String section = START + "\n## Cost growth (bin/tiermesh bench --growth)\n\n" + header
        + "\n\n" + table(rows) + END;
    String text = Files.exists(file) ? Files.readString(file) : "# Benchmark results\n\n";
    int s = text.indexOf(START);
    int e = text.indexOf(END);
    if (s >= 0 && e > s) {
      text = text.substring(0, s) + section + text.substring(e + END.length());
    } else {
      text = text + (text.endsWith("\n") ? "" : "\n") + "\n" + section + "\n";
    }
    Files.writeString(file, text);
  }
}
