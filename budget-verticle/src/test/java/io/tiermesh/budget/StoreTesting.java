package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared plumbing for the tests that run a {@link BudgetStore} against a real Redis. */
final class StoreTesting {

  /** Generous for tests on a busy 2-core machine; the failure tests prove the real bound. */
  static final Duration TEST_OPERATION_TIMEOUT = Duration.ofSeconds(5);

  private StoreTesting() {}

  /** Blocks the JUnit thread (never an event loop) until the future completes. */
  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static BudgetStore startStore(Vertx vertx, RedisServerProcess redis, TestClock clock,
      ZoneId zone) throws Exception {
    return startStore(vertx, new BudgetStoreOptions().redisUrl(redis.url()).zone(zone)
        .operationTimeout(TEST_OPERATION_TIMEOUT), clock);
  }

  static BudgetStore startStore(Vertx vertx, BudgetStoreOptions options, TestClock clock)
      throws Exception {
    BudgetStore store = new BudgetStore(vertx, options, clock);
    // The budget role retries a start that timed out (its maintenance runs it again); so does
    // this, for the tests that keep the production 250 ms bound on a loaded machine. A start
    // that never succeeds still fails the test.
    for (int attempt = 1; ; attempt++) {
      try {
        await(store.start());
        return store;
      } catch (java.util.concurrent.ExecutionException e) {
        if (attempt == 5 || !(e.getCause() instanceof io.tiermesh.contracts.MeshFailure)) {
          throw e;
        }
      }
    }
  }

  static ChargeDetails charge(String tenant, int tier, String provider, int in, int out) {
    return new ChargeDetails(tenant, tier, provider, "model-" + provider, in, out, "quality");
  }

  /**
   * docs/reliability.md row 2: for every counter, spend and request count equal what the ledger
   * says (with the bases of entries trimmed away), to the µ$, and nothing is still reserved.
   */
  static void assertCountersEqualLedger(BudgetStore store, List<ApplicableLimit> counters)
      throws Exception {
    List<LedgerEntry> ledger = await(store.readLedger(null, 1_000_000));
    Map<ScopeKey, long[]> fromLedger = new HashMap<>();
    await(store.ledgerBases()).forEach((counter, sc) ->
        fromLedger.put(BudgetKeys.scopeOfCounter(counter), sc.clone()));
    for (LedgerEntry e : ledger) {
      for (ScopeKey k : e.charged()) {
        long[] sc = fromLedger.computeIfAbsent(k, x -> new long[2]);
        sc[0] += e.costMicros();
        sc[1]++;
      }
    }
    assertEquals(0L, await(store.openReservations()), "open reservations");
    for (ScopeUsage u : await(store.snapshot(counters))) {
      long[] expected = fromLedger.getOrDefault(u.key(), new long[2]);
      assertEquals(expected[0], u.spentMicros(), "spent in " + u.key());
      assertEquals(expected[1], u.requests(), "requests in " + u.key());
      assertEquals(0, u.reservedMicros(), "reserved in " + u.key());
    }
  }
}
