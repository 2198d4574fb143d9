package io.tiermesh.router;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.router.compare.PairRecorder;
import io.tiermesh.router.compare.PairScore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Sends a copy of a request to its shadow target once the real answer is on its way, for
 * quality comparison. The copy never touches the client's answer: it starts after the router
 * replied, it is never streamed, its failure is only counted, and at most
 * {@link #MAX_IN_FLIGHT} copies run at once (the rest are skipped, not queued). It travels with
 * the request's {@code localOnly} verdict, so a provider refuses it just as it would the real
 * call; the engine already filtered the shadow target by the same policies.
 */
public final class ShadowMirror {

  private static final Logger LOG = Logger.getLogger(ShadowMirror.class.getName());

  /** Shadow calls in flight per router before further samples are skipped. */
  public static final int MAX_IN_FLIGHT = 8;
  /** A shadow call that takes longer than this is abandoned. */
  public static final long TIMEOUT_MS = 60_000;
  /** Appended to the request id: the backend and logs tell the copy from the real call. */
  public static final String ID_SUFFIX = "-shadow";

  private final Vertx vertx;
  private final String ackAddress;
  private int inFlight;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();

  private final BudgetGate budget;
  /** Null: shadow answers are only logged and counted, not compared. */
  private PairRecorder pairs;

  /**
   * @param ackAddress the router's ack address (acks of shadow calls are simply ignored)
   * @param budget     shadow copies to paid tiers are reserved and settled like any call
   */
  public ShadowMirror(Vertx vertx, String ackAddress, BudgetGate budget) {
    this.vertx = vertx;
    this.ackAddress = ackAddress;
    this.budget = budget;
  }

  /** Scores each shadow answer against the client's and records the pair. */
  public ShadowMirror comparing(PairRecorder recorder) {
    this.pairs = recorder;
    return this;
  }

  /** Fire and forget; call on the router's event loop after the answer was handed back. */
  public void mirror(RouteRequest req, RouteInfo target, boolean localOnly) {
    mirror(req, target, localOnly, null, 0, null, false, null);
  }

  /**
   * As {@link #mirror(RouteRequest, RouteInfo, boolean)}, and once the shadow answered, the pair
   * is scored and recorded (when {@link #comparing} set a recorder).
   *
   * @param primary   what the client got
   * @param primaryMs how long the client's answer took
   * @param rule      the rule that decided
   * @param fellBack  whether the client's answer came from a fallback target
   * @param alsoTo    also told each recorded pair (a rollout's evidence), or null
   */
  public void mirror(RouteRequest req, RouteInfo target, boolean localOnly, RouteOutcome primary,
      long primaryMs, String rule, boolean fellBack,
      java.util.function.Consumer<PairRecorder.Pair> alsoTo) {
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped.incrementAndGet();
      LOG.info("shadow " + req.requestId() + " -> " + target.providerId() + ": skipped ("
          + MAX_IN_FLIGHT + " in flight)");
      return;
    }
    inFlight++;
    sent.incrementAndGet();
    ChatRequest c = req.chat();
    ChatRequest copy = c.withModelAndStream(target.model(), false);
    String id = req.requestId() + ID_SUFFIX;
    long started = System.currentTimeMillis();
    ProviderCall call = new ProviderCall(id, 1, copy, target, localOnly, ackAddress, null,
        started + TIMEOUT_MS);
    BudgetGate.Tab tab = budget.open(req);
    tab.around(call, capped -> Endpoints.PROVIDER_CHAT.of(target.providerId())
            .ask(vertx.eventBus(), capped, TIMEOUT_MS))
        .onComplete(ar -> {
          long ms = System.currentTimeMillis() - started;
          String outcome;
          if (ar.succeeded() && ar.result().ok()) {
            succeeded.incrementAndGet();
            outcome = "ok";
          } else {
            failed.incrementAndGet();
            outcome = ar.succeeded() ? ar.result().failure().code().code()
                : MeshFailure.of(ar.cause()).code().code();
          }
          LOG.info("shadow " + id + " -> " + target.providerId() + "/" + target.model()
              + " (tier " + target.tier() + "): " + outcome + " in " + ms + " ms");
          if (pairs == null || primary == null) {
            inFlight--;
            return;
          }
          boolean ok = ar.succeeded() && ar.result().ok();
          // Scored on a worker (JSON parsing and token counts of long answers would hold the
          // event loop), and the slot stays taken until then, so scoring is bounded too. Scores
          // only are kept, never the texts: the pair of a private request (whose shadow the
          // engine keeps on tier 1) leaves none of its content.
          Future<PairScore> scored = ok && primary.response() != null
              ? vertx.executeBlocking(() -> PairScore.of(primary.response(),
                  ar.result().response()), false)
              : Future.succeededFuture();
          scored.onComplete(s -> {
            inFlight--;
            PairRecorder.Pair pair = new PairRecorder.Pair(req.tenant(), rule, primary.route(),
                fellBack, primaryMs, primary.usage(), primary.costMicros(), target, ok, ms,
                ok ? ar.result().usage() : null, s.succeeded() ? s.result() : null,
                ok ? tab.costMicros() : null);
            pairs.record(pair, System.currentTimeMillis());
            if (alsoTo != null) {
              alsoTo.accept(pair);
            }
          });
        });
  }

  public long sent() {
    return sent.get();
  }

  public long succeeded() {
    return succeeded.get();
  }

  public long failed() {
    return failed.get();
  }

  public long skipped() {
    return skipped.get();
  }
}
