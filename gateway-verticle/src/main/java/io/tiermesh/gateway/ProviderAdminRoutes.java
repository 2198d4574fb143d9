package io.tiermesh.gateway;

import io.tiermesh.contracts.Addresses;
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
 * {@link Addresses#PROVIDER_STATUS}. Admin key only; without a configured key the admin API
 * refuses everything (there is no default key).
 */
final class ProviderAdminRoutes {

  /** Instances announce every few seconds; one silent this long has left. */
  static final long STALE_MS = 15_000;

  private final Vertx vertx;
  private final Map<String, ProviderStatus> seen = new HashMap<>();

  /** Mounted after {@link AdminAuth}, which guards every admin path. */
  ProviderAdminRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<Void> start() {
    return vertx.eventBus().<ProviderStatus>consumer(Addresses.PROVIDER_STATUS, m -> {
      ProviderStatus s = m.body();
      seen.merge(s.providerId() + "@" + s.instanceId(), s,
          (old, neu) -> neu.timeMillis() >= old.timeMillis() ? neu : old);
    }).completion();
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
            .put("inFlight", s.inFlight())
            .put("lastError", s.lastError())
            .put("probe", s.probe())
            .put("probeAgeMs", s.probeMillis() == 0 ? null : now - s.probeMillis())
            .put("reportedAgeMs", now - s.timeMillis())));
    ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("providers", list).toBuffer());
  }
}
