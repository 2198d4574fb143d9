package io.tiermesh.router;

import io.tiermesh.contracts.Endpoint;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.AttemptCall;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedOutcome;
import io.tiermesh.contracts.EmbedRequest;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.ExplainRequest;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ModelAliasList;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.OrphanedOutcome;
import io.tiermesh.contracts.ProviderAck;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.ProviderStatus;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.router.capabilities.CapabilityFilter;
import io.tiermesh.router.rules.RoutingPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decides where a request goes and walks the fallback chain. Each attempt is acknowledged by
 * the provider node that took it, so when that node leaves the cluster the attempt is failed
 * over at once instead of waiting out a bus timeout (the bus silently drops messages to a dead
 * member).
 */
public final class RouterVerticle extends VerticleBase {

  private final MeshNode node;
  private final Map<String, ProviderConfig> providers;
  private final RoutePlanner planner;
  /** Takes out of each plan the targets that cannot do what the request needs. */
  private final CapabilityFilter capabilities;
  private final long ackTimeoutMs;
  /** Null when the planner's rules are fixed (tests, a planner without a rules file). */
  private final RulesReloader reloader;
  private ShadowMirror shadow;
  /** Providers announce every few seconds; silence this long means the instance is gone. */
  static final long PROVIDER_STALE_MS = 15_000;

  private final Map<String, PendingAttempt<?>> pending = new HashMap<>();
  private final Map<String, ProviderStatus> providerSeen = new HashMap<>();
  private Consumer<String> nodeLeftListener;
  /** Where provider instances say which node took an attempt of this router's. */
  private Endpoint<ProviderAck, Void> ack;
  private BudgetGate budget;
  private OrphanedOutcomes orphans;
  /** How long a delivered idempotent answer is kept in case its gateway is found dead. */
  static final long ORPHAN_WINDOW_MS = 30_000;
  static final int ORPHAN_CAPACITY = 1024;
  static final int ORPHAN_HAND_OVER_TRIES = 3;
  static final long ORPHAN_RETRY_MS = 500;
  static final long ORPHAN_SEND_TIMEOUT_MS = 2_000;
  private static final System.Logger LOG = System.getLogger(RouterVerticle.class.getName());

  public RouterVerticle(MeshNode node, RoutePlanner planner, long ackTimeoutMs) {
    this(node, planner, ackTimeoutMs, null);
  }

  public RouterVerticle(MeshNode node, RoutePlanner planner, long ackTimeoutMs,
      RulesReloader reloader) {
    this(node, planner, ackTimeoutMs, reloader, List.of());
  }

  /** @param providers the catalog, for what the router must know of a provider's models */
  public RouterVerticle(MeshNode node, RoutePlanner planner, long ackTimeoutMs,
      RulesReloader reloader, List<ProviderConfig> providers) {
    this.providers = new java.util.HashMap<>();
    for (ProviderConfig p : providers) {
      this.providers.put(p.id(), p);
    }
    this.capabilities = new CapabilityFilter(providers,
        planner instanceof EnginePlanner engine ? engine::tenantAllows : null);
    this.node = node;
    this.planner = planner;
    this.ackTimeoutMs = ackTimeoutMs;
    this.reloader = reloader;
  }

  /** Null: shadow answers are not compared (tests, a router without Redis). */
  private io.tiermesh.router.compare.PairRecorder pairRecorder;

  /** Scores shadow answers against the client's and keeps the scores; call before deploy. */
  public RouterVerticle comparingPairs(io.tiermesh.router.compare.PairRecorder recorder) {
    this.pairRecorder = recorder;
    return this;
  }

  /** Null: no rollouts are recorded or run (tests, a router without Redis). */
  private io.vertx.redis.client.Redis rolloutRedis;
  private io.tiermesh.router.rollout.RolloutRecorder rolloutRecorder;
  private io.tiermesh.router.rollout.RolloutController rolloutController;

  /**
   * Records the evidence of the rules' staged rollouts, and runs their controller when this
   * router holds its lease; call before deploy. The client is this router's to close.
   */
  public RouterVerticle runningRollouts(io.vertx.redis.client.Redis redis) {
    this.rolloutRedis = redis;
    return this;
  }

  /** The rollout controller of this router, or null. */
  public io.tiermesh.router.rollout.RolloutController rollouts() {
    return rolloutController;
  }

  /** Counts of shadow calls sent, succeeded, failed and skipped. */
  public ShadowMirror shadow() {
    return shadow;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    ack = Endpoints.ACK.of(node.nodeId() + "." + deploymentID());
    budget = planner instanceof EnginePlanner engine
        ? new BudgetGate(vertx, node.nodeId(), BudgetGate.DEFAULT_TIMEOUT_MS,
            engine.budgetSignals(), () -> engine.active().engine().ruleSet().policy()
                .onBudgetExhausted() == RoutingPolicy.BudgetAction.REJECT,
            capabilities::outputLimit)
        : new BudgetGate(vertx, node.nodeId(), BudgetGate.DEFAULT_TIMEOUT_MS);
    shadow = new ShadowMirror(vertx, ack.address(), budget).comparing(pairRecorder);
    if (pairRecorder != null) {
      pairRecorder.start();
    }
    Future<Void> rolloutsReady = Future.succeededFuture();
    if (rolloutRedis != null && planner instanceof EnginePlanner engine && reloader != null) {
      rolloutRecorder = new io.tiermesh.router.rollout.RolloutRecorder(vertx, rolloutRedis);
      rolloutRecorder.start();
      rolloutController = new io.tiermesh.router.rollout.RolloutController(vertx, rolloutRedis,
          engine, reloader, node.nodeId());
      rolloutsReady = rolloutController.start();
    }
    Context ctx = context;
    orphans = new OrphanedOutcomes(o -> handOver(o, 1), System::currentTimeMillis,
        ORPHAN_WINDOW_MS, ORPHAN_CAPACITY);
    nodeLeftListener = id -> ctx.runOnContext(v -> {
      failAttemptsOn(id);
      orphans.nodeLeft(id);
    });
    node.onNodeLeft(nodeLeftListener);
    // Future.all takes at most six futures as arguments; a list has no such limit.
    return Future.all(List.of(
        // Clustered, not local: acks come from provider nodes in other JVMs, and a router that
        // never hears one takes a slow call's node for lost and runs the call again.
        ack.consumer(vertx.eventBus(), m -> onAck(m.body())).completion(),
        (routeConsumer = Endpoints.ROUTER_ROUTE.consumer(vertx.eventBus(), this::onRoute))
            .completion(),
        Endpoints.ROUTER_EXPLAIN.consumer(vertx.eventBus(), this::onExplain).completion(),
        reloader == null ? Future.<Void>succeededFuture() : reloader.start(vertx, node.nodeId()),
        Endpoints.PROVIDER_STATUS.consumer(vertx.eventBus(),
            m -> providerSeen.put(m.body().providerId() + "@" + m.body().instanceId(),
                m.body())).completion(),
        Endpoints.ROUTER_HEALTH.consumer(vertx.eventBus(), m -> m.reply(health()))
            .completion(),
        Endpoints.ROUTER_MODELS.consumer(vertx.eventBus(), m -> m.reply(new ModelAliasList(
            planner instanceof EnginePlanner engine
                ? engine.active().engine().ruleSet().aliases().entries() : List.of(),
            planner.rulesVersion()))).completion(),
        (embedConsumer = Endpoints.ROUTER_EMBED.consumer(vertx.eventBus(), this::onEmbed))
            .completion(),
        rolloutsReady));
  }

  /**
   * The drain of a stopping node: takes no new requests (other routers of the mesh get them)
   * and completes once every request this router holds has its answer, so that every budget
   * reservation it opened is settled or released rather than left to the reaper. Thread-safe.
   */
  public Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> Future.join(routeConsumer.unregister(), embedConsumer.unregister())
        .onComplete(ar -> {
          drained = done;
          if (inFlight == 0) {
            done.tryComplete();
          }
        }));
    return done.future();
  }

  /** Chat and embedding requests this router holds until their answer is sent; event loop. */
  private int inFlight;
  private Promise<Void> drained;
  private io.vertx.core.eventbus.MessageConsumer<RouteRequest> routeConsumer;
  private io.vertx.core.eventbus.MessageConsumer<EmbedRequest> embedConsumer;

  private <T> Future<T> counted(Future<T> work) {
    inFlight++;
    return work.onComplete(ar -> {
      if (--inFlight == 0 && drained != null) {
        drained.tryComplete();
      }
    });
  }

  /** Ready once at least one provider instance announced itself recently. */
  private HealthReport health() {
    long cutoff = System.currentTimeMillis() - PROVIDER_STALE_MS;
    providerSeen.values().removeIf(s -> s.timeMillis() < cutoff);
    long providers = providerSeen.values().stream().map(ProviderStatus::providerId).distinct()
        .count();
    return new HealthReport("router", node.nodeId(), providers > 0,
        providers + " providers announced");
  }

  private void onExplain(Message<Object> msg) {
    RouteRequest req;
    Set<Integer> assume = Set.of();
    if (msg.body() instanceof ExplainRequest e) {
      req = e.request();
      assume = e.assumeExhaustedTiers() == null ? Set.of() : Set.copyOf(e.assumeExhaustedTiers());
    } else if (msg.body() instanceof RouteRequest r) {
      req = r;
    } else {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), "explain needs a RouteRequest");
      return;
    }
    try {
      msg.reply(capabilities.filter(planner.explain(req, assume), req).view()
          .answeredBy(planner.rulesVersion(), planner.rulesSource(), node.nodeId()));
    } catch (RuntimeException bug) {
      msg.fail(FailureCode.INTERNAL.wireCode(), "explain failed");
    }
  }

  @Override
  public Future<?> stop() {
    if (reloader != null) {
      reloader.stop();
    }
    node.removeListener(nodeLeftListener);
    // The last second of pair scores and rollout evidence is written before the node goes.
    Future<Void> rollouts = rolloutRecorder == null ? Future.succeededFuture()
        : Future.join(rolloutRecorder.stop(), rolloutController.stop()).<Void>mapEmpty()
            .eventually(() -> rolloutRedis.close());
    return Future.join(rollouts, pairRecorder == null ? Future.succeededFuture()
        : pairRecorder.stop());
  }

  /** The plan for {@code req}, or null once {@code msg} was failed because planning broke. */
  private RoutePlan plan(RouteRequest req, Message<?> msg) {
    try {
      return capabilities.filter(planner.plan(req), req);
    } catch (RuntimeException bug) {
      msg.fail(FailureCode.INTERNAL.wireCode(), "routing failed");
      return null;
    }
  }

  private void onRoute(Message<RouteRequest> msg) {
    long started = System.currentTimeMillis();
    RouteRequest req = msg.body();
    // The rules the plan is made with: a rollout's evidence counts under their version.
    ActiveRules rules = planner instanceof EnginePlanner engine ? engine.active() : null;
    RoutePlan plan = plan(req, msg);
    if (plan == null) {
      return;
    }
    if (plan.refusal() != null) {
      RouteOutcome refused = new RouteOutcome(req.requestId(), null, null, null, 0, List.of(),
          plan.refusal()).withReason(plan.reason());
      msg.reply(refused);
      orphans.completed(req, refused, node.members());
      return;
    }
    ChatWalk walk = new ChatWalk(req, plan);
    // Counted until the answer is sent: a drain waits for it.
    counted(walk.next().onComplete(ar -> {
      RouteOutcome outcome = walk.tab.stamp(ar.result());
      RouteOutcome replied = outcome.ok() ? outcome : outcome.withReason(plan.reason());
      msg.reply(replied);
      orphans.completed(req, replied, node.members());
      // Only once the answer is on its way, so the copy cannot slow it down.
      long tookMs = System.currentTimeMillis() - started;
      if (rolloutRecorder != null && rules != null && plan.rule() != null) {
        rolloutRecorder.request(rules.engine().ruleSet(), rules.version(), plan.rule(),
            req.requestId(), plan.chain().isEmpty() ? null : plan.chain().get(0),
            outcome.ok() ? outcome.route() : null, backendFailed(outcome), tookMs,
            outcome.costMicros());
      }
      if (plan.shadow() != null && outcome.ok()) {
        shadow.mirror(req, plan.shadow(), plan.localOnly(), replied, tookMs, plan.rule(),
            !plan.chain().isEmpty() && !plan.chain().get(0).equals(outcome.route()),
            rolloutRecorder == null || rules == null ? null : pair -> {
              if (pair.score() != null) {
                rolloutRecorder.pair(rules.engine().ruleSet(), rules.version(), pair.rule(),
                    pair.primary(), pair.shadow(), pair.score().agreement());
              }
            });
      }
    }));
  }

  /**
   * Whether a request went unanswered through no fault of its client: a backend's failure that
   * the chain would try elsewhere. A client's mistake or a budget refusal never counts against
   * a rollout's arm.
   */
  static boolean backendFailed(RouteOutcome outcome) {
    if (outcome.ok() || outcome.failure() == null) {
      return false;
    }
    FailureCode c = outcome.failure().code();
    return c.tryNext() && c != FailureCode.BUDGET_EXHAUSTED && c != FailureCode.BUDGET_UNAVAILABLE;
  }

  /**
   * Embeddings are planned by the same planner as chat, asked with {@code task=embedding} (tier
   * 1 unless a model or tier is named), and walk the same chain.
   */
  private void onEmbed(Message<EmbedRequest> msg) {
    EmbedRequest req = msg.body();
    RouteRequest asRoute = asRouteRequest(req);
    RoutePlan plan = plan(asRoute, msg);
    if (plan == null) {
      return;
    }
    if (plan.refusal() != null) {
      msg.reply(new EmbedOutcome(req.requestId(), null, null, null, null, List.of(),
          plan.refusal()));
      return;
    }
    counted(new EmbedWalk(req, plan, budget.open(asRoute)).next()
        .onComplete(ar -> msg.reply(ar.result())));
  }

  /**
   * The planner's view of an embedding request: privacy, the model name and the tenant's
   * policies matter.
   */
  static RouteRequest asRouteRequest(EmbedRequest req) {
    RoutingHints h = req.hints() == null ? RoutingHints.NONE : req.hints();
    RoutingHints hints = new RoutingHints(h.classification(), "embedding", null, null, null);
    ChatRequest chat = new ChatRequest(req.model(), List.of(), null, null, null, null, null, null,
        null, null, false);
    return new RouteRequest(req.requestId(), req.tenant(), chat, hints, null,
        req.deadlineMillis(), req.tenantPolicy()).withKeyId(req.keyId()).withUser(req.user());
  }

  /** A chat request's chain (the Responses API rides it too); streams stop at the first chunk. */
  private final class ChatWalk extends ChainWalk<ProviderResult, RouteOutcome> {
    private final RouteRequest req;

    ChatWalk(RouteRequest req, RoutePlan plan) {
      super(vertx, plan, req.deadlineMillis(), budget.open(req, plan));
      this.req = req;
    }

    @Override
    protected Future<ProviderResult> attempt(RouteInfo target, int attemptNo) {
      ProviderCall call = new ProviderCall(req.requestId(), attemptNo,
          req.chat().withModel(target.model()), target, localOnly, ack.address(),
          req.streamAddress(), req.deadlineMillis());
      return tab.around(call, RouterVerticle.this::dispatch);
    }

    @Override
    protected RouteOutcome outcome(RouteInfo target, ProviderResult r, List<Attempt> attempts,
        Failure f) {
      return r == null ? new RouteOutcome(req.requestId(), null, null, null, 0, attempts, f)
          : new RouteOutcome(req.requestId(), target, r.response(), r.usage(), r.chunksSent(),
              attempts, f);
    }
  }

  /** An embedding request's chain; embeddings never stream, so any retryable failure moves on. */
  private final class EmbedWalk extends ChainWalk<EmbedResult, EmbedOutcome> {
    private final EmbedRequest req;
    /** The client's model name without its provider prefix. */
    private final String requested;

    EmbedWalk(EmbedRequest req, RoutePlan plan, BudgetGate.Tab tab) {
      super(vertx, plan, req.deadlineMillis(), tab);
      this.req = req;
      this.requested = req.model() != null && req.model().contains("/")
          ? req.model().substring(req.model().indexOf('/') + 1) : req.model();
    }

    @Override
    protected Future<EmbedResult> attempt(RouteInfo target, int attemptNo) {
      EmbedCall call = new EmbedCall(req.requestId(), attemptNo, requested, req.input(),
          req.dimensions(), target, localOnly, ack.address(), req.deadlineMillis());
      // Priced at the model the provider will really use: its own choice for this name.
      ProviderConfig p = providers.get(target.providerId());
      String model = p == null ? target.model() : p.resolveEmbeddingModel(requested);
      return tab.aroundEmbed(call, model, RouterVerticle.this::dispatchEmbed);
    }

    @Override
    protected EmbedOutcome outcome(RouteInfo target, EmbedResult r, List<Attempt> attempts,
        Failure f) {
      return f != null ? new EmbedOutcome(req.requestId(), target, null, null, null, attempts, f)
          : new EmbedOutcome(req.requestId(), new RouteInfo(target.tier(), target.providerId(),
              r.model(), target.reason()), r.model(), r.vectors(), r.usage(), attempts, null);
    }
  }

  private Future<ProviderResult> dispatch(ProviderCall call) {
    return dispatch(Endpoints.PROVIDER_CHAT.of(call.route().providerId()), call,
        (nodeId, streaming, f) -> new ProviderResult(call.requestId(), call.attempt(), nodeId,
            null, null, streaming ? 1 : 0, f));
  }

  private Future<EmbedResult> dispatchEmbed(EmbedCall call) {
    return dispatch(Endpoints.PROVIDER_EMBED.of(call.route().providerId()), call,
        (nodeId, streaming, f) -> new EmbedResult(call.requestId(), call.attempt(), nodeId,
            null, null, null, f, 0));
  }

  /** Builds the reply an attempt gets when it is failed here (node lost, no consumer). */
  interface AttemptFailure<R> {
    R of(String nodeId, boolean streaming, Failure failure);
  }

  /**
   * Sends one attempt and watches for its acknowledgement: a node that took the call and then
   * left the cluster fails it at once instead of after a bus timeout (the bus silently drops
   * messages to a dead member).
   */
  private <C extends AttemptCall, R> Future<R> dispatch(Endpoint<C, R> endpoint, C call,
      AttemptFailure<R> onFail) {
    String providerId = call.route().providerId();
    String key = call.requestId() + "#" + call.attempt();
    PendingAttempt<R> attempt = new PendingAttempt<>(onFail);
    pending.put(key, attempt);
    attempt.ackTimer = vertx.setTimer(ackTimeoutMs, id -> attempt.fail(FailureCode.NODE_LOST,
        "no instance of " + providerId + " took the call within " + ackTimeoutMs + " ms"));
    long timeout = Math.max(1, call.deadlineMillis() - System.currentTimeMillis());
    endpoint.request(vertx.eventBus(), call, timeout).onComplete(ar -> {
      if (ar.succeeded()) {
        attempt.promise.tryComplete(ar.result().body());
      } else {
        MeshFailure mf = MeshFailure.of(ar.cause());
        attempt.fail(mf.code(), mf.code() == FailureCode.ROLE_UNAVAILABLE
            ? "no instance of provider " + providerId + " is running" : mf.detail());
      }
    });
    return attempt.promise.future().onComplete(ar -> {
      pending.remove(key);
      vertx.cancelTimer(attempt.ackTimer);
    });
  }

  /** Gives an orphaned outcome to any gateway that stores answers, retrying a few times. */
  private void handOver(OrphanedOutcome orphan, int tryNo) {
    Endpoints.GATEWAY_ORPHANED_OUTCOME.request(vertx.eventBus(), orphan, ORPHAN_SEND_TIMEOUT_MS)
        .onFailure(err -> {
          if (tryNo < ORPHAN_HAND_OVER_TRIES) {
            vertx.setTimer(ORPHAN_RETRY_MS, id -> handOver(orphan, tryNo + 1));
          } else {
            // The claim then expires on its own and the client's retry runs the request again.
            LOG.log(System.Logger.Level.WARNING, "request " + orphan.outcome().requestId()
                + ": its gateway left and no gateway took the outcome ("
                + MeshFailure.of(err).code().code() + ")");
          }
        });
  }

  private void onAck(ProviderAck ack) {
    PendingAttempt<?> attempt = pending.get(ack.requestId() + "#" + ack.attempt());
    if (attempt == null) {
      return;
    }
    vertx.cancelTimer(attempt.ackTimer);
    attempt.nodeId = ack.nodeId();
    attempt.streaming |= ack.streaming();
    if (!node.members().contains(ack.nodeId())) {
      attempt.fail(FailureCode.NODE_LOST, "provider node " + ack.nodeId() + " left the cluster");
    }
  }

  private void failAttemptsOn(String lostNodeId) {
    for (PendingAttempt<?> attempt : List.copyOf(pending.values())) {
      if (lostNodeId.equals(attempt.nodeId)) {
        attempt.fail(FailureCode.NODE_LOST, "provider node " + lostNodeId + " left the cluster");
      }
    }
  }

  private static final class PendingAttempt<R> {
    final AttemptFailure<R> onFail;
    final Promise<R> promise = Promise.promise();
    String nodeId;
    boolean streaming;
    long ackTimer;

    PendingAttempt(AttemptFailure<R> onFail) {
      this.onFail = onFail;
    }

    void fail(FailureCode code, String detail) {
      // Once the first chunk left, the client already holds part of this attempt's answer.
      FailureCode effective = streaming ? FailureCode.STREAM_INTERRUPTED : code;
      promise.tryComplete(onFail.of(nodeId, streaming, new Failure(effective, detail)));
    }
  }
}
