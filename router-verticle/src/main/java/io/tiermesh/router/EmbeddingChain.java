package io.tiermesh.router;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedOutcome;
import io.tiermesh.contracts.EmbedRequest;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Walks the fallback chain of one embedding request. The plan comes from the same planner as
 * chat, asked with {@code task=embedding} (tier 1 unless a model or tier is named); attempts go
 * through the router's acknowledged dispatch, so a lost provider node is failed over from
 * membership events exactly as for chat. Embeddings never stream, so any retryable failure may
 * move on.
 */
final class EmbeddingChain {

  private final Vertx vertx;
  private final EmbedRequest req;
  private final RoutePlan plan;
  private final Function<EmbedCall, Future<EmbedResult>> dispatch;
  private final List<Attempt> attempts = new ArrayList<>();
  private int index;
  private int sameTargetAttempts;

  private EmbeddingChain(Vertx vertx, EmbedRequest req, RoutePlan plan,
      Function<EmbedCall, Future<EmbedResult>> dispatch) {
    this.vertx = vertx;
    this.req = req;
    this.plan = plan;
    this.dispatch = dispatch;
  }

  static void serve(Vertx vertx, RoutePlanner planner,
      Function<EmbedCall, Future<EmbedResult>> dispatch, Message<EmbedRequest> msg) {
    EmbedRequest req = msg.body();
    RoutePlan plan;
    try {
      plan = planner.plan(asRouteRequest(req));
    } catch (RuntimeException bug) {
      msg.fail(FailureCode.INTERNAL.wireCode(), "routing failed");
      return;
    }
    if (plan.refusal() != null) {
      msg.reply(new EmbedOutcome(req.requestId(), null, null, null, null, List.of(),
          plan.refusal()));
      return;
    }
    new EmbeddingChain(vertx, req, plan, dispatch).next().onComplete(ar -> msg.reply(ar.result()));
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
        req.deadlineMillis(), req.tenantPolicy()).withKeyId(req.keyId());
  }

  private Future<EmbedOutcome> next() {
    boolean late = System.currentTimeMillis() >= req.deadlineMillis();
    if (index >= plan.chain().size() || late) {
      String tried = attempts.isEmpty() ? "no provider is configured for this route"
          : "every provider of the chain failed";
      return Future.succeededFuture(new EmbedOutcome(req.requestId(), null, null, null, null,
          List.copyOf(attempts), new Failure(late ? FailureCode.GATEWAY_TIMEOUT
              : FailureCode.NO_PROVIDER_AVAILABLE, tried)));
    }
    RouteInfo target = plan.chain().get(index);
    String requested = req.model() != null && req.model().contains("/")
        ? req.model().substring(req.model().indexOf('/') + 1) : req.model();
    EmbedCall call = new EmbedCall(req.requestId(), Attempt.executions(attempts) + 1, requested, req.input(),
        req.dimensions(), target, plan.localOnly(), null, req.deadlineMillis());
    long started = System.currentTimeMillis();
    return dispatch.apply(call).compose(result -> {
      long millis = System.currentTimeMillis() - started;
      if (result.ok()) {
        attempts.add(new Attempt(target.providerId(), target.tier(), result.nodeId(), null,
            millis, result.retries()));
        RouteInfo served = new RouteInfo(target.tier(), target.providerId(), result.model(),
            target.reason());
        return Future.succeededFuture(new EmbedOutcome(req.requestId(), served, result.model(),
            result.vectors(), result.usage(), List.copyOf(attempts), null));
      }
      Failure f = result.failure();
      attempts.add(new Attempt(target.providerId(), target.tier(), result.nodeId(), f, millis,
          result.retries()));
      if (!f.code().tryNext()) {
        return Future.succeededFuture(new EmbedOutcome(req.requestId(), target, null, null,
            null, List.copyOf(attempts), f));
      }
      boolean instanceGone = f.code() == FailureCode.NODE_LOST
          || f.code() == FailureCode.DRAINING;
      if (instanceGone && ++sameTargetAttempts < RouterVerticle.MAX_SAME_TARGET_ATTEMPTS) {
        Promise<Void> settle = Promise.promise();
        vertx.setTimer(RouterVerticle.NODE_LOST_BACKOFF_MS, id -> settle.complete());
        return settle.future().compose(v -> next());
      }
      index++;
      sameTargetAttempts = 0;
      return next();
    });
  }
}
