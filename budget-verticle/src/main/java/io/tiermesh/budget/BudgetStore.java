package io.tiermesh.budget;

import io.tiermesh.budget.ReserveResult.Cap;
import io.tiermesh.budget.ReserveResult.Exhausted;
import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.budget.SettleResult.Outcome;
import io.tiermesh.budget.impl.LuaScript;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Budget counters, reservations and the ledger in Redis. Each state change is one Lua script,
 * so the invariant "spend + open reservations ≤ limit" holds across any number of gateway nodes
 * sharing the Redis, and counters always equal the ledger.
 *
 * <p>Every operation is bounded by {@link BudgetStoreOptions#operationTimeout()}. A Redis that
 * does not answer in time makes {@link #reserve} answer {@link Status#UNAVAILABLE} and the other
 * operations fail with {@link FailureCode#BUDGET_UNAVAILABLE}; callers fail closed for paid
 * tiers. A reserve that timed out may still have been applied: the store releases it in the
 * background until Redis confirms (the reaper remains the last resort at its deadline).
 *
 * <p>Durability: Redis must run with AOF ({@code appendonly yes}) and {@code maxmemory-policy
 * noeviction}. The ledger rebuilds counters that were lost; a Redis that loses the ledger too
 * comes back with every budget at zero.
 */
public final class BudgetStore {

  private static final System.Logger LOG = System.getLogger(BudgetStore.class.getName());

  private static final LuaScript INIT = LuaScript.load("init");
  private static final LuaScript RESERVE = LuaScript.load("reserve");
  private static final LuaScript SETTLE = LuaScript.load("settle", "rollup");
  private static final LuaScript RECORD = LuaScript.load("record", "rollup");
  private static final LuaScript REAP = LuaScript.load("reap");
  private static final LuaScript SNAPSHOT = LuaScript.load("snapshot");
  private static final LuaScript REBUILD = LuaScript.load("rebuild");
  private static final LuaScript TRIM = LuaScript.load("trim");
  private static final LuaScript ROLLUP_REPLACE = LuaScript.load("rollup-replace");
  private static final LuaScript SCAN = LuaScript.load("scan");
  /** Not preloaded: an admin change can afford the one EVAL a first run costs. */
  private static final LuaScript LIMITS = LuaScript.load("limits");
  private static final List<LuaScript> SCRIPTS =
      List.of(INIT, RESERVE, SETTLE, RECORD, REAP, SNAPSHOT, REBUILD, TRIM, SCAN);
  /** Ledger entries dropped per trim script run: short enough not to stall Redis. */
  static final int TRIM_BATCH = 1_000;

  private static final String NONE = "-1";
  /** Background releases of an unanswered reserve: 250 ms doubling up to 4 s, ~20 s in all. */
  static final int ORPHAN_RELEASE_TRIES = 8;
  static final long ORPHAN_RELEASE_FIRST_BACKOFF_MS = 250;
  static final long ORPHAN_RELEASE_MAX_BACKOFF_MS = 4_000;

  private final Vertx vertx;

  private final Redis redis;
  private final BudgetStoreOptions options;
  private final Clock clock;
  /** The epoch whose counters this node trusts; null until learnt. */
  private volatile String epoch;
  private volatile boolean needsRebuild;

  public BudgetStore(Vertx vertx, BudgetStoreOptions options, Clock clock) {
    this.vertx = vertx;
    this.options = options;
    this.clock = clock;
    RedisOptions redisOptions = RedisClients.options(options.redis(), options.maxPoolSize(),
        options.maxPoolWaiting());
    redisOptions.getNetClientOptions()
        .setConnectTimeout((int) options.connectTimeout().toMillis());
    this.redis = RedisClients.create(vertx, redisOptions, options.redis());
  }

  /** Loads the scripts and learns (or starts) the epoch. Fails if Redis is unavailable. */
  public Future<Void> start() {
    Future<?> preload = Future.all(SCRIPTS.stream().map(s -> s.preload(redis)).toList());
    return bounded(preload.compose(v -> refreshReplicas()).compose(v -> learnEpoch()))
        .mapEmpty();
  }

  public Future<Void> close() {
    return redis.close();
  }

  /**
   * True when the counters were lost while their ledger survived: reservations answer
   * {@link Status#REBUILDING} until {@link #rebuildFromLedger()} completes on some node.
   */
  public boolean needsRebuild() {
    return needsRebuild;
  }

  /** Holds {@code r.amountMicros()} in every applicable scope, or in none. Never fails. */
  public Future<ReserveResult> reserve(Reservation r) {
    String known = epoch;
    Future<ReserveResult> result = known != null
        ? runReserve(r, known, true)
        : learnEpoch().compose(e -> e == null
            ? Future.succeededFuture(ReserveResult.of(Status.REBUILDING))
            : runReserve(r, e, true));
    return bounded(result).otherwise(t -> {
      LOG.log(Level.DEBUG, "reserve {0} unavailable: {1}", r.requestId(), t.getMessage());
      releaseUnanswered(r.requestId(), r.attempt(), 0);
      return ReserveResult.of(Status.UNAVAILABLE);
    });
  }

  /**
   * A reserve without an answer may still be applied later (a slow Redis; a stalled connection
   * that delivers it once the server is back). Nobody would settle that hold, and it would
   * block the cap until the reaper's deadline (minutes) as false refusals, so it is released in
   * the background until Redis confirms. A release that overtakes its reserve leaves a
   * tombstone that makes the late reserve a no-op (settle.lua).
   */
  private void releaseUnanswered(String requestId, int attempt, int tries) {
    release(requestId, attempt).onFailure(t -> {
      if (tries + 1 >= ORPHAN_RELEASE_TRIES) {
        LOG.log(Level.WARNING, "reserve of request {0} attempt {1} unanswered and not released"
            + " after {2} tries; the reaper releases it at its deadline if it was applied",
            requestId, attempt, ORPHAN_RELEASE_TRIES);
        return;
      }
      long backoff = Math.min(ORPHAN_RELEASE_MAX_BACKOFF_MS,
          ORPHAN_RELEASE_FIRST_BACKOFF_MS << tries);
      vertx.setTimer(backoff, id -> releaseUnanswered(requestId, attempt, tries + 1));
    });
  }

  /**
   * Charges the actual cost of an attempt, frees its reservation and appends the ledger entry,
   * all at once. Idempotent per request and attempt: a repeat returns the first outcome.
   */
  public Future<SettleResult> settle(String requestId, int attempt, long actualMicros,
      ChargeDetails details) {
    long now = clock.millis();
    return settle(requestId, attempt, actualMicros, details,
        Duration.ofMillis(86_400_000 - Math.floorMod(now, 86_400_000)));
  }

  /**
   * As {@link #settle(String, int, long, ChargeDetails)}; a charge above the reservation (an
   * overrun) also halts the provider for {@code haltFor}: its reservations answer
   * {@link Status#HALTED} until then or until {@link #acknowledgeOverrun}.
   */
  public Future<SettleResult> settle(String requestId, int attempt, long actualMicros,
      ChargeDetails details, Duration haltFor) {
    if (actualMicros < 0) {
      throw new IllegalArgumentException("negative cost");
    }
    return close(requestId, attempt, "settle", actualMicros, details,
        ledgerFields(requestId, attempt, details), haltFor).onSuccess(s -> {
          if (s.overrun() && !s.repeat()) {
            LOG.log(Level.WARNING, "request {0} attempt {1}: {2}/{3} charged {4}, above the {5}"
                + " reserved; the provider reported more usage than the request allowed and"
                + " is halted for paid traffic", requestId, attempt, details.providerId(),
                details.model(), Money.format(s.chargedMicros()),
                Money.format(s.reservedMicros()));
          }
        });
  }

  /**
   * Appends a free call (no reservation, no counter) to the ledger, so usage reports and the
   * premium comparison see all traffic. Charges nothing: rebuilds and counter sums ignore it.
   */
  public Future<String> recordFree(String requestId, int attempt, ChargeDetails details) {
    long now = clock.millis();
    List<String> args = new ArrayList<>(rollupArgs(now, details));
    args.addAll(ledgerFields(requestId, attempt, details));
    args.addAll(List.of("cost", "0", "reserved", "0", "ts", Long.toString(now), "keys", "",
        "late", "0", "over", "0"));
    return bounded(RECORD.run(redis, List.of(BudgetKeys.LEDGER, UsageRollups.hourKey(now),
        UsageRollups.dayKey(now, options.zone())), args)).map(Response::toString);
  }

  /** What the ledger keeps about a call besides what settle.lua adds (cost, time, counters). */
  private static List<String> ledgerFields(String requestId, int attempt, ChargeDetails d) {
    return List.of(
        "rid", requestId, "att", Integer.toString(attempt),
        "tenant", orEmpty(d.tenant()), "kid", orEmpty(d.keyId()),
        "tier", Integer.toString(d.tier()),
        "provider", orEmpty(d.providerId()), "model", orEmpty(d.model()),
        "in", Integer.toString(d.promptTokens()), "out", Integer.toString(d.completionTokens()),
        "reason", orEmpty(d.routeReason()), "prem", Long.toString(d.premiumMicros()),
        "user", orEmpty(d.user()));
  }

  private List<String> rollupArgs(long now, ChargeDetails d) {
    return UsageRollups.args(now, options.zone(), dims(d), d.promptTokens(),
        d.completionTokens(), d.premiumMicros());
  }

  static UsageRollups.Dims dims(ChargeDetails d) {
    return new UsageRollups.Dims(d.tenant(), d.keyId(), d.providerId(), d.model(), d.tier(),
        d.routeReason(), d.user());
  }

  /**
   * Gives an attempt's reservation back without a charge (the call never reached a paid
   * provider, or it failed before any usage). It writes no ledger entry: the ledger records
   * money that moved, and the request count is refunded too, so counters still equal it.
   */
  public Future<SettleResult> release(String requestId, int attempt) {
    return close(requestId, attempt, "release", 0, null, List.of(), Duration.ofMillis(1));
  }

  /**
   * Releases every reservation whose deadline is before {@code nowMs}, in bounded batches.
   * A holder that was merely slow can still settle afterwards ({@link Outcome#LATE_CHARGED}).
   */
  public Future<Integer> reapExpired(long nowMs) {
    return reapFrom(nowMs, 0);
  }

  /** Reads the counters of these limits at one instant. */
  public Future<List<ScopeUsage>> snapshot(List<ApplicableLimit> limits) {
    List<String> keys = limits.stream().map(l -> BudgetKeys.counter(l.key())).toList();
    return bounded(SNAPSHOT.run(redis, keys, List.of()))
        .map(flat -> usage(flat, limits));
  }

  /**
   * Remembers a capped rule so that every budget node lists its day counter in snapshots, not
   * only the node that reserved for it. Losing this hash loses only the listing, never a count.
   */
  public Future<Void> rememberRuleCap(String ruleName, long maxPerDay) {
    return bounded(redis.send(Request.cmd(Command.HSET).arg(BudgetKeys.RULE_CAPS).arg(ruleName)
        .arg(maxPerDay))).mapEmpty();
  }

  /** The capped rules remembered by {@link #rememberRuleCap}: name -> maxPerDay. */
  public Future<Map<String, Long>> ruleCaps() {
    return bounded(redis.send(Request.cmd(Command.HGETALL).arg(BudgetKeys.RULE_CAPS)))
        .map(r -> {
          Map<String, Long> out = new TreeMap<>();
          if (r == null || r.size() == 0) {
            return out;
          }
          if (r.isMap()) {
            for (String k : r.getKeys()) {
              out.put(k, r.get(k).toLong());
            }
          } else {
            // RESP2 answers a flat array: name, cap, name, cap, ...
            for (int i = 0; i + 1 < r.size(); i += 2) {
              out.put(r.get(i).toString(), r.get(i + 1).toLong());
            }
          }
          return out;
        });
  }

  /** The runtime limits and their version, read together. */
  public record StoredLimits(long version, Map<String, String> limits) {}

  /** The version of the runtime limits: 0 before the first change. */
  public Future<Long> runtimeLimitsVersion() {
    return bounded(redis.send(Request.cmd(Command.GET).arg(BudgetKeys.RUNTIME_LIMITS_VERSION)))
        .map(r -> r == null ? 0L : r.toLong());
  }

  /** Every runtime limit with the version it belongs to (one MULTI: never torn). */
  public Future<StoredLimits> runtimeLimits() {
    // A transaction on a connection of its own, never through the shared pool (see
    // PairRecorder.flush in the router).
    return bounded(redis.connect().compose(conn -> conn.batch(List.of(Request.cmd(Command.MULTI),
        Request.cmd(Command.GET).arg(BudgetKeys.RUNTIME_LIMITS_VERSION),
        Request.cmd(Command.HGETALL).arg(BudgetKeys.RUNTIME_LIMITS),
        Request.cmd(Command.EXEC))).eventually(conn::close))).map(all -> {
          Response exec = all.get(all.size() - 1);
          Response ver = exec.get(0);
          return new StoredLimits(ver == null ? 0L : ver.toLong(), hash(exec.get(1)));
        });
  }

  /** Stores a runtime limit (replacing one of the same name); the new version. */
  public Future<Long> setRuntimeLimit(ScopeLimit limit) {
    return bounded(LIMITS.run(redis, List.of(BudgetKeys.RUNTIME_LIMITS,
        BudgetKeys.RUNTIME_LIMITS_VERSION), List.of("set", limit.name(),
        RuntimeLimits.encode(limit)))).map(r -> r.get(1).toLong());
  }

  /** Deletes a runtime limit; the version after it, or -1 when there was none by that name. */
  public Future<Long> deleteRuntimeLimit(String name) {
    return bounded(LIMITS.run(redis, List.of(BudgetKeys.RUNTIME_LIMITS,
        BudgetKeys.RUNTIME_LIMITS_VERSION), List.of("del", name)))
        .map(r -> r.get(0).toLong() == 1 ? r.get(1).toLong() : -1L);
  }

  /** Providers halted after an overrun, each with what the overrun charged. */
  public Future<List<HaltedProvider>> haltedProviders() {
    return bounded(scanHalts("0", new ArrayList<>())).compose(keys -> {
      List<Future<HaltedProvider>> each = new ArrayList<>();
      for (String key : keys) {
        each.add(redis.send(Request.cmd(Command.HGETALL).arg(key)).compose(h ->
            redis.send(Request.cmd(Command.PTTL).arg(key)).map(ttl ->
                halted(key.substring(BudgetKeys.HALT_PREFIX.length()), h, ttl.toLong()))));
      }
      return bounded(Future.all(each)).map(all -> {
        List<HaltedProvider> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          HaltedProvider h = all.resultAt(i);
          if (h != null) {
            out.add(h);
          }
        }
        out.sort(java.util.Comparator.comparing(HaltedProvider::providerId));
        return out;
      });
    });
  }

  private Future<List<String>> scanHalts(String cursor, List<String> found) {
    return scanKeys(BudgetKeys.HALT_PREFIX + "*", cursor, found);
  }

  private HaltedProvider halted(String providerId, Response hash, long ttlMs) {
    Map<String, String> f = new HashMap<>();
    if (hash == null || hash.size() == 0 || ttlMs == -2) {
      return null; // expired or acknowledged between the scan and the read
    }
    if (hash.isMap()) {
      for (String k : hash.getKeys()) {
        f.put(k, hash.get(k).toString());
      }
    } else {
      for (int i = 0; i + 1 < hash.size(); i += 2) {
        f.put(hash.get(i).toString(), hash.get(i + 1).toString());
      }
    }
    String member = f.getOrDefault("member", "");
    return new HaltedProvider(providerId,
        member.contains(":") ? member.substring(member.indexOf(':') + 1) : member,
        Long.parseLong(f.getOrDefault("cost", "0")), Long.parseLong(f.getOrDefault("reserved", "0")),
        Long.parseLong(f.getOrDefault("at", "0")), ttlMs < 0 ? null : clock.millis() + ttlMs);
  }

  /** Lifts the halt of a provider; true when it was halted. */
  public Future<Boolean> acknowledgeOverrun(String providerId) {
    return bounded(redis.send(Request.cmd(Command.DEL).arg(BudgetKeys.halt(providerId))))
        .map(r -> r.toLong() > 0);
  }

  /**
   * Claims the alert marker {@code level} of a counter for the rest of its window: true for the
   * one caller in the whole mesh that set it first (SET NX), false for every later one. The marker
   * expires with the window, so the next period alerts again.
   */
  public Future<Boolean> markOnce(ScopeKey key, String level) {
    long ttl = Math.max(1, key.windowEnd(options.zone()).toEpochMilli() - clock.millis());
    return bounded(redis.send(Request.cmd(Command.SET).arg(BudgetKeys.alert(key, level))
        .arg("1").arg("NX").arg("PX").arg(ttl))).map(r -> r != null);
  }

  public Future<Long> openReservations() {
    return bounded(redis.send(Request.cmd(Command.ZCARD).arg(BudgetKeys.RESERVATIONS)))
        .map(Response::toLong);
  }

  /** Rollup hashes are read in batches of this many keys (one round trip each). */
  static final int HASH_BATCH = 256;
  /** A report reads up to 2 years of daily hashes: more than one operation's usual bound. */
  static final Duration REPORT_TIMEOUT = Duration.ofSeconds(5);

  /** The hashes at {@code keys}, in order; a missing one reads as empty. */
  public Future<List<Map<String, String>>> readHashes(List<String> keys) {
    List<Future<List<Response>>> batches = new ArrayList<>();
    for (int i = 0; i < keys.size(); i += HASH_BATCH) {
      List<Request> batch = keys.subList(i, Math.min(keys.size(), i + HASH_BATCH)).stream()
          .map(k -> Request.cmd(Command.HGETALL).arg(k)).toList();
      batches.add(redis.batch(batch));
    }
    return bounded(Future.all(batches), REPORT_TIMEOUT).map(all -> {
      List<Map<String, String>> out = new ArrayList<>(keys.size());
      for (int b = 0; b < batches.size(); b++) {
        for (Response r : all.<List<Response>>resultAt(b)) {
          out.add(hash(r));
        }
      }
      return out;
    });
  }

  static Map<String, String> hash(Response r) {
    Map<String, String> out = new HashMap<>();
    if (r == null || r.size() == 0) {
      return out;
    }
    if (r.isMap()) {
      for (String k : r.getKeys()) {
        out.put(k, r.get(k).toString());
      }
    } else {
      for (int i = 0; i + 1 < r.size(); i += 2) {
        out.put(r.get(i).toString(), r.get(i + 1).toString());
      }
    }
    return out;
  }

  /**
   * Adds refused requests to the refusal rollups of their hour and day.
   *
   * @param counts per epoch ms within the hour → field tenant\31key\31code → count
   */
  public Future<Void> addRefusals(Map<Long, Map<String, Long>> counts) {
    List<Request> cmds = new ArrayList<>();
    counts.forEach((at, fields) -> {
      String hour = UsageRollups.REFUSED_HOUR_PREFIX + UsageRollups.hourOf(at);
      String day = UsageRollups.REFUSED_DAY_PREFIX + UsageRollups.dayOf(at, options.zone());
      fields.forEach((field, n) -> {
        cmds.add(Request.cmd(Command.HINCRBY).arg(hour).arg(field).arg(n));
        cmds.add(Request.cmd(Command.HINCRBY).arg(day).arg(field).arg(n));
      });
      long now = clock.millis();
      cmds.add(Request.cmd(Command.PEXPIRE).arg(hour)
          .arg(UsageRollups.ttl(UsageRollups.hourExpireAt(at), now)));
      cmds.add(Request.cmd(Command.PEXPIRE).arg(day)
          .arg(UsageRollups.ttl(UsageRollups.dayExpireAt(at, options.zone()), now)));
    });
    return cmds.isEmpty() ? Future.succeededFuture() : bounded(redis.batch(cmds)).mapEmpty();
  }

  /**
   * Ledger entries with ids from {@code start} to {@code end} (XRANGE bounds: {@code -},
   * {@code +}, an id, or {@code (}id for exclusive), oldest first, at most {@code max}.
   */
  public Future<List<LedgerEntry>> readLedgerRange(String start, String end, int max) {
    Request xrange = Request.cmd(Command.XRANGE).arg(BudgetKeys.LEDGER).arg(start).arg(end)
        .arg("COUNT").arg(max);
    return bounded(redis.send(xrange).map(BudgetStore::rawEntries), REPORT_TIMEOUT)
        .map(page -> page.stream().map(BudgetStore::ledgerEntry).toList());
  }

  /** Ledger entries after {@code afterId} (exclusive; null = from the start), oldest first. */
  public Future<List<LedgerEntry>> readLedger(String afterId, int max) {
    return bounded(ledgerPage(afterId, max)).map(page -> page.stream()
        .map(BudgetStore::ledgerEntry).toList());
  }

  /**
   * Recomputes every counter from the ledger and the open reservations, then re-opens
   * reservations cluster-wide. Safe to call from several nodes: one holds the lock, the
   * others get {@link RebuildReport.Outcome#IN_PROGRESS_ELSEWHERE}. Settles keep working
   * meanwhile; their entries are folded in by the final atomic step.
   */
  public Future<RebuildReport> rebuildFromLedger() {
    String token = UUID.randomUUID().toString();
    Future<RebuildReport> run = bounded(redis.send(Request.cmd(Command.GET).arg(BudgetKeys.EPOCH)))
        .compose(current -> {
          if (current != null) {
            adopt(current.toString());
            return Future.succeededFuture(new RebuildReport(RebuildReport.Outcome.NOT_NEEDED, 0, 0));
          }
          Request lock = Request.cmd(Command.SET).arg(BudgetKeys.REBUILD_LOCK).arg(token)
              .arg("NX").arg("PX").arg(options.rebuildLockTtl().toMillis());
          return bounded(redis.send(lock)).compose(ok -> ok == null
              ? Future.succeededFuture(
                  new RebuildReport(RebuildReport.Outcome.IN_PROGRESS_ELSEWHERE, 0, 0))
              : readBases(new LedgerSums()).compose(sums -> foldLedger(null, sums))
                  .compose(sums -> commitRebuild(token, sums)));
        });
    return run.onSuccess(report -> LOG.log(Level.INFO, "budget rebuild: {0}", report));
  }

  /**
   * Drops ledger entries older than {@code retention} (by their stream id), at most
   * {@code maxBatches} × {@link #TRIM_BATCH} per call; each entry's charge is first added to the
   * base of its counters (trim.lua), so a rebuild still restores them. Does nothing while the
   * counters are untrusted or being rebuilt.
   *
   * @return entries dropped
   */
  public Future<Long> trimLedger(Duration retention, int maxBatches) {
    return trimFrom(retention, maxBatches, 0L);
  }

  private Future<Long> trimFrom(Duration retention, int batchesLeft, long trimmed) {
    long baseTtl = options.counterRetention().toMillis() + Duration.ofDays(32).toMillis();
    return bounded(TRIM.run(redis, List.of(BudgetKeys.LEDGER, BudgetKeys.REBUILD_LOCK,
        BudgetKeys.EPOCH, BudgetKeys.TRIMMED), List.of(Long.toString(retention.toMillis()),
        Integer.toString(TRIM_BATCH), Long.toString(baseTtl)))).compose(reply -> {
          if (!"trimmed".equals(reply.get(0).toString())) {
            return Future.succeededFuture(trimmed);
          }
          long n = reply.get(1).toLong();
          return n == TRIM_BATCH && batchesLeft > 1
              ? trimFrom(retention, batchesLeft - 1, trimmed + n)
              : Future.succeededFuture(trimmed + n);
        });
  }

  /** Counter key → {spent, count} carried by the bases of trimmed ledger entries. */
  public Future<Map<String, long[]>> ledgerBases() {
    return bounded(readBases(new LedgerSums()), options.rebuildLockTtl())
        .map(sums -> sums.spentAndCount);
  }

  private Future<LedgerSums> readBases(LedgerSums sums) {
    return scanKeys(BudgetKeys.COUNTER_BASE_PREFIX + "*", "0", new ArrayList<>())
        .compose(keys -> keys.isEmpty() ? Future.succeededFuture(sums)
            : readHashes(keys).map(hashes -> {
              for (int i = 0; i < keys.size(); i++) {
                Map<String, String> h = hashes.get(i);
                String counter = BudgetKeys.COUNTER_PREFIX
                    + keys.get(i).substring(BudgetKeys.COUNTER_BASE_PREFIX.length());
                long[] sc = sums.spentAndCount.computeIfAbsent(counter, k -> new long[2]);
                sc[0] += Long.parseLong(h.getOrDefault("spent", "0"));
                sc[1] += Long.parseLong(h.getOrDefault("count", "0"));
              }
              return sums;
            }));
  }

  /**
   * SCAN through a script routed by a budget key: on a Redis Cluster a bare SCAN goes to
   * whichever node the client picks, which need not be the one holding the budget's slot.
   */
  private Future<List<String>> scanKeys(String pattern, String cursor, List<String> found) {
    return SCAN.run(redis, List.of(BudgetKeys.EPOCH), List.of(cursor, pattern, "1000"))
        .compose(r -> {
          for (Response k : r.get(1)) {
            found.add(k.toString());
          }
          String next = r.get(0).toString();
          return "0".equals(next) ? Future.succeededFuture(found)
              : scanKeys(pattern, next, found);
        });
  }

  /** Periods a rollup rebuild rewrites, with their sums: period key → field → value. */
  private static final class RollupSums {
    final Map<String, Map<String, long[]>> fields = new HashMap<>();
    final Map<String, long[]> bounds = new HashMap<>(); // key → {start ms, end ms, expireAt}
    Long firstMs;
    String lastId;
    long entries;
  }

  /**
   * Rewrites the usage rollups of every period that ended before {@code closedBeforeMs} from
   * the ledger (an operator's repair: rollups are written with each entry and never differ
   * otherwise). Periods still open are left alone (settles keep adding to them, so replacing
   * them would lose those); when the ledger was trimmed, the period holding its oldest entry is
   * left alone too, since part of it is gone. Entries are read page by page.
   */
  public Future<io.tiermesh.contracts.RollupRebuildResult> rebuildRollups(long closedBeforeMs) {
    return bounded(redis.send(Request.cmd(Command.EXISTS).arg(BudgetKeys.TRIMMED)))
        .compose(trimmed -> foldRollups(new RollupSums()).compose(sums ->
            commitRollups(sums, closedBeforeMs, trimmed.toLong() == 1)));
  }

  private Future<RollupSums> foldRollups(RollupSums sums) {
    int pageSize = options.ledgerPageSize();
    String start = sums.lastId == null ? "-" : "(" + sums.lastId;
    return readLedgerRange(start, "+", pageSize).compose(page -> {
      ZoneId zone = options.zone();
      for (LedgerEntry e : page) {
        long ts = e.timeMs();
        if (sums.firstMs == null) {
          sums.firstMs = ts;
        }
        UsageRollups.Dims dims = new UsageRollups.Dims(e.tenant(), e.keyId(), e.providerId(),
            e.model(), e.tier(), e.routeReason(), e.user());
        long hourStart = UsageRollups.hourOf(ts) * UsageRollups.HOUR_MS;
        java.time.LocalDate day = UsageRollups.dayOf(ts, zone);
        add(sums, UsageRollups.hourKey(ts), hourStart, hourStart + UsageRollups.HOUR_MS,
            UsageRollups.hourExpireAt(ts), dims, e);
        add(sums, UsageRollups.dayKey(day), day.atStartOfDay(zone).toInstant().toEpochMilli(),
            day.plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli(),
            UsageRollups.dayExpireAt(ts, zone), dims, e);
        sums.lastId = e.id();
        sums.entries++;
      }
      return page.size() == pageSize ? foldRollups(sums) : Future.succeededFuture(sums);
    });
  }

  private static void add(RollupSums sums, String key, long start, long end, long expireAt,
      UsageRollups.Dims dims, LedgerEntry e) {
    sums.bounds.putIfAbsent(key, new long[] {start, end, expireAt});
    long[] f = sums.fields.computeIfAbsent(key, k -> new HashMap<>())
        .computeIfAbsent(dims.encode(), k -> new long[5]);
    f[0]++;
    f[1] += Math.max(0, e.promptTokens());
    f[2] += Math.max(0, e.completionTokens());
    f[3] += e.costMicros();
    f[4] += e.premiumMicros();
  }

  private Future<io.tiermesh.contracts.RollupRebuildResult> commitRollups(RollupSums sums,
      long closedBeforeMs, boolean trimmed) {
    long now = clock.millis();
    List<Future<?>> writes = new ArrayList<>();
    int hours = 0;
    int days = 0;
    Long from = null;
    Long to = null;
    for (Map.Entry<String, Map<String, long[]>> p : sums.fields.entrySet()) {
      long[] b = sums.bounds.get(p.getKey());
      boolean partial = trimmed && sums.firstMs != null && b[0] <= sums.firstMs;
      if (b[1] > closedBeforeMs || partial || b[2] <= now) {
        continue;
      }
      List<String> args = new ArrayList<>(1 + 2 * p.getValue().size());
      args.add(Long.toString(b[2] - now));
      p.getValue().forEach((field, v) -> {
        args.add(field);
        args.add(UsageRollups.value(v[0], v[1], v[2], v[3], v[4]));
      });
      writes.add(bounded(ROLLUP_REPLACE.run(redis, List.of(p.getKey()), args), REPORT_TIMEOUT));
      if (p.getKey().startsWith(UsageRollups.HOUR_PREFIX)) {
        hours++;
      } else {
        days++;
      }
      from = from == null ? b[0] : Math.min(from, b[0]);
      to = to == null ? b[1] : Math.max(to, b[1]);
    }
    var result = new io.tiermesh.contracts.RollupRebuildResult(sums.entries, hours, days, from,
        to);
    return Future.all(writes).map(all -> result);
  }

  // --- reserve -------------------------------------------------------------------------------

  private Future<ReserveResult> runReserve(Reservation r, String expectedEpoch, boolean mayRetry) {
    String member = BudgetKeys.member(r.requestId(), r.attempt());
    List<ApplicableLimit> limits = r.limits();
    List<String> keys = new ArrayList<>(5 + limits.size());
    keys.add(BudgetKeys.EPOCH);
    keys.add(BudgetKeys.reservation(member));
    keys.add(BudgetKeys.RESERVATIONS);
    keys.add(BudgetKeys.done(member));
    keys.add(BudgetKeys.halt(r.providerId()));
    limits.forEach(l -> keys.add(BudgetKeys.counter(l.key())));

    List<String> args = new ArrayList<>(5 + 3 * limits.size());
    args.add(expectedEpoch);
    args.add(Long.toString(r.amountMicros()));
    args.add(Long.toString(r.deadlineMs()));
    args.add(orEmpty(r.holderNodeId()));
    args.add(member);
    long now = clock.millis();
    long retentionMs = options.counterRetention().toMillis();
    for (ApplicableLimit l : limits) {
      long toWindowEnd = Math.max(1, l.windowEnd().toEpochMilli() - now);
      args.add(l.limitMicros().isPresent() ? Long.toString(l.limitMicros().getAsLong()) : NONE);
      args.add(l.maxRequests().isPresent() ? Long.toString(l.maxRequests().getAsLong()) : NONE);
      args.add(Long.toString(toWindowEnd + retentionMs));
    }

    return confirmed(RESERVE, keys, args, true).compose(reply -> {
      switch (reply.get(0).toString()) {
        case "rebuild":
          needsRebuild = true;
          return Future.succeededFuture(ReserveResult.of(Status.REBUILDING));
        case "epoch":
          // Another node rebuilt or initialised the counters: they are trustworthy again.
          adopt(reply.get(1).toString());
          return mayRetry
              ? runReserve(r, epoch, false)
              : Future.succeededFuture(ReserveResult.of(Status.UNAVAILABLE));
        case "closed":
          return Future.succeededFuture(ReserveResult.of(Status.ALREADY_CLOSED));
        case "halted":
          return Future.succeededFuture(ReserveResult.of(Status.HALTED));
        case "exhausted": {
          ScopeKey key = limits.get(reply.get(1).toInteger() - 1).key();
          Cap cap = "requests".equals(reply.get(2).toString()) ? Cap.REQUESTS : Cap.SPEND;
          return Future.succeededFuture(new ReserveResult(Status.EXHAUSTED,
              usage(reply.get(3), limits), Optional.of(new Exhausted(key, cap)), false));
        }
        default: {
          return Future.succeededFuture(new ReserveResult(Status.ADMITTED,
              usage(reply.get(1), limits), Optional.empty(),
              "duplicate".equals(reply.get(0).toString())));
        }
      }
    });
  }

  /**
   * Runs a script that changes money; with {@link BudgetStoreOptions#replicaAcks()} set, its
   * writes must also reach that many replicas. A reservation they did not confirm fails (the
   * caller releases it and fails closed): admitted spend must survive a failover. A settlement
   * waits the same way but stands either way, since the call it charges already happened.
   */
  private Future<Response> confirmed(LuaScript script, List<String> keys, List<String> args,
      boolean required) {
    int known = connectedReplicas;
    // Until the replicas are counted, assume they exist: confirming is the safe side.
    int wanted = Math.min(options.replicaAcks(), known < 0 ? options.replicaAcks() : known);
    if (wanted == 0) {
      return script.run(redis, keys, args);
    }
    return script.runConfirmed(redis, keys, args, wanted,
        options.replicaAckTimeout().toMillis()).compose(c -> {
          if (c.replicas() >= wanted) {
            return Future.succeededFuture(c.reply());
          }
          unconfirmed.incrementAndGet();
          // A replica that went away (or a master that just lost its only one in a failover)
          // is counted again, so the next reservations wait only for replicas that exist.
          refreshReplicas();
          return required
              ? Future.failedFuture(new IllegalStateException(c.replicas() + " of " + wanted
                  + " replicas confirmed within " + options.replicaAckTimeout().toMillis()
                  + " ms"))
              : Future.succeededFuture(c.reply());
        });
  }

  /** Replicas the master last reported connected; -1 until asked. */
  private volatile int connectedReplicas = -1;

  /**
   * Counts the master's connected replicas ({@code INFO replication}); reservations then wait
   * for at most that many. Called at start, by the budget role's maintenance every second and
   * after a reservation went unconfirmed. A master without replicas (the promoted replica of a
   * two-server set, until the old master returns as its replica) admits on its own word, as
   * when no confirmation is configured.
   */
  public Future<Integer> refreshReplicas() {
    if (options.replicaAcks() == 0) {
      return Future.succeededFuture(0);
    }
    // Batched behind a read of a budget key, so that on a Cluster INFO reaches the master that
    // holds the budget's slot (alone, a command without keys goes to any master).
    return bounded(redis.batch(List.of(Request.cmd(Command.EXISTS).arg(BudgetKeys.EPOCH),
        Request.cmd(Command.INFO).arg("replication")))).map(replies -> replies.get(1)).map(r -> {
      int n = r.toString().lines().filter(l -> l.startsWith("connected_slaves:"))
          .map(l -> Integer.parseInt(l.substring("connected_slaves:".length()).trim()))
          .findFirst().orElse(0);
      connectedReplicas = n;
      return n;
    });
  }

  /** Scripts whose writes fewer replicas confirmed than required. */
  private final java.util.concurrent.atomic.AtomicLong unconfirmed =
      new java.util.concurrent.atomic.AtomicLong();

  public long unconfirmedWrites() {
    return unconfirmed.get();
  }

  private Future<String> learnEpoch() {
    String candidate = UUID.randomUUID().toString();
    return INIT.run(redis, List.of(BudgetKeys.EPOCH, BudgetKeys.LEDGER, BudgetKeys.RESERVATIONS,
        BudgetKeys.TRIMMED), List.of(candidate)).map(reply -> {
          if ("ok".equals(reply.get(0).toString())) {
            adopt(reply.get(1).toString());
            return epoch;
          }
          needsRebuild = true;
          return null;
        });
  }

  private void adopt(String current) {
    epoch = current;
    needsRebuild = false;
  }

  // --- settle, release, reap ------------------------------------------------------------------

  private Future<SettleResult> close(String requestId, int attempt, String mode, long actualMicros,
      ChargeDetails details, List<String> ledgerFields, Duration haltFor) {
    String member = BudgetKeys.member(requestId, attempt);
    String providerId = details == null ? null : details.providerId();
    long now = clock.millis();
    List<String> args = new ArrayList<>(12 + ledgerFields.size());
    args.add(member);
    args.add(mode);
    args.add(Long.toString(actualMicros));
    args.add(Long.toString(options.settledRetention().toMillis()));
    args.add(Long.toString(now));
    args.add(Long.toString(Math.max(1, haltFor.toMillis())));
    // A release appends nothing, so its rollup arguments are never read; they keep the layout.
    args.addAll(rollupArgs(now, details == null
        ? new ChargeDetails(null, 0, null, null, 0, 0, null) : details));
    args.addAll(ledgerFields);
    List<String> keys = List.of(BudgetKeys.reservation(member), BudgetKeys.RESERVATIONS,
        BudgetKeys.done(member), BudgetKeys.LEDGER, BudgetKeys.halt(providerId),
        UsageRollups.hourKey(now), UsageRollups.dayKey(now, options.zone()));
    return bounded(confirmed(SETTLE, keys, args, false)).map(reply -> {
      String ledgerId = reply.get(3) == null ? "" : reply.get(3).toString();
      List<SettleResult.Charged> charged = new ArrayList<>();
      Response figures = reply.get(6);
      for (int i = 0; i + 2 < figures.size(); i += 3) {
        charged.add(new SettleResult.Charged(
            BudgetKeys.scopeOfCounter(figures.get(i).toString()), figures.get(i + 1).toLong(),
            figures.get(i + 2).toLong()));
      }
      return new SettleResult(outcome(reply.get(0).toString()), reply.get(1).toLong(),
          reply.get(2).toLong(), ledgerId.isEmpty() ? Optional.empty() : Optional.of(ledgerId),
          reply.get(5).toInteger() == 1, reply.get(4).toInteger() == 1, charged);
    });
  }

  private static Outcome outcome(String state) {
    return switch (state) {
      case "settled" -> Outcome.SETTLED;
      case "released" -> Outcome.RELEASED;
      case "late" -> Outcome.LATE_CHARGED;
      default -> Outcome.UNKNOWN_RESERVATION;
    };
  }

  private Future<Integer> reapFrom(long nowMs, int releasedSoFar) {
    int batch = options.reapBatchSize();
    return bounded(REAP.run(redis, List.of(BudgetKeys.RESERVATIONS), List.of(Long.toString(nowMs),
        Integer.toString(batch), Long.toString(options.settledRetention().toMillis()))))
        .compose(reply -> {
          int released = reply.toInteger();
          return released == batch
              ? reapFrom(nowMs, releasedSoFar + released)
              : Future.succeededFuture(releasedSoFar + released);
        });
  }

  // --- rebuild --------------------------------------------------------------------------------

  /** Per-counter sums of the ledger read so far. */
  private static final class LedgerSums {
    final Map<String, long[]> spentAndCount = new HashMap<>();
    String lastId;
    long entries;
  }

  private Future<LedgerSums> foldLedger(String afterId, LedgerSums sums) {
    int pageSize = options.ledgerPageSize();
    return bounded(ledgerPage(afterId, pageSize)).compose(page -> {
      for (RawEntry e : page) {
        long cost = Long.parseLong(e.fields().getOrDefault("cost", "0"));
        for (String counter : splitKeys(e.fields().get("keys"))) {
          long[] sc = sums.spentAndCount.computeIfAbsent(counter, k -> new long[2]);
          sc[0] += cost;
          sc[1]++;
        }
        sums.lastId = e.id();
        sums.entries++;
      }
      return page.size() == pageSize ? foldLedger(sums.lastId, sums) : Future.succeededFuture(sums);
    });
  }

  private Future<RebuildReport> commitRebuild(String token, LedgerSums sums) {
    String newEpoch = UUID.randomUUID().toString();
    List<String> args = new ArrayList<>();
    args.add(token);
    args.add(newEpoch);
    args.add(sums.lastId == null ? "0-0" : sums.lastId);
    long now = clock.millis();
    long retentionMs = options.counterRetention().toMillis();
    int counters = 0;
    for (Map.Entry<String, long[]> e : sums.spentAndCount.entrySet()) {
      long ttl;
      try {
        ttl = BudgetKeys.scopeOfCounter(e.getKey()).windowEnd(options.zone()).toEpochMilli()
            + retentionMs - now;
      } catch (RuntimeException unreadable) {
        LOG.log(Level.WARNING, "ledger names an unreadable counter {0}", e.getKey());
        continue;
      }
      if (ttl <= 0) {
        continue; // a window long past: its counter would have expired anyway
      }
      args.add(e.getKey());
      args.add(Long.toString(e.getValue()[0]));
      args.add(Long.toString(e.getValue()[1]));
      args.add(Long.toString(ttl));
      counters++;
    }
    int written = counters;
    List<String> keys = List.of(BudgetKeys.EPOCH, BudgetKeys.REBUILD_LOCK, BudgetKeys.LEDGER,
        BudgetKeys.RESERVATIONS);
    return bounded(REBUILD.run(redis, keys, args), options.rebuildLockTtl()).compose(reply -> {
      switch (reply.get(0).toString()) {
        case "ok":
          adopt(reply.get(1).toString());
          return Future.succeededFuture(new RebuildReport(RebuildReport.Outcome.REBUILT,
              sums.entries + reply.get(2).toLong(), written));
        case "current":
          adopt(reply.get(1).toString());
          return Future.succeededFuture(new RebuildReport(RebuildReport.Outcome.NOT_NEEDED, 0, 0));
        default:
          return Future.failedFuture(new MeshFailure(FailureCode.BUDGET_UNAVAILABLE,
              "budget rebuild outlived its lock; retry"));
      }
    });
  }

  // --- ledger ---------------------------------------------------------------------------------

  private record RawEntry(String id, Map<String, String> fields) {}

  private Future<List<RawEntry>> ledgerPage(String afterId, int max) {
    Request xrange = Request.cmd(Command.XRANGE).arg(BudgetKeys.LEDGER)
        .arg(afterId == null ? "-" : "(" + afterId).arg("+").arg("COUNT").arg(max);
    return redis.send(xrange).map(BudgetStore::rawEntries);
  }

  private static List<RawEntry> rawEntries(Response reply) {
    {
      List<RawEntry> out = new ArrayList<>(reply.size());
      for (Response entry : reply) {
        Map<String, String> fields = new HashMap<>();
        Response f = entry.get(1);
        if (f.isMap()) {
          f.getKeys().forEach(k -> fields.put(k, f.get(k).toString()));
        } else {
          for (int i = 0; i + 1 < f.size(); i += 2) {
            fields.put(f.get(i).toString(), f.get(i + 1).toString());
          }
        }
        out.add(new RawEntry(entry.get(0).toString(), fields));
      }
      return out;
    }
  }

  private static LedgerEntry ledgerEntry(RawEntry e) {
    Map<String, String> f = e.fields();
    return new LedgerEntry(e.id(), f.get("rid"), intOf(f, "att"), f.get("tenant"),
        emptyToNull(f.get("kid")), intOf(f, "tier"), f.get("provider"), f.get("model"), intOf(f, "in"), intOf(f, "out"),
        longOf(f, "cost"), longOf(f, "reserved"), longOf(f, "prem"), f.get("reason"),
        longOf(f, "ts"),
        splitKeys(f.get("keys")).stream().map(BudgetKeys::scopeOfCounter).toList(),
        "1".equals(f.get("late")), "1".equals(f.get("over")), emptyToNull(f.get("user")));
  }

  // --- helpers --------------------------------------------------------------------------------

  private static List<ScopeUsage> usage(Response flat, List<ApplicableLimit> limits) {
    List<ScopeUsage> out = new ArrayList<>(limits.size());
    for (int i = 0; i < limits.size(); i++) {
      ApplicableLimit l = limits.get(i);
      out.add(new ScopeUsage(l.key(), flat.get(3 * i).toLong(), flat.get(3 * i + 1).toLong(),
          flat.get(3 * i + 2).toLong(), l.limitMicros(), l.maxRequests()));
    }
    return out;
  }

  private static List<String> splitKeys(String joined) {
    return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split(","));
  }

  private static int intOf(Map<String, String> f, String field) {
    return Integer.parseInt(f.getOrDefault(field, "0"));
  }

  private static long longOf(Map<String, String> f, String field) {
    return Long.parseLong(f.getOrDefault(field, "0"));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private <T> Future<T> bounded(Future<T> operation) {
    return bounded(operation, options.operationTimeout());
  }

  /** The single place where Redis trouble becomes the mesh's "budget unavailable". */
  private static <T> Future<T> bounded(Future<T> operation, Duration limit) {
    return operation.timeout(limit.toMillis(), TimeUnit.MILLISECONDS).recover(t ->
        Future.failedFuture(t instanceof MeshFailure ? t
            : new MeshFailure(FailureCode.BUDGET_UNAVAILABLE, "budget store unavailable")));
  }
}
