package io.tiermesh.gateway.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.RefusalCounts;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.gateway.access.AccessLayer;
import io.tiermesh.gateway.access.Principal;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes every client API request's decision to the audit trail, a Redis stream shared by all
 * gateways ({@value #STREAM}), and counts refusals for the usage rollups.
 *
 * <p>Off the critical path: a finished request only appends its record to a bounded in-memory
 * queue; a timer writes the queue in batches (one pipelined round trip per batch). When Redis is
 * slow or down the queue fills, and further records are dropped and counted in
 * {@code tiermesh_audit_dropped_total}: the trail never slows or fails a request. Touched only
 * on the gateway's event loop, so it needs no locking.
 *
 * <p>The stream is bounded twice: by length at every write ({@code MAXLEN ~}) and by age
 * ({@code XTRIM MINID ~}) once a minute.
 */
public final class AuditTrail {

  private static final System.Logger LOG = System.getLogger(AuditTrail.class.getName());

  public static final String STREAM = "{tm}:audit";
  /** Every /v1 request answered with an error status: the same count the usage report shows. */
  public static final String REFUSALS = "tiermesh.gateway.refusals";
  /** Context keys the request handlers fill in for the record. */
  public static final String CLASSIFICATION = "tiermesh.audit.classification";
  public static final String OUTCOME = "tiermesh.audit.outcome";
  /** Set on a request routed as a stream: its response may end before its outcome arrives. */
  public static final String AWAITS_OUTCOME = "tiermesh.audit.awaitsOutcome";
  private static final String PENDING = "tiermesh.audit.pending";
  /** Set by an admin handler that changed something: what it changed, for the record. */
  public static final String CHANGE = "tiermesh.audit.change";
  static final long FLUSH_MS = 200;
  static final int BATCH = 500;
  static final long REFUSALS_MS = 1_000;
  static final long TRIM_MS = 60_000;
  static final long HOUR_MS = 3_600_000L;
  static final int MAX_ENDPOINT = 200;

  private final Vertx vertx;
  private final Redis redis;
  private final AuditSettings settings;
  private final Counter dropped;
  private final Counter written;
  private final MeterRegistry registry;
  /** code \31 status → counter; few values (FailureCode × status), built once each. */
  private final Map<String, Counter> refusalCounters = new java.util.concurrent.ConcurrentHashMap<>();
  private final ArrayDeque<AuditRecord> queue = new ArrayDeque<>();
  /** hour start \31 tenant \31 key id \31 code → refusals not yet sent to the budget role. */
  private final Map<String, long[]> refusals = new HashMap<>();
  private boolean flushing;
  private final List<Long> timers = new ArrayList<>();

  /** @param redis the gateway's Redis; null: no trail is written (refusals are still counted) */
  public AuditTrail(Vertx vertx, Redis redis, AuditSettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.redis = redis;
    this.settings = settings;
    this.dropped = Counter.builder("tiermesh_audit_dropped")
        .description("audit records dropped because the write queue was full or Redis failed")
        .register(registry);
    this.written = Counter.builder("tiermesh_audit_written")
        .description("audit records written to the audit stream").register(registry);
    this.registry = registry;
  }

  public void start() {
    timers.add(vertx.setPeriodic(FLUSH_MS, id -> flush()));
    timers.add(vertx.setPeriodic(REFUSALS_MS, id -> sendRefusals()));
    if (redis != null) {
      timers.add(vertx.setPeriodic(TRIM_MS, id -> trim()));
    }
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
    flush();
    sendRefusals();
  }

  /** Route handler for the client API: notes the start and records the request once it ends. */
  public void begin(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(ar -> {
      long ended = System.nanoTime();
      Runnable write = () -> offer(record(ctx, started, ended, ar.succeeded()));
      if (Boolean.TRUE.equals(ctx.get(AWAITS_OUTCOME)) && ctx.get(OUTCOME) == null) {
        // A stream ends with its last chunk; its cost and attempts come with the outcome.
        ctx.put(PENDING, write);
      } else {
        write.run();
      }
    });
    ctx.next();
  }

  /**
   * Route handler for the admin API: every request that may change something (any method but
   * GET, HEAD and OPTIONS; the explain calls excepted, which change nothing) is recorded when
   * it ends, refused ones included, with what the handler says it changed.
   */
  public void beginAdmin(RoutingContext ctx) {
    io.vertx.core.http.HttpMethod m = ctx.request().method();
    String path = ctx.request().path();
    if (m == io.vertx.core.http.HttpMethod.GET || m == io.vertx.core.http.HttpMethod.HEAD
        || m == io.vertx.core.http.HttpMethod.OPTIONS
        || (path != null && path.endsWith("/explain"))) {
      ctx.next();
      return;
    }
    long started = System.nanoTime();
    ctx.addEndHandler(ar -> {
      AuditRecord r = record(ctx, started, System.nanoTime(), ar.succeeded());
      Object change = ctx.get(CHANGE);
      offer(new AuditRecord(r.timeMs(), r.requestId(), r.tenant(), "admin", r.clientAddress(),
          m.name() + " " + r.endpoint(), null, null, null, null, null, r.status(), null,
          r.latencyMs(), null, change == null ? null : change.toString(), r.traceId()));
    });
    ctx.next();
  }

  /**
   * The router's outcome of a request (null when none will come: the router did not answer).
   * Writes the record of a stream whose response already ended.
   */
  public static void outcome(RoutingContext ctx, RouteOutcome outcome) {
    if (outcome != null) {
      ctx.put(OUTCOME, outcome);
    }
    ctx.put(AWAITS_OUTCOME, false);
    Runnable pending = ctx.remove(PENDING);
    if (pending != null) {
      pending.run();
    }
  }

  /** Records waiting to be written (for tests and the dashboard's health). */
  public int queued() {
    return queue.size();
  }

  void offer(AuditRecord r) {
    // An admin call refused is no client refusal: it stays out of the usage rollups.
    String code = r.endpoint() != null && r.endpoint().contains("/admin/") ? null
        : r.refusalCode();
    if (code != null) {
      String key = String.join("\u001f", Long.toString(r.timeMs() / HOUR_MS * HOUR_MS),
          nz(r.tenant()), nz(r.keyId()), code);
      refusals.computeIfAbsent(key, k -> new long[1])[0]++;
      String status = Integer.toString(r.status());
      refusalCounters.computeIfAbsent(code + "\u001f" + status, k -> Counter.builder(REFUSALS)
          .description("client API requests answered with an error, by error code and status")
          .tag("code", code).tag("status", status).register(registry)).increment();
    }
    if (redis == null) {
      return;
    }
    if (queue.size() >= settings.queue()) {
      dropped.increment();
      return;
    }
    queue.addLast(r);
    if (queue.size() >= BATCH) {
      flush();
    }
  }

  private void flush() {
    if (flushing || queue.isEmpty() || redis == null) {
      return;
    }
    List<Request> batch = new ArrayList<>(Math.min(BATCH, queue.size()));
    while (!queue.isEmpty() && batch.size() < BATCH) {
      Request xadd = Request.cmd(Command.XADD).arg(STREAM).arg("MAXLEN").arg("~")
          .arg(settings.maxEntries()).arg("*");
      queue.removeFirst().fields().forEach(xadd::arg);
      batch.add(xadd);
    }
    flushing = true;
    redis.batch(batch).onComplete(ar -> {
      flushing = false;
      if (ar.succeeded()) {
        written.increment(batch.size());
        if (queue.size() >= BATCH) {
          flush();
        }
      } else {
        dropped.increment(batch.size());
        LOG.log(Level.DEBUG, "{0} audit records not written: {1}", batch.size(),
            ar.cause().getMessage());
      }
    });
  }

  private void trim() {
    long minMs = System.currentTimeMillis() - settings.retention().toMillis();
    redis.send(Request.cmd(Command.XTRIM).arg(STREAM).arg("MINID").arg("~").arg(minMs + "-0"))
        .onFailure(t -> LOG.log(Level.DEBUG, "audit trail not trimmed: {0}", t.getMessage()));
  }

  private void sendRefusals() {
    if (refusals.isEmpty()) {
      return;
    }
    List<RefusalCounts.Count> counts = new ArrayList<>(refusals.size());
    refusals.forEach((key, n) -> {
      String[] p = key.split("\u001f", -1);
      counts.add(new RefusalCounts.Count(Long.parseLong(p[0]), p[1], p[2], p[3], n[0]));
    });
    refusals.clear();
    // Fire and forget: without a budget role the counts are lost, like any other usage
    // record, and the trail itself still has every refusal.
    Endpoints.BUDGET_REFUSALS.send(vertx.eventBus(), new RefusalCounts(counts));
  }

  static AuditRecord record(RoutingContext ctx, long startedNanos, long endedNanos,
      boolean completed) {
    HttpServerResponse resp = ctx.response();
    MultiMap h = resp.headers();
    Principal p = AccessLayer.principal(ctx);
    RouteOutcome outcome = ctx.get(OUTCOME);
    int status = completed ? resp.getStatusCode() : 499;
    String reason = h.get("X-TierMesh-Route-Reason");
    Integer tier = intOrNull(h.get("X-TierMesh-Tier"));
    String provider = h.get("X-TierMesh-Provider");
    String model = h.get("X-TierMesh-Model");
    Integer attempts = intOrNull(h.get("X-TierMesh-Attempts"));
    Long cost = micros(h.get("X-TierMesh-Cost-USD"));
    if (outcome != null) {
      // A stream's headers went out before its end: the outcome knows how it finished.
      if (outcome.route() != null) {
        tier = outcome.route().tier();
        provider = outcome.route().providerId();
        model = outcome.route().model();
        reason = outcome.route().reason() != null ? outcome.route().reason() : reason;
      } else if (outcome.reason() != null) {
        reason = outcome.reason();
      }
      attempts = Attempt.executions(outcome.attempts());
      cost = outcome.costMicros() != null ? outcome.costMicros() : cost;
      if (!outcome.ok() && status < 400) {
        status = outcome.failure().code().httpStatus();
      }
    }
    SocketAddress remote = ctx.request().remoteAddress();
    String path = ctx.request().path();
    Object classification = ctx.get(CLASSIFICATION);
    return new AuditRecord(System.currentTimeMillis(), h.get("X-Request-Id"),
        p == null ? null : p.tenant(), p == null ? null : p.keyId(),
        remote == null ? null : remote.hostAddress(),
        path == null ? null : path.length() > MAX_ENDPOINT ? path.substring(0, MAX_ENDPOINT)
            : path,
        classification == null ? null : classification.toString(), reason, tier, provider,
        model, status, cost, (endedNanos - startedNanos) / 1_000_000, attempts, null,
        h.get("X-Trace-Id"));
  }

  /** The classification routing applies: an unlabelled request is routed as public. */
  public static String classification(io.tiermesh.contracts.RoutingHints hints) {
    return hints.classification() == null ? "public" : hints.classification();
  }

  private static Long micros(String dollars) {
    try {
      return dollars == null ? null : new BigDecimal(dollars).movePointRight(6).longValueExact();
    } catch (ArithmeticException | NumberFormatException e) {
      return null;
    }
  }

  private static Integer intOrNull(String s) {
    try {
      return s == null ? null : Integer.valueOf(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s.replace('\u001f', ' ');
  }

  /** Exposed for the query routes, which read the same stream. */
  public Redis redis() {
    return redis;
  }
}
