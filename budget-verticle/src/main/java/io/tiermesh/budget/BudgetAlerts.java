package io.tiermesh.budget;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells operators about budget events: alert levels reached by actual spend, cut-offs (a cap
 * refused a reservation) and overruns. Each goes to a WARN log line, a Prometheus counter and
 * every configured webhook.
 *
 * <p>Alert levels and cut-offs are told once per scope, level and window across the whole mesh:
 * the first budget node to claim the level's Redis marker (SET NX, expiring with the window)
 * tells it, every other settle or node finds the marker taken. A node also remembers the markers
 * it saw taken, so a scope past its 80 % costs one Redis command per window, not one per settle.
 * The counter of cut-offs counts every refused reservation; only the event is once per window.
 *
 * <p>Webhook deliveries run in the background after the reply that caused them was sent: a few
 * tries with doubling backoff, at most {@value #MAX_PENDING} deliveries pending (more are dropped
 * and counted). A webhook that is slow, failing or gone never delays or fails a request.
 */
public final class BudgetAlerts {

  private static final System.Logger LOG = System.getLogger(BudgetAlerts.class.getName());

  public static final String ALERTS_METER = "tiermesh.budget.alerts";
  public static final String ROLLOUT_REVERTS_METER = "tiermesh.rollout.reverts";
  public static final String CUTOFFS_METER = "tiermesh.budget.cutoffs";
  public static final String OVERRUNS_METER = "tiermesh.budget.overruns";
  public static final String WEBHOOK_METER = "tiermesh.budget.webhook.deliveries";

  /** Attempts per delivery, including the first. */
  static final int WEBHOOK_ATTEMPTS = 4;
  static final long WEBHOOK_FIRST_BACKOFF_MS = 500;
  static final long WEBHOOK_TIMEOUT_MS = 5_000;
  static final int MAX_PENDING = 256;
  /** Remembered taken markers; past this, expired ones are forgotten first. */
  static final int MAX_REMEMBERED = 10_000;

  /** Claims a fire-once marker: true for the one caller that set it first. */
  public interface Claim {
    Future<Boolean> once(ScopeKey key, String level);
  }

  private final Vertx vertx;
  private final List<AlertWebhook> webhooks;
  /** The policy in force: the file's limits with any set at runtime. */
  private final java.util.function.Supplier<BudgetPolicy> policy;
  private final String nodeId;
  private final MeterRegistry registry;
  private final Claim claim;
  private final Clock clock;
  private final long firstBackoffMs;
  private final HttpClient http;
  /** Marker key → end of its window (ms): claimed here or found taken. */
  private final Map<String, Long> taken = new ConcurrentHashMap<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong fired = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();

  public BudgetAlerts(Vertx vertx, List<AlertWebhook> webhooks, BudgetPolicy policy,
      String nodeId, MeterRegistry registry, Claim claim, Clock clock) {
    this(vertx, webhooks, () -> policy, nodeId, registry, claim, clock, WEBHOOK_FIRST_BACKOFF_MS);
  }

  public BudgetAlerts(Vertx vertx, List<AlertWebhook> webhooks,
      java.util.function.Supplier<BudgetPolicy> policy, String nodeId, MeterRegistry registry,
      Claim claim, Clock clock) {
    this(vertx, webhooks, policy, nodeId, registry, claim, clock, WEBHOOK_FIRST_BACKOFF_MS);
  }

  BudgetAlerts(Vertx vertx, List<AlertWebhook> webhooks, BudgetPolicy policy, String nodeId,
      MeterRegistry registry, Claim claim, Clock clock, long firstBackoffMs) {
    this(vertx, webhooks, () -> policy, nodeId, registry, claim, clock, firstBackoffMs);
  }

  BudgetAlerts(Vertx vertx, List<AlertWebhook> webhooks,
      java.util.function.Supplier<BudgetPolicy> policy, String nodeId, MeterRegistry registry,
      Claim claim, Clock clock, long firstBackoffMs) {
    this.vertx = vertx;
    this.webhooks = List.copyOf(webhooks);
    this.policy = policy;
    this.nodeId = nodeId;
    this.registry = registry;
    this.claim = claim;
    this.clock = clock;
    this.firstBackoffMs = firstBackoffMs;
    this.http = webhooks.isEmpty() ? null
        : vertx.createHttpClient(new HttpClientOptions()
            .setConnectTimeout((int) WEBHOOK_TIMEOUT_MS).setMaxRedirects(0));
  }

  /** Events told (each once), on this node. */
  public long fired() {
    return fired.get();
  }

  /** Webhook POSTs that got a 2xx answer. */
  public long delivered() {
    return delivered.get();
  }

  /**
   * After a charge: tells every alert level that the counters' actual spend has reached and
   * that nobody told yet in this window.
   */
  public void charged(List<SettleResult.Charged> counters) {
    for (SettleResult.Charged c : counters) {
      var limit = policy.get().limitOf(c.key());
      if (limit.isEmpty()) {
        continue;
      }
      for (AlertThreshold level : AlertThreshold.reached(policy.get().alertLevels(c.key()),
          c.spentMicros())) {
        String name = BigDecimal.valueOf(level.share()).stripTrailingZeros().toPlainString();
        once(c.key(), name, new BudgetEvent.ThresholdReached(c.key(), limit.get(), level,
            c.spentMicros(), c.reservedMicros()), name);
      }
    }
  }

  /** A cap refused a reservation: counted every time, told once per scope and window. */
  public void cutoff(ScopeKey key, ReserveResult.Cap cap, List<ScopeUsage> usage) {
    if (key.scope().id().startsWith("rule:")) {
      // A rule's maxPerDay is a routing limit (it always falls back), not money.
      return;
    }
    String capName = cap == ReserveResult.Cap.REQUESTS ? "requests" : "spend";
    if (registry != null) {
      registry.counter(CUTOFFS_METER, "scope_kind", BudgetEvent.kindOf(key.scope()),
          "window", key.window().id(), "cap", capName).increment();
    }
    ScopeUsage u = usage.stream().filter(s -> s.key().equals(key)).findFirst().orElse(null);
    BudgetEvent event = new BudgetEvent.Cutoff(key, capName,
        u == null ? java.util.OptionalLong.empty() : u.limitMicros(),
        u == null ? java.util.OptionalLong.empty() : u.maxRequests(),
        u == null ? 0 : u.spentMicros(), u == null ? 0 : u.reservedMicros(),
        u == null ? 0 : u.requests());
    once(key, "cutoff", event, null);
  }

  /**
   * A snapshot of the counters, which routers poll to lower requests before reserving: a cap
   * found full there cuts requests off as surely as a refused reservation, so it is told too
   * (once per window; the counter counts refused reservations only).
   */
  public void snapshot(List<ScopeUsage> usage) {
    for (ScopeUsage u : usage) {
      boolean spendFull = u.remainingMicros().isPresent() && u.remainingMicros().getAsLong() <= 0;
      boolean requestsFull = u.remainingRequests().isPresent()
          && u.remainingRequests().getAsLong() <= 0;
      if ((spendFull || requestsFull) && !u.key().scope().id().startsWith("rule:")) {
        String cap = spendFull ? "spend" : "requests";
        once(u.key(), "cutoff", new BudgetEvent.Cutoff(u.key(), cap, u.limitMicros(),
            u.maxRequests(), u.spentMicros(), u.reservedMicros(), u.requests()), null);
      }
    }
  }

  /** A provider was charged more than was reserved for the call; it is now halted. */
  public void overrun(String providerId, String model, long chargedMicros, long reservedMicros) {
    if (registry != null) {
      registry.counter(OVERRUNS_METER, "provider", providerId == null ? "" : providerId)
          .increment();
    }
    tell(new BudgetEvent.Overrun(providerId, model, chargedMicros, reservedMicros));
  }

  /** The rollout controller reverted a rollout; sent once by the router that reverted it. */
  public void rolloutReverted(io.tiermesh.contracts.RolloutAlert alert) {
    if (registry != null) {
      registry.counter(ROLLOUT_REVERTS_METER).increment();
    }
    tell(new BudgetEvent.RolloutReverted(alert));
  }

  private void once(ScopeKey key, String level, BudgetEvent event, String alertTag) {
    String marker = BudgetKeys.alert(key, level);
    long now = clock.millis();
    Long until = taken.get(marker);
    if (until != null && until > now) {
      return;
    }
    claim.once(key, level).onComplete(ar -> {
      if (ar.failed()) {
        // Redis did not answer: the next charge or refusal in this window tries again.
        LOG.log(Level.DEBUG, "budget alert marker {0} not claimed: {1}", marker,
            ar.cause().getMessage());
        return;
      }
      remember(marker, key.windowEnd(policy.get().zone()).toEpochMilli(), now);
      if (!ar.result()) {
        return;
      }
      if (alertTag != null && registry != null) {
        registry.counter(ALERTS_METER, "scope_kind", event.scopeKind(), "window",
            key.window().id(), "threshold", alertTag).increment();
      }
      tell(event);
    });
  }

  private void remember(String marker, long windowEnd, long now) {
    if (taken.size() >= MAX_REMEMBERED) {
      for (Iterator<Long> it = taken.values().iterator(); it.hasNext(); ) {
        if (it.next() <= now) {
          it.remove();
        }
      }
      if (taken.size() >= MAX_REMEMBERED) {
        // Forgetting only costs a SET NX that finds the marker taken.
        taken.clear();
      }
    }
    taken.put(marker, windowEnd);
  }

  private void tell(BudgetEvent event) {
    fired.incrementAndGet();
    LOG.log(Level.WARNING, event.text());
    if (webhooks.isEmpty()) {
      return;
    }
    String eventId = UUID.randomUUID().toString();
    String time = clock.instant().toString();
    for (AlertWebhook hook : webhooks) {
      Buffer body = (hook.format() == AlertWebhook.Format.SLACK ? event.slack()
          : event.json(nodeId, time).put("id", eventId)).toBuffer();
      if (pending.incrementAndGet() > MAX_PENDING) {
        pending.decrementAndGet();
        count("dropped");
        LOG.log(Level.WARNING, "budget webhook queue full ({0} pending): {1} not sent",
            MAX_PENDING, event.type());
        continue;
      }
      post(hook, eventId, body, 1);
    }
  }

  private void post(AlertWebhook hook, String eventId, Buffer body, int attempt) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(hook.url().toString()).setFollowRedirects(false)
        .setIdleTimeout(WEBHOOK_TIMEOUT_MS)
        .putHeader("Content-Type", "application/json")
        .putHeader("X-TierMesh-Event-Id", eventId);
    if (hook.secret().isPresent()) {
      // Signed per attempt: a retry carries its own, current timestamp.
      long ts = clock.millis() / 1000;
      opts.putHeader(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
          .putHeader(WebhookSignature.SIGNATURE_HEADER,
              WebhookSignature.sign(hook.secret().get(), ts, body.getBytes()));
    }
    http.request(opts)
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() / 100 == 2) {
            pending.decrementAndGet();
            delivered.incrementAndGet();
            count("delivered");
            return;
          }
          if (attempt >= WEBHOOK_ATTEMPTS) {
            pending.decrementAndGet();
            count("failed");
            // The URL is operator config, but it may embed a token: never log it.
            LOG.log(Level.WARNING, "budget webhook failed {0} times for event {1}; giving up",
                attempt, eventId);
            return;
          }
          vertx.setTimer(firstBackoffMs << (attempt - 1),
              id -> post(hook, eventId, body, attempt + 1));
        });
  }

  private void count(String result) {
    if (registry != null) {
      registry.counter(WEBHOOK_METER, "result", result).increment();
    }
  }

  public void close() {
    if (http != null) {
      http.close();
    }
  }
}
