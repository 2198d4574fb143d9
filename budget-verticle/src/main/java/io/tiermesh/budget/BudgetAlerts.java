package io.tiermesh.budget;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells operators that a scope crossed its alert threshold. The store already guarantees one
 * crossing per scope and window cluster-wide (a Redis SET NX marker), so this fires exactly what
 * it is given: a WARN line and, when configured, a webhook POST retried a few times in the
 * background. Nothing here ever delays a request.
 *
 * <p>Each alert also increments {@value #ALERTS_METER} (tags: scope kind and window — not the
 * scope id, which may name a tenant) in the node's registry, when it has one.
 *
 * <p>An overrun (a provider charged above its reservation, which a sound reservation makes a
 * misreport) is told the same ways: a WARN line, the webhook event {@code budget_overrun}, and
 * {@value #OVERRUNS_METER} tagged with the provider.
 */
public final class BudgetAlerts {

  private static final System.Logger LOG = System.getLogger(BudgetAlerts.class.getName());

  /** Attempts per alert, including the first. */
  static final int WEBHOOK_ATTEMPTS = 4;
  static final long WEBHOOK_FIRST_BACKOFF_MS = 500;
  static final long WEBHOOK_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final Optional<URI> webhook;
  private final double fraction;
  private final String nodeId;
  private final HttpClient http;
  private final AtomicLong fired = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();

  public static final String ALERTS_METER = "tiermesh.budget.alerts";
  public static final String OVERRUNS_METER = "tiermesh.budget.overruns";

  private final io.micrometer.core.instrument.MeterRegistry registry;

  public BudgetAlerts(Vertx vertx, Optional<URI> webhook, double fraction, String nodeId) {
    this(vertx, webhook, fraction, nodeId, null);
  }

  public BudgetAlerts(Vertx vertx, Optional<URI> webhook, double fraction, String nodeId,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    this.vertx = vertx;
    this.webhook = webhook;
    this.fraction = fraction;
    this.nodeId = nodeId;
    this.http = webhook.isPresent()
        ? vertx.createHttpClient(new HttpClientOptions()
            .setConnectTimeout((int) WEBHOOK_TIMEOUT_MS).setMaxRedirects(0))
        : null;
  }

  public long fired() {
    return fired.get();
  }

  /** Webhook POSTs that got a 2xx answer. */
  public long delivered() {
    return delivered.get();
  }

  public void crossed(List<ScopeKey> keys) {
    for (ScopeKey k : keys) {
      fired.incrementAndGet();
      if (registry != null) {
        String id = k.scope().id();
        registry.counter(ALERTS_METER, "scope_kind",
            id.contains(":") ? id.substring(0, id.indexOf(':')) : id, "window", k.window().id())
            .increment();
      }
      int percent = (int) Math.round(fraction * 100);
      LOG.log(Level.WARNING, "budget alert: {0} passed {1}% of its {2} limit for {3}",
          k.scope().id(), percent, k.window().id(), k.period());
      webhook.ifPresent(url -> post(url, new JsonObject()
          .put("event", "budget_alert").put("scope", k.scope().id())
          .put("window", k.window().id()).put("period", k.period())
          .put("thresholdPercent", percent).put("node", nodeId), 1));
    }
  }

  /** A provider was charged more than was reserved for the call; it is now halted. */
  public void overrun(String providerId, String model, long chargedMicros, long reservedMicros) {
    fired.incrementAndGet();
    if (registry != null) {
      registry.counter(OVERRUNS_METER, "provider", providerId == null ? "" : providerId)
          .increment();
    }
    LOG.log(Level.WARNING, "budget overrun: provider {0} ({1}) reported usage costing {2},"
        + " above the {3} reserved; paid traffic to it stops until an operator acknowledges"
        + " (POST /admin/budgets/overruns/{0}/ack) or the budget day ends", providerId, model,
        Money.format(chargedMicros), Money.format(reservedMicros));
    webhook.ifPresent(url -> post(url, new JsonObject()
        .put("event", "budget_overrun").put("provider", providerId).put("model", model)
        .put("chargedUsd", Money.format(chargedMicros))
        .put("reservedUsd", Money.format(reservedMicros)).put("node", nodeId), 1));
  }

  private void post(URI url, JsonObject body, int attempt) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(url.toString()).setFollowRedirects(false)
        .setIdleTimeout(WEBHOOK_TIMEOUT_MS)
        .putHeader("Content-Type", "application/json");
    http.request(opts)
        .compose(req -> req.send(body.toBuffer()))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() / 100 == 2) {
            delivered.incrementAndGet();
            return;
          }
          if (attempt >= WEBHOOK_ATTEMPTS) {
            // The URL is operator config, but it may embed a token: never log it.
            LOG.log(Level.WARNING, "budget alert webhook failed {0} times for {1}; giving up",
                attempt, body.getString("scope", body.getString("provider")));
            return;
          }
          long backoff = WEBHOOK_FIRST_BACKOFF_MS << (attempt - 1);
          vertx.setTimer(backoff, id -> post(url, body, attempt + 1));
        });
  }

  public void close() {
    if (http != null) {
      http.close();
    }
  }
}
