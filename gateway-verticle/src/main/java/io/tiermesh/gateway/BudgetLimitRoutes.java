package io.tiermesh.gateway;

import io.tiermesh.contracts.BudgetLimitMoney;
import io.tiermesh.contracts.BudgetLimits;
import io.tiermesh.contracts.BudgetLimitsCommand;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.gateway.audit.AuditTrail;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * Budget limits at runtime, behind the admin key:
 * <ul>
 *   <li>{@code GET /admin/budgets/limits}: every limit in force, with its source ({@code file}
 *       or {@code runtime}) and, for a runtime one, the file's limit it replaces
 *   <li>{@code PUT /admin/budgets/limits} {@code {"scope","window","usd"?,"requests"?,
 *       "alerts"?,"cutoffUsd"?}}: sets one (kept in Redis; every budget node applies it within
 *       a second); the money fields read as in the config file ({@link BudgetLimitMoney})
 *   <li>{@code DELETE /admin/budgets/limits?scope=&window=}: back to the file's limit (or to
 *       none, when the file has none for that scope and window)
 * </ul>
 * Every change is recorded in the audit trail with what it set.
 */
public final class BudgetLimitRoutes {

  static final Set<String> FIELDS =
      Set.of("scope", "window", "usd", "requests", "alerts", "cutoffUsd");

  private final Vertx vertx;

  public BudgetLimitRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router) {
    router.get("/admin/budgets/limits").handler(ctx -> send(ctx, BudgetLimitsCommand.list()));
    router.put("/admin/budgets/limits").handler(this::set);
    router.delete("/admin/budgets/limits").handler(this::reset);
  }

  private void set(RoutingContext ctx) {
    BudgetLimitsCommand c;
    try {
      c = parse(ctx.body().buffer() == null || ctx.body().length() == 0 ? new JsonObject()
          : StrictJson.object(ctx.body().buffer()));
    } catch (MeshFailure f) {
      ErrorResponses.send(ctx.response(), f.code(), f.detail(), null);
      return;
    }
    ctx.put(AuditTrail.CHANGE, "set " + c.window() + " " + c.scope()
        + (c.limitMicros() == null ? "" : " usd=" + BudgetHeaders.dollars(c.limitMicros()))
        + (c.maxRequests() == null ? "" : " requests=" + c.maxRequests())
        + (c.cutoffMicros() == null ? "" : " cutoffUsd="
            + BudgetHeaders.dollars(c.cutoffMicros()))
        + (c.alerts() == null ? "" : " alerts=" + c.alerts()));
    send(ctx, c);
  }

  private void reset(RoutingContext ctx) {
    String scope = ctx.request().getParam("scope");
    String window = ctx.request().getParam("window");
    if (scope == null || window == null) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "DELETE /admin/budgets/limits needs ?scope=…&window=day|month", null);
      return;
    }
    ctx.put(AuditTrail.CHANGE, "reset " + window + " " + scope);
    send(ctx, new BudgetLimitsCommand(BudgetLimitsCommand.Op.RESET, scope, window, null, null,
        null));
  }

  /** The body of a PUT, every field checked; an unknown one is named. */
  static BudgetLimitsCommand parse(JsonObject body) {
    for (String k : body.fieldNames()) {
      if (!FIELDS.contains(k)) {
        throw bad("unknown budget limit field '" + ClientText.quote(k) + "' ("
            + FIELDS.stream().sorted().toList() + ")");
      }
    }
    if (!(body.getValue("scope") instanceof String scope) || scope.isEmpty()) {
      throw bad("'scope' is required: e.g. \"tenant:acme/user:*\", \"key:<id>\", "
          + "\"user:*/model:claude-opus*\", \"tier:3\"");
    }
    if (!(body.getValue("window") instanceof String window)
        || !(window.equals("day") || window.equals("month"))) {
      throw bad("'window' must be \"day\" or \"month\"");
    }
    Long requests = null;
    Object r = body.getValue("requests");
    if (r != null) {
      if (!(r instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() != Math.rint(
          n.doubleValue()) || n.doubleValue() > Long.MAX_VALUE) {
        throw bad("'requests' must be a non-negative whole number");
      }
      requests = n.longValue();
    }
    if (body.getValue("usd") == null && requests == null) {
      throw bad("give 'usd' (a dollar string such as \"20.00\") and/or 'requests'");
    }
    Object alerts = body.getValue("alerts");
    BudgetLimitMoney money;
    try {
      // The config file's reader: the same fields mean the same and fail the same way.
      money = BudgetLimitMoney.parse(body.getValue("usd"), body.getValue("cutoffUsd"),
          alerts instanceof JsonArray a ? a.getList() : alerts);
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    Long budget = money.budgetMicros();
    return new BudgetLimitsCommand(BudgetLimitsCommand.Op.SET, scope, window, budget, requests,
        money.alerts(), money.cutoffMicros() == null || money.cutoffMicros().equals(budget)
            ? null : money.cutoffMicros());
  }

  private void send(RoutingContext ctx, BudgetLimitsCommand c) {
    Endpoints.BUDGET_LIMITS.ask(vertx.eventBus(), c, BudgetAdminRoutes.TIMEOUT_MS)
        .onSuccess(l -> ctx.response().putHeader("Content-Type", "application/json")
            .end(view(l).toBuffer()))
        .onFailure(t -> {
          MeshFailure f = MeshFailure.of(t);
          FailureCode code = f.code() == FailureCode.ROLE_UNAVAILABLE
              ? FailureCode.BUDGET_UNAVAILABLE : f.code();
          ErrorResponses.send(ctx.response(), code, f.code() == FailureCode.ROLE_UNAVAILABLE
              ? "no budget role is running in the mesh" : f.detail(), null);
        });
  }

  static JsonObject view(BudgetLimits l) {
    JsonArray limits = new JsonArray();
    for (BudgetLimits.Limit x : l.limits()) {
      JsonObject o = money(new JsonObject().put("scope", x.scope()).put("window", x.window()),
          x.limitMicros(), x.cutoffMicros(), x.alerts()).put("requests", x.maxRequests())
          .put("source", x.source());
      if (x.fileLimit() != null) {
        BudgetLimits.FileLimit f = x.fileLimit();
        o.put("file", money(new JsonObject(), f.limitMicros(), f.cutoffMicros(), f.alerts())
            .put("requests", f.maxRequests()));
      }
      limits.add(o);
    }
    return new JsonObject().put("time_zone", l.zone()).put("version", l.version())
        .put("limits", limits);
  }

  /**
   * The money fields as a PUT takes them, plus each alert level in dollars: {@code usd}, the
   * budget; {@code cutoffUsd} only when a cut-off sits above it; {@code alerts} as shares of it.
   */
  private static JsonObject money(JsonObject o, Long budget, Long cutoff, List<Double> alerts) {
    o.put("usd", BudgetAdminRoutes.usd(budget));
    if (cutoff != null && !cutoff.equals(budget)) {
      o.put("cutoffUsd", BudgetAdminRoutes.usd(cutoff));
    }
    o.put("alerts", alerts);
    if (alerts != null && budget != null) {
      JsonArray usd = new JsonArray();
      alerts.forEach(a -> usd.add(BudgetAdminRoutes.usd((long) Math.ceil(budget * a))));
      o.put("alertsUsd", usd);
    }
    return o;
  }

  private static MeshFailure bad(String message) {
    return new MeshFailure(FailureCode.BAD_REQUEST, message);
  }
}
