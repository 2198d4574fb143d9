package io.tiermesh.budget;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetOverrunQuery;
import io.tiermesh.contracts.BudgetOverruns;
import io.tiermesh.contracts.BudgetReserve;
import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.BudgetSettle;
import io.tiermesh.contracts.BudgetSettleResult;
import io.tiermesh.contracts.BudgetSnapshot;
import io.tiermesh.contracts.BudgetUsageRecord;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The budget role: serves reserve and settle for the routers with {@link BudgetStore}, reaps
 * reservations whose holder died, rebuilds counters from the ledger when Redis lost them, and
 * answers the readiness probe (ready = Redis answers and the counters are trustworthy). Any
 * number of nodes may run it against the same Redis: every state change is one Lua script.
 */
public final class BudgetVerticle extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(BudgetVerticle.class.getName());

  /** A Redis that does not answer a PING in this time is treated as down. */
  static final long PING_TIMEOUT_MS = 500;
  /** Bounds the ledger read of one usage report. */
  static final int MAX_REPORT_ENTRIES = 1_000_000;
  static final int REPORT_PAGE = 5_000;

  private final MeshNode node;
  private final BudgetSettings settings;
  private final Clock clock;
  private BudgetStore store;
  private BudgetAlerts alerts;
  private Redis pingClient;
  private RedisAPI ping;
  private boolean storeStarted;
  private boolean maintenanceRunning;
  private long timer = -1;
  private final io.micrometer.core.instrument.MeterRegistry registry;

  public BudgetVerticle(MeshNode node, BudgetSettings settings) {
    this(node, settings, Clock.systemUTC());
  }

  public BudgetVerticle(MeshNode node, BudgetSettings settings, Clock clock) {
    this(node, settings, clock, null);
  }

  /** @param registry where alerts are counted (the node's Prometheus registry), or null */
  public BudgetVerticle(MeshNode node, BudgetSettings settings, Clock clock,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.node = node;
    this.settings = settings;
    this.clock = clock;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    store = new BudgetStore(vertx, settings.storeOptions(), clock);
    alerts = new BudgetAlerts(vertx, settings.alertWebhook(), settings.policy().alertFraction(),
        node.nodeId(), registry);
    pingClient = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(settings.redisUrl()).setMaxPoolSize(2).setMaxPoolWaiting(64));
    ping = RedisAPI.api(pingClient);
    var bus = vertx.eventBus();
    Future<Void> consumers = Future.all(List.of(
        Endpoints.BUDGET_RESERVE.consumer(bus, this::reserve).completion(),
        Endpoints.BUDGET_SETTLE.consumer(bus, this::settle).completion(),
        Endpoints.BUDGET_RECORD.consumer(bus, this::record).completion(),
        Endpoints.BUDGET_SNAPSHOT.consumer(bus, this::snapshot).completion(),
        Endpoints.BUDGET_USAGE.consumer(bus, this::usage).completion(),
        Endpoints.BUDGET_OVERRUNS.consumer(bus, this::overruns).completion(),
        Endpoints.BUDGET_HEALTH.consumer(bus, this::health).completion())).mapEmpty();
    // Redis being down at start is not a reason to stay down: maintenance retries the start,
    // and until then paid calls fail closed.
    return consumers.compose(v -> startStore().otherwiseEmpty()).onSuccess(v ->
        timer = vertx.setPeriodic(settings.reapInterval().toMillis(), id -> maintain()));
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    alerts.close();
    return Future.join(store.close(), pingClient.close());
  }

  private Future<Void> startStore() {
    return store.start().onSuccess(v -> storeStarted = true)
        .onFailure(t -> LOG.log(Level.WARNING, "budget store not reachable yet: {0}",
            t.getMessage()));
  }

  /** Reaps expired reservations and rebuilds lost counters; one run at a time per node. */
  private void maintain() {
    if (maintenanceRunning) {
      return;
    }
    maintenanceRunning = true;
    Future<?> run = !storeStarted ? startStore()
        : store.needsRebuild() ? store.rebuildFromLedger()
        : store.reapExpired(clock.millis()).onSuccess(n -> {
          if (n > 0) {
            LOG.log(Level.INFO, "released {0} reservations whose holder missed its deadline", n);
          }
        });
    run.onComplete(ar -> maintenanceRunning = false);
  }

  // --- reserve and settle ---------------------------------------------------------------------

  private void reserve(Message<BudgetReserve> msg) {
    BudgetReserve r = msg.body();
    // A free (tier 1) target reserves only when it counts against a rule's daily cap: nothing
    // to price, and the spend scopes stay out so that local traffic is never budget-blocked.
    boolean free = r.tier() <= 1;
    if (free && !r.ruleCapped()) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), "tier 1 reserves only for a capped rule");
      return;
    }
    Optional<ModelPrice> price = settings.priceOf(r.providerId(), r.model());
    if (price.isEmpty() && !free) {
      msg.reply(refusal(BudgetReserveResult.Status.UNAVAILABLE,
          "no price is configured for " + BudgetSettings.priceKey(r.providerId(), r.model())));
      return;
    }
    Reservation reservation;
    int cap = free ? (r.maxOutputTokens() == null ? 0 : r.maxOutputTokens())
        : settings.outputCap(r.providerId(), r.model(), r.maxOutputTokens());
    try {
      Instant now = clock.instant();
      List<ApplicableLimit> limits = new ArrayList<>(free ? List.of()
          : settings.policy().applicableScopes(r.tenant(), r.tier(), r.providerId(), now));
      if (r.ruleCapped()) {
        limits.add(settings.policy().ruleLimit(r.rule(), r.ruleMaxPerDay(), now));
      }
      reservation = new Reservation(r.requestId(), r.attempt(), r.holderNodeId(),
          free ? 0 : price.get().costMicros(Math.max(0, r.promptTokens()), cap), limits,
          now.toEpochMilli() + settings.reservationDeadline().toMillis(),
          free ? null : r.providerId());
    } catch (RuntimeException bad) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), "cannot reserve: " + bad.getMessage());
      return;
    }
    if (r.ruleCapped()) {
      store.rememberRuleCap(r.rule(), r.ruleMaxPerDay()).onFailure(t -> LOG.log(Level.DEBUG,
          "rule cap {0} not remembered: {1}", r.rule(), t.getMessage()));
    }
    store.reserve(reservation).onComplete(ar -> {
      ReserveResult res = ar.succeeded() ? ar.result() : ReserveResult.of(ReserveResult.Status.UNAVAILABLE);
      switch (res.status()) {
        case ADMITTED -> {
          alerts.crossed(res.alerts());
          msg.reply(new BudgetReserveResult(BudgetReserveResult.Status.ADMITTED,
              reservation.amountMicros(), cap, tightest(res.usage()), null));
        }
        case EXHAUSTED -> {
          ReserveResult.Exhausted ex = res.exhausted().orElseThrow();
          msg.reply(new BudgetReserveResult(BudgetReserveResult.Status.EXHAUSTED, 0, 0, null,
              "budget " + ex.key().id()
              + (ex.cap() == ReserveResult.Cap.REQUESTS ? " request cap" : " spend limit")
              + " reached", ex.key().scope().id()));
        }
        case REBUILDING -> {
          maintain();
          msg.reply(refusal(BudgetReserveResult.Status.UNAVAILABLE,
              "budget counters are being rebuilt from the ledger"));
        }
        case HALTED -> msg.reply(refusal(BudgetReserveResult.Status.HALTED, "provider '"
            + r.providerId() + "' is halted: it reported more usage than was reserved (see"
            + " /admin/budgets/overruns)"));
        case ALREADY_CLOSED -> msg.reply(refusal(BudgetReserveResult.Status.UNAVAILABLE,
            "attempt " + r.attempt() + " was already settled"));
        default -> msg.reply(refusal(BudgetReserveResult.Status.UNAVAILABLE,
            "budget store unavailable"));
      }
    });
  }

  private BudgetReserveResult refusal(BudgetReserveResult.Status status, String detail) {
    return new BudgetReserveResult(status, 0, 0, null, detail);
  }

  /** The smallest room left under any applicable spend limit; null when none has one. */
  static Long tightest(List<ScopeUsage> usage) {
    Long min = null;
    for (ScopeUsage u : usage) {
      OptionalLong left = u.remainingMicros();
      if (left.isPresent() && (min == null || left.getAsLong() < min)) {
        min = left.getAsLong();
      }
    }
    return min;
  }

  private void settle(Message<BudgetSettle> msg) {
    BudgetSettle s = msg.body();
    Future<SettleResult> done;
    if (s.release()) {
      done = store.release(s.requestId(), s.attempt());
    } else {
      Optional<ModelPrice> price = settings.priceOf(s.providerId(), s.model());
      if (price.isEmpty() && s.tier() <= 1) {
        price = Optional.of(ModelPrice.FREE);
      }
      if (price.isEmpty()) {
        msg.fail(FailureCode.INTERNAL.wireCode(), "no price for "
            + BudgetSettings.priceKey(s.providerId(), s.model()));
        return;
      }
      long cost = price.get().costMicros(Math.max(0, s.promptTokens()),
          Math.max(0, s.completionTokens()));
      Instant now = clock.instant();
      // An overrun halts the provider until the budget day rolls (or an operator acknowledges).
      Duration haltFor = Duration.between(now, ScopeKey.of(BudgetScope.global(),
          BudgetWindow.DAY, now, settings.policy().zone()).windowEnd(settings.policy().zone()));
      done = store.settle(s.requestId(), s.attempt(), cost, new ChargeDetails(s.tenant(),
          s.tier(), s.providerId(), s.model(), s.promptTokens(), s.completionTokens(),
          s.routeReason()), haltFor).onSuccess(r -> {
            if (r.overrun() && !r.repeat()) {
              alerts.overrun(s.providerId(), s.model(), r.chargedMicros(), r.reservedMicros());
            }
          });
    }
    done.onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      SettleResult r = ar.result();
      alerts.crossed(r.alerts());
      msg.reply(new BudgetSettleResult(r.chargedMicros(), r.reservedMicros(), r.repeat()));
    });
  }

  private void record(Message<BudgetUsageRecord> msg) {
    BudgetUsageRecord u = msg.body();
    store.recordFree(u.requestId(), u.attempt(), new ChargeDetails(u.tenant(), u.tier(),
        u.providerId(), u.model(), u.promptTokens(), u.completionTokens(), u.routeReason()))
        .onFailure(t -> LOG.log(Level.DEBUG, "free call {0} not recorded: {1}", u.requestId(),
            t.getMessage()));
  }

  // --- reports --------------------------------------------------------------------------------

  private void snapshot(Message<Object> msg) {
    Instant now = clock.instant();
    List<ApplicableLimit> limits = new ArrayList<>();
    for (ScopeLimit l : settings.policy().limits()) {
      ScopeKey key = ScopeKey.of(l.scope(), l.window(), now, settings.policy().zone());
      limits.add(new ApplicableLimit(key, l.limitMicros(), l.maxRequests(), OptionalLong.empty(),
          key.windowEnd(settings.policy().zone())));
    }
    Future<List<ApplicableLimit>> withRules = store.ruleCaps().map(caps -> {
      List<ApplicableLimit> all = new ArrayList<>(limits);
      caps.forEach((rule, cap) -> {
        try {
          all.add(settings.policy().ruleLimit(rule, cap, now));
        } catch (IllegalArgumentException notAName) {
          LOG.log(Level.DEBUG, "ignoring remembered rule cap {0}", rule);
        }
      });
      return all;
    }).otherwise(limits);
    withRules.compose(all -> Future.all(store.snapshot(all), store.openReservations()))
        .onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      List<ScopeUsage> usage = ar.result().resultAt(0);
      long open = ar.result().<Long>resultAt(1);
      List<BudgetSnapshot.Line> lines = usage.stream().map(u -> new BudgetSnapshot.Line(
          u.key().scope().id(), u.key().window().id(), u.key().period(), boxed(u.limitMicros()),
          u.spentMicros(), u.reservedMicros(), boxed(u.remainingMicros()), u.requests(),
          boxed(u.maxRequests()))).toList();
      msg.reply(new BudgetSnapshot(settings.policy().zone().getId(), lines, open));
    });
  }

  private void usage(Message<UsageQuery> msg) {
    String group = msg.body().group() == null ? "day" : msg.body().group();
    if (!UsageReports.GROUPS.contains(group)) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), "group must be one of " + UsageReports.GROUPS);
      return;
    }
    Optional<Map.Entry<String, ModelPrice>> premium = settings.premiumModel()
        .flatMap(m -> settings.prices().priceOf(m).map(p -> Map.entry(m, p)));
    readAll(null, new ArrayList<>()).onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      UsageReport report = UsageReports.build(group, ar.result(), settings.policy().zone(),
          premium);
      msg.reply(report);
    });
  }

  private void overruns(Message<BudgetOverrunQuery> msg) {
    String ack = msg.body().acknowledgeProvider();
    Future<Boolean> acknowledged = ack == null ? Future.succeededFuture(null)
        : store.acknowledgeOverrun(ack).onSuccess(was -> {
          if (was) {
            LOG.log(Level.WARNING, "overrun of provider {0} acknowledged: paid traffic to it"
                + " resumes", ack);
          }
        });
    acknowledged.compose(was -> store.haltedProviders().map(list -> new BudgetOverruns(
        list.stream().map(h -> new BudgetOverruns.Halted(h.providerId(), h.requestId(),
            h.chargedMicros(), h.reservedMicros(), h.atMillis(), h.untilMillis())).toList(),
        was))).onComplete(ar -> {
          if (ar.failed()) {
            MeshFailure f = MeshFailure.of(ar.cause());
            msg.fail(f.code().wireCode(), f.detail());
          } else {
            msg.reply(ar.result());
          }
        });
  }

  private Future<List<LedgerEntry>> readAll(String after, List<LedgerEntry> acc) {
    return store.readLedger(after, REPORT_PAGE).compose(page -> {
      acc.addAll(page);
      return page.size() < REPORT_PAGE || acc.size() >= MAX_REPORT_ENTRIES
          ? Future.succeededFuture(acc)
          : readAll(page.get(page.size() - 1).id(), acc);
    });
  }

  private static Long boxed(OptionalLong v) {
    return v.isPresent() ? v.getAsLong() : null;
  }

  // --- health ---------------------------------------------------------------------------------

  private void health(Message<Object> msg) {
    ping.ping(List.of())
        .timeout(PING_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          boolean rebuilding = store.needsRebuild();
          boolean ready = ar.succeeded() && storeStarted && !rebuilding;
          String detail = ar.failed() ? "redis unreachable"
              : rebuilding ? "rebuilding counters from the ledger"
              : !storeStarted ? "budget store starting" : "redis answers";
          msg.reply(new HealthReport("budget", node.nodeId(), ready, detail));
        });
  }
}
