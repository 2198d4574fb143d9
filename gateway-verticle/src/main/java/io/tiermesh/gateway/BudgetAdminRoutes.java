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
  /** A rebuild reads the whole retained ledger. */
  static final long REBUILD_TIMEOUT_MS = 300_000;
  /** {@code ?group=} of earlier releases: one dimension. */
  static final List<String> GROUPS = List.of("day", "tier", "provider", "model", "tenant");
  /** {@code ?group_by=}: any of these, several at once (comma-separated or repeated). */
  static final List<String> DIMENSIONS =
      List.of("tenant", "key", "user", "model", "provider", "tier", "route_reason", "day",
          "hour");

  private final Vertx vertx;

  /** Mounted after {@link AdminAuth}, which guards every admin path. */
  public BudgetAdminRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router) {
    router.get("/admin/budgets").handler(this::budgets);
    router.get("/admin/usage").handler(this::usage);
    router.post("/admin/usage/rebuild").handler(this::rebuildRollups);
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
            JsonObject line = new JsonObject().put("scope", l.scope()).put("window", l.window())
                .put("period", l.period()).put("limit_usd", usd(l.limitMicros()))
                .put("spent_usd", usd(l.spentMicros())).put("reserved_usd", usd(l.reservedMicros()))
                .put("remaining_usd", usd(l.remainingMicros())).put("requests", l.requests())
                .put("max_requests", l.maxRequests());
            if (l.budgetMicros() != null) {
              // The budget the levels are shares of; limit_usd is the cut-off reservations stop at.
              line.put("budget_usd", usd(l.budgetMicros()));
              JsonArray alerts = new JsonArray();
              for (double a : l.alerts() == null ? List.<Double>of() : l.alerts()) {
                alerts.add(new JsonObject().put("share", a)
                    .put("usd", usd((long) Math.ceil(l.budgetMicros() * a))));
              }
              line.put("alerts", alerts);
            }
            lines.add(line);
          }
          json(ctx, new JsonObject().put("time_zone", s.zone()).put("budgets", lines)
              .put("open_reservations", s.openReservations()));
        })
        .onFailure(t -> fail(ctx, t));
  }

  private void usage(RoutingContext ctx) {
    var params = ctx.request().params();
    List<String> groupBy = new java.util.ArrayList<>();
    for (String g : params.getAll("group_by")) {
      for (String one : g.split(",")) {
        if (!one.isBlank()) {
          groupBy.add(one.trim());
        }
      }
    }
    String legacy = params.get("group");
    if (legacy != null && !GROUPS.contains(legacy)) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "group must be one of " + GROUPS, null);
      return;
    }
    if (groupBy.isEmpty()) {
      groupBy.add(legacy == null ? "day" : legacy);
    }
    for (String g : groupBy) {
      if (!DIMENSIONS.contains(g)) {
        ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, "group_by must be among "
            + DIMENSIONS + ", not '" + io.tiermesh.contracts.ClientText.quote(g) + "'", null);
        return;
      }
    }
    String format = params.get("format") == null ? "json" : params.get("format");
    if (!format.equals("json") && !format.equals("csv")) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "format must be json or csv", null);
      return;
    }
    UsageQuery query = new UsageQuery(List.copyOf(groupBy), params.get("from"), params.get("to"),
        params.get("tenant"), params.get("key"));
    Endpoints.BUDGET_USAGE.ask(vertx.eventBus(), query, TIMEOUT_MS)
        .onSuccess(r -> {
          if (format.equals("csv")) {
            ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8")
                .end(UsageCsv.of(r));
            return;
          }
          JsonArray rows = new JsonArray();
          r.rows().forEach(row -> rows.add(row(r.groupBy(), row)));
          JsonArray refusals = new JsonArray();
          r.refusals().forEach(x -> refusals.add(new JsonObject().put("tenant", x.tenant())
              .put("key", x.keyId()).put("code", x.code()).put("count", x.count())));
          json(ctx, new JsonObject().put("group", r.group())
              .put("group_by", new JsonArray(r.groupBy())).put("from", r.from())
              .put("to", r.to()).put("time_zone", r.zone())
              .put("premium_model", r.premiumModel())
              .put("rows", rows).put("total", row(List.of(), r.totals()))
              .put("savings_percent", r.savingsBasisPoints() == null ? null
                  : BigDecimal.valueOf(r.savingsBasisPoints(), 2).toPlainString())
              .put("refusals", refusals));
        })
        .onFailure(t -> fail(ctx, t));
  }

  /** Rewrites the usage rollups of past periods from the ledger: a repair, rarely needed. */
  private void rebuildRollups(RoutingContext ctx) {
    Endpoints.BUDGET_ROLLUP_REBUILD.ask(vertx.eventBus(), "rebuild", REBUILD_TIMEOUT_MS)
        .onSuccess(r -> json(ctx, new JsonObject().put("ledger_entries", r.entries())
            .put("hours", r.hours()).put("days", r.days())
            .put("from", r.fromMs() == null ? null : Instant.ofEpochMilli(r.fromMs()).toString())
            .put("to", r.toMs() == null ? null : Instant.ofEpochMilli(r.toMs()).toString())))
        .onFailure(t -> fail(ctx, t));
  }

  private static JsonObject row(List<String> groupBy, UsageReport.Row r) {
    JsonObject o = new JsonObject().put("key", r.key());
    for (int i = 0; i < groupBy.size() && i < r.values().size(); i++) {
      o.put(groupBy.get(i), r.values().get(i));
    }
    return o.put("calls", r.calls())
        .put("prompt_tokens", r.promptTokens()).put("completion_tokens", r.completionTokens())
        .put("cost_usd", usd(r.costMicros())).put("premium_cost_usd", usd(r.premiumCostMicros()));
  }

  static String usd(Long micros) {
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
