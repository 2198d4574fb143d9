package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ProviderStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /admin/providers}: breaker state, in-flight calls, last error and last health probe
 * of every provider instance in the mesh, per node, as the instances announce them on
 * {@link Endpoints#PROVIDER_STATUS}. Admin key only; without a configured key the admin API
 * refuses everything (there is no default key).
 */
final class ProviderAdminRoutes {

  /** Instances announce every few seconds; one silent this long has left. */
  static final long STALE_MS = 15_000;

  private final Vertx vertx;
  private final Map<String, ProviderStatus> seen = new HashMap<>();

  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final java.util.Set<String> gauged = new java.util.HashSet<>();

  /**
   * Mounted after the admin gate. Breaker state and in-flight calls also become gauges, because
   * vertx-circuit-breaker exports none itself.
   */
  ProviderAdminRoutes(Vertx vertx, io.micrometer.core.instrument.MeterRegistry registry,
      boolean perInstance) {
    this.vertx = vertx;
    this.registry = registry;
    this.perInstance = perInstance;
  }

  private final boolean perInstance;

  private void gauge(ProviderStatus s) {
    if (!perInstance) {
      providerGauge(s.providerId(), s.tier());
      return;
    }
    String key = s.providerId() + "@" + s.instanceId();
    if (registry == null || !gauged.add(key)) {
      return;
    }
    io.micrometer.core.instrument.Tags tags = io.micrometer.core.instrument.Tags.of(
        "provider", s.providerId(), "tier", Integer.toString(s.tier()), "node",
        String.valueOf(s.nodeId()), "instance", s.instanceId());
    // Gauges read the latest announcement; a silent instance reads as gone (NaN).
    registry.gauge("tiermesh.provider.breaker.state", tags, seen, m -> {
      ProviderStatus cur = m.get(key);
      return cur == null ? Double.NaN : switch (cur.breaker()) {
        case "OPEN" -> 2;
        case "HALF_OPEN" -> 1;
        default -> 0;
      };
    });
    registry.gauge("tiermesh.provider.in_flight", tags, seen, m -> {
      ProviderStatus cur = m.get(key);
      return cur == null ? Double.NaN : cur.inFlight();
    });
  }

  /**
   * One pair of gauges per provider, without node or instance ids: the worst breaker state
   * and the calls in flight summed over the provider's instances that announced recently.
   */
  private void providerGauge(String provider, int tier) {
    if (registry == null || !gauged.add(provider)) {
      return;
    }
    // The tier lets an alert ask "is any tier-1 provider able to take calls?".
    io.micrometer.core.instrument.Tags tags = io.micrometer.core.instrument.Tags.of(
        "provider", provider, "tier", Integer.toString(tier));
    registry.gauge("tiermesh.provider.breaker.state", tags, seen, m -> fresh(m, provider)
        .mapToDouble(cur -> switch (cur.breaker()) {
          case "OPEN" -> 2;
          case "HALF_OPEN" -> 1;
          default -> 0;
        }).max().orElse(Double.NaN));
    registry.gauge("tiermesh.provider.in_flight", tags, seen, m -> {
      java.util.List<ProviderStatus> live = fresh(m, provider).toList();
      return live.isEmpty() ? Double.NaN : live.stream().mapToDouble(ProviderStatus::inFlight)
          .sum();
    });
  }

  private static java.util.stream.Stream<ProviderStatus> fresh(Map<String, ProviderStatus> m,
      String provider) {
    long now = System.currentTimeMillis();
    return m.values().stream().filter(s -> s.providerId().equals(provider)
        && now - s.timeMillis() <= STALE_MS);
  }

  Future<Void> start() {
    return Endpoints.PROVIDER_STATUS.consumer(vertx.eventBus(), m -> {
      ProviderStatus s = m.body();
      gauge(s);
      seen.merge(s.providerId() + "@" + s.instanceId(), s,
          (old, neu) -> neu.timeMillis() >= old.timeMillis() ? neu : old);
    }).completion().onSuccess(v ->
        // Instances that announced before this view existed announce again now.
        Endpoints.PROVIDER_STATUS_SOLICIT.publish(vertx.eventBus(), "announce"));
  }

  /** Announcements of the last {@link #STALE_MS}; on the owning verticle's event loop. */
  java.util.Collection<ProviderStatus> fresh() {
    long now = System.currentTimeMillis();
    seen.values().removeIf(s -> now - s.timeMillis() > STALE_MS);
    return List.copyOf(seen.values());
  }

  void mount(Router router) {
    router.get("/admin/providers").handler(this::providers);
  }

  private void providers(RoutingContext ctx) {
    long now = System.currentTimeMillis();
    seen.values().removeIf(s -> now - s.timeMillis() > STALE_MS);
    JsonArray list = new JsonArray();
    seen.values().stream()
        .sorted(Comparator.comparing(ProviderStatus::providerId)
            .thenComparing(ProviderStatus::nodeId).thenComparing(ProviderStatus::instanceId))
        .forEach(s -> list.add(new JsonObject()
            .put("provider", s.providerId())
            .put("node", s.nodeId())
            .put("instance", s.instanceId())
            .put("tier", s.tier())
            .put("breaker", s.breaker())
            .put("warming", s.warming())
            .put("inFlight", s.inFlight())
            .put("lastError", s.lastError())
            .put("probe", s.probe())
            .put("probeAgeMs", s.probeMillis() == 0 ? null : now - s.probeMillis())
            .put("reportedAgeMs", now - s.timeMillis())));
    ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("providers", list).toBuffer());
  }
}
