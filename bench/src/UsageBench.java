import io.tiermesh.budget.BudgetPolicy;
import io.tiermesh.budget.BudgetScope;
import io.tiermesh.budget.BudgetStore;
import io.tiermesh.budget.BudgetStoreOptions;
import io.tiermesh.budget.BudgetWindow;
import io.tiermesh.budget.ChargeDetails;
import io.tiermesh.budget.Reservation;
import io.tiermesh.budget.ScopeLimit;
import io.tiermesh.budget.UsageReader;
import io.tiermesh.budget.UsageRollups;
import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.tiermesh.node.LocalRedis;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Usage report latency at production size: writes the usage rollups that {@code days} ×
 * {@code perDay} requests leave behind (hourly and daily hashes in exactly the layout settle.lua
 * writes, built through {@link UsageRollups}), then times {@link UsageReader#report} — what the
 * budget role runs for {@code GET /admin/usage} — for several groupings, and the paid path's
 * reserve + settle latency with and without a report loop running on the same store.
 *
 * <p>The rollups are generated directly, not by settling {@code days × perDay} calls one by one
 * (9 M settles would take this machine about 40 minutes); their size and shape are what those
 * calls would leave. The ledger itself is not generated: the report no longer reads it.
 *
 * <p>Usage: UsageBench [days] [perDay] [iterations]. Uses REDIS_URL if set, else starts its own
 * redis-server.
 */
public final class UsageBench {

  static final ZoneId UTC = ZoneOffset.UTC;
  static final int TENANTS = 10;
  static final int KEYS_PER_TENANT = 5;

  public static void main(String[] args) throws Exception {
    int days = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int perDay = args.length > 1 ? Integer.parseInt(args[1]) : 300_000;
    int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    String url = System.getenv("REDIS_URL");
    LocalRedis own = url == null ? LocalRedis.start() : null;
    if (own != null) {
      url = own.url();
    }
    Vertx vertx = Vertx.vertx();
    Redis raw = Redis.createClient(vertx, url);
    try {
      long before = usedMemory(raw);
      long t0 = System.nanoTime();
      long[] written = generate(raw, days, perDay);
      long after = usedMemory(raw);
      System.out.printf("RESULT generate days=%d requests_per_day=%d requests=%d hourly_hashes=%d"
          + " daily_hashes=%d fields=%d seconds=%.1f redis_used_memory_mb=%.1f%n", days, perDay,
          (long) days * perDay, written[0], written[1], written[2],
          (System.nanoTime() - t0) / 1e9, (after - before) / 1048576.0);

      BudgetStore store = new BudgetStore(vertx, new BudgetStoreOptions().redisUrl(url).zone(UTC)
          .maxPoolSize(8).maxPoolWaiting(4096).operationTimeout(Duration.ofSeconds(2)),
          Clock.systemUTC());
      Promise<Void> started = Promise.promise();
      vertx.runOnContext(v -> store.start().onComplete(started));
      started.future().await(30, TimeUnit.SECONDS);
      UsageReader reader = new UsageReader(vertx, store, UTC, Clock.systemUTC());
      LocalDate today = LocalDate.now(UTC);
      String from30 = today.minusDays(days - 1).toString();
      String from7 = today.minusDays(6).toString();
      Map<String, UsageQuery> queries = new java.util.LinkedHashMap<>();
      queries.put("30d group_by=day,tier", q(List.of("day", "tier"), from30));
      queries.put("30d group_by=key", q(List.of("key"), from30));
      queries.put("30d group_by=tenant,model,route_reason", q(List.of("tenant", "model",
          "route_reason"), from30));
      queries.put("30d group_by=day,key (one tenant)", new UsageQuery(List.of("day", "key"),
          from30, null, "tenant-3", null));
      queries.put("7d group_by=hour,tier", q(List.of("hour", "tier"), from7));
      queries.put("30d group_by=hour", q(List.of("hour"), from30));
      for (Map.Entry<String, UsageQuery> e : queries.entrySet()) {
        int n = e.getKey().contains("hour") && e.getKey().startsWith("30d")
            ? Math.max(20, iterations / 10) : iterations;
        long[] lat = new long[n];
        UsageReport last = null;
        double coldMs = 0;
        int failed = 0;
        reader.clear(); // the first run reads every period from Redis
        for (int i = 0; i < n + 10; i++) {
          long s = System.nanoTime();
          try {
            last = onContext(vertx, () -> reader.report(e.getValue(), today, null))
                .await(60, TimeUnit.SECONDS);
          } catch (Exception failure) {
            failed++;
          }
          long took = System.nanoTime() - s;
          if (i == 0) {
            coldMs = took / 1e6;
          }
          if (i >= 10) {
            lat[i - 10] = took;
          }
        }
        Arrays.sort(lat);
        System.out.printf("RESULT query=\"%s\" runs=%d rows=%d calls=%d cold_first_ms=%.1f"
            + " p50_ms=%.1f p99_ms=%.1f max_ms=%.1f failed=%d%n", e.getKey(), n,
            last == null ? 0 : last.rows().size(), last == null ? 0 : last.totals().calls(),
            coldMs, pct(lat, 0.50), pct(lat, 0.99), lat[n - 1] / 1e6, failed);
      }

      // The paid path (reserve + settle, 16 callers) alone, then with a report loop running.
      PaidPath alone = new PaidPath(vertx, store, 16);
      alone.run(10).await(60, TimeUnit.SECONDS);
      alone.print("alone");
      AtomicBoolean querying = new AtomicBoolean(true);
      AtomicInteger reports = new AtomicInteger();
      UsageQuery busy = q(List.of("day", "tier"), from30);
      vertx.runOnContext(v -> reportLoop(reader, busy, today, querying, reports));
      PaidPath loaded = new PaidPath(vertx, store, 16);
      loaded.run(10).await(60, TimeUnit.SECONDS);
      querying.set(false);
      loaded.print("while_reports_run reports=" + reports.get());
      store.close().await(5, TimeUnit.SECONDS);
    } finally {
      raw.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      if (own != null) {
        own.close();
      }
    }
  }

  static UsageQuery q(List<String> groupBy, String from) {
    return new UsageQuery(groupBy, from, null, null, null);
  }

  static void reportLoop(UsageReader reader, UsageQuery q, LocalDate today, AtomicBoolean on,
      AtomicInteger count) {
    if (!on.get()) {
      return;
    }
    reader.report(q, today, null).onComplete(ar -> {
      count.incrementAndGet();
      reportLoop(reader, q, today, on, count);
    });
  }

  static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> work) {
    Promise<T> p = Promise.promise();
    vertx.runOnContext(v -> work.get().onComplete(p));
    return p.future();
  }

  static double pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
  }

  static long usedMemory(Redis raw) throws Exception {
    String info = raw.send(Request.cmd(Command.INFO).arg("memory")).await(10, TimeUnit.SECONDS)
        .toString();
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    return 0;
  }

  /** Writes the rollups; returns {hourly hashes, daily hashes, fields}. */
  static long[] generate(Redis raw, int days, int perDay) throws Exception {
    Random rnd = new Random(20261207);
    LocalDate today = LocalDate.now(UTC);
    long now = System.currentTimeMillis();
    long[] out = new long[3];
    int perHour = perDay / 24;
    for (int d = days - 1; d >= 0; d--) {
      LocalDate day = today.minusDays(d);
      long dayStart = day.atStartOfDay(UTC).toInstant().toEpochMilli();
      Map<String, long[]> daySums = new HashMap<>();
      List<Future<?>> writes = new ArrayList<>();
      for (int h = 0; h < 24; h++) {
        long hourStart = dayStart + h * 3_600_000L;
        Map<String, long[]> hourSums = new HashMap<>();
        for (int i = 0; i < perHour; i++) {
          sample(rnd, hourSums, daySums);
        }
        writes.add(write(raw, UsageRollups.hourKey(hourStart),
            UsageRollups.hourExpireAt(hourStart) - now, hourSums, out));
        out[0]++;
      }
      writes.add(write(raw, UsageRollups.dayKey(dayStart, UTC),
          UsageRollups.dayExpireAt(dayStart, UTC) - now, daySums, out));
      out[1]++;
      Future.all(writes).await(120, TimeUnit.SECONDS);
    }
    return out;
  }

  /** One request: a tenant (skewed), one of its keys, a tier and its model and a reason. */
  static void sample(Random rnd, Map<String, long[]> hour, Map<String, long[]> day) {
    int tenant = (int) Math.min(TENANTS - 1, Math.abs(rnd.nextGaussian()) * 3);
    int key = rnd.nextInt(KEYS_PER_TENANT);
    double t = rnd.nextDouble();
    int tier = t < 0.70 ? 1 : t < 0.95 ? 2 : 3;
    String provider = tier == 1 ? "local" : tier == 2 ? "hosted" : "premium";
    String model = tier == 1 ? "llama3.1:8b" : tier == 2 ? "gpt-4o-mini" : "gpt-4o";
    String[] reasons = tier == 1 ? new String[] {"default", "private-data", "embedding"}
        : tier == 2 ? new String[] {"quality-high", "fallback"}
        : new String[] {"critical-high", "forced-model"};
    String reason = reasons[rnd.nextInt(reasons.length)];
    long in = 200 + rnd.nextInt(3_000);
    long outTokens = 50 + rnd.nextInt(800);
    long cost = tier == 1 ? 0 : tier == 2 ? (in * 150 + outTokens * 600) / 1_000_000
        : (in * 2_500 + outTokens * 10_000) / 1_000_000;
    long premium = (in * 2_500 + outTokens * 10_000) / 1_000_000;
    String dims = new UsageRollups.Dims("tenant-" + tenant, "key-" + tenant + "-" + key,
        provider, model, tier, reason).encode();
    for (Map<String, long[]> m : List.of(hour, day)) {
      long[] s = m.computeIfAbsent(dims, k -> new long[5]);
      s[0]++;
      s[1] += in;
      s[2] += outTokens;
      s[3] += cost;
      s[4] += premium;
    }
  }

  static Future<?> write(Redis raw, String key, long ttl, Map<String, long[]> sums, long[] out) {
    List<Request> batch = new ArrayList<>();
    Request hset = Request.cmd(Command.HSET).arg(key);
    int fields = 0;
    for (Map.Entry<String, long[]> e : sums.entrySet()) {
      long[] v = e.getValue();
      hset.arg(e.getKey()).arg(UsageRollups.value(v[0], v[1], v[2], v[3], v[4]));
      fields++;
      out[2]++;
      if (fields >= 1_000) {
        batch.add(hset);
        hset = Request.cmd(Command.HSET).arg(key);
        fields = 0;
      }
    }
    if (fields > 0) {
      batch.add(hset);
    }
    batch.add(Request.cmd(Command.PEXPIRE).arg(key).arg(Math.max(1, ttl)));
    return raw.batch(batch);
  }

  /** {@code callers} reserve → settle loops on the store, one pair in flight each. */
  static final class PaidPath {
    final Vertx vertx;
    final BudgetStore store;
    final int callers;
    final List<Long> latencies = new ArrayList<>();
    final BudgetPolicy policy = new BudgetPolicy(UTC, 0.8, List.of(
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000_000_000L),
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.DAY, 1_000_000_000_000L),
        ScopeLimit.spend(BudgetScope.tier(2), BudgetWindow.MONTH, 1_000_000_000_000L),
        ScopeLimit.spend(BudgetScope.provider("hosted"), BudgetWindow.DAY, 1_000_000_000_000L),
        ScopeLimit.spend(BudgetScope.tenantProvider("bench", "hosted"), BudgetWindow.DAY,
            1_000_000_000_000L)));
    final ChargeDetails details = new ChargeDetails("bench", 2, "hosted", "gpt-4o-mini", 100, 50,
        "bench", "key-bench", 1_000);
    static final AtomicInteger SEQ = new AtomicInteger();
    long stopAt;
    int errors;

    PaidPath(Vertx vertx, BudgetStore store, int callers) {
      this.vertx = vertx;
      this.store = store;
      this.callers = callers;
    }

    Future<Void> run(int seconds) {
      Promise<Void> done = Promise.promise();
      AtomicInteger running = new AtomicInteger(callers);
      stopAt = System.nanoTime() + seconds * 1_000_000_000L;
      vertx.runOnContext(v -> {
        for (int i = 0; i < callers; i++) {
          loop(() -> {
            if (running.decrementAndGet() == 0) {
              done.complete();
            }
          });
        }
      });
      return done.future();
    }

    void loop(Runnable finished) {
      long t0 = System.nanoTime();
      if (t0 >= stopAt) {
        finished.run();
        return;
      }
      String id = "usage-bench-" + SEQ.incrementAndGet();
      Instant now = Instant.now();
      Reservation r = new Reservation(id, 1, "bench", 200,
          policy.applicableScopes("bench", 2, "hosted", now), now.toEpochMilli() + 60_000);
      store.reserve(r).compose(res -> res.admitted()
              ? store.settle(id, 1, 150, details).mapEmpty()
              : Future.failedFuture("not admitted: " + res.status()))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              latencies.add(System.nanoTime() - t0);
            } else {
              errors++;
            }
            loop(finished);
          });
    }

    void print(String label) {
      long[] lat = latencies.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(lat);
      System.out.printf("RESULT paid_path=%s callers=%d pairs=%d p50_ms=%.1f p99_ms=%.1f"
          + " max_ms=%.1f errors=%d%n", label, callers, lat.length, pct(lat, 0.50),
          pct(lat, 0.99), lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6, errors);
    }
  }
}
