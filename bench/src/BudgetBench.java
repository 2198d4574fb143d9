import io.tiermesh.budget.BudgetPolicy;
import io.tiermesh.budget.BudgetScope;
import io.tiermesh.budget.BudgetStore;
import io.tiermesh.budget.BudgetStoreOptions;
import io.tiermesh.budget.BudgetWindow;
import io.tiermesh.budget.ChargeDetails;
import io.tiermesh.budget.Reservation;
import io.tiermesh.budget.ScopeLimit;
import io.tiermesh.node.LocalRedis;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reserve + settle throughput and latency of the budget store with 64 concurrent callers, each
 * running reserve → settle in a loop against a real redis-server, over the five scopes a paid
 * call typically touches (global day and month, tier, provider, tenant × provider). Prints one
 * line of figures; bench/budget.sh runs redis-benchmark on the same server next to it.
 *
 * <p>Usage: BudgetBench [callers] [warmupSeconds] [measureSeconds]. REPLICA_ACKS=n makes every
 * reservation wait for n replicas (bench/budget-wait.sh). Uses REDIS_URL if set, else
 * starts its own redis-server (appendonly yes, as production must run).
 */
public final class BudgetBench {

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int measure = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    String url = System.getenv("REDIS_URL");
    LocalRedis own = url == null ? LocalRedis.start() : null;
    if (own != null) {
      url = own.url();
    }
    System.out.println("redis " + url);
    Vertx vertx = Vertx.vertx();
    try {
      BudgetStore store = new BudgetStore(vertx, new BudgetStoreOptions().redisUrl(url)
          .maxPoolSize(8).maxPoolWaiting(4096).operationTimeout(java.time.Duration.ofSeconds(2))
          // REPLICA_ACKS=1: every reservation waits for a replica (WAIT), as under Sentinel.
          .replicaAcks(Integer.parseInt(System.getenv().getOrDefault("REPLICA_ACKS", "0"))),
          Clock.systemUTC());
      // Like a verticle, the store is driven from one event-loop context.
      Promise<Void> started = Promise.promise();
      vertx.runOnContext(v -> store.start().onComplete(started));
      started.future().await(10, TimeUnit.SECONDS);
      BudgetPolicy policy = new BudgetPolicy(ZoneId.of("UTC"), 0.8,
          List.of(
              ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000_000_000L),
              ScopeLimit.spend(BudgetScope.global(), BudgetWindow.DAY, 1_000_000_000_000L),
              ScopeLimit.spend(BudgetScope.tier(2), BudgetWindow.MONTH, 1_000_000_000_000L),
              ScopeLimit.spend(BudgetScope.provider("hosted"), BudgetWindow.DAY,
                  1_000_000_000_000L),
              ScopeLimit.spend(BudgetScope.tenantProvider("bench", "hosted"), BudgetWindow.DAY,
                  1_000_000_000_000L)));
      ChargeDetails details = new ChargeDetails("bench", 2, "hosted", "gpt-4o-mini", 100, 50,
          "bench");

      Run warm = new Run(vertx, store, policy, details, callers);
      warm.go(warmup).await(warmup + 30, TimeUnit.SECONDS);
      Run run = new Run(vertx, store, policy, details, callers);
      run.go(measure).await(measure + 30, TimeUnit.SECONDS);
      long[] lat = Arrays.copyOf(run.latencies, run.count.get());
      Arrays.sort(lat);
      double seconds = run.elapsedNanos / 1e9;
      System.out.printf("RESULT callers=%d pairs=%d seconds=%.1f pairs_per_s=%.0f"
          + " redis_scripts_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d%n",
          callers, lat.length, seconds, lat.length / seconds, 2 * lat.length / seconds,
          pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), lat.length == 0 ? 0
              : lat[lat.length - 1] / 1000, run.errors.get());
      store.close().await(5, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      if (own != null) {
        own.close();
      }
    }
  }

  private static long pct(long[] sorted, double p) {
    return sorted.length == 0 ? 0
        : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1000;
  }

  /** {@code callers} independent reserve → settle loops, each with one pair in flight. */
  private static final class Run {
    final Vertx vertx;
    final BudgetStore store;
    final BudgetPolicy policy;
    final ChargeDetails details;
    final int callers;
    final long[] latencies = new long[20_000_000];
    final AtomicInteger count = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    static final AtomicInteger SEQ = new AtomicInteger();
    static final String RUN_ID = Long.toString(System.nanoTime(), 36);
    volatile long stopAt;
    long elapsedNanos;

    Run(Vertx vertx, BudgetStore store, BudgetPolicy policy, ChargeDetails details, int callers) {
      this.vertx = vertx;
      this.store = store;
      this.policy = policy;
      this.details = details;
      this.callers = callers;
    }

    Future<Void> go(int seconds) {
      Promise<Void> done = Promise.promise();
      AtomicInteger running = new AtomicInteger(callers);
      long start = System.nanoTime();
      stopAt = start + seconds * 1_000_000_000L;
      vertx.runOnContext(v -> {
        for (int i = 0; i < callers; i++) {
          loop(() -> {
            if (running.decrementAndGet() == 0) {
              elapsedNanos = System.nanoTime() - start;
              done.complete();
            }
          });
        }
      });
      return done.future();
    }

    private void loop(Runnable finished) {
      long t0 = System.nanoTime();
      if (t0 >= stopAt) {
        finished.run();
        return;
      }
      // Unique across runs: runs against one Redis would otherwise reuse settled ids.
      String id = "bench-" + RUN_ID + "-" + SEQ.incrementAndGet();
      Instant now = Instant.now();
      Reservation r = new Reservation(id, 1, "bench", 200,
          policy.applicableScopes("bench", 2, "hosted", now), now.toEpochMilli() + 60_000);
      store.reserve(r)
          .compose(res -> res.admitted() ? store.settle(id, 1, 150, details).mapEmpty()
              : Future.failedFuture(res.status().toString()))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              int n = count.getAndIncrement();
              if (n < latencies.length) {
                latencies[n] = System.nanoTime() - t0;
              }
            } else {
              if (errors.incrementAndGet() == 1) {
                System.out.println("first error: " + ar.cause());
              }
            }
            loop(finished);
          });
    }
  }
}
