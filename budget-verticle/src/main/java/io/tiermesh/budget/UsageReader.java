package io.tiermesh.budget;

import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers a usage query from the rollups: the hashes of the periods it covers, read in
 * pipelined batches, folded by {@link UsageReports}. The budget role and the usage benchmark
 * both go through here.
 *
 * <p>A period that ended more than {@link #SETTLED_MS} ago no longer changes (every settle
 * writes the rollup of the moment it is charged), so its cells are kept in memory and a report
 * over 30 days reads only the periods still open from Redis. The cache is bounded by the cells
 * it holds ({@link #MAX_CACHED_CELLS}, about 10 MB) and forgets an entry after
 * {@link #CACHE_TTL_MS}, so a rollup rebuilt on another node shows within that time; a rebuild
 * on this node clears it at once.
 */
public final class UsageReader {

  /** Settles stamped by a node whose clock lags still land in a period this long after it. */
  static final long SETTLED_MS = 5 * 60_000L;
  static final long CACHE_TTL_MS = 10 * 60_000L;
  static final int MAX_CACHED_CELLS = 100_000;

  private record Cached(List<UsageRollups.Cell> cells, long loadedAtMs) {}

  private final io.vertx.core.Vertx vertx;
  private final BudgetStore store;
  private final ZoneId zone;
  private final Clock clock;
  private final LinkedHashMap<String, Cached> cache = new LinkedHashMap<>(64, 0.75f, true);
  private int cachedCells;

  /**
   * @param vertx where the folding runs: on a worker thread, never the event loop, since a
   *              report over hundreds of periods takes milliseconds of CPU that reserves and
   *              settles on the same loop must not wait for
   */
  public UsageReader(io.vertx.core.Vertx vertx, BudgetStore store, ZoneId zone, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.zone = zone;
    this.clock = clock;
  }

  /** @throws IllegalArgumentException a query the client must fix */
  public Future<UsageReport> report(UsageQuery q, LocalDate today, String premiumModel) {
    UsageReports.Spec spec = UsageQueries.spec(q, today, zone, premiumModel);
    List<Long> starts = UsageQueries.periodStarts(spec);
    long now = clock.millis();
    List<String> keys = new ArrayList<>(starts.size());
    List<Boolean> settled = new ArrayList<>(starts.size());
    for (long start : starts) {
      String key = spec.hourly() ? UsageRollups.hourKey(start)
          : UsageRollups.dayKey(start, zone);
      long end = spec.hourly() ? start + UsageRollups.HOUR_MS
          : UsageRollups.dayOf(start, zone).plusDays(1).atStartOfDay(zone).toInstant()
              .toEpochMilli();
      keys.add(key);
      settled.add(end + SETTLED_MS <= now);
    }
    List<UsageRollups.Cell>[] cells = cellsArray(starts.size());
    List<String> toRead = new ArrayList<>();
    List<Integer> readAt = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      List<UsageRollups.Cell> hit = settled.get(i) ? cached(keys.get(i), now) : null;
      if (hit != null) {
        cells[i] = hit;
      } else {
        toRead.add(keys.get(i));
        readAt.add(i);
      }
    }
    // Refusal counts are few: always read.
    for (long start : starts) {
      toRead.add(spec.hourly() ? UsageRollups.REFUSED_HOUR_PREFIX + UsageRollups.hourOf(start)
          : UsageRollups.REFUSED_DAY_PREFIX + UsageRollups.dayOf(start, zone));
    }
    int usageReads = readAt.size();
    return store.readHashes(toRead).compose(hashes -> vertx.executeBlocking(() -> {
      for (int j = 0; j < usageReads; j++) {
        int i = readAt.get(j);
        cells[i] = UsageRollups.cells(hashes.get(j));
        if (settled.get(i)) {
          remember(keys.get(i), cells[i], now);
        }
      }
      List<UsageReports.Period> periods = new ArrayList<>(starts.size());
      for (int i = 0; i < starts.size(); i++) {
        periods.add(new UsageReports.Period(starts.get(i), cells[i]));
      }
      List<Map<String, String>> refused = hashes.subList(usageReads, hashes.size());
      return UsageReports.build(spec, periods, refused);
    }, false));
  }

  /** Forgets every cached period (after a rollup rebuild). */
  public synchronized void clear() {
    cache.clear();
    cachedCells = 0;
  }

  private synchronized List<UsageRollups.Cell> cached(String key, long now) {
    Cached c = cache.get(key);
    if (c == null) {
      return null;
    }
    if (now - c.loadedAtMs() > CACHE_TTL_MS) {
      cache.remove(key);
      cachedCells -= c.cells().size();
      return null;
    }
    return c.cells();
  }

  private synchronized void remember(String key, List<UsageRollups.Cell> cells, long now) {
    if (cells.size() > MAX_CACHED_CELLS / 4) {
      return; // one huge period would push out everything else
    }
    Cached old = cache.put(key, new Cached(List.copyOf(cells), now));
    cachedCells += cells.size() - (old == null ? 0 : old.cells().size());
    for (Iterator<Cached> it = cache.values().iterator();
        cachedCells > MAX_CACHED_CELLS && it.hasNext(); ) {
      cachedCells -= it.next().cells().size();
      it.remove();
    }
  }

  @SuppressWarnings("unchecked")
  private static List<UsageRollups.Cell>[] cellsArray(int n) {
    return (List<UsageRollups.Cell>[]) new List[n];
  }
}
