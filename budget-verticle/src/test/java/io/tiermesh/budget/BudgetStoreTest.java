package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.assertCountersEqualLedger;
import static io.tiermesh.budget.StoreTesting.await;
import static io.tiermesh.budget.StoreTesting.charge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Cap;
import io.tiermesh.budget.ReserveResult.Exhausted;
import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.budget.SettleResult.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class BudgetStoreTest {

  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final BudgetScope ACME = BudgetScope.tenant("acme");

  private static RedisServerProcess redis;

  private TestClock clock;
  private BudgetStore store;
  private final List<BudgetStore> extraStores = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  /**
   * Test clocks sit years away from the machine's clock (here in the future; the recovery test
   * in the past): expiries must follow the gateway's clock, whatever Redis's clock says.
   */
  @BeforeEach
  void freshStore(Vertx vertx) throws Exception {
    redis.call("FLUSHALL");
    clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
    store = StoreTesting.startStore(vertx, redis, clock, UTC);
  }

  @AfterEach
  void closeStores() throws Exception {
    await(store.close());
    for (BudgetStore s : extraStores) {
      await(s.close());
    }
  }

  private BudgetStore anotherNode(Vertx vertx) throws Exception {
    BudgetStore s = StoreTesting.startStore(vertx, redis, clock, UTC);
    extraStores.add(s);
    return s;
  }

  private static BudgetPolicy policy(ScopeLimit... limits) {
    return new BudgetPolicy(UTC, 0.8, List.of(limits));
  }

  private List<ApplicableLimit> limitsFor(BudgetPolicy policy, String tenant, int tier,
      String provider) {
    return policy.applicableScopes(tenant, tier, provider, clock.instant());
  }

  private Reservation reservation(String id, long amount, List<ApplicableLimit> limits) {
    return new Reservation(id, 0, "node-a", amount, limits, clock.millis() + 60_000);
  }

  private ReserveResult reserve(String id, long amount, List<ApplicableLimit> limits)
      throws Exception {
    return await(store.reserve(reservation(id, amount, limits)));
  }

  private ScopeUsage usage(List<ApplicableLimit> limits, int i) throws Exception {
    return await(store.snapshot(limits)).get(i);
  }

  @Test
  void exactlyAtTheCapIsAdmittedAndOneMicroOverIsRefused() throws Exception {
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 1_000)), "acme", 2, "openai");

    assertEquals(Status.EXHAUSTED, reserve("over", 1_001, limits).status());
    ReserveResult atCap = reserve("at-cap", 1_000, limits);
    assertEquals(Status.ADMITTED, atCap.status());
    assertEquals(OptionalLong.of(0), atCap.usage().get(0).remainingMicros());

    ReserveResult oneMore = reserve("one-more", 1, limits);
    assertEquals(Status.EXHAUSTED, oneMore.status());
    assertEquals(new Exhausted(limits.get(0).key(), Cap.SPEND), oneMore.exhausted().orElseThrow());
    assertEquals(Status.ADMITTED, reserve("free", 0, limits).status(),
        "a zero-cost call passes nothing over the cap");
    assertEquals(1_000, usage(limits, 0).committedMicros());
  }

  @Test
  void oneExhaustedScopeRefusesTheCallEverywhereAndChangesNothing() throws Exception {
    BudgetPolicy policy = policy(
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000),
        ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 1_000_000),
        ScopeLimit.spend(BudgetScope.provider("openai"), BudgetWindow.MONTH, 1_000_000),
        ScopeLimit.spend(ACME, BudgetWindow.DAY, 500),
        ScopeLimit.spend(BudgetScope.tenantProvider("acme", "openai"), BudgetWindow.MONTH,
            1_000_000));
    List<ApplicableLimit> limits = limitsFor(policy, "acme", 3, "openai");
    assertEquals(5, limits.size());
    assertTrue(reserve("first", 400, limits).admitted());
    List<ScopeUsage> before = await(store.snapshot(limits));
    long ledgerBefore = await(store.readLedger(null, 100)).size();

    ReserveResult refused = reserve("second", 200, limits);

    assertEquals(Status.EXHAUSTED, refused.status());
    assertEquals("day:2031-03-14:tenant:acme", refused.exhausted().orElseThrow().key().id());
    assertEquals(before, await(store.snapshot(limits)));
    assertEquals(1L, await(store.openReservations()));
    assertEquals(ledgerBefore, await(store.readLedger(null, 100)).size());
    await(store.release("first", 0));
    assertTrue(reserve("second", 200, limits).admitted(), "a refusal leaves no trace behind");
  }

  /**
   * docs/reliability.md row 1: 500 concurrent reservations from three nodes against a cap that
   * admits exactly 37; a sampler reading spend + reservations atomically never sees the cap
   * exceeded.
   */
  @Test
  void concurrentReservationsFromSeveralNodesAdmitExactlyWhatTheCapAllows(Vertx vertx)
      throws Exception {
    long amount = 700;
    int admits = 37;
    long cap = amount * admits + amount - 1;
    List<ApplicableLimit> limits = limitsFor(policy(
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000_000),
        ScopeLimit.spend(ACME, BudgetWindow.DAY, cap)), "acme", 3, "openai");
    List<BudgetStore> nodes = List.of(store, anotherNode(vertx), anotherNode(vertx));

    AtomicLong maxSeen = new AtomicLong();
    AtomicInteger samples = new AtomicInteger();
    long sampler = vertx.setPeriodic(1, id -> store.snapshot(limits).onSuccess(u -> {
      samples.incrementAndGet();
      maxSeen.accumulateAndGet(u.get(1).committedMicros(), Math::max);
    }));

    List<Future<ReserveResult>> calls = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      calls.add(nodes.get(i % 3).reserve(reservation("req-" + i, amount, limits)));
    }
    await(Future.all(calls));
    // let the sampler see the final state at least once more
    Promise<Void> settled = Promise.promise();
    vertx.setTimer(20, id -> settled.complete());
    await(settled.future());
    vertx.cancelTimer(sampler);

    Map<Status, Integer> byStatus = new LinkedHashMap<>();
    calls.forEach(f -> byStatus.merge(f.result().status(), 1, Integer::sum));
    assertEquals(Map.of(Status.ADMITTED, admits, Status.EXHAUSTED, 500 - admits), byStatus);
    assertEquals(amount * admits, usage(limits, 1).committedMicros());
    assertTrue(samples.get() > 0, "the sampler ran");
    assertTrue(maxSeen.get() <= cap, "sampled " + maxSeen.get() + " over the cap " + cap);
  }

  /**
   * The Redis client's default pool (6 connections, 24 waiting) refuses 64 concurrent
   * callers; ours must not.
   */
  @Test
  void sixtyFourConcurrentCallersWithDefaultOptionsAreServed(Vertx vertx) throws Exception {
    BudgetStore defaults = StoreTesting.startStore(vertx,
        new BudgetStoreOptions().redisUrl(redis.url()), clock);
    extraStores.add(defaults);
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 1_000_000)), "acme", 2, "openai");
    for (int round = 0; round < 5; round++) {
      List<Future<ReserveResult>> calls = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        calls.add(defaults.reserve(reservation("r" + round + "-" + i, 1, limits)));
      }
      await(Future.all(calls));
      for (Future<ReserveResult> f : calls) {
        assertEquals(Status.ADMITTED, f.result().status());
      }
    }
  }

  @Test
  void settleIsIdempotentPerRequestAndAttempt() throws Exception {
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 10_000)), "acme", 2, "openai");
    assertTrue(reserve("req", 1_000, limits).admitted());

    SettleResult first = await(store.settle("req", 0, 600, charge("acme", 2, "openai", 100, 50)));
    SettleResult again = await(store.settle("req", 0, 900, charge("acme", 2, "openai", 1, 1)));
    SettleResult releaseAfter = await(store.release("req", 0));

    assertEquals(Outcome.SETTLED, first.outcome());
    assertFalse(first.repeat());
    assertTrue(again.repeat());
    assertEquals(first.ledgerId(), again.ledgerId());
    assertEquals(600, again.chargedMicros());
    assertEquals(Outcome.SETTLED, releaseAfter.outcome());
    assertTrue(releaseAfter.repeat());
    assertEquals(600, usage(limits, 0).spentMicros());
    assertEquals(1, await(store.readLedger(null, 100)).size());
    assertEquals(Status.ALREADY_CLOSED, reserve("req", 1_000, limits).status(),
        "a settled attempt cannot be reserved again");

    ReserveResult dup1 = reserve("other", 100, limits);
    ReserveResult dup2 = reserve("other", 100, limits);
    assertTrue(dup2.admitted() && dup2.duplicate() && !dup1.duplicate());
    assertEquals(100, usage(limits, 0).reservedMicros(), "a repeated reserve holds once");
  }

  @Test
  void settleChargesTheActualCostAndRecordsAnOverrun() throws Exception {
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 10_000)), "acme", 3, "openai");
    assertTrue(reserve("under", 1_000, limits).admitted());
    SettleResult under = await(store.settle("under", 0, 400, charge("acme", 3, "openai", 10, 10)));
    assertEquals(400, under.chargedMicros());
    assertEquals(1_000, under.reservedMicros());
    ScopeUsage afterUnder = usage(limits, 0);
    assertEquals(400, afterUnder.spentMicros());
    assertEquals(0, afterUnder.reservedMicros());
    assertEquals(OptionalLong.of(9_600), afterUnder.remainingMicros(), "the difference is refunded");

    assertTrue(reserve("over", 100, limits).admitted());
    SettleResult over = await(store.settle("over", 0, 150, charge("acme", 3, "openai", 10, 10)));
    assertTrue(over.overrun());
    assertEquals(550, usage(limits, 0).spentMicros(), "the real cost is charged even so");

    List<LedgerEntry> ledger = await(store.readLedger(null, 100));
    assertEquals(2, ledger.size());
    LedgerEntry entry = ledger.get(1);
    assertEquals("over", entry.requestId());
    assertEquals(150, entry.costMicros());
    assertEquals(100, entry.reservedMicros());
    assertTrue(entry.overrun());
    assertEquals("acme", entry.tenant());
    assertEquals(3, entry.tier());
    assertEquals("openai", entry.providerId());
    assertEquals("model-openai", entry.model());
    assertEquals("quality", entry.routeReason());
    assertEquals(clock.millis(), entry.timeMs());
    assertEquals(List.of(limits.get(0).key()), entry.charged());
    assertCountersEqualLedger(store, limits);
  }

  private Reservation toProvider(String id, long amount, List<ApplicableLimit> limits,
      String provider) {
    return new Reservation(id, 0, "node-a", amount, limits, clock.millis() + 60_000, provider);
  }

  @Test
  void anOverrunHaltsThatProviderUntilAcknowledgedAndOnlyThatOne() throws Exception {
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 10_000)), "acme", 3, "openai");
    assertTrue(await(store.reserve(toProvider("honest", 100, limits, "openai"))).admitted());
    await(store.settle("honest", 0, 100, charge("acme", 3, "openai", 10, 10),
        Duration.ofHours(1)));
    assertTrue(await(store.haltedProviders()).isEmpty(), "charging exactly the hold is fine");

    assertTrue(await(store.reserve(toProvider("liar", 100, limits, "openai"))).admitted());
    SettleResult over = await(store.settle("liar", 0, 150, charge("acme", 3, "openai", 10, 10),
        Duration.ofHours(1)));
    assertTrue(over.overrun());

    assertEquals(Status.HALTED,
        await(store.reserve(toProvider("next", 100, limits, "openai"))).status());
    assertEquals(0, usage(limits, 0).reservedMicros(), "a halted reserve holds nothing");
    assertTrue(await(store.reserve(toProvider("other", 100, limits, "anthropic"))).admitted(),
        "another provider is not halted");
    List<HaltedProvider> halted = await(store.haltedProviders());
    assertEquals(1, halted.size());
    assertEquals("openai", halted.get(0).providerId());
    assertEquals("liar", halted.get(0).requestId());
    assertEquals(150, halted.get(0).chargedMicros());
    assertEquals(100, halted.get(0).reservedMicros());
    long until = halted.get(0).untilMillis();
    assertTrue(Math.abs(clock.millis() + 3_600_000 - until) < 5_000, "lifts in an hour: " + until);
    // A repeated settle (a retry) neither charges nor halts again.
    assertTrue(await(store.settle("liar", 0, 150, charge("acme", 3, "openai", 10, 10),
        Duration.ofHours(1))).repeat());

    assertTrue(await(store.acknowledgeOverrun("openai")));
    assertFalse(await(store.acknowledgeOverrun("openai")), "nothing left to acknowledge");
    assertTrue(await(store.reserve(toProvider("resumed", 100, limits, "openai"))).admitted());
    assertTrue(await(store.haltedProviders()).isEmpty());
  }

  @Test
  void releaseGivesEverythingBackAndLeavesTheLedgerAlone() throws Exception {
    List<ApplicableLimit> limits = limitsFor(policy(
        ScopeLimit.spend(ACME, BudgetWindow.DAY, 10_000),
        ScopeLimit.requests(BudgetScope.tier(2), BudgetWindow.DAY, 5)), "acme", 2, "openai");
    assertTrue(reserve("req", 1_000, limits).admitted());
    SettleResult released = await(store.release("req", 0));
    assertEquals(Outcome.RELEASED, released.outcome());
    assertEquals(Outcome.RELEASED, await(store.release("req", 0)).outcome());
    assertTrue(await(store.release("req", 0)).repeat());
    assertEquals(Outcome.UNKNOWN_RESERVATION,
        await(store.settle("never", 0, 5, charge("acme", 2, "openai", 1, 1))).outcome());
    for (ScopeUsage u : await(store.snapshot(limits))) {
      assertEquals(0, u.committedMicros());
      assertEquals(0, u.requests());
    }
    assertEquals(0, await(store.readLedger(null, 100)).size());
  }

  @Test
  void theReaperReleasesReservationsWhoseHolderDiedAndALateSettleIsStillCharged(Vertx vertx)
      throws Exception {
    BudgetStore smallBatches = StoreTesting.startStore(vertx, new BudgetStoreOptions()
        .redisUrl(redis.url()).operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT)
        .reapBatchSize(2), clock);
    extraStores.add(smallBatches);
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 10_000)), "acme", 2, "openai");
    for (int i = 0; i < 5; i++) {
      Reservation dead = new Reservation("dead-" + i, 0, "node-b", 1_000, limits,
          clock.millis() - 1);
      assertTrue(await(store.reserve(dead)).admitted());
    }
    assertTrue(reserve("alive", 500, limits).admitted());

    assertEquals(5, await(smallBatches.reapExpired(clock.millis())));
    assertEquals(0, await(smallBatches.reapExpired(clock.millis())));

    ScopeUsage after = usage(limits, 0);
    assertEquals(500, after.reservedMicros());
    assertEquals(1, after.requests());
    assertEquals(1L, await(store.openReservations()));

    SettleResult late = await(store.settle("dead-0", 0, 300, charge("acme", 2, "openai", 3, 3)));
    assertEquals(Outcome.LATE_CHARGED, late.outcome());
    assertEquals(Outcome.LATE_CHARGED,
        await(store.settle("dead-0", 0, 300, charge("acme", 2, "openai", 3, 3))).outcome());
    assertEquals(300, usage(limits, 0).spentMicros());
    assertTrue(await(store.readLedger(null, 10)).get(0).late());

    await(store.release("alive", 0));
    assertCountersEqualLedger(store, limits);
  }

  /**
   * docs/reliability.md row 2 on the store: a mixed, concurrent run leaves counters equal to the
   * ledger.
   */
  @Test
  void countersEqualTheLedgerToTheMicroDollarAfterAMixedRun(Vertx vertx) throws Exception {
    BudgetPolicy policy = policy(
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 1_000_000_000),
        ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 60_000),
        ScopeLimit.requests(BudgetScope.tier(2), BudgetWindow.DAY, 150),
        ScopeLimit.spend(BudgetScope.provider("openai"), BudgetWindow.MONTH, 500_000),
        ScopeLimit.spend(BudgetScope.tenant("beta"), BudgetWindow.DAY, 40_000),
        ScopeLimit.spend(BudgetScope.tenantProvider("acme", "anthropic"), BudgetWindow.MONTH,
            100_000));
    List<BudgetStore> nodes = List.of(store, anotherNode(vertx), anotherNode(vertx));
    Random random = new Random(42);
    Set<ApplicableLimit> allCounters = new HashSet<>();
    List<Future<?>> runs = new ArrayList<>();
    AtomicInteger admitted = new AtomicInteger();
    for (int i = 0; i < 400; i++) {
      String tenant = random.nextBoolean() ? "acme" : "beta";
      String provider = random.nextBoolean() ? "openai" : "anthropic";
      int tier = 2 + random.nextInt(2);
      List<ApplicableLimit> limits = limitsFor(policy, tenant, tier, provider);
      allCounters.addAll(limits);
      BudgetStore node = nodes.get(i % 3);
      long amount = 1 + random.nextInt(3_000);
      int fate = random.nextInt(6);
      long actual = switch (fate) {
        case 0 -> amount;
        case 1 -> amount + 1 + random.nextInt(50);
        default -> random.nextLong(amount + 1);
      };
      String id = "mixed-" + i;
      long deadline = fate == 5 ? clock.millis() - 1 : clock.millis() + 60_000;
      ChargeDetails details = charge(tenant, tier, provider, random.nextInt(5_000),
          random.nextInt(2_000));
      runs.add(node.reserve(new Reservation(id, 0, "node-" + i % 3, amount, limits, deadline))
          .compose(r -> {
            if (!r.admitted()) {
              return Future.succeededFuture();
            }
            admitted.incrementAndGet();
            return switch (fate) {
              case 3 -> node.release(id, 0);
              case 4 -> node.settle(id, 0, actual, details)
                  .compose(x -> nodes.get((fate + 1) % 3).settle(id, 0, actual, details));
              case 5 -> Future.succeededFuture(); // holder "dies"; the reaper will see it
              default -> node.settle(id, 0, actual, details);
            };
          }));
    }
    await(Future.all(runs));
    await(store.reapExpired(clock.millis()));
    // a few of the "dead" holders were only slow and settle late
    for (int i = 0; i < 400; i += 37) {
      await(store.settle("mixed-" + i, 0, 7, charge("acme", 2, "openai", 1, 1)));
    }

    assertTrue(admitted.get() > 50 && admitted.get() < 400,
        "the run must mix admissions and refusals, admitted " + admitted.get());
    assertCountersEqualLedger(store, new ArrayList<>(allCounters));
  }

  @Test
  void aRequestCapAdmitsTwentyPremiumCallsADay() throws Exception {
    List<ApplicableLimit> limits = limitsFor(
        policy(ScopeLimit.requests(BudgetScope.tier(3), BudgetWindow.DAY, 20)),
        "acme", 3, "anthropic");
    for (int i = 0; i < 20; i++) {
      assertTrue(reserve("premium-" + i, 15_000, limits).admitted(), "call " + i);
    }
    ReserveResult twentyFirst = reserve("premium-20", 15_000, limits);
    assertEquals(Status.EXHAUSTED, twentyFirst.status());
    assertEquals(Cap.REQUESTS, twentyFirst.exhausted().orElseThrow().cap());
    assertEquals(OptionalLong.of(0), twentyFirst.usage().get(0).remainingRequests());

    await(store.release("premium-0", 0));
    assertTrue(reserve("premium-20", 15_000, limits).admitted(),
        "a released call did not happen, so it does not count");
    for (int i = 1; i <= 20; i++) {
      await(store.settle("premium-" + i, 0, 9_000, charge("acme", 3, "anthropic", 10, 10)));
    }
    assertEquals(Status.EXHAUSTED, reserve("premium-21", 1, limits).status(),
        "settled calls keep counting");
    assertEquals(20, usage(limits, 0).requests());
  }

  @Test
  void aRuleCapCountsWithTheSpendScopesAllOrNothingAndFreeCallsCountToo() throws Exception {
    BudgetPolicy p = policy(ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.DAY, 20_000));
    ApplicableLimit rule = p.ruleLimit("premium-capped", 2, clock.instant());
    List<ApplicableLimit> paid = new java.util.ArrayList<>(limitsFor(p, "acme", 3, "openai"));
    paid.add(rule);
    // A spend refusal leaves the rule counter untouched: all or nothing.
    assertEquals(Status.EXHAUSTED, reserve("too-big", 20_001, paid).status());
    assertEquals(0, usage(paid, 1).requests());

    assertTrue(reserve("paid-1", 10_000, paid).admitted());
    // A free target of the same rule: no spend scope, amount 0, still one count.
    assertTrue(reserve("free-1", 0, List.of(rule)).admitted());
    ReserveResult third = reserve("paid-2", 1_000, paid);
    assertEquals(Status.EXHAUSTED, third.status());
    assertEquals(Cap.REQUESTS, third.exhausted().orElseThrow().cap());
    assertEquals(BudgetScope.rule("premium-capped"), third.exhausted().orElseThrow().key().scope());
    assertEquals(10_000, usage(paid, 0).reservedMicros(),
        "the refused reservation held nothing on tier 3");
    assertEquals(2, usage(paid, 1).requests());

    // A failed attempt is released and gives its count back; settled ones keep counting.
    await(store.release("free-1", 0));
    await(store.settle("paid-1", 0, 4_000, charge("acme", 3, "openai", 10, 10)));
    assertTrue(reserve("paid-2", 1_000, paid).admitted());
    await(store.settle("paid-2", 0, 1_000, charge("acme", 3, "openai", 1, 1)));
    assertEquals(Status.EXHAUSTED, reserve("paid-3", 1, paid).status());
    assertEquals(2, usage(paid, 1).requests());
    StoreTesting.assertCountersEqualLedger(store, paid);

    await(store.rememberRuleCap("premium-capped", 2));
    await(store.rememberRuleCap("docs-capped", 7));
    assertEquals(java.util.Map.of("premium-capped", 2L, "docs-capped", 7L),
        await(store.ruleCaps()));
  }

  @Test
  void windowsRollOverWithTheInjectedClock(Vertx vertx) throws Exception {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    clock = new TestClock(Instant.parse("2026-11-21T22:59:30Z")); // 23:59:30 in Berlin
    store = StoreTesting.startStore(vertx, redis, clock, berlin);
    BudgetPolicy policy = new BudgetPolicy(berlin, 0.8, List.of(
        ScopeLimit.spend(ACME, BudgetWindow.DAY, 1_000),
        ScopeLimit.spend(ACME, BudgetWindow.MONTH, 1_500)));

    assertTrue(reserve("late-evening", 1_000, limitsFor(policy, "acme", 2, "x")).admitted());
    ReserveResult sameDay = reserve("same-day", 1, limitsFor(policy, "acme", 2, "x"));
    assertEquals("day:2026-11-21:tenant:acme", sameDay.exhausted().orElseThrow().key().id());

    clock.advance(Duration.ofMinutes(1)); // 00:00:30 on the 22nd in Berlin
    ReserveResult nextDay = reserve("next-day", 1_000, limitsFor(policy, "acme", 2, "x"));
    assertEquals("month:2026-11:tenant:acme", nextDay.exhausted().orElseThrow().key().id(),
        "the day reset but the month did not");
    assertTrue(reserve("next-day-small", 500, limitsFor(policy, "acme", 2, "x")).admitted());

    clock.advance(Duration.between(clock.instant(), Instant.parse("2026-11-30T23:00:30Z")));
    ReserveResult nextMonth = reserve("next-month", 1_000, limitsFor(policy, "acme", 2, "x"));
    assertTrue(nextMonth.admitted());
    assertEquals(List.of("day:2026-12-01:tenant:acme", "month:2026-12:tenant:acme"),
        nextMonth.usage().stream().map(u -> u.key().id()).toList());
  }

  @Test
  void aSettleReportsEachCounterItChargedWithSpendAndReservationsApart() throws Exception {
    BudgetPolicy policy = policy(ScopeLimit.spend(ACME, BudgetWindow.DAY, 1_000),
        ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 100_000));
    List<ApplicableLimit> acme = limitsFor(policy, "acme", 2, "openai");
    assertTrue(reserve("a1", 500, acme).admitted());
    assertTrue(reserve("a2", 300, acme).admitted());

    SettleResult settled = await(store.settle("a1", 0, 120, charge("acme", 2, "openai", 1, 1)));
    assertEquals(List.of(new SettleResult.Charged(acme.get(0).key(), 120, 300),
        new SettleResult.Charged(acme.get(1).key(), 120, 300)), settled.charged(),
        "spend is what was charged; the other call's 300 stays a reservation");
    assertEquals(List.of(), await(store.release("a2", 0)).charged(), "a release charges nothing");
    assertEquals(List.of(), await(store.settle("a1", 0, 120, charge("acme", 2, "openai", 1, 1)))
        .charged(), "a repeat charges nothing again");
  }

  @Test
  void anAlertMarkerIsClaimedOncePerLevelAndWindowAcrossNodes(Vertx vertx) throws Exception {
    ScopeKey today = ScopeKey.of(ACME, BudgetWindow.DAY, clock.instant(), UTC);
    BudgetStore other = anotherNode(vertx);
    List<Future<Boolean>> claims = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      claims.add((i % 2 == 0 ? store : other).markOnce(today, "0.8"));
    }
    await(Future.all(claims));
    assertEquals(1, claims.stream().filter(Future::result).count(), "one winner of 20");
    assertTrue(await(store.markOnce(today, "1")), "another level is its own marker");
    long ttl = Long.parseLong(String.valueOf(redis.call("PTTL", BudgetKeys.alert(today, "0.8"))));
    assertTrue(ttl > 0 && ttl <= Duration.ofDays(1).toMillis(), "expires with the day: " + ttl);

    clock.advance(Duration.ofDays(1));
    ScopeKey tomorrow = ScopeKey.of(ACME, BudgetWindow.DAY, clock.instant(), UTC);
    assertTrue(await(other.markOnce(tomorrow, "0.8")), "a new window alerts again");
  }
}
