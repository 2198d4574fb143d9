package io.tiermesh.router;

import io.tiermesh.contracts.Addresses;
import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.EmbedCall;
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
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.router.rules.RoutingPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.util.ArrayList;
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

  /** Attempts of one target when its instances vanish (node lost, draining). */
  static final int MAX_SAME_TARGET_ATTEMPTS = 3;
  /** Lets cluster membership settle before re-sending to the same address. */
  static final long NODE_LOST_BACKOFF_MS = 150;

  private final MeshNode node;
  private final Map<String, ProviderConfig> providers;
  private final RoutePlanner planner;
  private final long ackTimeoutMs;
  /** Null when the planner's rules are fixed (tests, a planner without a rules file). */
  private final RulesReloader reloader;
  private ShadowMirror shadow;
  /** Providers announce every few seconds; silence this long means the instance is gone. */
  static final long PROVIDER_STALE_MS = 15_000;

  private final Map<String, PendingAttempt<?>> pending = new HashMap<>();
  private final Map<String, ProviderStatus> providerSeen = new HashMap<>();
  private Consumer<String> nodeLeftListener;
  private String ackAddress;
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
    this.node = node;
    this.planner = planner;
    this.ackTimeoutMs = ackTimeoutMs;
    this.reloader = reloader;
  }

  /** Counts of shadow calls sent, succeeded, failed and skipped. */
  public ShadowMirror shadow() {
    return shadow;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    ackAddress = Addresses.ack(node.nodeId()) + "." + deploymentID();
    budget = planner instanceof EnginePlanner engine
        ? new BudgetGate(vertx, node.nodeId(), BudgetGate.DEFAULT_TIMEOUT_MS,
            engine.budgetSignals(), () -> engine.active().engine().ruleSet().policy()
                .onBudgetExhausted() == RoutingPolicy.BudgetAction.REJECT)
        : new BudgetGate(vertx, node.nodeId(), BudgetGate.DEFAULT_TIMEOUT_MS);
    shadow = new ShadowMirror(vertx, ackAddress, budget);
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
        vertx.eventBus().<ProviderAck>consumer(ackAddress, m -> onAck(m.body()))
            .completion(),
        vertx.eventBus().<RouteRequest>consumer(Addresses.ROUTER_ROUTE, this::onRoute)
            .completion(),
        vertx.eventBus().consumer(Addresses.ROUTER_EXPLAIN, this::onExplain).completion(),
        reloader == null ? Future.<Void>succeededFuture() : reloader.start(vertx, node.nodeId()),
        vertx.eventBus().<ProviderStatus>consumer(Addresses.PROVIDER_STATUS,
            m -> providerSeen.put(m.body().providerId() + "@" + m.body().instanceId(),
                m.body())).completion(),
        vertx.eventBus().consumer(Addresses.ROUTER_HEALTH, m -> m.reply(health()))
            .completion(),
        vertx.eventBus().consumer(Addresses.ROUTER_MODELS, m -> m.reply(new ModelAliasList(
            planner instanceof EnginePlanner engine
                ? engine.active().engine().ruleSet().aliases().entries() : List.of(),
            planner.rulesVersion()))).completion(),
        vertx.eventBus().<EmbedRequest>consumer(Addresses.ROUTER_EMBED,
            m -> {
              BudgetGate.Tab tab = budget.open(EmbeddingChain.asRouteRequest(m.body()));
              EmbeddingChain.serve(vertx, planner, call -> tab.aroundEmbed(call,
                  embeddingModel(call), this::dispatchEmbed), m);
            }).completion()));
  }

  /** The model an embedding attempt runs on (and is priced at): the provider's own choice. */
  private String embeddingModel(EmbedCall call) {
    ProviderConfig p = providers.get(call.route().providerId());
    return p == null ? call.route().model() : p.resolveEmbeddingModel(call.requestedModel());
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
      msg.reply(planner.explain(req, assume).view()
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
    return Future.succeededFuture();
  }

  private void onRoute(Message<RouteRequest> msg) {
    RouteRequest req = msg.body();
    RoutePlan plan;
    try {
      plan = planner.plan(req);
    } catch (RuntimeException bug) {
      msg.fail(FailureCode.INTERNAL.wireCode(), "routing failed");
      return;
    }
    if (plan.refusal() != null) {
      RouteOutcome refused = new RouteOutcome(req.requestId(), null, null, null, 0, List.of(),
          plan.refusal()).withReason(plan.reason());
      msg.reply(refused);
      orphans.completed(req, refused, node.members());
      return;
    }
    ChainRun run = new ChainRun(req, plan);
    run.next().onComplete(ar -> {
      RouteOutcome outcome = run.tab.stamp(ar.result());
      RouteOutcome replied = outcome.ok() ? outcome : outcome.withReason(plan.reason());
      msg.reply(replied);
      orphans.completed(req, replied, node.members());
      // Only once the answer is on its way, so the copy cannot slow it down.
      if (plan.shadow() != null && outcome.ok()) {
        shadow.mirror(req, plan.shadow(), plan.localOnly());
      }
    });
  }

  /** Walks one request's chain; lives on this verticle's event loop. */
  private final class ChainRun {
    private final RouteRequest req;
    private final RoutePlan plan;
    private final List<Attempt> attempts = new ArrayList<>();
    private final BudgetGate.Tab tab;
    private int index;
    private int sameTargetAttempts;

    ChainRun(RouteRequest req, RoutePlan plan) {
      this.req = req;
      this.plan = plan;
      this.tab = budget.open(req, plan);
    }

    Future<RouteOutcome> next() {
      if (index >= plan.chain().size() || System.currentTimeMillis() >= req.deadlineMillis()) {
        String tried = attempts.isEmpty() ? "no provider is configured for this route"
            : "every provider of the chain failed";
        FailureCode code = System.currentTimeMillis() >= req.deadlineMillis()
            ? FailureCode.GATEWAY_TIMEOUT : FailureCode.NO_PROVIDER_AVAILABLE;
        return Future.succeededFuture(new RouteOutcome(req.requestId(), null, null, null, 0,
            List.copyOf(attempts), new Failure(code, tried)));
      }
      RouteInfo target = plan.chain().get(index);
      // Numbered by backend executions so far: a provider's own retries leave gaps, which is
      // how the gateway can tell the client every request that reached a backend.
      int attemptNo = Attempt.executions(attempts) + 1;
      long started = System.currentTimeMillis();
      ProviderCall call = new ProviderCall(req.requestId(), attemptNo,
          req.chat().withModel(target.model()), target, plan.localOnly(), ackAddress,
          req.streamAddress(), req.deadlineMillis());
      return tab.around(call, RouterVerticle.this::dispatch).compose(result -> {
        if (result.ok()) {
          attempts.add(new Attempt(target.providerId(), target.tier(), result.nodeId(), null,
              System.currentTimeMillis() - started, result.retries()));
          return Future.succeededFuture(new RouteOutcome(req.requestId(), target,
              result.response(), result.usage(), result.chunksSent(), List.copyOf(attempts),
              null));
        }
        Failure f = result.failure();
        attempts.add(new Attempt(target.providerId(), target.tier(), result.nodeId(), f,
            System.currentTimeMillis() - started, result.retries()));
        if (result.chunksSent() > 0 || !f.code().tryNext()) {
          // Part of the answer reached the client, or retrying cannot help: stop here.
          return Future.succeededFuture(new RouteOutcome(req.requestId(), target, null,
              result.usage(), result.chunksSent(), List.copyOf(attempts), f));
        }
        boolean instanceGone = f.code() == FailureCode.NODE_LOST
            || f.code() == FailureCode.DRAINING;
        if (instanceGone && ++sameTargetAttempts < MAX_SAME_TARGET_ATTEMPTS) {
          Promise<Void> settle = Promise.promise();
          vertx.setTimer(NODE_LOST_BACKOFF_MS, id -> settle.complete());
          return settle.future().compose(v -> next());
        }
        index++;
        sameTargetAttempts = 0;
        return next();
      });
    }
  }

  private Future<ProviderResult> dispatch(ProviderCall call) {
    return dispatch(Addresses.providerChat(call.route().providerId()), call.requestId(),
        call.attempt(), call.route().providerId(), call, call.deadlineMillis(),
        (nodeId, streaming, f) -> new ProviderResult(call.requestId(), call.attempt(), nodeId,
            null, null, streaming ? 1 : 0, f));
  }

  /** Sends an embedding attempt with the same ack-based node-loss detection as chat. */
  Future<EmbedResult> dispatchEmbed(EmbedCall unacked) {
    EmbedCall call = new EmbedCall(unacked.requestId(), unacked.attempt(),
        unacked.requestedModel(), unacked.input(), unacked.dimensions(), unacked.route(),
        unacked.localOnly(), ackAddress, unacked.deadlineMillis());
    return dispatch(Addresses.providerEmbed(call.route().providerId()), call.requestId(),
        call.attempt(), call.route().providerId(), call, call.deadlineMillis(),
        (nodeId, streaming, f) -> new EmbedResult(call.requestId(), call.attempt(), nodeId,
            null, null, null, f, 0));
  }

  /** Builds the reply an attempt gets when it is failed here (node lost, no consumer). */
  interface AttemptFailure<R> {
    R of(String nodeId, boolean streaming, Failure failure);
  }

  private <R> Future<R> dispatch(String address, String requestId, int attemptNo,
      String providerId, Object call, long deadlineMillis, AttemptFailure<R> onFail) {
    String key = requestId + "#" + attemptNo;
    PendingAttempt<R> attempt = new PendingAttempt<>(onFail);
    pending.put(key, attempt);
    attempt.ackTimer = vertx.setTimer(ackTimeoutMs, id -> attempt.fail(FailureCode.NODE_LOST,
        "no instance of " + providerId + " took the call within " + ackTimeoutMs + " ms"));
    long timeout = Math.max(1, deadlineMillis - System.currentTimeMillis());
    vertx.eventBus().<R>request(address, call, new DeliveryOptions().setSendTimeout(timeout))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            attempt.promise.tryComplete(ar.result().body());
          } else {
            MeshFailure mf = MeshFailure.of(ar.cause());
            attempt.fail(mf.code(), mf.code() == FailureCode.ROLE_UNAVAILABLE
                ? "no instance of provider " + providerId + " is running"
                : mf.detail());
          }
        });
    return attempt.promise.future().onComplete(ar -> {
      pending.remove(key);
      vertx.cancelTimer(attempt.ackTimer);
    });
  }

  /** Gives an orphaned outcome to any gateway that stores answers, retrying a few times. */
  private void handOver(OrphanedOutcome orphan, int tryNo) {
    vertx.eventBus().request(Addresses.GATEWAY_ORPHANED_OUTCOME, orphan,
        new DeliveryOptions().setSendTimeout(ORPHAN_SEND_TIMEOUT_MS)).onFailure(err -> {
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
