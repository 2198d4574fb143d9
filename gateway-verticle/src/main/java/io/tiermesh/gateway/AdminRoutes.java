package io.tiermesh.gateway;

import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.Endpoint;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetScopes;
import io.tiermesh.contracts.BudgetScopesQuery;
import io.tiermesh.contracts.BudgetSnapshot;
import io.tiermesh.contracts.ExplainRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.RuleCheckView;
import io.tiermesh.contracts.RolloutsView;
import io.tiermesh.contracts.RulesChange;
import io.tiermesh.contracts.RulesHistory;
import io.tiermesh.contracts.RulesReloadResult;
import io.tiermesh.contracts.RulesVersion;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ImagePolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The admin API, behind the admin key (environment variable {@code gateway.adminKeyEnv}). There
 * is no default key: without one configured every admin path answers 404, as if absent.
 * <ul>
 *   <li>{@code POST /admin/route/explain}: a chat request body and the usual hint headers in,
 *       the router's decision out (facts, rule checks, chain, shadow, refusal), calling no
 *       backend;
 *   <li>{@code POST /admin/config/reload}: the router re-reads its rules file and, if valid,
 *       hands it to every router in the cluster; invalid → 400 listing the errors, the last
 *       good rules stay;
 *   <li>{@code GET /admin/rules/history}: the published rules versions, who and why;
 *   <li>{@code POST /admin/rules/rollback}: back to the previous published version (or
 *       {@code to}), published anew for every router;
 *   <li>{@code GET /admin/rollouts}: each staged rollout of the rules in force: its step,
 *       weight, evidence, guards and last decision.
 * </ul>
 * Both ask this node's router first, so that an answer reflects the node the caller addressed,
 * and any router in the cluster when this node runs none.
 */
final class AdminRoutes {

  static final long ADMIN_TIMEOUT_MS = 10_000;
  /** What-if for the budget rule: paid tiers to treat as exhausted in one explanation. */
  static final String ASSUME_EXHAUSTED_HEADER = "X-TierMesh-Assume-Exhausted-Tiers";
  /** How long an own-request explain waits for a running request's outcome. */
  static final long SETTLE_WAIT_MS = 5_000;
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final Vertx vertx;
  private final GatewayConfig config;
  private final ImagePolicy images;

  /** Mounted after {@link AdminAuth}, which guards every admin path. */
  AdminRoutes(Vertx vertx, GatewayConfig config, ImagePolicy images) {
    this.vertx = vertx;
    this.config = config;
    this.images = images;
  }

  void mount(Router router) {
    router.post("/admin/*").handler(BodyHandler.create(false)
        .setBodyLimit(config.maxBodyBytes()));
    router.post("/admin/route/explain").handler(this::explain);
    router.post("/admin/config/reload").handler(this::reload);
    router.post("/admin/rules/rollback").handler(this::rollback);
    router.get("/admin/rules/history").handler(this::history);
    router.get("/admin/rollouts").handler(this::rollouts);
  }

  /** Who asks for a rules change, for the history: one admin key, so the caller names itself. */
  static final String ACTOR_HEADER = "X-TierMesh-Actor";
  private static final int MAX_NOTE = 200;

  /**
   * The optional JSON body of a rules change: {@code why} (text) and, for a rollback, {@code to}
   * (a published version number).
   */
  private static RulesChange change(RoutingContext ctx, boolean takesTo) {
    Buffer raw = ctx.body().buffer();
    JsonObject body = raw == null || raw.length() == 0 ? new JsonObject()
        : StrictJson.object(raw);
    for (String field : body.fieldNames()) {
      if (!field.equals("why") && !(takesTo && field.equals("to"))) {
        throw RequestRejected.bad("unknown field '" + ClientText.quote(field) + "' (allowed: why"
            + (takesTo ? ", to" : "") + ")");
      }
    }
    Object why = body.getValue("why");
    if (why != null && !(why instanceof String)) {
      throw RequestRejected.bad("why must be a string");
    }
    Object to = body.getValue("to");
    if (to != null && !(to instanceof Integer || to instanceof Long)) {
      throw RequestRejected.bad("to must be a published version number");
    }
    String actor = ctx.request().getHeader(ACTOR_HEADER);
    return new RulesChange(to == null ? null : ((Number) to).longValue(),
        actor == null || actor.isBlank() ? "admin" : note(actor), why == null ? null
            : note((String) why));
  }

  /** One line, bounded: it is stored and shown back to operators. */
  private static String note(String s) {
    String line = s.replaceAll("[\\p{Cntrl}]", " ").strip();
    return line.length() > MAX_NOTE ? line.substring(0, MAX_NOTE) : line;
  }

  private void rollback(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    RulesChange change;
    try {
      change = change(ctx, true);
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    }
    askRouter(Endpoints.ROUTER_RULES_ROLLBACK, change)
        .onSuccess(m -> rulesChanged(resp, m.body(), "rules not rolled back"))
        .onFailure(err -> routerFailure(resp, err));
  }

  private void history(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    int limit = 20;
    String given = ctx.request().getParam("limit");
    if (given != null) {
      try {
        limit = Integer.parseInt(given);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 100) {
        ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "limit must be 1 to 100", null);
        return;
      }
    }
    askRouter(Endpoints.ROUTER_RULES_HISTORY, (Object) limit).onSuccess(m -> {
      RulesHistory h = m.body();
      if (h.error() != null) {
        ErrorResponses.send(resp, FailureCode.NO_PROVIDER_AVAILABLE, h.error(), null);
        return;
      }
      JsonArray versions = new JsonArray();
      for (RulesVersion v : h.versions()) {
        versions.add(new JsonObject().put("number", v.number()).put("rulesVersion", v.version())
            .put("at", java.time.Instant.ofEpochMilli(v.atMillis()).toString())
            .put("who", v.who()).put("why", v.why()).put("source", v.source())
            .put("node", v.node()).put("previous", v.previous())
            .put("current", h.current() != null && h.current() == v.number()));
      }
      json(resp, 200, new JsonObject().put("current", h.current())
          .put("routerRunning", h.running()).put("versions", versions));
    }).onFailure(err -> routerFailure(resp, err));
  }

  private void rollouts(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    askRouter(Endpoints.ROUTER_ROLLOUTS, (Object) 0).onSuccess(m -> {
      RolloutsView v = m.body();
      if (v.error() != null) {
        ErrorResponses.send(resp, FailureCode.NO_PROVIDER_AVAILABLE, v.error(), null);
        return;
      }
      json(resp, 200, rolloutsJson(v));
    }).onFailure(err -> routerFailure(resp, err));
  }

  static JsonObject rolloutsJson(RolloutsView v) {
    JsonArray list = new JsonArray();
    for (RolloutsView.Rollout r : v.rollouts()) {
      RolloutsView.Evidence e = r.evidence();
      JsonArray guards = new JsonArray();
      for (RolloutsView.Guard g : r.guards()) {
        guards.add(new JsonObject().put("guard", g.guard()).put("verdict", g.verdict())
            .put("figure", g.figure()));
      }
      list.add(new JsonObject().put("rule", r.rule()).put("candidate", r.candidate())
          .put("other", r.other()).put("steps", new JsonArray(new ArrayList<>(r.steps())))
          .put("weight", r.weight()).put("nextStep", r.nextStep())
          .put("minSamples", r.minSamples()).put("holdSeconds", r.holdMs() / 1000.0)
          .put("halted", r.halted())
          .put("stepStarted", java.time.Instant.ofEpochMilli(r.windowStartMs()).toString())
          .put("evidence", new JsonObject().put("candidateRequests", e.candidateRequests())
              .put("candidateFellBack", e.candidateFellBack())
              .put("candidateP95Ms", e.candidateP95Ms())
              .put("candidateCostUsd", java.math.BigDecimal.valueOf(e.candidateCostMicros(), 6)
                  .toPlainString())
              .put("otherRequests", e.otherRequests()).put("pairs", e.pairs())
              .put("agreement", e.agreement())
              .put("candidateFeedback", e.candidateFeedback())
              .put("candidateFeedbackMean", e.candidateFeedbackMean())
              .put("otherFeedback", e.otherFeedback())
              .put("otherFeedbackMean", e.otherFeedbackMean()))
          .put("guards", guards).put("now", decisionJson(r.now()))
          .put("lastDecision", decisionJson(r.last())));
    }
    return new JsonObject().put("rulesVersion", v.rulesVersion()).put("controller", v.owner())
        .put("rollouts", list);
  }

  private static JsonObject decisionJson(RolloutsView.Decision d) {
    if (d == null) {
      return null;
    }
    return new JsonObject().put("action", d.action()).put("fromWeight", d.fromWeight())
        .put("toWeight", d.toWeight()).put("guard", d.guard()).put("why", d.why())
        .put("at", java.time.Instant.ofEpochMilli(d.atMillis()).toString())
        .put("published", d.published());
  }

  private void explain(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    RouteRequest route;
    String keyId;
    String user;
    List<Integer> assume;
    try {
      JsonObject body = StrictJson.object(ctx.body().buffer());
      OpenAiChatApi.Parsed parsed = OpenAiChatApi.parse(body, images);
      RoutingHints hints = RoutingHintParser.parse(ctx.request().headers(), parsed.metadata());
      String given = ctx.request().getHeader("X-Request-Id");
      // A caller may pin the request id to reproduce the split arm and shadow sample it saw.
      String requestId = given != null && REQUEST_ID.matcher(given).matches() ? given
          : GatewayVerticle.newRequestId();
      // An operator may explain the decision as a given tenant would get it.
      String tenant = ctx.request().getHeader("X-TierMesh-Tenant");
      // ...and as a given key and person would, for the per-key and per-user budgets.
      keyId = ctx.request().getHeader("X-TierMesh-Key-Id");
      user = ctx.request().getHeader("X-TierMesh-User");
      route = new RouteRequest(requestId, tenant == null || tenant.isBlank()
          ? io.tiermesh.gateway.access.Tenant.DEFAULT_ID : tenant,
          parsed.chat(), hints, null,
          System.currentTimeMillis() + ADMIN_TIMEOUT_MS);
      assume = tiers(ctx.request().getHeader(ASSUME_EXHAUSTED_HEADER));
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    } catch (ClassCastException wrongType) {
      ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "a field has the wrong JSON type", null);
      return;
    }
    resp.putHeader("X-Request-Id", route.requestId());
    askRouter(Endpoints.ROUTER_EXPLAIN, new ExplainRequest(route, assume))
        .compose(m -> withBudgets(explainJson(route.requestId(), m.body()), m.body(),
            route.tenant(), keyId, user, false))
        .onSuccess(out -> json(resp, 200, out))
        .onFailure(err -> routerFailure(resp, err));
  }

  /**
   * {@code POST /v1/route/explain} with a client key: why the caller's own request
   * {@code X-Request-Id} was routed as it was. The caller sends the same body again (it is
   * checked against the hash kept with the request); tenant, tenant policy and routing hints are
   * the ones the request had, not what this call says, so a client key can neither explain as
   * another tenant nor ask what-ifs. The answer is the admin explain's, less where the rules
   * file lives and which node read it, plus {@code served}: what answered the request.
   */
  void explainOwn(RoutingContext ctx, OwnRequests own) {
    HttpServerResponse resp = ctx.response();
    String requestId = ctx.request().getHeader("X-Request-Id");
    if (requestId == null || !REQUEST_ID.matcher(requestId).matches()) {
      ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "X-Request-Id must name the request "
          + "to explain (the X-Request-Id its answer carried)", null);
      return;
    }
    io.tiermesh.gateway.access.Principal caller =
        io.tiermesh.gateway.access.AccessLayer.principal(ctx);
    Buffer body = ctx.body().buffer();
    OwnRequests.Lookup found = own.find(requestId, caller.keyId(),
        body != null && body.length() <= OwnRequests.MAX_HASHED_BODY
            ? StoredAnswers.sha256("", body, "") : "", System.currentTimeMillis());
    if (found.refusal() == OwnRequests.Refusal.UNKNOWN) {
      ErrorResponses.send(resp, FailureCode.NOT_FOUND, "this gateway keeps no request "
          + requestId + " made with this key (it keeps the last " + OwnRequests.CAPACITY
          + " requests for " + OwnRequests.MAX_AGE_MS / 60_000 + " minutes)", null);
      return;
    }
    if (found.refusal() == OwnRequests.Refusal.TOO_LARGE) {
      ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "request " + requestId + " had a body "
          + "over " + OwnRequests.MAX_HASHED_BODY / (1 << 20) + " MiB: a client key cannot "
          + "explain it (an operator can, with the admin explain)", null);
      return;
    }
        if (found.refusal() == OwnRequests.Refusal.OTHER_BODY) {
      ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "the body differs from the one request "
          + requestId + " was sent with; send the same body to explain it", null);
      return;
    }
    OwnRequests.Entry e = found.entry();
    RouteRequest route;
    String user;
    try {
      ClientApi.Parsed parsed = e.api().parse(StrictJson.object(ctx.body().buffer()),
          images);
      route = new RouteRequest(requestId, e.tenant(), parsed.chat(), e.hints(), null,
          System.currentTimeMillis() + ADMIN_TIMEOUT_MS, e.policy());
      user = caller.budgetUser(parsed.chat().options() == null ? null
          : parsed.chat().options().user());
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    } catch (ClassCastException wrongType) {
      ErrorResponses.send(resp, FailureCode.BAD_REQUEST, "a field has the wrong JSON type", null);
      return;
    }
    resp.putHeader("X-Request-Id", requestId);
    Future<Message<RoutePlanView>> plan = askRouter(Endpoints.ROUTER_EXPLAIN,
        new ExplainRequest(route, List.of()));
    // Asked right after a stream, the request's outcome may still be on its way: wait for it
    // (bounded), so that "served" carries the cost a stream's headers could not.
    io.vertx.core.Promise<Void> settled = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(SETTLE_WAIT_MS, t -> settled.tryComplete());
    own.whenSettled(requestId, () -> {
      vertx.cancelTimer(timer);
      settled.tryComplete();
    });
    Future.all(plan, settled.future()).onComplete(ar -> {
      if (plan.failed()) {
        routerFailure(resp, plan.cause());
        return;
      }
      JsonObject out = explainJson(requestId, plan.result().body());
      out.remove("rulesSource");
      out.remove("routerNode");
      OwnRequests.Entry now = own.current(requestId);
      out.put("served", served(now == null ? e.served() : now.served()));
      withBudgets(out, plan.result().body(), e.tenant(), caller.keyId(), user, true)
          .onSuccess(withRoom -> json(resp, 200, withRoom));
    });
  }

  /**
   * Adds {@code budgets}: for each paid target of the chain, every limit it would spend from
   * for this caller (all apply; the tightest decides), with the room left in each now. Never
   * fails: without a budget role the field says why it is missing.
   *
   * @param ownOnly a client asking about its own request sees only its tenant's, key's and
   *                person's limits: the global, tier, provider and model-family counters are
   *                the whole mesh's spending, the operator's business
   */
  private Future<JsonObject> withBudgets(JsonObject out, RoutePlanView plan, String tenant,
      String keyId, String user, boolean ownOnly) {
    List<RouteInfo> paid = plan.chain().stream().filter(r -> r.tier() >= 2).toList();
    if (paid.isEmpty()) {
      return Future.succeededFuture(out.put("budgets", new JsonArray()));
    }
    return Endpoints.BUDGET_SCOPES.ask(vertx.eventBus(),
        new BudgetScopesQuery(tenant, keyId, user, paid), ADMIN_TIMEOUT_MS).map(b -> {
          JsonArray targets = new JsonArray();
          for (BudgetScopes.Target t : b.targets()) {
            JsonArray scopes = new JsonArray();
            String tightest = null;
            long least = Long.MAX_VALUE;
            for (BudgetSnapshot.Line l : t.scopes()) {
              if (ownOnly && !(l.scope().startsWith("tenant:") || l.scope().startsWith("key:")
                  || l.scope().startsWith("user:"))) {
                continue;
              }
              if (l.remainingMicros() != null && l.remainingMicros() < least) {
                least = l.remainingMicros();
                tightest = l.scope();
              }
              scopes.add(new JsonObject().put("scope", l.scope()).put("window", l.window())
                  .put("period", l.period())
                  .put("limit_usd", BudgetAdminRoutes.usd(l.limitMicros()))
                  .put("spent_usd", BudgetAdminRoutes.usd(l.spentMicros()))
                  .put("reserved_usd", BudgetAdminRoutes.usd(l.reservedMicros()))
                  .put("remaining_usd", BudgetAdminRoutes.usd(l.remainingMicros()))
                  .put("requests", l.requests()).put("max_requests", l.maxRequests()));
            }
            targets.add(new JsonObject().put("tier", t.tier()).put("provider", t.providerId())
                .put("model", t.model()).put("scopes", scopes).put("tightest", tightest));
          }
          return out.put("budgets", targets);
        }).otherwise(t -> out.put("budgets", (JsonArray) null).put("budgets_unavailable",
            MeshFailure.of(t).detail()));
  }

  static JsonObject served(OwnRequests.Served s) {
    if (s == null) {
      return null;
    }
    return new JsonObject().put("tier", s.tier()).put("provider", s.provider())
        .put("model", s.model()).put("reason", s.reason()).put("status", s.status())
        .put("attempts", s.attempts())
        .put("cost_usd", s.costMicros() == null ? null : BudgetHeaders.dollars(s.costMicros()))
        .put("budget_remaining_usd", s.budgetRemainingMicros() == null ? null
            : BudgetHeaders.dollars(s.budgetRemainingMicros()));
  }

  private void reload(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    RulesChange change;
    try {
      change = change(ctx, false);
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    }
    askRouter(Endpoints.ROUTER_RULES_RELOAD, (Object) change)
        .onSuccess(m -> rulesChanged(resp, m.body(), "rules not reloaded"))
        .onFailure(err -> routerFailure(resp, err));
  }

  private static void rulesChanged(HttpServerResponse resp, RulesReloadResult r, String not) {
    JsonObject out = new JsonObject()
        .put("accepted", r.accepted())
        .put("rulesVersion", r.version())
        .put("previousVersion", r.previous())
        .put("source", r.source())
        .put("routerNode", r.routerNode())
        .put("published", r.published());
    if (r.accepted()) {
      json(resp, 200, out);
      return;
    }
    JsonObject body = ErrorResponses.body(FailureCode.BAD_REQUEST, not + " ("
        + r.errors().size() + " error(s)); rules " + r.version() + " stay in force", null);
    body.getJsonObject("error").put("errors", new JsonArray(new ArrayList<>(r.errors())));
    json(resp, 400, body.mergeIn(out));
  }

  private <B, T> Future<Message<T>> askRouter(Endpoint<B, T> endpoint, B body) {
    DeliveryOptions local = new DeliveryOptions().setSendTimeout(ADMIN_TIMEOUT_MS)
        .setLocalOnly(true);
    return endpoint.request(vertx.eventBus(), body, local).recover(err ->
        MeshFailure.of(err).code() == FailureCode.ROLE_UNAVAILABLE
            ? endpoint.request(vertx.eventBus(), body, ADMIN_TIMEOUT_MS)
            : Future.failedFuture(err));
  }

  private static void routerFailure(HttpServerResponse resp, Throwable err) {
    MeshFailure f = MeshFailure.of(err);
    if (f.code() == FailureCode.ROLE_UNAVAILABLE) {
      ErrorResponses.send(resp, FailureCode.NO_PROVIDER_AVAILABLE,
          "no router is running in the mesh", null);
    } else {
      ErrorResponses.send(resp, f.code(), f.detail(), null);
    }
  }

  static List<Integer> tiers(String header) {
    if (header == null || header.isBlank()) {
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (String part : header.split(",")) {
      try {
        int t = Integer.parseInt(part.trim());
        if (t >= 2 && t <= 99) {
          out.add(t);
          continue;
        }
      } catch (NumberFormatException ignored) {
        // rejected below
      }
      throw RequestRejected.bad(ASSUME_EXHAUSTED_HEADER
          + " must list paid tiers (2 and up), comma-separated");
    }
    return out;
  }

  static JsonObject explainJson(String requestId, RoutePlanView v) {
    JsonObject out = new JsonObject()
        .put("requestId", requestId)
        .put("rulesVersion", v.rulesVersion())
        .put("rulesSource", v.rulesSource())
        .put("routerNode", v.routerNode())
        .put("rule", v.rule())
        .put("reason", v.reason())
        .put("localOnly", v.localOnly());
    JsonObject facts = new JsonObject();
    if (v.facts() != null) {
      v.facts().forEach(facts::put);
    }
    out.put("facts", facts);
    JsonArray chain = new JsonArray();
    for (RouteInfo r : v.chain()) {
      chain.add(route(r));
    }
    out.put("chain", chain);
    out.put("shadow", v.shadow() == null ? null : route(v.shadow()));
    JsonArray checks = new JsonArray();
    if (v.checks() != null) {
      for (RuleCheckView c : v.checks()) {
        checks.add(new JsonObject().put("index", c.index()).put("rule", c.rule())
            .put("matched", c.matched()).put("why", c.why()));
      }
    }
    out.put("checks", checks);
    out.put("notes", new JsonArray(new ArrayList<>(v.notes() == null ? List.of() : v.notes())));
    out.put("refusal", v.refusal() == null ? null
        : ErrorResponses.body(v.refusal().code(), v.refusal().message(), null)
            .getJsonObject("error").put("status", v.refusal().code().httpStatus()));
    return out;
  }

  private static JsonObject route(RouteInfo r) {
    return new JsonObject().put("tier", r.tier()).put("provider", r.providerId())
        .put("model", r.model()).put("reason", r.reason());
  }

  private static void json(HttpServerResponse resp, int status, JsonObject body) {
    resp.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
