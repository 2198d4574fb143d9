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
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Open-loop load at a fixed rate. Latency is measured from each request's scheduled send time,
 * not the moment it was actually sent, so a stall shows up in the percentiles instead of
 * silently lowering the offered rate (coordinated omission).
 */
final class PacedLoad {

  record Result(long sent, long errors, double p50Ms, double p99Ms, double ttfbP50Ms,
      double ttfbP99Ms) {}

  private PacedLoad() {}

  static Result run(Vertx vertx, String url, String body, String apiKey, int ratePerSecond,
      int seconds) {
    URI uri = URI.create(url);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()).setKeepAlive(true)
            .setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(256));
    Histogram total = new Histogram(60_000_000L, 3);
    Histogram ttfb = new Histogram(60_000_000L, 3);
    AtomicLong errors = new AtomicLong();
    long count = (long) ratePerSecond * seconds;
    Buffer payload = Buffer.buffer(body);
    Promise<Void> done = Promise.promise();
    AtomicLong finished = new AtomicLong();
    long start = System.nanoTime();
    long intervalNanos = 1_000_000_000L / ratePerSecond;
    long[] next = {0};
    vertx.setPeriodic(1, id -> {
      long due = Math.min(count, (System.nanoTime() - start) / intervalNanos + 1);
      while (next[0] < due) {
        long scheduled = start + next[0] * intervalNanos;
        next[0]++;
        send(client, uri.getPath(), payload, apiKey).onComplete(ar -> {
          long end = System.nanoTime();
          if (ar.succeeded()) {
            total.recordValue(Math.max(0, (end - scheduled) / 1000));
            ttfb.recordValue(Math.max(0, (ar.result() - scheduled) / 1000));
          } else {
            errors.incrementAndGet();
          }
          if (finished.incrementAndGet() == count) {
            done.tryComplete();
          }
        });
      }
      if (next[0] >= count) {
        vertx.cancelTimer(id);
      }
    });
    done.future().await();
    client.close().await();
    return new Result(count, errors.get(), total.getValueAtPercentile(50) / 1000.0,
        total.getValueAtPercentile(99) / 1000.0, ttfb.getValueAtPercentile(50) / 1000.0,
        ttfb.getValueAtPercentile(99) / 1000.0);
  }

  /** Completes with the nano time of the first body byte once the whole body has arrived. */
  private static Future<Long> send(HttpClient client, String path, Buffer body, String apiKey) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
        .putHeader("Content-Type", "application/json").setTimeout(30_000);
    if (apiKey != null) {
      opts.putHeader("Authorization", "Bearer " + apiKey);
    }
    return client.request(opts).compose(req -> req.send(body)).compose(resp -> {
      if (resp.statusCode() != 200) {
        return resp.body().compose(b -> Future.failedFuture("HTTP " + resp.statusCode()));
      }
      Promise<Long> p = Promise.promise();
      long[] first = {0};
      resp.handler(chunk -> {
        if (first[0] == 0) {
          first[0] = System.nanoTime();
        }
      });
      resp.exceptionHandler(p::tryFail);
      resp.endHandler(v -> p.tryComplete(first[0] == 0 ? System.nanoTime() : first[0]));
      return p.future();
    });
  }
}
