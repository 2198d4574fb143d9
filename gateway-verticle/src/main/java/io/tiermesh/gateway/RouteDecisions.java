package io.tiermesh.gateway;

import io.tiermesh.contracts.RouteOutcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The last few routing decisions this gateway answered, for {@code GET /admin/decisions} (the
 * dashboard's table). Bounded, in memory, per gateway instance; it keeps the route and its
 * price only, never request content, so the admin page cannot leak prompts. Touched only on the
 * gateway's event loop, so it needs no locking.
 */
final class RouteDecisions {

  static final int CAPACITY = 50;

  private record Decision(long timeMillis, String requestId, Integer tier, String provider,
      String model, String reason, int status, Long costMicros) {}

  private final ArrayDeque<Decision> ring = new ArrayDeque<>(CAPACITY);

  /** Mounted after {@link io.tiermesh.gateway.access.AdminAuth}, which guards every admin path. */
  void mount(Router router) {
    router.get("/admin/decisions").handler(this::list);
  }

  void record(RouteOutcome o) {
    if (ring.size() == CAPACITY) {
      ring.removeFirst();
    }
    String reason = o.route() != null && o.route().reason() != null ? o.route().reason()
        : o.reason();
    ring.addLast(new Decision(System.currentTimeMillis(), o.requestId(),
        o.route() == null ? null : o.route().tier(),
        o.route() == null ? null : o.route().providerId(),
        o.route() == null ? null : o.route().model(), reason,
        o.ok() ? 200 : o.failure().code().httpStatus(), o.costMicros()));
  }

  /** Newest first. */
  JsonArray toJson() {
    JsonArray out = new JsonArray();
    for (Iterator<Decision> it = ring.descendingIterator(); it.hasNext(); ) {
      Decision d = it.next();
      out.add(new JsonObject().put("time", Instant.ofEpochMilli(d.timeMillis()).toString())
          .put("request_id", d.requestId()).put("tier", d.tier()).put("provider", d.provider())
          .put("model", d.model()).put("route_reason", d.reason()).put("status", d.status())
          .put("cost_usd", d.costMicros() == null ? null : BudgetHeaders.dollars(d.costMicros())));
    }
    return out;
  }

  private void list(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("capacity", CAPACITY).put("decisions", toJson()).toBuffer());
  }
}
