package io.tiermesh.router.compare;

import io.tiermesh.contracts.ComparisonKeys;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Adds each scored pair to the hourly sums the comparison report reads
 * ({@link ComparisonKeys}). Off the request path twice over: a pair is recorded once both
 * answers are in (the client's long gone), and it only adds to an in-memory map that a timer
 * writes to Redis once a second in one pipelined transaction. The map is bounded
 * ({@link #MAX_FIELDS}); when Redis is slow or down, pairs beyond it are dropped and counted,
 * never queued without end. Touched only on the router's event loop.
 */
public final class PairRecorder {

  private static final Logger LOG = Logger.getLogger(PairRecorder.class.getName());

  public static final long FLUSH_MS = 1_000;
  /** Distinct sums held between flushes; a pair adds about 25. */
  public static final int MAX_FIELDS = 50_000;

  /**
   * One finished pair: what the client got and what the shadow answered.
   *
   * @param shadowCostMicros what the shadow call was charged (its own reservation and
   *                         settle), or null when unknown
   */
  public record Pair(String tenant, String rule, RouteInfo primary, boolean primaryFellBack,
      long primaryMs, Usage primaryUsage, Long primaryCostMicros, RouteInfo shadow,
      boolean shadowOk, long shadowMs, Usage shadowUsage, PairScore score,
      Long shadowCostMicros) {}

  private final Vertx vertx;
  private final Redis redis;
  /** hour key → field → increment. */
  private final Map<String, Map<String, Double>> pending = new LinkedHashMap<>();
  private int fields;
  private boolean flushing;
  private long timer = -1;
  private final AtomicLong recorded = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  public PairRecorder(Vertx vertx, Redis redis) {
    this.vertx = vertx;
    this.redis = redis;
  }

  public static PairRecorder connect(Vertx vertx, RedisTarget target) {
    RedisOptions options = RedisClients.options(target, 2, 16);
    options.getNetClientOptions().setConnectTimeout(2_000);
    return new PairRecorder(vertx, RedisClients.create(vertx, options, target));
  }

  /** Starts the flush timer; call on the router's context. */
  public void start() {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  /** Writes what is pending (bounded by the batch's timeout), then closes the client. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return flush().eventually(() -> redis.close());
  }

  public long recorded() {
    return recorded.get();
  }

  public long dropped() {
    return dropped.get();
  }

  public void record(Pair p, long nowMillis) {
    if (fields >= MAX_FIELDS) {
      dropped.incrementAndGet();
      return;
    }
    recorded.incrementAndGet();
    String hourKey = ComparisonKeys.PAIRS_PREFIX + ComparisonKeys.hour(nowMillis);
    Map<String, Double> sums = pending.computeIfAbsent(hourKey, k -> new LinkedHashMap<>());
    String base = ComparisonKeys.part(p.tenant()) + ComparisonKeys.SEP
        + ComparisonKeys.part(p.rule()) + ComparisonKeys.SEP + arm(p.primary())
        + ComparisonKeys.SEP + arm(p.shadow()) + ComparisonKeys.SEP;
    add(sums, base, "pairs", 1);
    add(sums, base, "pFallback", p.primaryFellBack() ? 1 : 0);
    add(sums, base, "pL" + ComparisonKeys.latencyBucket(p.primaryMs()), 1);
    add(sums, base, "pMs", p.primaryMs());
    tokens(sums, base, "p", p.primaryUsage());
    if (p.primaryCostMicros() != null) {
      add(sums, base, "pCost", p.primaryCostMicros());
    }
    if (!p.shadowOk()) {
      add(sums, base, "sFailed", 1);
      return;
    }
    add(sums, base, "sL" + ComparisonKeys.latencyBucket(p.shadowMs()), 1);
    add(sums, base, "sMs", p.shadowMs());
    tokens(sums, base, "s", p.shadowUsage());
    if (p.shadowCostMicros() != null) {
      add(sums, base, "sCost", p.shadowCostMicros());
    }
    PairScore s = p.score();
    if (s == null) {
      // The client's answer was streamed: the router never held its text.
      add(sums, base, "unscored", 1);
      return;
    }
    add(sums, base, "scored", 1);
    add(sums, base, "exact", s.exact() ? 1 : 0);
    add(sums, base, "sim", s.similarity());
    add(sums, base, "agree", s.agreement());
    int decile = Math.min(ComparisonKeys.AGREEMENT_BUCKETS - 1,
        (int) (s.agreement() * ComparisonKeys.AGREEMENT_BUCKETS));
    add(sums, base, "a" + decile, 1);
    if (s.json() != null) {
      add(sums, base, "jsonN", 1);
      add(sums, base, "jsonOk", s.json() ? 1 : 0);
      add(sums, base, "schemaOk", Boolean.TRUE.equals(s.schema()) ? 1 : 0);
    }
    if (s.tools() != null) {
      add(sums, base, "toolsN", 1);
      add(sums, base, "toolsOk", s.tools() ? 1 : 0);
    }
    if (s.lengthRatio() != null) {
      add(sums, base, "lenN", 1);
      add(sums, base, "len", s.lengthRatio());
    }
  }

  private void tokens(Map<String, Double> sums, String base, String arm, Usage u) {
    if (u != null) {
      add(sums, base, arm + "In", u.promptTokens());
      add(sums, base, arm + "Out", u.completionTokens());
    }
  }

  private void add(Map<String, Double> sums, String base, String metric, double v) {
    if (sums.merge(base + metric, v, Double::sum) == v) {
      fields++;
    }
  }

  static String arm(RouteInfo r) {
    return r == null ? "" : ComparisonKeys.part(r.providerId() + "/" + r.model());
  }

  /** Writes what is pending in one batch; what fails is dropped (counted), not retried. */
  Future<Void> flush() {
    if (flushing || pending.isEmpty()) {
      return Future.succeededFuture();
    }
    // One transaction: a report read in the middle of a pipeline would see a pair counted in
    // some sums and not yet in others.
    List<Request> batch = new ArrayList<>();
    batch.add(Request.cmd(Command.MULTI));
    int n = 0;
    for (Map.Entry<String, Map<String, Double>> hour : pending.entrySet()) {
      for (Map.Entry<String, Double> f : hour.getValue().entrySet()) {
        batch.add(Request.cmd(Command.HINCRBYFLOAT).arg(hour.getKey()).arg(f.getKey())
            .arg(Double.toString(f.getValue())));
        n++;
      }
      // Kept a retention period after its hour ends, whatever hour is written last.
      batch.add(Request.cmd(Command.EXPIRE).arg(hour.getKey())
          .arg(ComparisonKeys.RETENTION_SECONDS + 3_600));
    }
    batch.add(Request.cmd(Command.EXEC));
    pending.clear();
    fields = 0;
    flushing = true;
    int written = n;
    // One borrowed connection for the whole batch: MULTI..EXEC is written in one piece on it.
    return redis.connect().compose(conn -> conn.batch(batch).eventually(conn::close))
        .timeout(5, TimeUnit.SECONDS).<Void>transform(ar -> {
      flushing = false;
      if (ar.failed()) {
        dropped.addAndGet(written);
        LOG.warning("paired-answer scores not written (" + written + " sums dropped): "
            + ar.cause().getMessage());
      }
      return Future.succeededFuture();
    });
  }
}
