package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.assertCountersEqualLedger;
import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-key, per-user and model-family budgets against a real Redis: every applicable limit is
 * held in the same all-or-nothing reservation, so the tightest one decides and none is
 * overspent, whichever node reserves.
 */
@ExtendWith(VertxExtension.class)
class CallerBudgetsTest {

  private static final ZoneId UTC = ZoneOffset.UTC;
  private static RedisServerProcess redis;

  private TestClock clock;
  private final List<BudgetStore> stores = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  @BeforeEach
  void fresh(Vertx vertx) throws Exception {
    redis.call("FLUSHALL");
    clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
    stores.add(StoreTesting.startStore(vertx, redis, clock, UTC));
  }

  @AfterEach
  void close() throws Exception {
    for (BudgetStore s : stores) {
      await(s.close());
    }
    stores.clear();
  }

  private static ScopeLimit daySpend(String scope, long micros) {
    return ScopeLimit.spend(BudgetScope.parse(scope), BudgetWindow.DAY, micros);
  }

  private static BudgetPolicy policy(ScopeLimit... limits) {
    return new BudgetPolicy(UTC, 0.8, List.of(limits));
  }

  private List<ApplicableLimit> limits(BudgetPolicy p, String key, String user, String model) {
    return p.applicableScopes(new CallFacts("acme", 3, "anthropic", model, key, user),
        clock.instant());
  }

  private ReserveResult reserve(BudgetStore store, String id, long amount,
      List<ApplicableLimit> limits) throws Exception {
    return await(store.reserve(new Reservation(id, 1, "node-a", amount, limits,
        clock.millis() + 60_000)));
  }

  private static String exhaustedScope(ReserveResult r) {
    return r.exhausted().orElseThrow().key().scope().id();
  }

  @Test
  void aKeyCapHoldsPerKeyWhileTheOwnersCapCountsAllTheirKeys() throws Exception {
    BudgetPolicy p = policy(daySpend("tenant:acme/key:*", 1_000_000),
        daySpend("tenant:acme/user:*", 1_500_000));
    BudgetStore store = stores.get(0);

    assertEquals(Status.ADMITTED, reserve(store, "a1", 600_000,
        limits(p, "k_one", "alice", "claude-sonnet-4")).status());
    ReserveResult secondOnOne = reserve(store, "a2", 600_000,
        limits(p, "k_one", "alice", "claude-sonnet-4"));
    assertEquals(Status.EXHAUSTED, secondOnOne.status());
    assertEquals("tenant:acme/key:k_one", exhaustedScope(secondOnOne));

    assertEquals(Status.ADMITTED, reserve(store, "a3", 600_000,
        limits(p, "k_two", "alice", "claude-sonnet-4")).status(), "her other key has room");
    ReserveResult overHerDay = reserve(store, "a4", 400_000,
        limits(p, "k_two", "alice", "claude-sonnet-4"));
    assertEquals(Status.EXHAUSTED, overHerDay.status());
    assertEquals("tenant:acme/user:alice", exhaustedScope(overHerDay),
        "1.2 of her 1.5 is held across her two keys; k_two alone would still take 0.4");

    assertEquals(Status.ADMITTED, reserve(store, "b1", 600_000,
        limits(p, "k_three", "bob", "claude-sonnet-4")).status(), "bob has his own counters");
    assertEquals(1_200_000, await(store.snapshot(limits(p, "k_two", "alice", "x")))
        .get(1).committedMicros());
  }

  @Test
  void aModelFamilyCapLimitsOnlyThatFamily() throws Exception {
    BudgetPolicy p = policy(daySpend("user:*", 2_000_000),
        daySpend("user:*/model:claude-opus*", 1_000_000));
    BudgetStore store = stores.get(0);

    assertEquals(2, limits(p, "k", "alice", "claude-opus-4-1").size());
    assertEquals(1, limits(p, "k", "alice", "claude-sonnet-4").size());
    assertEquals(Status.ADMITTED, reserve(store, "o1", 600_000,
        limits(p, "k", "alice", "claude-opus-4")).status());
    ReserveResult opus = reserve(store, "o2", 600_000, limits(p, "k", "alice", "claude-opus-4-1"));
    assertEquals(Status.EXHAUSTED, opus.status());
    assertEquals("user:alice/model:claude-opus*", exhaustedScope(opus));
    assertEquals(Status.ADMITTED, reserve(store, "s1", 600_000,
        limits(p, "k", "alice", "claude-sonnet-4")).status(), "another family still passes");
    assertEquals(Status.ADMITTED, reserve(store, "bob", 600_000,
        limits(p, "k2", "bob", "claude-opus-4")).status(), "bob's opus counter is his own");
  }

  @Test
  void aCallWithoutAKnownUserSpendsFromNoPerUserLimit() throws Exception {
    BudgetPolicy p = policy(daySpend("user:*", 1), daySpend("tenant:acme", 5_000_000));
    List<ApplicableLimit> anonymous = limits(p, "k", null, "m");
    assertEquals(1, anonymous.size());
    assertEquals("tenant:acme", anonymous.get(0).key().scope().id());
    assertEquals(Status.ADMITTED, reserve(stores.get(0), "anon", 1_000_000, anonymous).status());
  }

  @Test
  void twoLimitsOnOneCounterAreHeldOnceUnderTheLowerCap() throws Exception {
    BudgetPolicy p = policy(daySpend("user:*", 2_000_000), daySpend("user:alice", 500_000));
    List<ApplicableLimit> alice = limits(p, "k", "alice", "m");
    assertEquals(1, alice.size());
    assertEquals(500_000, alice.get(0).limitMicros().getAsLong());
    assertEquals(2_000_000, limits(p, "k", "bob", "m").get(0).limitMicros().getAsLong());
    assertEquals(Status.EXHAUSTED, reserve(stores.get(0), "big", 600_000, alice).status());
  }

  /**
   * 600 reservations from three budget nodes by four people with two keys each, under a
   * tenant day cap, a per-person cap, a per-key cap and a per-person model-family cap: no
   * counter ever passes its cap, a refused reservation holds nothing anywhere, and the tenant
   * cap, the binding one overall, admits exactly what it allows.
   */
  @Test
  void concurrentReservationsNeverOverspendAnyScope(Vertx vertx) throws Exception {
    stores.add(StoreTesting.startStore(vertx, redis, clock, UTC));
    stores.add(StoreTesting.startStore(vertx, redis, clock, UTC));
    long amount = 100;
    BudgetPolicy p = policy(daySpend("tenant:acme", 100 * amount),
        daySpend("tenant:acme/user:*", 30 * amount),
        daySpend("tenant:acme/key:*", 20 * amount),
        daySpend("tenant:acme/user:*/model:claude-opus*", 12 * amount));
    String[] users = {"ann", "ben", "cat", "dan"};
    List<Future<ReserveResult>> calls = new ArrayList<>();
    List<List<ApplicableLimit>> held = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String user = users[i % 4];
      String key = user + "-k" + (i / 4 % 2);
      String model = i % 3 == 0 ? "claude-opus-4" : "claude-sonnet-4";
      List<ApplicableLimit> l = limits(p, key, user, model);
      held.add(l);
      calls.add(stores.get(i % 3).reserve(new Reservation("r" + i, 1, "node", amount, l,
          clock.millis() + 60_000)));
    }
    await(Future.all(calls));

    Map<ScopeKey, Long> expected = new HashMap<>();
    Map<ScopeKey, Long> caps = new LinkedHashMap<>();
    int admitted = 0;
    for (int i = 0; i < calls.size(); i++) {
      Status s = calls.get(i).result().status();
      assertTrue(s == Status.ADMITTED || s == Status.EXHAUSTED, "status " + s);
      for (ApplicableLimit l : held.get(i)) {
        caps.put(l.key(), l.limitMicros().getAsLong());
        if (s == Status.ADMITTED) {
          expected.merge(l.key(), amount, Long::sum);
        }
      }
      admitted += s == Status.ADMITTED ? 1 : 0;
    }
    assertEquals(100, admitted, "the tenant cap binds: each person could take 30, four 120");
    List<ApplicableLimit> all = caps.keySet().stream().map(k -> new ApplicableLimit(k,
        java.util.OptionalLong.of(caps.get(k)), java.util.OptionalLong.empty(),
        k.windowEnd(UTC))).toList();
    for (ScopeUsage u : await(stores.get(0).snapshot(all))) {
      assertEquals(expected.getOrDefault(u.key(), 0L).longValue(), u.committedMicros(),
          "held in " + u.key() + ": exactly the admitted reservations, nothing of a refused one");
      assertTrue(u.committedMicros() <= caps.get(u.key()), u.key() + " over its cap");
    }
    // Settled at what they reserved, the counters equal the ledger, scope by scope.
    List<Future<?>> settles = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).result().status() == Status.ADMITTED) {
        settles.add(stores.get(i % 3).settle("r" + i, 1, amount,
            new ChargeDetails("acme", 3, "anthropic", "m", 10, 10, "quality")));
      }
    }
    await(Future.all(settles));
    assertCountersEqualLedger(stores.get(0), all);
  }
}
