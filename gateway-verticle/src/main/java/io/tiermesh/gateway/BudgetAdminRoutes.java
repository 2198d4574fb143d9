package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetOverrunQuery;
import io.tiermesh.contracts.BudgetOverruns;
import io.tiermesh.contracts.BudgetSnapshot;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /admin/budgets}, {@code GET /admin/usage?group=…}, and the providers halted after
 * an overrun ({@code GET /admin/budgets/overruns}, {@code POST
 * /admin/budgets/overruns/<provider>/ack} to resume paid traffic), behind the admin key. The
 * figures come from the budget role over the bus; money is rendered as dollar strings with six
 * decimals so that nothing is lost to floating point.
 */
public final class BudgetAdminRoutes {

  static final long TIMEOUT_MS = 10_000;
  static final List<String> GROUPS = List.of("day", "tier", "provider", "model", "tenant");

  private final Vertx vertx;

  /** Mounted after {@link AdminAuth}, which guards every admin path. */
  public BudgetAdminRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router) {
    router.get("/admin/budgets").handler(this::budgets);
    router.get("/admin/usage").handler(this::usage);
    router.get("/admin/budgets/overruns").handler(ctx -> overruns(ctx, null));
    router.post("/admin/budgets/overruns/:provider/ack")
        .handler(ctx -> overruns(ctx, ctx.pathParam("provider")));
  }

  private void overruns(RoutingContext ctx, String acknowledge) {
    if (acknowledge != null && (acknowledge.isEmpty() || acknowledge.length() > 200)) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "a provider id has 1 to 200 characters", null);
      return;
    }
    Endpoints.BUDGET_OVERRUNS.ask(vertx.eventBus(), new BudgetOverrunQuery(acknowledge), TIMEOUT_MS)
        .onSuccess(o -> {
          JsonArray halted = new JsonArray();
          for (BudgetOverruns.Halted h : o.halted()) {
            halted.add(new JsonObject().put("provider", h.provider())
                .put("request_id", h.requestId()).put("charged_usd", usd(h.chargedMicros()))
                .put("reserved_usd", usd(h.reservedMicros()))
                .put("at", Instant.ofEpochMilli(h.atMillis()).toString())
                .put("until", h.untilMillis() == null ? null
                    : Instant.ofEpochMilli(h.untilMillis()).toString()));
          }
          JsonObject body = new JsonObject().put("halted", halted);
          if (acknowledge != null) {
            body.put("provider", acknowledge).put("acknowledged", o.acknowledged());
          }
          json(ctx, body);
        })
        .onFailure(t -> fail(ctx, t));
  }

  private void budgets(RoutingContext ctx) {
    Endpoints.BUDGET_SNAPSHOT.ask(vertx.eventBus(), "snapshot", TIMEOUT_MS)
        .onSuccess(s -> {
          JsonArray lines = new JsonArray();
          for (BudgetSnapshot.Line l : s.lines()) {
            lines.add(new JsonObject().put("scope", l.scope()).put("window", l.window())
                .put("period", l.period()).put("limit_usd", usd(l.limitMicros()))
                .put("spent_usd", usd(l.spentMicros())).put("reserved_usd", usd(l.reservedMicros()))
                .put("remaining_usd", usd(l.remainingMicros())).put("requests", l.requests())
                .put("max_requests", l.maxRequests()));
          }
          json(ctx, new JsonObject().put("time_zone", s.zone()).put("budgets", lines)
              .put("open_reservations", s.openReservations()));
        })
        .onFailure(t -> fail(ctx, t));
  }

  private void usage(RoutingContext ctx) {
    String group = ctx.request().getParam("group", "day");
    if (!GROUPS.contains(group)) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "group must be one of " + GROUPS, null);
      return;
    }
    Endpoints.BUDGET_USAGE.ask(vertx.eventBus(), new UsageQuery(group), TIMEOUT_MS)
        .onSuccess(r -> {
          JsonArray rows = new JsonArray();
          r.rows().forEach(row -> rows.add(row(row)));
          json(ctx, new JsonObject().put("group", r.group()).put("premium_model", r.premiumModel())
              .put("rows", rows).put("total", row(r.totals()))
              .put("savings_percent", r.savingsBasisPoints() == null ? null
                  : BigDecimal.valueOf(r.savingsBasisPoints(), 2).toPlainString()));
        })
        .onFailure(t -> fail(ctx, t));
  }

  private static JsonObject row(UsageReport.Row r) {
    return new JsonObject().put("key", r.key()).put("calls", r.calls())
        .put("prompt_tokens", r.promptTokens()).put("completion_tokens", r.completionTokens())
        .put("cost_usd", usd(r.costMicros())).put("premium_cost_usd", usd(r.premiumCostMicros()));
  }

  private static String usd(Long micros) {
    return micros == null ? null : BudgetHeaders.dollars(micros);
  }

  private static void fail(RoutingContext ctx, Throwable t) {
    MeshFailure f = MeshFailure.of(t);
    FailureCode code = f.code() == FailureCode.ROLE_UNAVAILABLE
        ? FailureCode.BUDGET_UNAVAILABLE : f.code();
    ErrorResponses.send(ctx.response(), code, f.code() == FailureCode.ROLE_UNAVAILABLE
        ? "no budget role is running in the mesh" : f.detail(), null);
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
