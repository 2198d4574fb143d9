package io.tiermesh.router;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.router.rules.BudgetView;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * {@link RouterBudgetSignals} read from the budget role over the bus: a cached view refreshed from
 * the snapshot address every {@link #REFRESH_MS} and right after every refused reservation.
 * A decision only reads the cache, so it never waits for the budget role.
 *
 * <p>The cache steers; it does not enforce. The atomic reservation in Redis stays the only
 * enforcement, so a stale or missing view costs at most a refused reservation and a fallback,
 * never an overspend or a passed cap. A refusal is learnt at once: a tier refused for its
 * {@code global}/{@code tier:N} limit counts as exhausted for {@link #REFUSAL_HOLD_MS} even when
 * a little room is left (less than a worst-case reservation), and a rule refused for its cap
 * counts as full until a snapshot taken after the refusal says otherwise.
 *
 * <p>{@link #enforced()} is true while a snapshot arrived within {@link #STALE_AFTER_MS}; when
 * the budget role does not answer, decisions keep the last view and the explanation says the
 * signals are not enforced.
 */
public final class BusBudgetSignals implements RouterBudgetSignals {

  public static final long REFRESH_MS = 1_000;
  static final long STALE_AFTER_MS = 3_000;
  static final long REFUSAL_HOLD_MS = 2_000;
  static final long SNAPSHOT_TIMEOUT_MS = 800;

  private final Vertx vertx;
  private final LongSupplier clock;
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private final Map<Integer, Long> tierRefusedUntil = new ConcurrentHashMap<>();
  /** Rule name -> when its cap refused a reservation. */
  private final Map<String, Long> ruleRefusedAt = new ConcurrentHashMap<>();
  private volatile SnapshotSignals cached = SnapshotSignals.EMPTY;
  private volatile long takenAt = -1;
  private volatile String problem = "no answer from the budget role yet";

  BusBudgetSignals(Vertx vertx, LongSupplier clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  /** Starts refreshing now and every {@code refreshMs}; stops when {@code vertx} closes. */
  public static BusBudgetSignals start(Vertx vertx, long refreshMs) {
    BusBudgetSignals s = new BusBudgetSignals(vertx, System::currentTimeMillis);
    s.refresh();
    vertx.setPeriodic(refreshMs, id -> s.refresh());
    return s;
  }

  @Override
  public BudgetView view() {
    SnapshotSignals snap = cached;
    long now = clock.getAsLong();
    return new BudgetView() {
      @Override
      public boolean tierExhausted(int tier) {
        Long until = tierRefusedUntil.get(tier);
        return snap.tierExhausted(tier) || (until != null && until > now);
      }

      @Override
      public int usedToday(String ruleName) {
        return ruleRefusedAt.containsKey(ruleName) ? Integer.MAX_VALUE
            : snap.usedToday(ruleName);
      }
    };
  }

  @Override
  public boolean enforced() {
    long t = takenAt;
    return t >= 0 && clock.getAsLong() - t <= STALE_AFTER_MS;
  }

  @Override
  public String notEnforcedNote() {
    return "budget: signals not enforced (" + problem + "): this decision cannot see exhausted"
        + " tiers or maxPerDay counts; every paid or capped attempt still reserves and fails"
        + " closed";
  }

  @Override
  public void reserveRefused(int tier, BudgetReserveResult refusal) {
    String scope = refusal.exhaustedScope();
    if (refusal.status() == BudgetReserveResult.Status.EXHAUSTED && scope != null) {
      long now = clock.getAsLong();
      if (scope.startsWith("rule:")) {
        ruleRefusedAt.put(scope.substring("rule:".length()), now);
      } else if (scope.equals("global") || scope.equals("tier:" + tier)) {
        tierRefusedUntil.put(tier, now + REFUSAL_HOLD_MS);
      }
    }
    refresh();
  }

  /** One snapshot request at a time; a refresh asked for meanwhile runs right after it. */
  void refresh() {
    if (!inFlight.compareAndSet(false, true)) {
      again.set(true);
      return;
    }
    long asked = clock.getAsLong();
    Endpoints.BUDGET_SNAPSHOT.request(vertx.eventBus(), "snapshot", SNAPSHOT_TIMEOUT_MS)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            accept(SnapshotSignals.of(ar.result().body()), asked);
          } else {
            MeshFailure f = MeshFailure.of(ar.cause());
            problem = f.code() == FailureCode.ROLE_UNAVAILABLE ? "no budget role is running"
                : "no budget snapshot: " + f.detail();
          }
          inFlight.set(false);
          if (again.getAndSet(false)) {
            refresh();
          }
        });
  }

  void accept(SnapshotSignals snap, long askedAt) {
    cached = snap;
    takenAt = clock.getAsLong();
    // A snapshot asked for after a refusal already counts it; an older one may not.
    ruleRefusedAt.values().removeIf(at -> at < askedAt);
    long now = clock.getAsLong();
    tierRefusedUntil.values().removeIf(until -> until <= now);
  }
}
