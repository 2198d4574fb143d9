package io.tiermesh.router;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.AttemptCall;
import io.tiermesh.contracts.AttemptReply;
import io.tiermesh.contracts.BudgetReserve;
import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.BudgetSettle;
import io.tiermesh.contracts.BudgetSettleResult;
import io.tiermesh.contracts.BudgetUsageRecord;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The router's side of budgets: before each attempt on a paid tier (tier ≥ 2) it reserves the
 * worst case with the budget role, and afterwards settles what the attempt really used. Tier 1
 * is never reserved for, so a budget outage never touches it.
 *
 * <p>Fail closed: a budget role that does not answer within {@link #DEFAULT_TIMEOUT_MS}, answers
 * "unavailable" (Redis down or slow, counters being rebuilt, model without a price) turns the
 * paid target into a skipped attempt with {@link FailureCode#BUDGET_UNAVAILABLE}; an exhausted
 * budget into {@link FailureCode#BUDGET_EXHAUSTED} (the chain falls back) or, when the rules
 * file says {@code settings.onBudgetExhausted: reject}, {@link FailureCode#BUDGET_REJECTED} (the
 * chain stops with 429) — on every path, a forced model's too. A rule's daily cap is a routing
 * limit, not money, so it always falls back. A provider halted after an overrun is skipped like
 * an unavailable budget: the request falls back.
 *
 * <p>The reservation's output-token cap is written into the call as its max tokens, so a backend
 * cannot produce more than was held.
 */
public final class BudgetGate {

  private static final System.Logger LOG = System.getLogger(BudgetGate.class.getName());

  /** How long a paid attempt waits for the budget role before failing closed. */
  public static final long DEFAULT_TIMEOUT_MS = 1_000;
  /** Settles that the budget role did not confirm are retried this often in the background. */
  static final int SETTLE_RETRIES = 6;
  static final long SETTLE_FIRST_BACKOFF_MS = 250;

  private final Vertx vertx;
  private final String nodeId;
  private final long timeoutMs;
  private final RouterBudgetSignals signals;
  private final BooleanSupplier rejectOnExhaustion;
  private final OutputLimit outputLimit;

  /** The output tokens a target may be asked for, given what the client asked (null: none). */
  public interface OutputLimit {
    Integer of(RouteInfo target, Integer requested);

    OutputLimit AS_ASKED = (target, requested) -> requested;
  }

  public BudgetGate(Vertx vertx, String nodeId, long timeoutMs) {
    this(vertx, nodeId, timeoutMs, RouterBudgetSignals.NOT_WIRED, () -> false);
  }

  /**
   * @param signals            hears about every refused reservation
   * @param rejectOnExhaustion the rules in force say {@code onBudgetExhausted: reject}; read per
   *                           refusal, so a reload applies at once
   */
  public BudgetGate(Vertx vertx, String nodeId, long timeoutMs, RouterBudgetSignals signals,
      BooleanSupplier rejectOnExhaustion) {
    this(vertx, nodeId, timeoutMs, signals, rejectOnExhaustion, OutputLimit.AS_ASKED);
  }

  /**
   * @param outputLimit the model's real output limit applied to the client's wish: a paid
   *                    attempt reserves for at most that many output tokens (Claude Code's
   *                    {@code max_tokens: 128000} must not hold 128000 tokens of budget)
   */
  public BudgetGate(Vertx vertx, String nodeId, long timeoutMs, RouterBudgetSignals signals,
      BooleanSupplier rejectOnExhaustion, OutputLimit outputLimit) {
    this.outputLimit = outputLimit;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.timeoutMs = timeoutMs;
    this.signals = signals;
    this.rejectOnExhaustion = rejectOnExhaustion;
  }

  /** The budget bookkeeping of one client request across all its attempts. */
  public Tab open(RouteRequest request) {
    return new Tab(request, null);
  }

  /** As {@link #open(RouteRequest)}, counting attempts on a capped rule's own targets. */
  public Tab open(RouteRequest request, RoutePlan plan) {
    return new Tab(request, plan);
  }

  private static boolean isRuleCap(String scope) {
    return scope != null && scope.startsWith("rule:");
  }

  static ChatRequest withMaxTokens(ChatRequest c, int maxTokens) {
    return c.withMaxTokens(maxTokens);
  }

  public final class Tab {
    private final RouteRequest request;
    private final String tenant;
    private final String keyId;
    private final String user;
    private long costMicros;
    private boolean costKnown = true;
    private Long remainingMicros;
    private final RoutePlan plan;

    private Tab(RouteRequest request, RoutePlan plan) {
      this.request = request;
      this.plan = plan;
      this.tenant = request.tenant() == null ? io.tiermesh.router.rules.RequestFacts.DEFAULT_TENANT
          : request.tenant();
      this.keyId = request.keyId();
      this.user = request.user();
    }

    /** Runs one attempt through {@code dispatch}, reserving before and settling after it. */
    public Future<ProviderResult> around(ProviderCall call,
        Function<ProviderCall, Future<ProviderResult>> dispatch) {
      RouteInfo target = call.route();
      boolean capped = plan != null && plan.countsAgainstRuleCap(target);
      if (target.tier() <= 1 && !capped) {
        return dispatch.apply(call).onSuccess(r -> recordFree(call, r));
      }
      boolean free = target.tier() <= 1;
      // A capped rule's target reserves even when free (amount 0, count 1): the cap counts
      // decisions, and only the budget role's atomic counter holds it across routers.
      return held(call, target, PromptTokenBound.ofSaturated(call.chat()),
          outputLimit.of(target, call.chat().maxTokens()), capped, free,
          res -> free ? call : new ProviderCall(call.requestId(), call.attempt(),
              withMaxTokens(call.chat(), res.outputTokenCap()), target, call.localOnly(),
              call.ackAddress(), call.streamAddress(), call.deadlineMillis()),
          dispatch, f -> new ProviderResult(call.requestId(), call.attempt(), null, null, null,
              0, f));
    }

    /**
     * The same for an embedding attempt. Embeddings produce no output tokens, so only the input
     * is held; {@code model} is the embedding model the provider will use (its price applies).
     */
    public Future<EmbedResult> aroundEmbed(EmbedCall call, String model,
        Function<EmbedCall, Future<EmbedResult>> dispatch) {
      RouteInfo target = call.route();
      if (target.tier() <= 1) {
        return dispatch.apply(call);
      }
      return held(call, new RouteInfo(target.tier(), target.providerId(), model,
              target.reason()), PromptTokenBound.ofEmbedding(call.input()), 0, false, false,
          res -> call, dispatch, f -> new EmbedResult(call.requestId(), call.attempt(), null,
              null, null, null, f, 0));
    }

    /**
     * Reserves for one attempt of any kind, runs it as {@code hold} makes it (within what was
     * held) and settles what it used; a refused reservation becomes the attempt's failure.
     */
    private <C extends AttemptCall, R extends AttemptReply<R>> Future<R> held(C call,
        RouteInfo priced, int promptTokens, Integer maxOutputTokens, boolean capped,
        boolean free, Function<BudgetReserveResult, C> hold, Function<C, Future<R>> dispatch,
        Function<Failure, R> refusal) {
      return reserve(call.requestId(), call.attempt(), priced, promptTokens, maxOutputTokens,
              capped ? plan.rule() : null, capped ? plan.ruleMaxPerDay() : null)
          .compose(res -> {
            if (!res.admitted()) {
              signals.reserveRefused(priced.tier(), res);
              return Future.succeededFuture(refusal.apply(refused(res)));
            }
            if (!free) {
              remainingMicros = res.remainingMicros();
            }
            return dispatch.apply(hold.apply(res)).compose(result -> settle(call.requestId(),
                call.attempt(), priced, promptTokens, res, result.usage(),
                result.ok() || result.chunksSent() > 0).map(result));
          });
    }

    private Future<BudgetReserveResult> reserve(String requestId, int attempt, RouteInfo target,
        int promptTokens, Integer maxOutputTokens, String rule, Integer ruleMaxPerDay) {
      BudgetReserve reserve = new BudgetReserve(requestId, attempt, tenant, target.tier(),
          target.providerId(), target.model(), promptTokens, maxOutputTokens, nodeId, rule,
          ruleMaxPerDay, keyId, user);
      return Endpoints.BUDGET_RESERVE.ask(vertx.eventBus(), reserve, timeoutMs)
          .otherwise(t -> {
            boolean noRole = MeshFailure.of(t).code() == FailureCode.ROLE_UNAVAILABLE;
            if (!noRole) {
              // The budget role may still hold this reservation (its answer was merely late):
              // nobody would settle it, and it would block cap room until the reaper's
              // deadline. A release is idempotent and, if it overtakes the reserve, voids it.
              BudgetSettle release = new BudgetSettle(requestId, attempt, tenant, target.tier(),
                  target.providerId(), target.model(), 0, 0, target.reason(), true, keyId, user);
              sendSettle(release).onFailure(e -> retrySettle(release, 1));
            }
            return new BudgetReserveResult(BudgetReserveResult.Status.UNAVAILABLE, 0, 0, null,
                noRole ? "no budget role is running" : "the budget role did not answer in time");
          });
    }

    /** What the attempts so far were charged, or null when a charge is unknown. */
    public Long costMicros() {
      return costKnown ? costMicros : null;
    }

    /** The request's outcome with what it cost and the budget room left. */
    public RouteOutcome stamp(RouteOutcome outcome) {
      return outcome.withBudget(costKnown ? costMicros : null, remainingMicros);
    }

    private Failure refused(BudgetReserveResult res) {
      FailureCode code = switch (res.status()) {
        case EXHAUSTED -> rejectOnExhaustion.getAsBoolean() && !isRuleCap(res.exhaustedScope())
            ? FailureCode.BUDGET_REJECTED : FailureCode.BUDGET_EXHAUSTED;
        default -> FailureCode.BUDGET_UNAVAILABLE;
      };
      return new Failure(code, res.detail() == null ? code.code() : res.detail());
    }

    /** @param produced whether the backend produced anything the client received */
    private Future<Void> settle(String requestId, int attempt, RouteInfo t, int promptTokens,
        BudgetReserveResult res, Usage reported, boolean produced) {
      Usage usage = reported;
      boolean release = false;
      if (usage == null && produced) {
        // Tokens were produced but nobody counted them: charge what was held, the most the
        // backend could have billed.
        usage = new Usage(promptTokens, res.outputTokenCap(), true);
      } else if (usage == null) {
        release = true;
        usage = Usage.ZERO;
      }
      BudgetSettle settle = new BudgetSettle(requestId, attempt, tenant, t.tier(),
          t.providerId(), t.model(), usage.promptTokens(), usage.completionTokens(), t.reason(),
          release, keyId, user);
      return sendSettle(settle).map(r -> {
        costMicros += r.chargedMicros();
        if (remainingMicros != null) {
          remainingMicros += r.reservedMicros() - r.chargedMicros();
        }
        return (Void) null;
      }).otherwise(err -> {
        costKnown = false;
        retrySettle(settle, 1);
        return null;
      });
    }

    private Future<BudgetSettleResult> sendSettle(BudgetSettle settle) {
      return Endpoints.BUDGET_SETTLE.ask(vertx.eventBus(), settle, timeoutMs);
    }

    /** Settle is idempotent per attempt, so retrying one whose answer was lost is safe. */
    private void retrySettle(BudgetSettle settle, int retry) {
      if (retry > SETTLE_RETRIES) {
        LOG.log(Level.WARNING, "settle of request {0} attempt {1} unconfirmed after {2} retries;"
            + " the reaper releases its reservation at the deadline", settle.requestId(),
            settle.attempt(), SETTLE_RETRIES);
        return;
      }
      vertx.setTimer(SETTLE_FIRST_BACKOFF_MS << (retry - 1), id -> sendSettle(settle)
          .onFailure(t -> retrySettle(settle, retry + 1)));
    }

    private void recordFree(ProviderCall call, ProviderResult r) {
      if (!r.ok() || r.usage() == null) {
        return;
      }
      RouteInfo t = call.route();
      Endpoints.BUDGET_RECORD.send(vertx.eventBus(), new BudgetUsageRecord(call.requestId(),
          call.attempt(), tenant, t.tier(), t.providerId(), t.model(), r.usage().promptTokens(),
          r.usage().completionTokens(), t.reason(), keyId, user));
    }
  }
}
