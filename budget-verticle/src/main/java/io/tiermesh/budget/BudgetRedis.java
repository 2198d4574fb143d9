package io.tiermesh.budget;

import io.tiermesh.contracts.redis.RedisTarget;
import java.time.Duration;
import java.util.Objects;

/**
 * The Redis that holds budgets, the ledger and usage: durable data, which an evicting or
 * non-persistent Redis would silently lose (every budget back at zero).
 *
 * @param target            where it is
 * @param force             run the budget role even when {@link RedisDurability} finds the
 *                          server evicting or without an append-only file
 * @param replicaAcks       replicas that must confirm a reservation ({@code WAIT}); 0: none
 * @param replicaAckTimeout how long a reservation waits for them
 */
public record BudgetRedis(RedisTarget target, boolean force, int replicaAcks,
    Duration replicaAckTimeout) {

  public BudgetRedis {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(replicaAckTimeout, "replicaAckTimeout");
  }

  /** One server, checked, no replica confirmation: what {@code redis.url} alone configures. */
  public static BudgetRedis of(RedisTarget target) {
    return new BudgetRedis(target, false, 0, BudgetStoreOptions.DEFAULT_REPLICA_ACK_TIMEOUT);
  }
}
