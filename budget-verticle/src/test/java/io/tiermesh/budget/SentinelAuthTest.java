package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Sentinel set whose sentinels have a password of their own, different from the data
 * servers' ACL user (whose {@code default} user is off): the budget store asks the sentinels
 * with theirs and works on the master with its own, a client that offers the data servers'
 * credentials to the sentinels gets no master, and after {@code kill -9} of the master the
 * store follows the promotion.
 */
@ExtendWith(VertxExtension.class)
class SentinelAuthTest {

  static final String MASTER = "tm-auth";
  static final String DATA_PASSWORD = "data-" + UUID.randomUUID();
  static final String SENTINEL_PASSWORD = "sentinel-" + UUID.randomUUID();

  @Test
  void theSentinelsAreAskedWithTheirOwnPasswordAndTheMasterWithTheDataUsers(Vertx vertx)
      throws Exception {
    List<String> data = List.of("--appendonly", "yes", "--user", "default", "off",
        "--user", "tiermesh", "on", ">" + DATA_PASSWORD, "~*", "&*", "+@all",
        "--masteruser", "tiermesh", "--masterauth", DATA_PASSWORD);
    List<RedisServer> all = new ArrayList<>();
    try {
      RedisServer master = RedisServer.start(data);
      all.add(master);
      List<String> replicaArgs = new ArrayList<>(data);
      replicaArgs.addAll(List.of("--replicaof", "127.0.0.1", String.valueOf(master.port())));
      RedisServer replica = RedisServer.start(replicaArgs);
      all.add(replica);
      List<String> endpoints = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        RedisServer s = RedisServer.sentinel(MASTER, master.port(), 2, 1_000, List.of(
            "requirepass " + SENTINEL_PASSWORD,
            "sentinel sentinel-pass " + SENTINEL_PASSWORD,
            "sentinel auth-user " + MASTER + " tiermesh",
            "sentinel auth-pass " + MASTER + " " + DATA_PASSWORD));
        all.add(s);
        endpoints.add("redis://127.0.0.1:" + s.port());
      }
      RedisTarget target = new RedisTarget(RedisTarget.Mode.SENTINEL, endpoints, MASTER,
          "tiermesh", DATA_PASSWORD, null, null, SENTINEL_PASSWORD);

      // The data servers' credentials are not the sentinels': no master is found with them.
      Redis shared = RedisClients.create(vertx, new RedisTarget(RedisTarget.Mode.SENTINEL,
          endpoints, MASTER, "tiermesh", DATA_PASSWORD, null), 1, 8);
      try {
        assertThrows(Exception.class, () -> shared.send(Request.cmd(Command.PING))
            .await(10, TimeUnit.SECONDS));
      } finally {
        shared.close();
      }

      TestClock clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
      BudgetStore store = StoreTesting.startStore(vertx, new BudgetStoreOptions().redis(target)
          .zone(ZoneOffset.UTC).operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT), clock);
      try {
        BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
            ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 100_000)));
        List<ApplicableLimit> limits = policy.applicableScopes("acme", 3, "openai",
            clock.instant());
        assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("before", 0, "n",
            1_000, limits, clock.millis() + 60_000))).status());
        awaitOnline(master);
        // The reservation is on the replica before the master goes.
        long synced = System.currentTimeMillis() + 10_000;
        while (!"1".equals(replica.cli("--user", "tiermesh", "--pass", DATA_PASSWORD,
            "--no-auth-warning", "ZCARD", "{tm}:reservations"))) {
          assertTrue(System.currentTimeMillis() < synced, "the replica never got it");
          Thread.sleep(50);
        }

        master.kill();
        long killed = System.currentTimeMillis();
        Status after = Status.UNAVAILABLE;
        for (int i = 0; i < 600 && after != Status.ADMITTED; i++) {
          try {
            after = await(store.reserve(new Reservation("after-" + i, 0, "n", 1_000, limits,
                clock.millis() + 60_000))).status();
          } catch (Exception failingOver) {
            after = Status.UNAVAILABLE;
          }
          if (after != Status.ADMITTED) {
            Thread.sleep(100);
          }
        }
        long tookMs = System.currentTimeMillis() - killed;
        assertEquals(Status.ADMITTED, after, "admitted again on the promoted replica");
        assertTrue(replica.cli("--user", "tiermesh", "--pass", DATA_PASSWORD,
            "--no-auth-warning", "INFO", "replication").contains("role:master"));
        assertEquals("2", replica.cli("--user", "tiermesh", "--pass", DATA_PASSWORD,
            "--no-auth-warning", "ZCARD", "{tm}:reservations"));
        System.out.println("sentinel auth: admitted on the promoted replica " + tookMs
            + " ms after the kill");
      } finally {
        await(store.close());
      }
    } finally {
      for (RedisServer s : all) {
        s.close();
      }
    }
  }

  private static void awaitOnline(RedisServer master) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (!master.cli("--user", "tiermesh", "--pass", DATA_PASSWORD, "--no-auth-warning",
        "INFO", "replication").contains("state=online")) {
      assertTrue(System.currentTimeMillis() < deadline, "the replica never synced");
      Thread.sleep(50);
    }
  }
}
