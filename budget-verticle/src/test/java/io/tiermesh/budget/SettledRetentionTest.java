package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A settled reservation's record lives as long as the ledger entry it points at, between the
 * reservation deadline and the store's 7 days: with a short ledger retention it must not be the
 * one record in Redis that keeps growing.
 */
class SettledRetentionTest {

  private static BudgetSettings settings(Optional<Duration> ledgerRetention) {
    return new BudgetSettings(
        new BudgetRedis(io.tiermesh.contracts.redis.RedisTarget.standalone(
            "redis://127.0.0.1:1"), true, 0, BudgetStoreOptions.DEFAULT_REPLICA_ACK_TIMEOUT),
        new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of()), new PriceTable(Map.of()), Map.of(),
        Set.of(), Optional.empty(), Duration.ofMinutes(6), Duration.ofSeconds(1),
        Duration.ofSeconds(5), List.of(), ledgerRetention);
  }

  @Test
  void followsTheLedgerBetweenTheReservationDeadlineAndSevenDays() {
    assertEquals(Duration.ofHours(36),
        settings(Optional.of(Duration.ofHours(36))).storeOptions().settledRetention());
    assertEquals(Duration.ofMinutes(6), settings(Optional.of(Duration.ofMinutes(2)))
        .storeOptions().settledRetention(), "never shorter than a call may still settle");
    assertEquals(Duration.ofDays(7), settings(Optional.of(Duration.ofDays(30)))
        .storeOptions().settledRetention());
    assertEquals(Duration.ofDays(7), settings(Optional.empty()).storeOptions()
        .settledRetention(), "a ledger kept forever: the store's 7 days");
  }
}
