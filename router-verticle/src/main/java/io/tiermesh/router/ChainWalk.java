package io.tiermesh.router;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.AttemptReply;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks one request's fallback chain, whatever the request asks for (chat and the Responses API,
 * which rides it, or embeddings): tries the plan's targets in order, tries a target again when
 * its instance vanished (node lost, draining) after letting membership settle, moves on after any
 * other retryable failure, and stops once part of an answer reached the client or retrying
 * cannot help. A subclass says how one attempt runs and what the outcome looks like; one
 * instance serves one request on the router's event loop.
 *
 * @param <R> a provider attempt's reply
 * @param <O> the outcome the router answers with
 */
abstract class ChainWalk<R extends AttemptReply<R>, O> {

  /** Attempts of one target when its instances vanish (node lost, draining). */
  static final int MAX_SAME_TARGET_ATTEMPTS = 3;
  /** Lets cluster membership settle before re-sending to the same address. */
  static final long NODE_LOST_BACKOFF_MS = 150;

  private final Vertx vertx;
  private final List<RouteInfo> chain;
  /** The privacy verdict every attempt carries. */
  protected final boolean localOnly;
  private final long deadlineMillis;
  /** The request's budget bookkeeping across its attempts. */
  protected final BudgetGate.Tab tab;
  private final List<Attempt> attempts = new ArrayList<>();
  private int index;
  private int sameTargetAttempts;

  ChainWalk(Vertx vertx, RoutePlan plan, long deadlineMillis, BudgetGate.Tab tab) {
    this.vertx = vertx;
    this.chain = plan.chain();
    this.localOnly = plan.localOnly();
    this.deadlineMillis = deadlineMillis;
    this.tab = tab;
  }

  /**
   * Runs one attempt on {@code target}. Numbered by backend executions so far: a provider's own
   * retries leave gaps, which is how the gateway can tell the client every request that reached
   * a backend.
   */
  protected abstract Future<R> attempt(RouteInfo target, int attemptNo);

  /**
   * The request's outcome: {@code failure} is null when {@code target} answered; otherwise
   * {@code target} and {@code reply} are those of the last attempt, or null when the chain ran
   * out or the deadline passed.
   */
  protected abstract O outcome(RouteInfo target, R reply, List<Attempt> attempts,
      Failure failure);

  /** Walks from where the chain stands to the request's outcome; never fails. */
  final Future<O> next() {
    boolean late = System.currentTimeMillis() >= deadlineMillis;
    if (index >= chain.size() || late) {
      String tried = attempts.isEmpty() ? "no provider is configured for this route"
          : "every provider of the chain failed";
      return Future.succeededFuture(outcome(null, null, List.copyOf(attempts),
          new Failure(late ? FailureCode.GATEWAY_TIMEOUT : FailureCode.NO_PROVIDER_AVAILABLE,
              tried)));
    }
    RouteInfo target = chain.get(index);
    long started = System.currentTimeMillis();
    return attempt(target, Attempt.executions(attempts) + 1).compose(reply -> {
      Failure f = reply.failure();
      attempts.add(new Attempt(target.providerId(), target.tier(), reply.nodeId(), f,
          System.currentTimeMillis() - started, reply.retries()));
      if (f == null || reply.chunksSent() > 0 || !f.code().tryNext()) {
        // Answered, or part of the answer reached the client, or retrying cannot help.
        return Future.succeededFuture(outcome(target, reply, List.copyOf(attempts), f));
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
