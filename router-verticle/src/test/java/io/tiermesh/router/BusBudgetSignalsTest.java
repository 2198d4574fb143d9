package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.BudgetSnapshot;
import io.tiermesh.contracts.Codecs;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the cached view learns from snapshots and refusals, on a settable clock. */
class BusBudgetSignalsTest {

  final Vertx vertx = Vertx.vertx();
  final AtomicLong now = new AtomicLong(1_000_000);
  final BusBudgetSignals signals = new BusBudgetSignals(vertx, now::get);

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static BudgetReserveResult exhausted(String scope) {
    return new BudgetReserveResult(BudgetReserveResult.Status.EXHAUSTED, 0, 0, null,
        "budget " + scope + " reached", scope);
  }

  @Test
  void notEnforcedUntilASnapshotArrivesAndAgainOnceItIsStale() {
    assertFalse(signals.enforced());
    signals.accept(SnapshotSignals.EMPTY, now.get());
    assertTrue(signals.enforced());
    now.addAndGet(BusBudgetSignals.STALE_AFTER_MS + 1);
    assertFalse(signals.enforced());
  }

  @Test
  void aTierRefusalCountsAsExhaustedForTheHoldEvenIfSnapshotsShowRoomLeft() {
    signals.reserveRefused(3, exhausted("tier:3"));
    assertTrue(signals.view().tierExhausted(3));
    assertFalse(signals.view().tierExhausted(2));
    signals.accept(SnapshotSignals.EMPTY, now.get());
    assertTrue(signals.view().tierExhausted(3), "a little room left is still no room");
    now.addAndGet(BusBudgetSignals.REFUSAL_HOLD_MS);
    assertFalse(signals.view().tierExhausted(3), "after the hold a reservation probes again");
  }

  @Test
  void aProviderOrTenantRefusalDoesNotExhaustTheTier() {
    signals.reserveRefused(3, exhausted("provider:premium"));
    signals.reserveRefused(3, exhausted("tenant:acme"));
    assertFalse(signals.view().tierExhausted(3));
  }

  @Test
  void aRuleRefusalFillsTheRuleUntilANewerSnapshotCountsIt() {
    long before = now.get();
    now.addAndGet(10);
    signals.reserveRefused(1, exhausted("rule:premium-capped"));
    assertEquals(Integer.MAX_VALUE, signals.view().usedToday("premium-capped"));
    SnapshotSignals counted = new SnapshotSignals(false, Set.of(), Map.of("premium-capped", 2L));
    signals.accept(counted, before);
    assertEquals(Integer.MAX_VALUE, signals.view().usedToday("premium-capped"),
        "a snapshot asked for before the refusal may miss it");
    signals.accept(counted, now.get() + 1);
    assertEquals(2, signals.view().usedToday("premium-capped"),
        "a released reservation gave its count back");
  }

  @Test
  void aSnapshotFromTheBusIsCached() throws Exception {
    Codecs.register(vertx.eventBus());
    io.tiermesh.contracts.Endpoints.BUDGET_SNAPSHOT.consumer(vertx.eventBus(), m -> m.reply(
        new BudgetSnapshot("UTC", List.of(new BudgetSnapshot.Line("tier:2", "day", "p", 10L,
            10, 0, 0L, 1, null)), 0))).completion().await(5, TimeUnit.SECONDS);
    signals.refresh();
    long deadline = System.currentTimeMillis() + 5_000;
    while (!signals.enforced() && System.currentTimeMillis() < deadline) {
      vertx.timer(10).await(1, TimeUnit.SECONDS);
    }
    assertTrue(signals.enforced());
    assertTrue(signals.view().tierExhausted(2));
    assertFalse(signals.view().tierExhausted(3));
  }
}
