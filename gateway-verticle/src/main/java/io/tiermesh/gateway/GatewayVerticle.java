package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.Endpoint;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.BudgetUsageRecord;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.ModelAliasList;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ImagePolicy;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.gateway.access.AccessLayer;
import io.tiermesh.gateway.access.AccessSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The HTTP front door: authenticates, parses the client's API into mesh records, hands the
 * request to the router over the bus and writes the answer back, streamed or whole. Holds no
 * routing logic of its own.
 */
public final class GatewayVerticle extends VerticleBase {

  /** The route reason of ledger entries for answers served from the response cache. */
  static final String CACHE_HIT_REASON = "cache-hit";
  /** Offered tools the backend never saw (they run only inside their vendor's service). */
  static final String DROPPED_TOOLS_HEADER = "X-TierMesh-Dropped-Tools";
  private static final System.Logger LOG = System.getLogger(GatewayVerticle.class.getName());

  private final GatewayConfig config;
  private ImagePolicy images = ImagePolicy.NONE;
  private final MeshNode node;
  private final ApiKeys keys;
  private final List<ProviderConfig> catalog;
  private final AccessSettings accessSettings;
  private final GatewayMetrics metrics;
  private AccessLayer access;
  private AnswerReuse answers;
  private final Map<String, StreamRelay> relays = new HashMap<>();
  private final RouteDecisions decisions = new RouteDecisions();
  private final OwnRequests ownRequests = new OwnRequests();
  private final RetryAfter retryAfter;
  /** Where the chunks of this instance's streaming requests arrive. */
  private Endpoint<StreamChunk, Void> chunkInbox;
  private HttpServer server;
  private DrainState drain = new DrainState();
  private java.util.function.Supplier<String> traceIds = () -> null;
  private ReadinessProbe readiness;
  private GatewayTls tls;
  /** Every gateway instance of this node reloads its certificate on a message here. */
  /** The answer header naming the request's trace, present when the node traces. */
  public static final String TRACE_ID_HEADER = "X-Trace-Id";
  static final String TLS_RELOAD_LOCAL = "tiermesh.local.gateway.tls.reload";
  private final io.tiermesh.gateway.audit.AuditSettings auditSettings;
  private io.tiermesh.gateway.audit.AuditTrail audit;
  private io.vertx.redis.client.Redis auditRedis;

  public GatewayVerticle(GatewayConfig config, MeshNode node, ApiKeys keys,
      List<ProviderConfig> catalog) {
    this(config, node, keys, catalog, AccessSettings.bootstrapOnly(), GatewayMetrics.none());
  }

  public GatewayVerticle(GatewayConfig config, MeshNode node, ApiKeys keys,
      List<ProviderConfig> catalog, AccessSettings access, GatewayMetrics metrics) {
    this(config, node, keys, catalog, access, metrics,
        io.tiermesh.gateway.audit.AuditSettings.DEFAULTS);
  }

  public GatewayVerticle(GatewayConfig config, MeshNode node, ApiKeys keys,
      List<ProviderConfig> catalog, AccessSettings access, GatewayMetrics metrics,
      io.tiermesh.gateway.audit.AuditSettings audit) {
    this.auditSettings = audit;
    this.config = config;
    this.node = node;
    this.keys = keys;
    this.catalog = catalog;
    this.accessSettings = access;
    this.metrics = metrics;
    this.retryAfter = RetryAfter.of(catalog);
    Dashboard.loadNow();
    Playground.loadNow();
  }

  /** Shares the node's drain flag, so that readiness turns 503 as soon as draining starts. */
  /** The remote image hosts clients may name; by default none. */
  public GatewayVerticle imagePolicy(ImagePolicy policy) {
    this.images = policy;
    return this;
  }

  /**
   * Where the trace id of the request being handled comes from (the node's tracer); by default
   * nowhere, and then answers carry no {@code X-Trace-Id}.
   */
  public GatewayVerticle traceIds(java.util.function.Supplier<String> ids) {
    this.traceIds = ids;
    return this;
  }

  public GatewayVerticle drainState(DrainState state) {
    this.drain = state;
    return this;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    chunkInbox = Endpoints.STREAM.of(node.nodeId() + "." + deploymentID());
    access = new AccessLayer(accessSettings, keys, metrics);
    tls = config.tls() == null ? null : new GatewayTls(config.tls());
    Future<Void> accessReady = access.start(vertx);
    answers = new AnswerReuse(access.redis() == null ? null : new StoredAnswers(access.redis()),
        config.requestTimeoutMs() + 5_000, accessSettings.config().idempotencyTtlMs(),
        accessSettings.config().cacheTtlMs(), this::recordCacheHit, metrics);
    // The trail has its own small pool: its batches never queue ahead of a paid request's
    // rate-limit or key lookups on the access layer's connections.
    auditRedis = accessSettings.durable() == null ? null
        : io.tiermesh.contracts.redis.RedisClients.create(vertx, accessSettings.durable(), 2, 64);
    audit = new io.tiermesh.gateway.audit.AuditTrail(vertx, auditRedis, auditSettings,
        metrics.registry());
    audit.start();
    Router router = Router.router(vertx);
    RequestHeadTimer headTimer = new RequestHeadTimer(vertx,
        accessSettings.config().bodyTimeoutMs());
    router.route().handler(access::resolveClientAddress);
    // Every answer, errors included: browsers must not sniff a JSON error into HTML.
    router.route().handler(ctx -> {
      ctx.response().putHeader("X-Content-Type-Options", "nosniff");
      // The trace this request belongs to (a client's traceparent continued, or a new one):
      // the id to look it up by in the tracing backend, and the audit trail's link to it.
      String traceId = traceIds.get();
      if (traceId != null) {
        ctx.response().putHeader(TRACE_ID_HEADER, traceId);
      }
      ctx.next();
    });
    router.route().handler(headTimer::onRequest);
    router.get("/health/live").handler(ctx -> json(ctx.response(), 200,
        new JsonObject().put("status", "live").put("node", node.nodeId())));
    router.get("/health/ready").handler(this::ready);
    if (config.metrics() != null && config.metrics().adminOnly()) {
      router.get("/metrics").handler(access.adminGate());
    }
    router.get("/metrics").handler(this::metrics);
    router.get("/dashboard").handler(Dashboard::serve);
    Playground.mount(router);
    InputLimits limits = new InputLimits(accessSettings.config().maxJsonDepth(),
        accessSettings.config().maxMessages(), accessSettings.config().maxOutputTokens());
    BodyTimer bodyTimer = new BodyTimer(vertx, accessSettings.config().bodyTimeoutMs());
    router.route("/v1/*").handler(audit::begin);
    router.post("/v1/*").handler(bodyTimer::start);
    router.route("/v1/*").handler(access::limitClientAddress);
    router.route("/v1/*").handler(access::authenticate);
    router.route("/admin/*").handler(audit::beginAdmin);
    router.route("/admin/*").handler(GatewayVerticle::bodyIsJson);
    access.mountAdmin(router);
    AdminRoutes adminRoutes = new AdminRoutes(vertx, config, images);
    adminRoutes.mount(router);
    router.post("/admin/tls/reload").handler(this::reloadTls);
    new BudgetAdminRoutes(vertx).mount(router);
    new BudgetLimitRoutes(vertx).mount(router);
    new LedgerExport(vertx).mount(router);
    decisions.mount(router);
    new io.tiermesh.gateway.audit.AuditRoutes(auditRedis).mount(router);
    io.tiermesh.gateway.compare.CompareRoutes compare =
        new io.tiermesh.gateway.compare.CompareRoutes(auditRedis);
    compare.mountAdmin(router);
    ProviderAdminRoutes providerAdmin = new ProviderAdminRoutes(vertx, metrics.registry(),
        config.metrics() != null && config.metrics().ids());
    providerAdmin.mount(router);
    readiness = new ReadinessProbe(vertx, true, drain, providerAdmin::fresh,
        () -> access.policyReadiness(ReadinessProbe.TIMEOUT_MS));
    router.get("/v1/models").handler(this::models);
    router.get("/v1/models/*").handler(this::model);
    router.post("/v1/*").handler(GatewayVerticle::bodyIsJson);
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    router.post("/v1/*").handler(bodyTimer::done);
    router.post("/v1/chat/completions").handler(ctx -> chat(ctx, ClientApi.OPENAI, limits));
    router.post("/v1/messages").handler(ctx -> chat(ctx, ClientApi.ANTHROPIC, limits));
    router.post("/v1/responses").handler(ctx -> chat(ctx, ClientApi.RESPONSES, limits));
    router.post("/v1/route/explain").handler(ctx -> adminRoutes.explainOwn(ctx, ownRequests));
    router.post("/v1/feedback").handler(ctx -> compare.feedback(ctx, this::feedbackDecision));
    router.post("/v1/messages/count_tokens").handler(ctx -> countTokens(ctx, limits));
    EmbeddingsEndpoint embeddings = new EmbeddingsEndpoint(vertx, config.requestTimeoutMs(),
        limits, answers, access, retryAfter);
    router.post("/v1/embeddings").handler(ctx -> embeddings.handle(ctx, newRequestId()));
    router.route().last().handler(ctx -> errors(ctx).send(ctx.response(),
        FailureCode.NOT_FOUND, "no such endpoint", null));
    router.errorHandler(413, ctx -> {
      // The body handler refuses by Content-Length without reading (or stops at the limit);
      // what is left is read only a bounded amount, then the connection closes.
      RefusedBody.lingerThenClose(vertx, ctx.request(), accessSettings.config().bodyTimeoutMs());
      ctx.response().putHeader("Connection", "close");
      errors(ctx).send(ctx.response(), FailureCode.PAYLOAD_TOO_LARGE, "request body exceeds "
          + config.maxBodyBytes() + " bytes", null);
    });
    router.errorHandler(500, ctx -> {
      ctx.request().resume();
      // The type and frame only: an exception message may quote request content.
      Throwable t = ctx.failure();
      LOG.log(System.Logger.Level.ERROR, "unhandled failure on " + ctx.request().path()
          + ": " + (t == null ? "none" : t.getClass().getName() + " at "
          + (t.getStackTrace().length > 0 ? t.getStackTrace()[0] : "?")));
      errors(ctx).send(ctx.response(), FailureCode.INTERNAL, "internal error", null);
    });

    // The token table for token-array embedding input is read once, off the event loop.
    Future<Void> tokenTable = vertx.executeBlocking(() -> {
      TokenText.warm();
      return null;
    });
    return Future.all(accessReady, providerAdmin.start(), tokenTable)
        .compose(v -> chunkInbox.consumer(vertx.eventBus(), this::onChunk)
            .completion())
        // Only a gateway that can write the answer store may adopt another one's answers.
        .compose(v -> !answers.storesAnswers() ? Future.<Void>succeededFuture()
            : Endpoints.GATEWAY_ORPHANED_OUTCOME.consumer(vertx.eventBus(),
                m -> answers.adoptOrphaned(m.body()).onComplete(ar -> {
                  if (ar.succeeded()) {
                    m.reply("stored");
                  } else {
                    MeshFailure f = MeshFailure.of(ar.cause());
                    m.fail(f.code().wireCode(), f.detail());
                  }
                })).completion())
        .compose(v -> vertx.eventBus().<Object>localConsumer(
            Endpoints.GATEWAY_POLICY_HEALTH.of(node.nodeId()).address(),
            m -> access.policyReadiness(ReadinessProbe.TIMEOUT_MS)
                .onComplete(ar -> m.reply(ar.result()))).completion())
        .compose(v -> tls == null ? Future.<Void>succeededFuture()
            : vertx.eventBus().<Void>localConsumer(TLS_RELOAD_LOCAL,
                m -> tls.reload(server)).completion())
        .compose(v -> vertx.createHttpServer(tls == null ? RequestHeadTimer.serverOptions()
                : tls.apply(RequestHeadTimer.serverOptions()))
            .connectionHandler(headTimer::onConnection)
            .requestHandler(router)
            .listen(config.port(), config.host()))
        .onSuccess(s -> {
          server = s;
          if (tls != null) {
            vertx.setPeriodic(tls.watchMs(), id -> tls.reloadIfChanged(vertx, server));
          }
        });
  }

  /**
   * {@code POST /admin/tls/reload}: re-reads the certificate files now, on every gateway
   * instance of this node; answers with this instance's result.
   */
  private void reloadTls(RoutingContext ctx) {
    if (tls == null) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "this gateway does not serve "
          + "HTTPS (no gateway.tls)", null);
      return;
    }
    tls.reload(server).onComplete(ar -> {
      if (ar.failed()) {
        ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, "the certificate files do "
            + "not load (the current certificate stays): " + ar.cause().getMessage(), null);
        return;
      }
      vertx.eventBus().publish(TLS_RELOAD_LOCAL, null);
      json(ctx.response(), 200, new JsonObject().put("reloaded", true)
          .put("certFile", config.tls().certFile()));
    });
  }

  public int actualPort() {
    return server.actualPort();
  }

  /**
   * The drain of a stopping node: stops accepting connections at once, lets every request in
   * flight (streams included) finish, closing each connection after its last answer, and
   * closes what is still open after {@code timeoutMs}.
   */
  public Future<Void> shutdown(long timeoutMs) {
    return server == null ? Future.succeededFuture()
        : server.shutdown(Math.max(0, timeoutMs), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The decision a client's feedback is about: a request its own key made, still remembered. */
  private io.tiermesh.gateway.compare.CompareRoutes.Decision feedbackDecision(RoutingContext ctx,
      String requestId) {
    OwnRequests.Entry e = ownRequests.current(requestId);
    io.tiermesh.gateway.access.Principal caller =
        io.tiermesh.gateway.access.AccessLayer.principal(ctx);
    if (e == null || caller == null || !java.util.Objects.equals(e.keyId(), caller.keyId())) {
      return null;
    }
    OwnRequests.Served s = e.served();
    return new io.tiermesh.gateway.compare.CompareRoutes.Decision(e.tenant(),
        s == null ? "" : s.reason(), s == null || s.provider() == null ? ""
            : s.provider() + "/" + s.model());
  }

  @Override
  public Future<?> stop() {
    if (audit != null) {
      audit.stop();
    }
    Future<?> auditClosed = auditRedis == null ? Future.succeededFuture() : auditRedis.close();
    return Future.join(access == null ? Future.succeededFuture() : access.close(),
        auditClosed);
  }

  private void metrics(RoutingContext ctx) {
    String text = metrics.scrape();
    if (text == null) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "this node exports no metrics",
          null);
      return;
    }
    ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(text);
  }

  private void models(RoutingContext ctx) {
    aliases().onComplete(ar -> {
      Map<String, JsonObject> list = new ModelDirectory(catalog, ar.result()).list();
      json(ctx.response(), 200, anthropicClient(ctx) ? ModelDirectory.anthropicPage(list.values())
          : ModelDirectory.openAiPage(list.values()));
    });
  }

  /** Anthropic's SDKs send {@code anthropic-version} on every call; they get its shapes. */
  private static boolean anthropicClient(RoutingContext ctx) {
    return ctx.request().getHeader("anthropic-version") != null;
  }

  /** How long a model listing waits for a router's aliases before it answers without them. */
  private static final long ALIASES_TIMEOUT_MS = 1_000;

  /**
   * The model aliases of the rules a router runs (this node's own router first), or none when
   * no router answers in time: a listing is still worth answering without them.
   */
  private Future<ModelAliasList> aliases() {
    io.vertx.core.eventbus.DeliveryOptions local = new io.vertx.core.eventbus.DeliveryOptions()
        .setSendTimeout(ALIASES_TIMEOUT_MS).setLocalOnly(true);
    return Endpoints.ROUTER_MODELS.request(vertx.eventBus(), "models", local)
        .recover(err -> MeshFailure.of(err).code() == FailureCode.ROLE_UNAVAILABLE
            ? Endpoints.ROUTER_MODELS.request(vertx.eventBus(), "models", ALIASES_TIMEOUT_MS)
            : Future.failedFuture(err))
        .map(Message::body)
        .otherwise(new ModelAliasList(List.of(), null));
  }

  /**
   * {@code GET /v1/models/{id}}: a listed name, a bare model name a provider serves, or a name
   * one of the rules' aliases (exact or pattern) routes, with what it stands for. The id may
   * arrive percent-encoded, as SDKs send {@code provider/model}. An unknown name is a 404 in the
   * caller's API shape.
   */
  private void model(RoutingContext ctx) {
    String raw = ctx.request().path().substring("/v1/models/".length());
    String decoded;
    try {
      decoded = java.net.URLDecoder.decode(raw.replace("+", "%2B"),
          java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      decoded = raw;
    }
    String id = decoded;
    boolean anthropic = anthropicClient(ctx);
    aliases().onComplete(ar -> {
      JsonObject found = new ModelDirectory(catalog, ar.result()).find(id);
      if (found == null) {
        String message = "The model '" + io.tiermesh.contracts.ClientText.quote(id)
            + "' does not exist";
        (anthropic ? ErrorShape.ANTHROPIC : ErrorShape.OPENAI).send(ctx.response(),
            FailureCode.NOT_FOUND, message, null);
        return;
      }
      json(ctx.response(), 200, anthropic ? ModelDirectory.anthropic(found) : found);
    });
  }

  private static ErrorShape errors(RoutingContext ctx) {
    return ErrorShape.forPath(ctx.request().path());
  }

  private void chat(RoutingContext ctx, ClientApi api, InputLimits limits) {
    HttpServerResponse resp = ctx.response();
    String requestId = newRequestId();
    resp.putHeader("X-Request-Id", requestId);
    resp.putHeader("X-TierMesh-Tenant", AccessLayer.principal(ctx).tenant());
    ClientApi.Parsed parsed;
    RoutingHints hints;
    try {
      limits.checkBody(ctx.body().buffer());
      JsonObject body = StrictJson.object(ctx.body().buffer());
      parsed = api.parse(body, images);
      if (api == ClientApi.ANTHROPIC) {
        List<String> flags = AnthropicMessagesApi.betaFlags(
            ctx.request().headers().getAll("anthropic-beta"));
        if (!flags.isEmpty()) {
          parsed = new ClientApi.Parsed(parsed.chat().withOptions(ChatOptions.withAnthropicBeta(
              parsed.chat().options(), flags)), parsed.metadata(), parsed.includeUsageChunk(),
              parsed.droppedTools());
        }
      }
      limits.checkChat(parsed.chat());
      if (!parsed.droppedTools().isEmpty()) {
        resp.putHeader(DROPPED_TOOLS_HEADER, String.join(",", parsed.droppedTools()));
      }
      hints = RoutingHintParser.parse(ctx.request().headers(), parsed.metadata());
      io.tiermesh.gateway.access.Principal caller = AccessLayer.principal(ctx);
      hints = caller.privacy().apply(hints, caller.tenant(),
          io.tiermesh.gateway.privacy.PromptTexts.of(parsed.chat()));
      ctx.put(io.tiermesh.gateway.audit.AuditTrail.CLASSIFICATION,
          io.tiermesh.gateway.audit.AuditTrail.classification(hints));
    } catch (MeshFailure rejected) {
      api.errors().reject(resp, rejected);
      return;
    } catch (ClassCastException wrongType) {
      api.errors().send(resp, FailureCode.BAD_REQUEST, "a field has the wrong JSON type", null);
      return;
    }
    io.tiermesh.gateway.access.Principal caller = AccessLayer.principal(ctx);
    ownRequests.record(new OwnRequests.Entry(requestId, caller.keyId(), caller.tenant(),
        caller.policy(), api, hints, OwnRequests.bodyHash(ctx.body().buffer()),
        System.currentTimeMillis()));
    ClientApi.Parsed admitted = parsed;
    RoutingHints routingHints = hints;
    Future<AnswerReuse.Ticket> admission = answers.admit(ctx, api, parsed, hints,
        AccessLayer.principal(ctx), requestId);
    releaseBody(ctx);
    admission.onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        execute(ctx, api, admitted, routingHints, requestId, ar.result());
      } else {
        ownRequests.settled(requestId); // answered from a stored answer, or refused
      }
    });
  }

  /**
   * Drops the request body once it is parsed and its Idempotency-Key hash and cache key are
   * taken (both synchronously, when the request is admitted): otherwise vertx-web keeps the raw
   * bytes and the JSON tree it parsed for as long as the request runs, a long stream included,
   * next to the {@code ChatRequest} that already holds the content (up to 32 MiB each).
   */
  static void releaseBody(RoutingContext ctx) {
    if (ctx instanceof io.vertx.ext.web.impl.RoutingContextInternal internal) {
      internal.setBody(null);
    }
  }

  /**
   * Anthropic's {@code POST /v1/messages/count_tokens}: the same parse and checks as a
   * message (a request that would be refused is refused here too), then the gateway's count.
   * No backend is called and nothing is billed.
   */
  private void countTokens(RoutingContext ctx, InputLimits limits) {
    try {
      limits.checkBody(ctx.body().buffer());
      JsonObject body = StrictJson.object(ctx.body().buffer());
      AnthropicMessagesApi.Parsed parsed = AnthropicMessagesApi.parse(body, false, images);
      if (!parsed.droppedTools().isEmpty()) {
        ctx.response().putHeader(DROPPED_TOOLS_HEADER, String.join(",", parsed.droppedTools()));
      }
      json(ctx.response(), 200, new JsonObject().put("input_tokens",
          TokenCount.estimate(parsed.chat())));
    } catch (MeshFailure rejected) {
      ErrorShape.ANTHROPIC.reject(ctx.response(), rejected);
    } catch (ClassCastException wrongType) {
      ErrorShape.ANTHROPIC.send(ctx.response(), FailureCode.BAD_REQUEST,
          "a field has the wrong JSON type", null);
    }
  }

  /** Routes a request that no stored answer could serve, and reports its outcome. */
  private void execute(RoutingContext ctx, ClientApi api, ClientApi.Parsed parsed,
      RoutingHints hints, String requestId, AnswerReuse.Ticket ticket) {
    HttpServerResponse resp = ctx.response();
    long started = System.nanoTime();
    String apiName = api == ClientApi.ANTHROPIC ? "anthropic"
        : api == ClientApi.RESPONSES ? "responses" : "openai";
    String cacheHeader = resp.headers().get(AnswerReuse.CACHE_HEADER);
    String cache = cacheHeader == null ? "none" : cacheHeader;
    long deadline = System.currentTimeMillis() + config.requestTimeoutMs();
    boolean stream = parsed.chat().stream();
    ctx.put(io.tiermesh.gateway.audit.AuditTrail.AWAITS_OUTCOME, stream);
    io.tiermesh.gateway.access.Principal principal = AccessLayer.principal(ctx);
    RouteRequest route = new RouteRequest(requestId, principal.tenant(), parsed.chat(), hints,
        stream ? chunkInbox.address() : null, deadline, principal.policy())
        .from(node.nodeId(), ticket.claim()).withKeyId(principal.keyId())
        .withUser(principal.budgetUser(parsed.chat().options() == null ? null
            : parsed.chat().options().user()));
    String completionId = api.responseId(requestId);
    StreamRelay relay = null;
    if (stream) {
      StreamRelay r = new StreamRelay(vertx, resp, new MeteredStream(
          ticket.wrap(api.encoder(completionId, parsed)), metrics, apiName, cache, started),
          () -> {
            relays.remove(requestId);
            ticket.finished();
          }).withFlow(new StreamFlow(vertx.eventBus(), requestId, resp)).withRetryAfter(retryAfter);
      relays.put(requestId, r);
      resp.closeHandler(v -> r.clientGone());
      relay = r;
    } else {
      StreamFlow.cancelWhenClientLeaves(vertx.eventBus(), requestId, resp);
    }
    StreamRelay streamRelay = relay;
    // This node's router when it runs one: a router elsewhere that starts draining as the
    // request travels would drop it unanswered.
    Endpoints.ROUTER_ROUTE.requestLocalFirst(vertx.eventBus(), route,
            config.requestTimeoutMs() + 1_000)
        .onComplete(ar -> {
          if (ar.failed()) {
            MeshFailure f = MeshFailure.of(ar.cause());
            io.tiermesh.gateway.audit.AuditTrail.outcome(ctx, null);
            FailureCode code = f.code() == FailureCode.ROLE_UNAVAILABLE
                ? FailureCode.NO_PROVIDER_AVAILABLE : f.code();
            String msg = f.code() == FailureCode.ROLE_UNAVAILABLE
                ? "no router is running in the mesh" : f.detail();
            metrics.request(apiName, null, cache, api.errors().status(code), started);
            ownRequests.settled(requestId);
            if (streamRelay != null) {
              streamRelay.fail(code, msg);
            } else {
              api.errors().send(resp, code, msg, null);
              ticket.finished();
            }
            return;
          }
          RouteOutcome outcome = ar.result().body();
          decisions.record(outcome);
          metrics.providerCalls(outcome);
          io.tiermesh.gateway.audit.AuditTrail.outcome(ctx, outcome);
          ownRequests.served(outcome);
          if (!outcome.ok()) {
            metrics.request(apiName, null, cache,
                api.errors().status(outcome.failure().code()), started);
          }
          if (outcome.ok() && outcome.usage() != null) {
            access.chargeTokens(AccessLayer.principal(ctx), outcome.usage().totalTokens());
          }
          if (streamRelay != null) {
            streamRelay.onOutcome(outcome);
            return;
          }
          if (!outcome.ok()) {
            if (outcome.reason() != null) {
              resp.putHeader("X-TierMesh-Route-Reason", outcome.reason());
            }
            retryAfter.put(resp, outcome.failure().code(), outcome.attempts());
            api.errors().send(resp, outcome.failure().code(), outcome.failure().message(),
                outcome.attempts());
            ticket.finished();
            return;
          }
          ticket.succeeded(new Answer(outcome.route(), outcome.response()));
          routeHeaders(resp, outcome.route(),
              io.tiermesh.contracts.Attempt.executions(outcome.attempts()));
          BudgetHeaders.put(resp, outcome);
          String servedBy = outcome.attempts().get(outcome.attempts().size() - 1).nodeId();
          if (servedBy != null) {
            resp.putHeader("X-TierMesh-Node", servedBy);
          }
          json(resp, 200, api.response(completionId, outcome.response()));
          metrics.tokens(outcome.route(), outcome.usage());
          metrics.request(apiName, outcome.route(), cache, 200, started);
        });
  }

  /**
   * Every client API body is JSON whatever the Content-Type says (curl's {@code -d} sends
   * {@code application/x-www-form-urlencoded}). Left as a form, the body handler would decode
   * it as form fields and refuse a large one with a bare 400 outside the API's error shape;
   * read as JSON, it is parsed strictly or refused in that shape like any other body.
   */
  private static void bodyIsJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null) {
      String t = type.toLowerCase(java.util.Locale.ROOT);
      if (t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/")) {
        ctx.request().headers().set("Content-Type", "application/json");
      }
    }
    ctx.next();
  }

  /** A hit costs $0 and is still in the ledger, so usage reports count all traffic. */
  private void recordCacheHit(Answer hit, String tenant, String keyId, String requestId) {
    RouteInfo r = hit.route();
    Usage u = hit.response().usage() == null ? Usage.ZERO : hit.response().usage();
    Endpoints.BUDGET_RECORD.send(vertx.eventBus(), new BudgetUsageRecord(requestId, 1, tenant,
        r.tier(), r.providerId(), r.model(), u.promptTokens(), u.completionTokens(),
        CACHE_HIT_REASON, keyId));
  }

  private void onChunk(Message<StreamChunk> msg) {
    StreamRelay relay = relays.get(msg.body().requestId());
    if (relay != null) {
      relay.onChunk(msg.body());
    }
  }

  /** 200 while this gateway can serve something; see {@link Readiness}. */
  private void ready(RoutingContext ctx) {
    readiness.check().onComplete(ar -> {
      Readiness.Verdict v = ar.result();
      json(ctx.response(), v.ready() ? 200 : 503, v.toJson(node.nodeId()));
    });
  }

  /** @param attempts how many times the request was sent to a backend (retries are reported) */
  static void routeHeaders(HttpServerResponse resp, RouteInfo route, int attempts) {
    resp.putHeader("X-TierMesh-Attempts", String.valueOf(attempts))
        .putHeader("X-TierMesh-Tier", String.valueOf(route.tier()))
        .putHeader("X-TierMesh-Provider", route.providerId())
        .putHeader("X-TierMesh-Model", route.model())
        .putHeader("X-TierMesh-Route-Reason", route.reason());
  }

  private static void json(HttpServerResponse resp, int status, JsonObject body) {
    resp.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }

  static String newRequestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return Long.toHexString(r.nextLong() | Long.MIN_VALUE)
        + Long.toHexString(r.nextLong() | Long.MIN_VALUE);
  }
}
