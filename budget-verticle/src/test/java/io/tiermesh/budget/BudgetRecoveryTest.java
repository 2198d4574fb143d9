package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.assertCountersEqualLedger;
import static io.tiermesh.budget.StoreTesting.await;
import static io.tiermesh.budget.StoreTesting.charge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.vertx.core.Future;
import io.tiermesh.budget.impl.LuaScript;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md row 6: restarts and lost counters, against a Redis with an append-only file.
 */
@ExtendWith(VertxExtension.class)
class BudgetRecoveryTest {

  private static final long TENANT_DAY_LIMIT = 100_000;

  private final TestClock clock = new TestClock(Instant.parse("2019-06-01T10:00:00Z"));
  private final BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
          ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 10_000_000),
          ScopeLimit.spend(BudgetScope.tenant("acme"), BudgetWindow.DAY, TENANT_DAY_LIMIT),
          ScopeLimit.requests(BudgetScope.tier(3), BudgetWindow.DAY, 1_000)));
  private final List<BudgetStore> stores = new ArrayList<>();
  private RedisServerProcess redis;
  private List<ApplicableLimit> limits;

  @BeforeEach
  void start(@TempDir Path dir) {
    redis = RedisServerProcess.startWithAof(dir);
    limits = policy.applicableScopes("acme", 3, "openai", clock.instant());
  }

  @AfterEach
  void stop() throws Exception {
    for (BudgetStore s : stores) {
      await(s.close());
    }
    redis.stop();
  }

  private BudgetStore node(Vertx vertx, int ledgerPageSize) throws Exception {
    BudgetStore s = StoreTesting.startStore(vertx, new BudgetStoreOptions().redisUrl(redis.url())
        .operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT).ledgerPageSize(ledgerPageSize),
        clock);
    stores.add(s);
    return s;
  }

  private Reservation reservation(String id, long amount) {
    return new Reservation(id, 0, "node-a", amount, limits, clock.millis() + 60_000);
  }

  /** Settled traffic plus {@code open} reservations left open. */
  private void traffic(BudgetStore store, int settled, int open) throws Exception {
    for (int i = 0; i < settled; i++) {
      assertTrue(await(store.reserve(reservation("done-" + i, 2_000))).admitted());
      await(store.settle("done-" + i, 0, 100 + (i * 377) % 1_900,
          charge("acme", 3, "openai", i, i)));
    }
    for (int i = 0; i < open; i++) {
      assertTrue(await(store.reserve(reservation("open-" + i, 300 + i))).admitted());
    }
  }

  private void loseCounters() {
    @SuppressWarnings("unchecked")
    List<String> counters = (List<String>) redis.call("KEYS", "{tm}:c:*");
    assertEquals(limits.size(), counters.size());
    for (String k : counters) {
      redis.call("DEL", k);
    }
    redis.call("DEL", "{tm}:epoch");
  }

  @Test
  void aRestartWithAnAppendOnlyFileKeepsEverything(Vertx vertx) throws Exception {
    BudgetStore store = node(vertx, 1_000);
    traffic(store, 20, 3);
    List<ScopeUsage> before = await(store.snapshot(limits));

    redis.restart();

    assertEquals(before, await(store.snapshot(limits)));
    assertTrue(await(store.reserve(reservation("after-restart", 1))).admitted());
    assertFalse(store.needsRebuild());
    for (String id : List.of("open-0", "open-1", "open-2", "after-restart")) {
      await(store.settle(id, 0, 50, charge("acme", 3, "openai", 1, 1)));
    }
    assertCountersEqualLedger(store, limits);
  }

  @Test
  void lostCountersAreRebuiltFromTheLedgerBeforeAnythingIsAdmitted(Vertx vertx)
      throws Exception {
    // small pages: the rebuild reads the ledger in many steps, racing the settles below
    BudgetStore nodeA = node(vertx, 3);
    BudgetStore nodeB = node(vertx, 3);
    traffic(nodeA, 25, 12);
    List<ScopeUsage> before = await(nodeA.snapshot(limits));
    redis.restart();

    loseCounters();

    assertEquals(Status.REBUILDING, await(nodeA.reserve(reservation("early-a", 1))).status());
    assertEquals(Status.REBUILDING, await(nodeB.reserve(reservation("early-b", 1))).status());
    assertTrue(nodeA.needsRebuild() && nodeB.needsRebuild());
    // settles keep flowing while counters are missing; the rebuild must account for them
    await(nodeB.settle("open-0", 0, 111, charge("acme", 3, "openai", 1, 1)));

    List<Future<?>> concurrent = new ArrayList<>();
    Future<RebuildReport> rebuildA = nodeA.rebuildFromLedger();
    Future<RebuildReport> rebuildB = nodeB.rebuildFromLedger();
    for (int i = 1; i < 6; i++) {
      concurrent.add(nodeB.settle("open-" + i, 0, 10 * i, charge("acme", 3, "openai", i, i)));
    }
    concurrent.add(rebuildA);
    concurrent.add(rebuildB);
    await(Future.all(concurrent));

    long rebuilt = Stream.of(rebuildA, rebuildB)
        .filter(f -> f.result().outcome() == RebuildReport.Outcome.REBUILT).count();
    assertEquals(1, rebuilt, "exactly one node rebuilds: " + rebuildA.result() + ", "
        + rebuildB.result());
    assertFalse(nodeA.needsRebuild() && nodeB.needsRebuild());

    // spend went up exactly by what was settled since the snapshot, and nothing more
    List<ScopeUsage> after = await(nodeA.snapshot(limits));
    long settledSince = 111 + 10 + 20 + 30 + 40 + 50;
    long releasedHeld = 300 + 301 + 302 + 303 + 304 + 305;
    for (int i = 0; i < limits.size(); i++) {
      assertEquals(before.get(i).spentMicros() + settledSince, after.get(i).spentMicros());
      assertEquals(before.get(i).reservedMicros() - releasedHeld, after.get(i).reservedMicros());
      assertEquals(before.get(i).requests(), after.get(i).requests());
    }

    // the rebuilt spend is enforced, by both nodes
    long remaining = TENANT_DAY_LIMIT - after.get(1).committedMicros();
    assertEquals(Status.EXHAUSTED,
        await(nodeB.reserve(reservation("too-much", remaining + 1))).status());
    assertTrue(await(nodeB.reserve(reservation("just-fits", remaining))).admitted());
    assertTrue(await(nodeA.reserve(reservation("fits-too", 0))).admitted());
    assertFalse(nodeA.needsRebuild() || nodeB.needsRebuild(),
        "the node that lost the race adopted the winner's epoch");

    for (int i = 6; i < 12; i++) {
      await(nodeA.release("open-" + i, 0));
    }
    await(nodeA.release("just-fits", 0));
    await(nodeA.release("fits-too", 0));
    assertCountersEqualLedger(nodeA, limits);
  }

  /**
   * Settles that land after a rebuild read its last ledger page are folded in by the commit
   * script itself. Racing real settles against the paging cannot hit that window reliably, so
   * this drives the script directly with sums that cover only the first four entries.
   */
  @Test
  void theCommitFoldsInLedgerEntriesAppendedAfterTheLastPage(Vertx vertx) throws Exception {
    BudgetStore store = node(vertx, 1_000);
    traffic(store, 10, 2);
    List<LedgerEntry> ledger = await(store.readLedger(null, 100));
    Map<String, long[]> firstFour = new HashMap<>();
    for (LedgerEntry e : ledger.subList(0, 4)) {
      for (ScopeKey k : e.charged()) {
        long[] sc = firstFour.computeIfAbsent(BudgetKeys.counter(k), x -> new long[2]);
        sc[0] += e.costMicros();
        sc[1]++;
      }
    }
    loseCounters();
    List<String> args = new ArrayList<>(List.of("token", "epoch-2", ledger.get(3).id()));
    firstFour.forEach((counter, sc) -> args.addAll(List.of(counter, Long.toString(sc[0]),
        Long.toString(sc[1]), "86400000")));
    Redis client = Redis.createClient(vertx, redis.url());
    try {
      await(client.send(Request.cmd(Command.SET).arg(BudgetKeys.REBUILD_LOCK).arg("token")));
      Response reply = await(LuaScript.load("rebuild").run(client, List.of(BudgetKeys.EPOCH,
          BudgetKeys.REBUILD_LOCK, BudgetKeys.LEDGER, BudgetKeys.RESERVATIONS), args));
      assertEquals("ok", reply.get(0).toString());
      assertEquals(6, reply.get(2).toInteger(), "entries after the last page");
    } finally {
      await(client.close());
    }

    for (ScopeUsage u : await(store.snapshot(limits))) {
      long spent = ledger.stream().filter(e -> e.charged().contains(u.key()))
          .mapToLong(LedgerEntry::costMicros).sum();
      assertEquals(spent, u.spentMicros(), "spent in " + u.key());
      assertEquals(300 + 301, u.reservedMicros(), "open reservations in " + u.key());
      assertEquals(10 + 2, u.requests(), "requests in " + u.key());
    }
    await(store.release("open-0", 0));
    await(store.release("open-1", 0));
    assertCountersEqualLedger(store, limits);
  }

  /**
   * The ledger is trimmed by age once its entries are rolled up; the counters it charged keep
   * their history in bases, so a rebuild after losing the counters still restores every one,
   * and a Redis holding bases but an empty ledger is not taken for a fresh start.
   */
  @Test
  void aTrimmedLedgerStillRebuildsTheCounters(Vertx vertx) throws Exception {
    BudgetStore store = node(vertx, 4);
    traffic(store, 12, 2);
    List<ScopeUsage> before = await(store.snapshot(limits));
    long entries = await(store.readLedger(null, 100)).size();

    assertEquals(0L, await(store.trimLedger(java.time.Duration.ofDays(1), 10)),
        "nothing is a day old");
    Thread.sleep(5); // ids are Redis's milliseconds: let the newest entry age past 1 ms
    assertEquals(entries, await(store.trimLedger(java.time.Duration.ofMillis(1), 10)));
    assertEquals(0, await(store.readLedger(null, 100)).size(), "the ledger is empty");
    Map<String, long[]> bases = await(store.ledgerBases());
    for (ScopeUsage u : before) {
      assertEquals(u.spentMicros(), bases.get(BudgetKeys.counter(u.key()))[0],
          "the base of " + u.key() + " holds what the trimmed entries charged");
    }

    await(store.settle("open-0", 0, 77, charge("acme", 3, "openai", 1, 1)));
    loseCounters();
    assertEquals(Status.REBUILDING, await(store.reserve(reservation("early", 1))).status(),
        "bases and an empty ledger: counters were lost, not never there");
    assertEquals(RebuildReport.Outcome.REBUILT, await(store.rebuildFromLedger()).outcome());
    List<ScopeUsage> after = await(store.snapshot(limits));
    for (int i = 0; i < limits.size(); i++) {
      assertEquals(before.get(i).spentMicros() + 77, after.get(i).spentMicros());
      assertEquals(before.get(i).requests(), after.get(i).requests());
      assertEquals(before.get(i).reservedMicros() - 300, after.get(i).reservedMicros());
    }
    await(store.release("open-1", 0));
    assertCountersEqualLedger(store, limits);
  }
}
