package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Property: over random traffic (paid calls settled, released or settled late, free calls,
 * several tenants, keys, providers, reasons, over several days in a zone that is not UTC), the
 * hourly and the daily usage rollups each sum to exactly what the ledger holds, per set of
 * dimensions, and a report built from the rollups equals one summed from the ledger.
 */
@ExtendWith(VertxExtension.class)
class UsageRollupsPropertyTest {

  private static final ZoneId ZONE = ZoneId.of("America/New_York");
  private static final String[] TENANTS = {"acme", "beta", "gamma"};
  private static final String[] KEYS = {"k-1", "k-2", null};
  private static final String[] REASONS = {"default", "quality-high", "fallback"};

  private static RedisServerProcess redis;
  private BudgetStore store;
  private TestClock clock;

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
    clock = new TestClock(Instant.parse("2031-03-13T20:00:00Z"));
    store = StoreTesting.startStore(vertx, redis, clock, ZONE);
  }

  @AfterEach
  void close() throws Exception {
    await(store.close());
    redis.call("FLUSHALL");
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 7, 42})
  void rollupsSumToTheLedger(long seed) throws Exception {
    randomTraffic(seed);
    List<LedgerEntry> ledger = assertRollupsEqualLedger();
    assertReportEqualsLedger(ledger);
  }

  /**
   * An operator's repair: rollups lost or damaged are rewritten from the ledger for every
   * period that has ended, and equal it again.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {3, 11})
  void rollupsAreRebuiltFromTheLedger(long seed) throws Exception {
    randomTraffic(seed);
    List<?> hours = (List<?>) redis.call("KEYS", UsageRollups.HOUR_PREFIX + "*");
    redis.call("DEL", hours.get(0).toString());
    redis.call("HINCRBY", hours.get(1).toString(), "stray", "5");
    List<?> days = (List<?>) redis.call("KEYS", UsageRollups.DAY_PREFIX + "*");
    redis.call("DEL", days.get(0).toString());
    clock.advance(Duration.ofDays(2)); // every period of the traffic has ended
    var result = await(store.rebuildRollups(clock.millis()));
    assertEquals(hours.size(), result.hours());
    assertEquals(days.size(), result.days());
    assertEquals(await(store.readLedger(null, 1_000_000)).size(), result.entries());
    assertEquals(0L, redis.call("HEXISTS", hours.get(1).toString(), "stray"),
        "a rewritten rollup is replaced whole");
    assertRollupsEqualLedger();

    // a period still open is left alone: settles keep adding to it
    await(store.recordFree("late", 1, new ChargeDetails("acme", 1, "p1", "m1", 1, 1, "default",
        "k-1", 0)));
    var open = await(store.rebuildRollups(clock.millis() - 60_000));
    assertEquals(hours.size(), open.hours(), "the current hour is not rewritten");
    assertRollupsEqualLedger();
  }

  /**
   * The reader answers like a fold of the rollups, and keeps the cells of a period that has
   * ended in memory: a later change to that hash shows only once the cache is cleared.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5})
  void theReaderCachesOnlyPeriodsThatHaveEnded(long seed, Vertx vertx) throws Exception {
    randomTraffic(seed);
    List<LedgerEntry> ledger = await(store.readLedger(null, 1_000_000));
    LocalDate last = UsageRollups.dayOf(ledger.get(ledger.size() - 1).timeMs(), ZONE);
    UsageQuery byDay = new UsageQuery(List.of("day"), last.minusDays(5).toString(),
        last.toString(), null, null);
    UsageReader reader = new UsageReader(vertx, store, ZONE, clock);
    UsageReport first = await(reader.report(byDay, last, null));
    assertEquals(ledger.size(), first.totals().calls());

    String closedDay = UsageRollups.dayKey(last.minusDays(1));
    String today = UsageRollups.dayKey(last);
    String extra = new UsageRollups.Dims("zeta", "", "p", "m", 2, "x").encode();
    redis.call("HSET", closedDay, extra, UsageRollups.value(1000, 0, 0, 0, 0));
    redis.call("HSET", today, extra, UsageRollups.value(7, 0, 0, 0, 0));
    UsageReport second = await(reader.report(byDay, last, null));
    assertEquals(ledger.size() + 7, second.totals().calls(),
        "the open day is read again, the closed one comes from memory");
    reader.clear();
    assertEquals(ledger.size() + 1007,
        await(reader.report(byDay, last, null)).totals().calls());
  }

  private void randomTraffic(long seed) throws Exception {
    Random rnd = new Random(seed);
    for (int i = 0; i < 400; i++) {
      clock.advance(Duration.ofMinutes(rnd.nextInt(20)));
      String tenant = TENANTS[rnd.nextInt(TENANTS.length)];
      String key = KEYS[rnd.nextInt(KEYS.length)];
      String reason = REASONS[rnd.nextInt(REASONS.length)];
      int tier = 1 + rnd.nextInt(3);
      int in = rnd.nextInt(5_000);
      int out = rnd.nextInt(2_000);
      ChargeDetails d = new ChargeDetails(tenant, tier, "p" + tier, "m" + tier, in, out, reason,
          key, (in + out) * 15L);
      String rid = "r" + seed + "-" + i;
      if (tier == 1) {
        await(store.recordFree(rid, 1, d));
        continue;
      }
      await(store.reserve(new Reservation(rid, 1, "node", 1_000_000, List.of(),
          clock.millis() + 60_000)));
      switch (rnd.nextInt(4)) {
        case 0 -> await(store.release(rid, 1)); // no charge: neither ledger nor rollups
        case 1 -> {
          await(store.release(rid, 1));
          await(store.settle(rid, 1, rnd.nextInt(5_000), d)); // charged late
        }
        default -> {
          long cost = rnd.nextInt(50_000);
          await(store.settle(rid, 1, cost, d));
          await(store.settle(rid, 1, cost, d)); // a repeat changes nothing
        }
      }
    }
  }

  private List<LedgerEntry> assertRollupsEqualLedger() throws Exception {
    List<LedgerEntry> ledger = await(store.readLedger(null, 1_000_000));
    assertTrue(ledger.size() > 250, "the traffic reached the ledger: " + ledger.size());
    Map<String, Map<UsageRollups.Dims, long[]>> hourly = new HashMap<>();
    Map<String, Map<UsageRollups.Dims, long[]>> daily = new HashMap<>();
    for (LedgerEntry e : ledger) {
      UsageRollups.Dims dims = new UsageRollups.Dims(e.tenant(), e.keyId(), e.providerId(),
          e.model(), e.tier(), e.routeReason());
      for (var byPeriod : List.of(
          hourly.computeIfAbsent(UsageRollups.hourKey(e.timeMs()), k -> new HashMap<>()),
          daily.computeIfAbsent(UsageRollups.dayKey(e.timeMs(), ZONE), k -> new HashMap<>()))) {
        long[] s = byPeriod.computeIfAbsent(dims, k -> new long[5]);
        s[0]++;
        s[1] += e.promptTokens();
        s[2] += e.completionTokens();
        s[3] += e.costMicros();
        s[4] += e.premiumMicros();
      }
    }
    assertEquals(lists(hourly), read(hourly.keySet()), "hourly rollups");
    assertEquals(lists(daily), read(daily.keySet()), "daily rollups");
    assertEquals(hourly.size(), scan(UsageRollups.HOUR_PREFIX), "no hourly rollup without entries");
    assertEquals(daily.size(), scan(UsageRollups.DAY_PREFIX), "no daily rollup without entries");
    return ledger;
  }

  private void assertReportEqualsLedger(List<LedgerEntry> ledger) throws Exception {
    // A report from the daily rollups equals the ledger summed by the same dimensions.
    LocalDate first = UsageRollups.dayOf(ledger.get(0).timeMs(), ZONE);
    LocalDate last = UsageRollups.dayOf(ledger.get(ledger.size() - 1).timeMs(), ZONE);
    UsageReports.Spec spec = UsageQueries.spec(new UsageQuery(List.of("tenant", "key", "day"),
        first.toString(), last.toString(), null, null), last, ZONE, "p3/m3");
    List<UsageReports.Period> periods = new ArrayList<>();
    for (long start : UsageQueries.periodStarts(spec)) {
      periods.add(new UsageReports.Period(start, UsageRollups.cells(
          await(store.readHashes(List.of(UsageRollups.dayKey(start, ZONE)))).get(0))));
    }
    UsageReport report = UsageReports.build(spec, periods, List.of());
    Map<String, long[]> expected = new HashMap<>();
    long costTotal = 0;
    for (LedgerEntry e : ledger) {
      String k = e.tenant() + "/" + (e.keyId() == null ? "" : e.keyId()) + "/"
          + UsageRollups.dayOf(e.timeMs(), ZONE);
      long[] s = expected.computeIfAbsent(k, x -> new long[2]);
      s[0]++;
      s[1] += e.costMicros();
      costTotal += e.costMicros();
    }
    assertEquals(expected.size(), report.rows().size());
    for (UsageReport.Row row : report.rows()) {
      long[] s = expected.get(row.key());
      assertEquals(s[0], row.calls(), row.key());
      assertEquals(s[1], row.costMicros(), row.key());
    }
    assertEquals(ledger.size(), report.totals().calls());
    assertEquals(costTotal, report.totals().costMicros());
  }

  private Map<String, Map<UsageRollups.Dims, List<Long>>> read(java.util.Set<String> keys)
      throws Exception {
    List<String> ordered = new ArrayList<>(new TreeSet<>(keys));
    List<Map<String, String>> hashes = await(store.readHashes(ordered));
    Map<String, Map<UsageRollups.Dims, List<Long>>> out = new HashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      Map<UsageRollups.Dims, List<Long>> cells = new HashMap<>();
      for (UsageRollups.Cell c : UsageRollups.cells(hashes.get(i))) {
        cells.put(c.dims(), List.of(c.calls(), c.promptTokens(), c.completionTokens(),
            c.costMicros(), c.premiumMicros()));
      }
      out.put(ordered.get(i), cells);
    }
    return out;
  }

  private long scan(String prefix) {
    return ((List<?>) redis.call("KEYS", prefix + "*")).size();
  }

  /** long[] compares by identity: compare lists. */
  private static Map<String, Map<UsageRollups.Dims, List<Long>>> lists(
      Map<String, Map<UsageRollups.Dims, long[]>> m) {
    Map<String, Map<UsageRollups.Dims, List<Long>>> out = new HashMap<>();
    m.forEach((k, cells) -> {
      Map<UsageRollups.Dims, List<Long>> c = new HashMap<>();
      cells.forEach((d, s) -> c.put(d, List.of(s[0], s[1], s[2], s[3], s[4])));
      out.put(k, c);
    });
    return out;
  }
}
