package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.BudgetLimits;
import io.tiermesh.contracts.BudgetLimitsCommand;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.MeshNode;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runtime limits: their stored form, and two budget nodes that share only Redis (two Vert.x
 * instances, no event bus between them, so the change notice cannot reach the second): the
 * second still applies a change within a second, from its version poll alone.
 */
class RuntimeLimitsTest {

  private static RedisServerProcess redis;

  @BeforeAll
  static void startRedis() {
    redis = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  @Test
  void storedLimitsReadBack() {
    ScopeLimit l = new ScopeLimit(BudgetScope.parse("tenant:acme/user:*/model:claude-opus*"),
        BudgetWindow.MONTH, OptionalLong.of(50_000_000), OptionalLong.empty(), List.of(0.5, 0.8));
    assertEquals(l, RuntimeLimits.decode(l.name(), RuntimeLimits.encode(l)));
    // A cut-off above the budget ("$8 alert, $10 budget, $12 cut-off") keeps all three.
    ScopeLimit cut = new ScopeLimit(BudgetScope.parse("tenant:acme"), BudgetWindow.DAY,
        OptionalLong.of(12_000_000), OptionalLong.empty(), OptionalLong.of(10_000_000),
        List.of(0.7999999999999999, 1.2));
    assertEquals(cut, RuntimeLimits.decode(cut.name(), RuntimeLimits.encode(cut)));
    assertEquals("12000000||0.7999999999999999,1.2|10000000", RuntimeLimits.encode(cut));
    assertEquals("50000000||0.5,0.8", RuntimeLimits.encode(l), "no fourth part without one");
    ScopeLimit r = ScopeLimit.requests(BudgetScope.parse("key:k_1"), BudgetWindow.DAY, 0);
    assertEquals(r, RuntimeLimits.decode(r.name(), RuntimeLimits.encode(r)));
    List<String> skipped = new ArrayList<>();
    assertEquals(List.of(r), RuntimeLimits.decodeAll(Map.of(r.name(), RuntimeLimits.encode(r),
        "week:global", "1||"), skipped));
    assertEquals(List.of("week:global"), skipped);
    assertThrows(IllegalArgumentException.class, () -> RuntimeLimits.decode("day:global", "||"));
  }

  @Test
  void aRuntimeLimitReplacesTheFilesOfTheSameScopeAndWindow() {
    BudgetPolicy file = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.DAY, 10),
        ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 5)));
    BudgetPolicy merged = file.with(List.of(
        ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 7),
        ScopeLimit.requests(BudgetScope.parse("key:*"), BudgetWindow.DAY, 3)));
    assertEquals(3, merged.limits().size());
    assertEquals(7, merged.limits().get(1).limitMicros().getAsLong());
    assertEquals("day:key:*", merged.limits().get(2).name());
  }

  @Test
  void aNodeThatMissedTheNoticeAppliesTheChangeFromItsPoll() throws Exception {
    Vertx a = Vertx.vertx();
    Vertx b = Vertx.vertx();
    try {
      BudgetPolicy file = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
          ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000)));
      BudgetSettings settings = new BudgetSettings(
          // forced: the test's throwaway Redis keeps no append-only file
          new BudgetRedis(io.tiermesh.contracts.redis.RedisTarget.standalone(redis.url()), true,
              0, BudgetStoreOptions.DEFAULT_REPLICA_ACK_TIMEOUT), file,
          new PriceTable(Map.of()), Map.of(), Set.of(), Optional.empty(),
          Duration.ofMinutes(6), Duration.ofSeconds(1), Duration.ofSeconds(5),
          List.of(), Optional.empty());
      await(a.deployVerticle(new BudgetVerticle(new MeshNode("a"), settings, Clock.systemUTC())));
      await(b.deployVerticle(new BudgetVerticle(new MeshNode("b"), settings, Clock.systemUTC())));

      BudgetLimits set = await(Endpoints.BUDGET_LIMITS.ask(a.eventBus(),
          new BudgetLimitsCommand(BudgetLimitsCommand.Op.SET, "user:*", "day", 2_000_000L, null,
              null), 5_000));
      long setAt = System.nanoTime();
      assertTrue(set.limits().stream().anyMatch(l -> l.scope().equals("user:*")));
      long seenAfterMs = -1;
      while ((System.nanoTime() - setAt) / 1_000_000 < 1_000) {
        BudgetLimits onB = await(Endpoints.BUDGET_LIMITS.ask(b.eventBus(),
            BudgetLimitsCommand.list(), 5_000));
        if (onB.limits().stream().anyMatch(l -> l.scope().equals("user:*"))) {
          seenAfterMs = (System.nanoTime() - setAt) / 1_000_000;
          break;
        }
      }
      assertTrue(seenAfterMs >= 0, "node b never applied the limit within a second");
      assertEquals(set.version(), await(Endpoints.BUDGET_LIMITS.ask(b.eventBus(),
          BudgetLimitsCommand.list(), 5_000)).version());
    } finally {
      redis.call("DEL", BudgetKeys.RUNTIME_LIMITS, BudgetKeys.RUNTIME_LIMITS_VERSION);
      await(a.close());
      await(b.close());
    }
  }
}
