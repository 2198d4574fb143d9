package io.tiermesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop light load: a few users, each sending one request, reading the whole answer,
 * then pausing before the next, for a fixed time. With so few requests in flight every hop
 * finds its thread asleep, which is what a chat UI or a single coding agent costs a gateway;
 * saturated load hides that cost by batching.
 */
final class ClosedLoad {

  /** @param firstError what the first failed request said, or null */
  record Result(long requests, long errors, double requestsPerSecond, double p50Ms,
      double p99Ms, String firstError) {}

  private ClosedLoad() {}

  static Result run(Vertx vertx, String url, String body, String apiKey, int users,
      int thinkMs, int seconds) {
    URI uri = URI.create(url);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()).setKeepAlive(true)
            .setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(users));
    Histogram latency = new Histogram(60_000_000L, 3);
    AtomicLong errors = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<String> firstError =
        new java.util.concurrent.atomic.AtomicReference<>();
    AtomicLong requests = new AtomicLong();
    Buffer payload = Buffer.buffer(body);
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    Promise<Void> done = Promise.promise();
    AtomicInteger running = new AtomicInteger(users);
    for (int u = 0; u < users; u++) {
      // Users start spread over one think time, not all on the same millisecond.
      vertx.setTimer(1 + (long) u * Math.max(1, thinkMs) / users, id ->
          loop(vertx, client, uri.getPath(), payload, apiKey, thinkMs, end, latency, requests,
              errors, firstError, running, done));
    }
    done.future().await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    client.close().await();
    return new Result(requests.get(), errors.get(), requests.get() / elapsed,
        latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
        firstError.get());
  }

  private static void loop(Vertx vertx, HttpClient client, String path, Buffer body,
      String apiKey, int thinkMs, long end, Histogram latency, AtomicLong requests,
      AtomicLong errors, java.util.concurrent.atomic.AtomicReference<String> firstError,
      AtomicInteger running, Promise<Void> done) {
    if (System.nanoTime() >= end) {
      if (running.decrementAndGet() == 0) {
        done.tryComplete();
      }
      return;
    }
    long sent = System.nanoTime();
    send(client, path, body, apiKey).onComplete(ar -> {
      requests.incrementAndGet();
      if (ar.succeeded()) {
        latency.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
      } else {
        errors.incrementAndGet();
        firstError.compareAndSet(null, String.valueOf(ar.cause().getMessage()));
      }
      Runnable next = () -> loop(vertx, client, path, body, apiKey, thinkMs, end, latency,
          requests, errors, firstError, running, done);
      if (thinkMs > 0) {
        vertx.setTimer(thinkMs, id -> next.run());
      } else {
        next.run();
      }
    });
  }

  private static Future<Void> send(HttpClient client, String path, Buffer body, String apiKey) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
        .putHeader("Content-Type", "application/json").setTimeout(30_000);
    if (apiKey != null) {
      opts.putHeader("Authorization", "Bearer " + apiKey);
    }
    return client.request(opts).compose(req -> req.send(body)).compose(resp -> {
      if (resp.statusCode() != 200) {
        return resp.body().compose(b -> Future.failedFuture("HTTP " + resp.statusCode() + " "
            + b.toString().substring(0, Math.min(300, b.length()))));
      }
      return resp.body().mapEmpty();
    });
  }
}
