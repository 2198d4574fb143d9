package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.assertCountersEqualLedger;
import static io.tiermesh.budget.StoreTesting.await;
import static io.tiermesh.budget.StoreTesting.charge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.testsupport.RedisCluster;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The budget's scripts on a real 3-master Redis Cluster. The budget keeps every key in the
 * {@code {tm}} slot (one atomic script per reserve and per settle across all scopes), so the
 * store talks to the master that owns that slot; what is checked is that on a cluster node,
 * which refuses keys of other slots, every script (init, reserve, settle, release, reap,
 * snapshot, rebuild with its SCAN, the halted-provider SCAN) runs and the counters still equal
 * the ledger. The store speaks the Cluster protocol ({@code mode: cluster}) and is given every
 * master, as an operator would configure it; it finds the slot's owner itself.
 */
@ExtendWith(VertxExtension.class)
class BudgetScriptsOnClusterTest {

  private static RedisCluster cluster;
  private static int owner;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = RedisCluster.start(3);
    for (int port : cluster.ports()) {
      // Only the master owning the slot accepts the key; the others answer MOVED.
      if (cluster.cli(port, "SET", "{tm}:slot-probe", "1").trim().equals("OK")) {
        owner = port;
        cluster.cli(port, "DEL", "{tm}:slot-probe");
      }
    }
    assertTrue(owner != 0, "one master owns the {tm} slot");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyBudgetScriptRunsOnTheMasterOwningItsSlot(Vertx vertx) throws Exception {
    TestClock clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
    BudgetStore store = StoreTesting.startStore(vertx, new BudgetStoreOptions()
        .redis(new RedisTarget(RedisTarget.Mode.CLUSTER, cluster.urls(), null, null, null, null))
        .zone(ZoneOffset.UTC)
        .operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT), clock);
    try {
      BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
          ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000),
          ScopeLimit.spend(BudgetScope.tenant("acme"), BudgetWindow.DAY, 10_000),
          ScopeLimit.spend(BudgetScope.provider("openai"), BudgetWindow.MONTH, 1_000_000)));
      List<ApplicableLimit> limits = policy.applicableScopes("acme", 3, "openai",
          clock.instant());
      for (int i = 0; i < 10; i++) {
        assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("r-" + i, 0, "node-a",
            900, limits, clock.millis() + 60_000))).status());
      }
      assertEquals(Status.EXHAUSTED, await(store.reserve(new Reservation("over", 0, "node-a",
          1_500, limits, clock.millis() + 60_000))).status());
      for (int i = 0; i < 6; i++) {
        await(store.settle("r-" + i, 0, 700, charge("acme", 3, "openai", 10, 10)));
      }
      // The halted-provider listing scans the slot's node, whichever node the client picks.
      cluster.cli(owner, "HSET", BudgetKeys.halt("openai"), "member", "x:0", "cost", "5");
      assertEquals(List.of("openai"), await(store.haltedProviders()).stream()
          .map(HaltedProvider::providerId).toList());
      assertTrue(await(store.acknowledgeOverrun("openai")));
      await(store.release("r-6", 0));
      // r-7..r-9 are left to the reaper: their deadline passes.
      clock.advance(java.time.Duration.ofMinutes(2));
      assertEquals(3, await(store.reapExpired(clock.millis())));
      assertCountersEqualLedger(store, limits);

      // Counters lost (a failover to a replica that had them not yet): rebuilt from the ledger.
      List<ScopeUsage> before = await(store.snapshot(limits));
      for (String k : cluster.cli(owner, "KEYS", "{tm}:c:*").trim().split("\n")) {
        cluster.cli(owner, "DEL", k.trim());
      }
      cluster.cli(owner, "DEL", "{tm}:epoch");
      assertEquals(Status.REBUILDING, await(store.reserve(new Reservation("early", 0, "node-a",
          1, limits, clock.millis() + 60_000))).status());
      await(store.rebuildFromLedger());
      assertEquals(before, await(store.snapshot(limits)));
      assertCountersEqualLedger(store, limits);
      // Every budget key lives on the owner of the {tm} slot; the other masters hold none.
      List<Long> counts = cluster.keyCounts();
      for (int i = 0; i < counts.size(); i++) {
        if (cluster.ports().get(i) != owner) {
          assertEquals(0L, counts.get(i), "keys on master " + cluster.ports().get(i));
        }
      }
    } finally {
      await(store.close());
    }
  }
}
