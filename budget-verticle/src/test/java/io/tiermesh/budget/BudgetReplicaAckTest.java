package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.testsupport.RedisCluster;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reservations confirmed by a replica ({@code WAIT}) before they are admitted, on a real
 * master and replica: admitted spend is on the replica when the answer comes; a reservation
 * the replica did not confirm fails closed and leaves nothing held; once the master reports no
 * replica at all, its own word admits again.
 */
@ExtendWith(VertxExtension.class)
class BudgetReplicaAckTest {

  @Test
  void aReservationIsAdmittedOnlyOnceAReplicaHasIt(Vertx vertx) throws Exception {
    try (RedisServer master = RedisServer.start(List.of("--appendonly", "yes"));
        RedisServer replica = RedisServer.start(List.of("--appendonly", "yes",
            "--replicaof", "127.0.0.1", String.valueOf(master.port())))) {
      awaitLink(master);
      TestClock clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
      BudgetStore store = StoreTesting.startStore(vertx, new BudgetStoreOptions()
          .redisUrl(master.url()).zone(ZoneOffset.UTC).replicaAcks(1)
          .replicaAckTimeout(Duration.ofMillis(200))
          .operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT), clock);
      try {
        BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
            ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 10_000)));
        List<ApplicableLimit> limits = policy.applicableScopes("acme", 3, "openai",
            clock.instant());
        for (int i = 0; i < 5; i++) {
          assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("r-" + i, 0, "n",
              1_000, limits, clock.millis() + 60_000))).status());
          // Confirmed means the replica holds it the moment the answer arrives.
          assertEquals(String.valueOf(i + 1), replica.cli("ZCARD", "{tm}:reservations"));
        }
        await(store.settle("r-0", 0, 900, StoreTesting.charge("acme", 3, "openai", 1, 1)));
        assertEquals(0, store.unconfirmedWrites());

        replica.kill();
        long started = System.nanoTime();
        assertEquals(Status.UNAVAILABLE, await(store.reserve(new Reservation("lost", 0, "n",
            1_000, limits, clock.millis() + 60_000))).status());
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 2_000, "failed closed in " + tookMs + " ms");
        assertEquals(1, store.unconfirmedWrites());
        // The unconfirmed hold is released in the background: only r-1..r-4 stay open.
        long deadline = System.currentTimeMillis() + 10_000;
        while (await(store.openReservations()) != 4L && System.currentTimeMillis() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(4L, await(store.openReservations()));
        // With no replica left to confirm (the master counts its replicas again), the master's
        // word admits, as it does when no confirmation is configured.
        assertEquals(0, await(store.refreshReplicas()));
        assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("alone", 0, "n",
            1_000, limits, clock.millis() + 60_000))).status());
        assertEquals(1, store.unconfirmedWrites());
      } finally {
        await(store.close());
      }
    }
  }

  /**
   * On a Cluster, WAIT must reach the master that ran the reservation: sent to any other master
   * (whose own replica is alive and which has no writes from this connection) it would report a
   * confirmation that never happened. With the budget master's replica killed, a reservation
   * therefore must fail closed while the other masters' replicas still run.
   */
  @Test
  void onAClusterTheReplicaOfTheBudgetsMasterConfirms(Vertx vertx) throws Exception {
    try (RedisCluster cluster = RedisCluster.start(3, 1, List.of("--appendonly", "yes",
        "--cluster-node-timeout", "60000"))) {
      int master = cluster.masterOf(BudgetKeys.EPOCH, cluster.ports().get(0));
      int replica = cluster.replicaOf(master);
      TestClock clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
      BudgetStore store = StoreTesting.startStore(vertx, new BudgetStoreOptions()
          .redis(new RedisTarget(RedisTarget.Mode.CLUSTER, cluster.urls(), null, null, null,
              null))
          .zone(ZoneOffset.UTC).replicaAcks(1).replicaAckTimeout(Duration.ofMillis(200))
          .operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT), clock);
      try {
        assertEquals(1, await(store.refreshReplicas()));
        BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
            ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 10_000)));
        List<ApplicableLimit> limits = policy.applicableScopes("acme", 3, "openai",
            clock.instant());
        for (int i = 0; i < 3; i++) {
          assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("c-" + i, 0, "n",
              1_000, limits, clock.millis() + 60_000))).status());
        }
        assertEquals(0, store.unconfirmedWrites());
        cluster.kill(replica);
        assertEquals(Status.UNAVAILABLE, await(store.reserve(new Reservation("lost", 0, "n",
            1_000, limits, clock.millis() + 60_000))).status());
        assertEquals(1, store.unconfirmedWrites());
      } finally {
        await(store.close());
      }
    }
  }

  /** Until the replica has synced, WAIT cannot count it. */
  static void awaitLink(RedisServer master) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (!master.cli("INFO", "replication").contains("state=online")) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("replica never came online: "
            + master.cli("INFO", "replication"));
      }
      Thread.sleep(50);
    }
  }
}
