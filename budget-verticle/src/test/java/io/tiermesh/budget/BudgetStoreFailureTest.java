package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static io.tiermesh.budget.StoreTesting.charge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.budget.SettleResult.Outcome;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** docs/reliability.md row 6: a slow or dead Redis makes paid calls fail closed within a bound. */
@ExtendWith(VertxExtension.class)
class BudgetStoreFailureTest {

  /** Default operation bound (250 ms) plus scheduling slack on a busy machine. */
  private static final long FAIL_CLOSED_WITHIN_MS = 1_000;

  private final TestClock clock = new TestClock(Instant.parse("2026-11-21T10:00:00Z"));
  private RedisServerProcess redis;
  private BudgetStore store;
  private List<ApplicableLimit> limits;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    redis = RedisServerProcess.start();
    // production defaults, including the 250 ms operation timeout
    store = StoreTesting.startStore(vertx, new BudgetStoreOptions().redisUrl(redis.url()), clock);
    limits = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
        ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 1_000_000)))
        .applicableScopes("acme", 3, "openai", clock.instant());
  }

  @AfterEach
  void stop() throws Exception {
    await(store.close());
    redis.stop();
  }

  private Reservation reservation(String id) {
    return new Reservation(id, 0, "node-a", 1_000, limits, clock.millis() + 60_000);
  }

  @Test
  void aStalledRedisFailsClosedWithinTheBound() throws Exception {
    assertTrue(await(store.reserve(reservation("warm-up"))).admitted());
    redis.call("CLIENT", "PAUSE", "2000", "ALL");

    long start = System.nanoTime();
    ReserveResult stalled = await(store.reserve(reservation("stalled")));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Status.UNAVAILABLE, stalled.status());
    assertTrue(elapsedMs < FAIL_CLOSED_WITHIN_MS, "took " + elapsedMs + " ms");

    ExecutionException settle = assertThrows(ExecutionException.class,
        () -> await(store.settle("warm-up", 0, 10, charge("acme", 3, "openai", 1, 1))));
    MeshFailure failure = assertInstanceOf(MeshFailure.class, settle.getCause());
    assertEquals(FailureCode.BUDGET_UNAVAILABLE, failure.code());

    redis.call("PING"); // answered once the pause is over
    // The stalled reserve reached Redis after all; releasing it is the caller's duty.
    assertEquals(Outcome.RELEASED, await(store.release("stalled", 0)).outcome());
    assertTrue(await(store.reserve(reservation("after"))).admitted());
    assertEquals(Outcome.SETTLED,
        await(store.settle("warm-up", 0, 10, charge("acme", 3, "openai", 1, 1))).outcome());
  }

  /**
   * A reserve that timed out reaches Redis later and is applied there. Nobody would settle it:
   * without a release it holds budget until the reaper's deadline (here a minute), refusing
   * calls the cap has room for. The store releases it in the background.
   */
  @Test
  void aStalledReserveThatIsAppliedLateIsReleasedInTheBackground() throws Exception {
    assertTrue(await(store.reserve(reservation("warm-up"))).admitted());
    await(store.release("warm-up", 0));
    redis.call("CLIENT", "PAUSE", "700", "ALL");
    assertEquals(Status.UNAVAILABLE, await(store.reserve(reservation("stalled"))).status());
    long deadline = System.currentTimeMillis() + 15_000;
    long reserved;
    do {
      assertTrue(System.currentTimeMillis() < deadline, "the late reserve was never released");
      reserved = redis.call("ZCARD", "{tm}:reservations") instanceof Long n ? n : -1;
    } while (reserved != 0 || !"released".equals(redis.call("HGET", "{tm}:done:0:stalled",
        "state")));
    for (ScopeUsage u : await(store.snapshot(limits))) {
      assertEquals(0, u.reservedMicros(), u.toString());
    }
  }

  /** The release may overtake its reserve (another connection): the late reserve is void. */
  @Test
  void aReleaseThatOvertakesItsReserveMakesTheReserveANoOp() throws Exception {
    assertEquals(Outcome.UNKNOWN_RESERVATION, await(store.release("ghost", 0)).outcome());
    assertEquals(Status.ALREADY_CLOSED, await(store.reserve(reservation("ghost"))).status());
    for (ScopeUsage u : await(store.snapshot(limits))) {
      assertEquals(0, u.committedMicros(), u.toString());
      assertEquals(0, u.requests());
    }
    assertEquals(0L, redis.call("ZCARD", "{tm}:reservations"));
    // a settle never turns the tombstone into a charge
    assertEquals(Outcome.UNKNOWN_RESERVATION,
        await(store.settle("ghost", 0, 10, charge("acme", 3, "openai", 1, 1))).outcome());
    assertEquals(0L, redis.call("XLEN", "{tm}:ledger"));
  }

  /**
   * A Redis that comes back empty (no AOF) must not silently admit against lost counters: a
   * node that knew the old epoch refuses until the (here empty) ledger has been replayed.
   */
  @Test
  void aDeadRedisFailsClosedAndAnEmptyRestartIsRebuiltBeforeAdmitting(Vertx vertx)
      throws Exception {
    assertTrue(await(store.reserve(reservation("before"))).admitted());
    redis.stop();

    long start = System.nanoTime();
    assertEquals(Status.UNAVAILABLE, await(store.reserve(reservation("down"))).status());
    assertTrue((System.nanoTime() - start) / 1_000_000 < FAIL_CLOSED_WITHIN_MS);

    redis.restart();
    assertEquals(Status.REBUILDING, await(store.reserve(reservation("too-early"))).status());
    assertTrue(store.needsRebuild());

    RebuildReport report = await(store.rebuildFromLedger());
    assertEquals(RebuildReport.Outcome.REBUILT, report.outcome());
    assertEquals(0, report.ledgerEntries(), "without persistence the history is gone too");
    assertFalse(store.needsRebuild());
    assertTrue(await(store.reserve(reservation("after"))).admitted());
  }
}
