package io.tiermesh.budget;

import io.tiermesh.contracts.Addresses;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.MeshNode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import java.util.List;

/**
 * The budget role. Owns the Redis connection that spend counters live in; answers the
 * readiness probe with whether Redis answers right now, since paid tiers fail closed without it.
 */
public final class BudgetVerticle extends VerticleBase {

  /** A Redis that does not answer a PING in this time is treated as down. */
  static final long PING_TIMEOUT_MS = 500;

  private final MeshNode node;
  private final String redisUrl;
  private Redis redis;
  private RedisAPI api;

  public BudgetVerticle(MeshNode node, String redisUrl) {
    this.node = node;
    this.redisUrl = redisUrl;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl)
        .setMaxPoolSize(8).setMaxPoolWaiting(1024));
    api = RedisAPI.api(redis);
    return vertx.eventBus().consumer(Addresses.BUDGET_HEALTH, this::health).completion();
  }

  private void health(Message<Object> msg) {
    api.ping(List.of())
        .timeout(PING_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> msg.reply(new HealthReport("budget", node.nodeId(), ar.succeeded(),
            ar.succeeded() ? "redis answers" : "redis unreachable")));
  }

  @Override
  public Future<?> stop() {
    if (redis != null) {
      redis.close();
    }
    return Future.succeededFuture();
  }
}
