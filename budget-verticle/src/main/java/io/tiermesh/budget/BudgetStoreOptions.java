package io.tiermesh.budget;

import io.tiermesh.contracts.redis.RedisTarget;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;

/** Settings of a {@link BudgetStore}; every default is a named constant. */
public final class BudgetStoreOptions {

  public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
  /** Longer than a healthy Lua call by orders of magnitude, short enough to fail closed quickly. */
  public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofMillis(250);
  /**
   * Bound on a settlement or release. Longer than {@link #DEFAULT_OPERATION_TIMEOUT}: a
   * settlement decides nothing (the call it charges already happened; an unconfirmed one is
   * retried), so it need not fail fast, and the client's non-streamed answer waits for it to
   * state its cost. Kept under the router's 1 s wait for the budget role.
   */
  public static final Duration DEFAULT_SETTLE_TIMEOUT = Duration.ofMillis(750);
  public static final int DEFAULT_MAX_POOL_SIZE = 8;
  /**
   * The client's default (24) refuses with "pool too busy" under 64 concurrent callers; waiting
   * requests are still bounded by the operation timeout.
   */
  public static final int DEFAULT_MAX_POOL_WAITING = 1024;
  /** How long a settled attempt is remembered, so a retried settle stays a no-op. */
  public static final Duration DEFAULT_SETTLED_RETENTION = Duration.ofDays(7);
  /** Counters outlive their window so the admin API can still show last month. */
  public static final Duration DEFAULT_COUNTER_RETENTION = Duration.ofDays(40);
  public static final int DEFAULT_LEDGER_PAGE_SIZE = 1000;
  /** Bounds how long one reaper script blocks Redis. */
  public static final int DEFAULT_REAP_BATCH_SIZE = 200;
  public static final Duration DEFAULT_REBUILD_LOCK_TTL = Duration.ofMinutes(2);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /**
   * How long a reserve waits for replicas to confirm it: short, since it is paid on every paid
   * call, and well inside {@link #DEFAULT_OPERATION_TIMEOUT}.
   */
  public static final Duration DEFAULT_REPLICA_ACK_TIMEOUT = Duration.ofMillis(100);

  private RedisTarget redis = RedisTarget.standalone(DEFAULT_REDIS_URL);
  private int replicaAcks;
  private Duration replicaAckTimeout = DEFAULT_REPLICA_ACK_TIMEOUT;
  private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
  private Duration settleTimeout = DEFAULT_SETTLE_TIMEOUT;
  private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
  private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;
  private int maxPoolWaiting = DEFAULT_MAX_POOL_WAITING;
  private Duration settledRetention = DEFAULT_SETTLED_RETENTION;
  private Duration counterRetention = DEFAULT_COUNTER_RETENTION;
  private int ledgerPageSize = DEFAULT_LEDGER_PAGE_SIZE;
  private int reapBatchSize = DEFAULT_REAP_BATCH_SIZE;
  private Duration rebuildLockTtl = DEFAULT_REBUILD_LOCK_TTL;
  private ZoneId zone = ZoneId.of("UTC");

  public RedisTarget redis() {
    return redis;
  }

  public BudgetStoreOptions redis(RedisTarget redis) {
    this.redis = Objects.requireNonNull(redis);
    return this;
  }

  /** One server at {@code redisUrl}. */
  public BudgetStoreOptions redisUrl(String redisUrl) {
    return redis(RedisTarget.standalone(Objects.requireNonNull(redisUrl)));
  }

  /**
   * Replicas that must confirm a reservation (Redis {@code WAIT}) before it is admitted; 0
   * admits on the master's word alone. A reservation the replicas did not confirm in
   * {@link #replicaAckTimeout()} is released and answered as unavailable (paid calls fail
   * closed), so a promoted replica never forgets spend that was admitted.
   */
  public int replicaAcks() {
    return replicaAcks;
  }

  public BudgetStoreOptions replicaAcks(int replicaAcks) {
    if (replicaAcks < 0) {
      throw new IllegalArgumentException("replicaAcks must not be negative: " + replicaAcks);
    }
    this.replicaAcks = replicaAcks;
    return this;
  }

  public Duration replicaAckTimeout() {
    return replicaAckTimeout;
  }

  public BudgetStoreOptions replicaAckTimeout(Duration replicaAckTimeout) {
    this.replicaAckTimeout = positive(replicaAckTimeout);
    return this;
  }

  /** Bound on every Redis operation; past it the operation reports the store unavailable. */
  public Duration operationTimeout() {
    return operationTimeout;
  }

  public BudgetStoreOptions operationTimeout(Duration operationTimeout) {
    this.operationTimeout = positive(operationTimeout);
    return this;
  }

  /** Bound on a settlement or release: never shorter than {@link #operationTimeout()}. */
  public Duration settleTimeout() {
    return settleTimeout.compareTo(operationTimeout) < 0 ? operationTimeout : settleTimeout;
  }

  public BudgetStoreOptions settleTimeout(Duration settleTimeout) {
    this.settleTimeout = positive(settleTimeout);
    return this;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public BudgetStoreOptions connectTimeout(Duration connectTimeout) {
    this.connectTimeout = positive(connectTimeout);
    return this;
  }

  public int maxPoolSize() {
    return maxPoolSize;
  }

  public BudgetStoreOptions maxPoolSize(int maxPoolSize) {
    this.maxPoolSize = atLeastOne(maxPoolSize);
    return this;
  }

  public int maxPoolWaiting() {
    return maxPoolWaiting;
  }

  public BudgetStoreOptions maxPoolWaiting(int maxPoolWaiting) {
    this.maxPoolWaiting = atLeastOne(maxPoolWaiting);
    return this;
  }

  public Duration settledRetention() {
    return settledRetention;
  }

  public BudgetStoreOptions settledRetention(Duration settledRetention) {
    this.settledRetention = positive(settledRetention);
    return this;
  }

  public Duration counterRetention() {
    return counterRetention;
  }

  public BudgetStoreOptions counterRetention(Duration counterRetention) {
    this.counterRetention = positive(counterRetention);
    return this;
  }

  public int ledgerPageSize() {
    return ledgerPageSize;
  }

  public BudgetStoreOptions ledgerPageSize(int ledgerPageSize) {
    this.ledgerPageSize = atLeastOne(ledgerPageSize);
    return this;
  }

  public int reapBatchSize() {
    return reapBatchSize;
  }

  public BudgetStoreOptions reapBatchSize(int reapBatchSize) {
    this.reapBatchSize = atLeastOne(reapBatchSize);
    return this;
  }

  public Duration rebuildLockTtl() {
    return rebuildLockTtl;
  }

  public BudgetStoreOptions rebuildLockTtl(Duration rebuildLockTtl) {
    this.rebuildLockTtl = positive(rebuildLockTtl);
    return this;
  }

  /** Must be the policy's zone: a rebuild uses it to give rebuilt counters their expiry. */
  public ZoneId zone() {
    return zone;
  }

  public BudgetStoreOptions zone(ZoneId zone) {
    this.zone = Objects.requireNonNull(zone);
    return this;
  }

  private static Duration positive(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("duration must be positive: " + d);
    }
    return d;
  }

  private static int atLeastOne(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("must be at least 1: " + n);
    }
    return n;
  }
}
