package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The budget role's start-up check of its Redis, against real servers configured each way. */
@ExtendWith(VertxExtension.class)
class RedisDurabilityTest {

  @Test
  void onlyANonEvictingRedisWithAnAppendOnlyFileIsFit() {
    assertEquals(List.of(), RedisDurability.problems("noeviction", "# Persistence\r\naof_enabled:1\r\n"));
    assertEquals(List.of("it evicts keys (maxmemory-policy allkeys-lru)"),
        RedisDurability.problems("allkeys-lru", "aof_enabled:1"));
    assertEquals(List.of("it keeps no append-only file (appendonly no)"),
        RedisDurability.problems("noeviction", "rdb_bgsave_in_progress:0\naof_enabled:0\n"));
    assertEquals(2, RedisDurability.problems(null, "").size());
  }

  @Test
  void aPersistentNonEvictingServerPasses(Vertx vertx) throws Exception {
    try (RedisServer server = RedisServer.start(List.of("--appendonly", "yes",
        "--maxmemory-policy", "noeviction"))) {
      Redis redis = RedisClients.create(vertx, RedisTarget.standalone(server.url()), 1, 8);
      await(RedisDurability.check(redis, RedisTarget.standalone(server.url())));
      await(redis.close());
    }
  }

  @Test
  void anEvictingServerIsRefusedNamingTheWayOut(Vertx vertx) throws Exception {
    try (RedisServer server = RedisServer.start(List.of("--appendonly", "yes",
        "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"))) {
      String message = refusal(vertx, server);
      assertTrue(message.contains("maxmemory-policy allkeys-lru"), message);
      assertTrue(message.contains("redis.budget.force: true"), message);
      assertTrue(message.contains(server.url()), message);
    }
  }

  @Test
  void aServerWithoutAnAppendOnlyFileIsRefused(Vertx vertx) throws Exception {
    try (RedisServer server = RedisServer.start(List.of("--appendonly", "no"))) {
      String message = refusal(vertx, server);
      assertTrue(message.contains("no append-only file"), message);
      assertTrue(!message.contains("evicts"), message);
    }
  }

  private static String refusal(Vertx vertx, RedisServer server) throws Exception {
    RedisTarget target = RedisTarget.standalone(server.url());
    Redis redis = RedisClients.create(vertx, target, 1, 8);
    try {
      await(RedisDurability.check(redis, target));
      throw new AssertionError("the check passed an unfit Redis");
    } catch (ExecutionException e) {
      assertInstanceOf(RedisDurability.UnsafeStore.class, e.getCause());
      return e.getCause().getMessage();
    } finally {
      await(redis.close());
    }
  }
}
