package io.tiermesh.budget;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetOverrunQuery;
import io.tiermesh.contracts.BudgetOverruns;
import io.tiermesh.contracts.BudgetLimits;
import io.tiermesh.contracts.BudgetLimitsCommand;
import io.tiermesh.contracts.BudgetScopes;
import io.tiermesh.contracts.BudgetScopesQuery;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.BudgetReserve;
import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.BudgetSettle;
import io.tiermesh.contracts.BudgetSettleResult;
import io.tiermesh.contracts.BudgetSnapshot;
import io.tiermesh.contracts.BudgetUsageRecord;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.LedgerPage;
import io.tiermesh.contracts.LedgerPageQuery;
import io.tiermesh.contracts.RefusalCounts;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.UsageQuery;
import io.tiermesh.contracts.UsageReport;
import io.tiermesh.contracts.redis.RedisClients;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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

  /** How often a budget node trims the ledger, and how many batches one run may drop. */
  static final long TRIM_INTERVAL_MS = 10_000;
  static final int TRIM_BATCHES_PER_RUN = 50;

  /** A Redis that does not answer a PING in this time is treated as down. */
  static final long PING_TIMEOUT_MS = 500;

  private final MeshNode node;
  private final BudgetSettings settings;
  private final Clock clock;
  private BudgetStore store;
  private BudgetAlerts alerts;
  private BudgetMeters meters;
  private UsageReader usageReader;
  private Redis pingClient;
  private RedisAPI ping;
  private boolean storeStarted;
  private boolean maintenanceRunning;
  private long lastTrimMs;
  private long timer = -1;
  private final io.micrometer.core.instrument.MeterRegistry registry;
  /**
   * The limits in force: the config file's with the runtime ones (Redis) in their place. Read
   * on the event loop only; replaced whole when the runtime version moves.
   */
  private BudgetPolicy policy;
  private long limitsVersion;
  private boolean limitsLoading;
  private long limitsTimer = -1;
  /**
   * How often each budget node checks the runtime limits' version: a change made on any node
   * is in force everywhere within this (the change is also published, which is faster still).
   */
  static final long LIMITS_POLL_MS = 250;

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
    this.policy = settings.policy();
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    store = new BudgetStore(vertx, settings.storeOptions(), clock);
    usageReader = new UsageReader(vertx, store, settings.policy().zone(), clock);
    alerts = new BudgetAlerts(vertx, settings.webhooks(), () -> policy, node.nodeId(),
        registry, store::markOnce, clock);
    meters = new BudgetMeters(registry, () -> policy);
    pingClient = RedisClients.create(vertx, settings.redis().target(), 2, 64);
    ping = RedisAPI.api(pingClient);
    io.vertx.core.Context own = context;
    var bus = vertx.eventBus();
    consumers = List.of(
        Endpoints.BUDGET_RESERVE.consumer(bus, this::reserve),
        Endpoints.BUDGET_SETTLE.consumer(bus, this::settle),
        Endpoints.BUDGET_RECORD.consumer(bus, this::record),
        Endpoints.BUDGET_SNAPSHOT.consumer(bus, this::snapshot),
        Endpoints.BUDGET_USAGE.consumer(bus, this::usage),
        Endpoints.BUDGET_LEDGER_PAGE.consumer(bus, this::ledgerPage),
        Endpoints.BUDGET_REFUSALS.consumer(bus, this::refusals),
        Endpoints.BUDGET_ROLLUP_REBUILD.consumer(bus, this::rebuildRollups),
        Endpoints.BUDGET_OVERRUNS.consumer(bus, this::overruns),
        Endpoints.BUDGET_SCOPES.consumer(bus, this::scopes),
        Endpoints.BUDGET_LIMITS.consumer(bus, this::limits),
        Endpoints.BUDGET_LIMITS_CHANGED.consumer(bus, m -> loadLimits()),
        Endpoints.BUDGET_HEALTH.consumer(bus, this::health),
        Endpoints.BUDGET_ROLLOUT_ALERT.consumer(bus, m -> alerts.rolloutReverted(m.body())));
    Future<Void> registered = Future.all(consumers.stream()
        .map(io.vertx.core.eventbus.MessageConsumer::completion).toList()).mapEmpty();
    // Redis being down at start is not a reason to stay down: maintenance retries the start,
    // and until then paid calls fail closed. A Redis that answers but would lose budgets is:
    // the role refuses to run on it.
    return registered.compose(v -> startStore().recover(t -> t instanceof
        RedisDurability.UnsafeStore ? Future.failedFuture(t) : Future.succeededFuture()))
        .compose(v -> loadLimits().otherwiseEmpty()).onSuccess(v -> own.runOnContext(x -> {
          // On the role's own context whichever thread finished the start: timers set from
          // another would run maintenance and the limits poll on another event loop, racing
          // the message handlers over this verticle's state.
          timer = vertx.setPeriodic(settings.reapInterval().toMillis(), id -> maintain());
          limitsTimer = vertx.setPeriodic(LIMITS_POLL_MS, id -> pollLimits());
        }));
  }

  /**
   * Hands over before closing the store: the consumers go first (other budget nodes take new
   * messages), then the Redis operations in flight finish, so that no reservation, settlement
   * or release a router is waiting for is cut off (a cut one would hold its budget until the
   * reaper's deadline).
   */
  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (limitsTimer >= 0) {
      vertx.cancelTimer(limitsTimer);
    }
    Promise<Void> idle = Promise.promise();
    Future.join(consumers.stream().map(io.vertx.core.eventbus.MessageConsumer::unregister)
        .toList()).onComplete(ar -> {
          drained = idle;
          if (inFlight == 0) {
            idle.tryComplete();
          }
        });
    long bound = vertx.setTimer(STOP_WAIT_MS, id -> idle.tryComplete());
    return idle.future().compose(v -> {
      vertx.cancelTimer(bound);
      alerts.close();
      return Future.join(store.close(), pingClient.close());
    });
  }

  /** Longest a stop waits for Redis operations in flight (each is bounded far below it). */
  static final long STOP_WAIT_MS = 5_000;
  private List<io.vertx.core.eventbus.MessageConsumer<?>> consumers = List.of();
  private int inFlight;
  private Promise<Void> drained;

  /** Counts a reservation, settlement or release until its answer has been sent. */
  private <T> Future<T> tracked(Future<T> op) {
    inFlight++;
    return op.onComplete(ar -> {
      if (--inFlight == 0 && drained != null) {
        drained.tryComplete();
      }
    });
  }

  private Future<Void> startStore() {
    Future<Void> checked = settings.redis().force() ? Future.succeededFuture()
        : onOwnLoop(RedisDurability.check(pingClient, settings.redis().target()),
            PING_TIMEOUT_MS * 4);
    return checked.compose(v -> store.start()).onSuccess(v -> storeStarted = true)
        .onFailure(t -> LOG.log(t instanceof RedisDurability.UnsafeStore ? Level.ERROR
            : Level.WARNING, "budget store not started: {0}", t.getMessage()));
  }

  /**
   * Bounds {@code op} with a timer of this verticle's context. {@code Future.timeout} on a future
   * without a context (a {@code Future.join}) fires on Netty's global executor thread, and the
   * start continued from there: the store then opened its connection from a new context on
   * another event loop, and the role's timers were set there.
   */
  private <T> Future<T> onOwnLoop(Future<T> op, long ms) {
    Promise<T> result = Promise.promise();
    long t = vertx.setTimer(ms, id -> result.tryFail(new java.util.concurrent.TimeoutException(
        "Redis did not answer in " + ms + " ms")));
    op.onComplete(ar -> {
      vertx.cancelTimer(t);
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }

  /** Reaps expired reservations and rebuilds lost counters; one run at a time per node. */
  private void maintain() {
    if (maintenanceRunning) {
      return;
    }
    maintenanceRunning = true;
    Future<?> run = !storeStarted ? startStore()
        : store.needsRebuild() ? store.rebuildFromLedger()
        : store.refreshReplicas().otherwiseEmpty()
            .compose(v -> store.reapExpired(clock.millis())).onSuccess(n -> {
          if (n > 0) {
            LOG.log(Level.INFO, "released {0} reservations whose holder missed its deadline", n);
          }
        }).compose(n -> trimDue() ? trim() : Future.succeededFuture());
    run.onComplete(ar -> maintenanceRunning = false);
  }

  private boolean trimDue() {
    long now = clock.millis();
    if (settings.ledgerRetention().isEmpty() || now - lastTrimMs < TRIM_INTERVAL_MS) {
      return false;
    }
    lastTrimMs = now;
    return true;
  }

  /**
   * Every budget node trims; the script is atomic and drops only what is past the retention,
   * so two nodes trimming at once drop each entry once.
   */
  private Future<Long> trim() {
    return store.trimLedger(settings.ledgerRetention().orElseThrow(), TRIM_BATCHES_PER_RUN)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.log(Level.DEBUG, "trimmed {0} ledger entries past the retention", n);
          }
        })
        .onFailure(t -> LOG.log(Level.DEBUG, "ledger not trimmed: {0}", t.getMessage()));
  }

  // --- runtime limits ------------------------------------------------------------------------

  /** A cheap version read; the limits are read again only when it moved. */
  private void pollLimits() {
    if (limitsLoading || !storeStarted) {
      return;
    }
    store.runtimeLimitsVersion().onSuccess(v -> {
      if (v != limitsVersion) {
        loadLimits();
      }
    });
  }

  /**
   * Reads the runtime limits and puts them in force over the file's. While Redis cannot be
   * read the limits last read stay in force (the reservations fail closed anyway).
   */
  private Future<Void> loadLimits() {
    if (limitsLoading) {
      // One read at a time; a change that arrives meanwhile is read right after it.
      return limitsLoad.transform(ar -> loadLimits());
    }
    limitsLoading = true;
    limitsLoad = store.runtimeLimits().map(stored -> {
      List<String> skipped = new ArrayList<>();
      List<ScopeLimit> runtime = RuntimeLimits.decodeAll(stored.limits(), skipped);
      if (!skipped.isEmpty()) {
        LOG.log(Level.WARNING, "runtime budget limits not understood, left out: {0}", skipped);
      }
      BudgetPolicy next = settings.policy().with(runtime);
      if (stored.version() != limitsVersion) {
        LOG.log(Level.INFO, "budget limits version {0}: {1} runtime limit(s) over the file''s",
            stored.version(), runtime.size());
      }
      policy = next;
      limitsVersion = stored.version();
      return (Void) null;
    }).onComplete(ar -> {
      limitsLoading = false;
      if (ar.failed()) {
        LOG.log(Level.DEBUG, "runtime budget limits not read: {0}", ar.cause().getMessage());
      }
    });
    return limitsLoad;
  }

  private Future<Void> limitsLoad = Future.succeededFuture();

  private void limits(Message<BudgetLimitsCommand> msg) {
    BudgetLimitsCommand c = msg.body();
    Future<Long> change;
    try {
      change = switch (c.op()) {
        case LIST -> Future.succeededFuture(limitsVersion);
        case SET -> {
          Long cap = c.cutoffMicros() != null ? c.cutoffMicros() : c.limitMicros();
          ScopeLimit limit = new ScopeLimit(BudgetScope.parse(c.scope()),
              BudgetWindow.parse(c.window()),
              cap == null ? OptionalLong.empty() : OptionalLong.of(cap),
              c.maxRequests() == null ? OptionalLong.empty() : OptionalLong.of(c.maxRequests()),
              c.limitMicros() == null ? OptionalLong.empty() : OptionalLong.of(c.limitMicros()),
              c.alerts() == null ? List.of() : c.alerts());
          if (limit.scope() instanceof BudgetScope.Rule) {
            throw new IllegalArgumentException("a rule's cap is its maxPerDay in the rules file");
          }
          yield store.setRuntimeLimit(limit);
        }
        case RESET -> {
          String name = BudgetWindow.parse(c.window()).id() + ":"
              + BudgetScope.parse(c.scope()).id();
          yield store.deleteRuntimeLimit(name).map(v -> {
            if (v < 0) {
              throw new io.tiermesh.contracts.MeshFailure(FailureCode.NOT_FOUND,
                  "no runtime limit " + name + " (the file's limits are reset already)");
            }
            return v;
          });
        }
      };
    } catch (IllegalArgumentException bad) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), bad.getMessage());
      return;
    }
    change.compose(v -> c.op() == BudgetLimitsCommand.Op.LIST ? Future.succeededFuture(v)
        : loadLimits().map(x -> {
          Endpoints.BUDGET_LIMITS_CHANGED.publish(vertx.eventBus(), v);
          return v;
        })).onComplete(ar -> {
          if (ar.failed()) {
            MeshFailure f = MeshFailure.of(ar.cause());
            msg.fail(f.code().wireCode(), f.detail());
          } else {
            msg.reply(limitsView());
          }
        });
  }

  private BudgetLimits limitsView() {
    java.util.Map<String, ScopeLimit> file = new java.util.HashMap<>();
    settings.policy().limits().forEach(l -> file.put(l.name(), l));
    List<BudgetLimits.Limit> out = new ArrayList<>();
    for (ScopeLimit l : policy.limits()) {
      ScopeLimit f = file.get(l.name());
      boolean fromFile = f == l;
      out.add(new BudgetLimits.Limit(l.scope().id(), l.window().id(), boxed(l.budgetMicros()),
          boxed(l.maxRequests()), l.alerts().isEmpty() ? null : l.alerts(),
          fromFile ? "file" : "runtime", fromFile || f == null ? null
              : new BudgetLimits.FileLimit(boxed(f.budgetMicros()), boxed(f.maxRequests()),
                  f.alerts().isEmpty() ? null : f.alerts(), cutoff(f)), cutoff(l)));
    }
    return new BudgetLimits(settings.policy().zone().getId(), out, limitsVersion);
  }

  /** The hard cap when it sits above the budget; null when the budget is the cap. */
  private static Long cutoff(ScopeLimit l) {
    return l.limitMicros().equals(l.budgetMicros()) ? null : boxed(l.limitMicros());
  }

  /** Explain: the limits each paid target would spend from for this caller, with their room. */
  private void scopes(Message<BudgetScopesQuery> msg) {
    BudgetScopesQuery q = msg.body();
    Instant now = clock.instant();
    List<List<ApplicableLimit>> perTarget = new ArrayList<>();
    List<ApplicableLimit> all = new ArrayList<>();
    for (RouteInfo t : q.targets()) {
      List<ApplicableLimit> l = t.tier() <= 1 ? List.of() : policy.applicableScopes(
          new CallFacts(q.tenant() == null ? "default" : q.tenant(), t.tier(), t.providerId(),
              t.model(), q.keyId(), q.user()), now);
      perTarget.add(l);
      all.addAll(l);
    }
    store.snapshot(all).onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      List<ScopeUsage> usage = ar.result();
      List<BudgetScopes.Target> out = new ArrayList<>();
      int at = 0;
      for (int i = 0; i < q.targets().size(); i++) {
        RouteInfo t = q.targets().get(i);
        List<ScopeUsage> mine = usage.subList(at, at + perTarget.get(i).size());
        at += perTarget.get(i).size();
        String tightest = null;
        long least = Long.MAX_VALUE;
        for (ScopeUsage u : mine) {
          if (u.remainingMicros().isPresent() && u.remainingMicros().getAsLong() < least) {
            least = u.remainingMicros().getAsLong();
            tightest = u.key().scope().id();
          }
        }
        out.add(new BudgetScopes.Target(t.tier(), t.providerId(), t.model(),
            mine.stream().map(BudgetVerticle::line).toList(), tightest));
      }
      msg.reply(new BudgetScopes(out));
    });
  }

  /** The line with its limit's budget and the alert levels in force (the admin view). */
  private BudgetSnapshot.Line withLevels(BudgetSnapshot.Line l, ScopeKey key) {
    List<AlertThreshold> levels = policy.alertLevels(key);
    Long budget = policy.limitOf(key).map(x -> boxed(x.budgetMicros())).orElse(null);
    if (budget == null) {
      return l;
    }
    return new BudgetSnapshot.Line(l.scope(), l.window(), l.period(), l.limitMicros(),
        l.spentMicros(), l.reservedMicros(), l.remainingMicros(), l.requests(), l.maxRequests(),
        budget, levels.stream().map(AlertThreshold::share).toList());
  }

  private static BudgetSnapshot.Line line(ScopeUsage u) {
    return new BudgetSnapshot.Line(u.key().scope().id(), u.key().window().id(),
        u.key().period(), boxed(u.limitMicros()), u.spentMicros(), u.reservedMicros(),
        boxed(u.remainingMicros()), u.requests(), boxed(u.maxRequests()));
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
          : policy.applicableScopes(new CallFacts(r.tenant(), r.tier(),
              r.providerId(), r.model(), r.keyId(), r.user()), now));
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
    int fullCap = cap;
    tracked(store.reserve(reservation).compose(res -> {
      // Near a spend limit, a smaller output cap that the room left pays for (agents ask for
      // far more than they use): a second all-or-nothing reservation, so the cap still holds.
      Optional<ReserveResult.Exhausted> ex = res.exhausted();
      if (free || res.status() != ReserveResult.Status.EXHAUSTED || ex.isEmpty()
          || ex.get().cap() != ReserveResult.Cap.SPEND) {
        return Future.succeededFuture(new Fitted(res, reservation, fullCap));
      }
      OptionalInt fit = OutputFit.within(res.usage(), price.get(),
          Math.max(0, r.promptTokens()), fullCap);
      if (fit.isEmpty()) {
        return Future.succeededFuture(new Fitted(res, reservation, fullCap));
      }
      Reservation smaller = new Reservation(reservation.requestId(), reservation.attempt(),
          reservation.holderNodeId(),
          price.get().costMicros(Math.max(0, r.promptTokens()), fit.getAsInt()),
          reservation.limits(), reservation.deadlineMs(), reservation.providerId());
      return store.reserve(smaller).map(again -> again.admitted()
          ? new Fitted(again, smaller, fit.getAsInt()) : new Fitted(res, reservation, fullCap));
    }).onComplete(ar -> {
      ReserveResult res = ar.succeeded() ? ar.result().result()
          : ReserveResult.of(ReserveResult.Status.UNAVAILABLE);
      Reservation held = ar.succeeded() ? ar.result().reservation() : reservation;
      int heldCap = ar.succeeded() ? ar.result().cap() : fullCap;
      switch (res.status()) {
        case ADMITTED -> msg.reply(new BudgetReserveResult(BudgetReserveResult.Status.ADMITTED,
            held.amountMicros(), heldCap, tightest(res.usage()), null));
        case EXHAUSTED -> {
          ReserveResult.Exhausted ex = res.exhausted().orElseThrow();
          msg.reply(new BudgetReserveResult(BudgetReserveResult.Status.EXHAUSTED, 0, 0, null,
              "budget " + ex.key().id()
              + (ex.cap() == ReserveResult.Cap.REQUESTS ? " request cap" : " spend limit")
              + " reached", ex.key().scope().id()));
          // After the reply: telling operators never delays the fallback.
          alerts.cutoff(ex.key(), ex.cap(), res.usage());
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
    }));
  }

  /** A reservation's answer with what was asked for in it (the full or the fitted cap). */
  private record Fitted(ReserveResult result, Reservation reservation, int cap) {}

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
          s.routeReason(), s.keyId(), premiumCost(s.promptTokens(), s.completionTokens()),
          s.user()),
          haltFor).onSuccess(r -> {
            if (!r.repeat() && (r.outcome() == SettleResult.Outcome.SETTLED
                || r.outcome() == SettleResult.Outcome.LATE_CHARGED)) {
              meters.call(s.tenant(), s.tier(), s.model(), r.chargedMicros(), s.promptTokens(),
                  s.completionTokens());
            }
            if (r.overrun() && !r.repeat()) {
              alerts.overrun(s.providerId(), s.model(), r.chargedMicros(), r.reservedMicros());
            }
          });
    }
    tracked(done.onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      SettleResult r = ar.result();
      msg.reply(new BudgetSettleResult(r.chargedMicros(), r.reservedMicros(), r.repeat()));
      alerts.charged(r.charged());
    }));
  }

  private void record(Message<BudgetUsageRecord> msg) {
    BudgetUsageRecord u = msg.body();
    tracked(store.recordFree(u.requestId(), u.attempt(), new ChargeDetails(u.tenant(), u.tier(),
        u.providerId(), u.model(), u.promptTokens(), u.completionTokens(), u.routeReason(),
        u.keyId(), premiumCost(u.promptTokens(), u.completionTokens()), u.user()))
        .onSuccess(ignored -> meters.call(u.tenant(), u.tier(), u.model(), 0, u.promptTokens(),
            u.completionTokens()))
        .onFailure(t -> LOG.log(Level.DEBUG, "free call {0} not recorded: {1}", u.requestId(),
            t.getMessage())));
  }

  /** What these tokens would have cost on the premium model; 0 when none is priced. */
  private long premiumCost(int promptTokens, int completionTokens) {
    return premium().map(p -> p.getValue().costMicros(Math.max(0, promptTokens),
        Math.max(0, completionTokens))).orElse(0L);
  }

  private Optional<Map.Entry<String, ModelPrice>> premium() {
    return settings.premiumModel()
        .flatMap(m -> settings.prices().priceOf(m).map(p -> Map.entry(m, p)));
  }

  // --- reports --------------------------------------------------------------------------------

  private void snapshot(Message<Object> msg) {
    Instant now = clock.instant();
    List<ApplicableLimit> limits = new ArrayList<>();
    for (ScopeLimit l : policy.limits()) {
      if (l.scope().perCaller()) {
        continue; // one counter per key or person: explain shows a caller's own
      }
      ScopeKey key = ScopeKey.of(l.scope(), l.window(), now, settings.policy().zone());
      limits.add(new ApplicableLimit(key, l.limitMicros(), l.maxRequests(),
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
      List<BudgetSnapshot.Line> lines = usage.stream().map(u -> withLevels(line(u), u.key()))
          .toList();
      msg.reply(new BudgetSnapshot(settings.policy().zone().getId(), lines, open));
      alerts.snapshot(usage);
      meters.snapshot(usage);
    });
  }

  private void usage(Message<UsageQuery> msg) {
    ZoneId zone = settings.policy().zone();
    Future<UsageReport> report;
    try {
      report = usageReader.report(msg.body(),
          clock.instant().atZone(zone).toLocalDate(),
          premium().map(Map.Entry::getKey).orElse(null));
    } catch (IllegalArgumentException bad) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), bad.getMessage());
      return;
    }
    report.onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
      } else {
        msg.reply(ar.result());
      }
    });
  }

  private void ledgerPage(Message<LedgerPageQuery> msg) {
    LedgerPageQuery q = msg.body();
    String start;
    String end;
    try {
      start = q.afterId() != null ? "(" + LedgerRange.checkedId(q.afterId())
          : LedgerRange.start(q.from(), settings.policy().zone());
      end = LedgerRange.end(q.to(), settings.policy().zone());
    } catch (IllegalArgumentException bad) {
      msg.fail(FailureCode.BAD_REQUEST.wireCode(), bad.getMessage());
      return;
    }
    int max = Math.max(1, Math.min(LedgerRange.MAX_PAGE, q.max()));
    store.readLedgerRange(start, end, max).onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      List<LedgerEntry> page = ar.result();
      msg.reply(new LedgerPage(page.stream().map(e -> new LedgerPage.Entry(e.id(), e.timeMs(),
          e.requestId(), e.attempt(), e.tenant(), e.keyId(), e.tier(), e.providerId(),
          e.model(), e.promptTokens(), e.completionTokens(), e.costMicros(),
          e.reservedMicros(), e.premiumMicros(), e.routeReason(), e.late(), e.overrun(),
          e.user()))
          .toList(), page.isEmpty() ? q.afterId() : page.get(page.size() - 1).id(),
          page.size() == max));
    });
  }

  /** Periods closed less than this ago may still get a settle stamped by a slower clock. */
  static final long ROLLUP_REBUILD_MARGIN_MS = 5 * 60_000;

  private void rebuildRollups(Message<Object> msg) {
    store.rebuildRollups(clock.millis() - ROLLUP_REBUILD_MARGIN_MS).onComplete(ar -> {
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        msg.fail(f.code().wireCode(), f.detail());
        return;
      }
      usageReader.clear();
      LOG.log(Level.INFO, "usage rollups rebuilt from the ledger: {0}", ar.result());
      msg.reply(ar.result());
    });
  }

  private void refusals(Message<RefusalCounts> msg) {
    Map<Long, Map<String, Long>> byHour = new java.util.HashMap<>();
    for (RefusalCounts.Count c : msg.body().counts()) {
      String field = String.join(UsageRollups.SEP, clean(c.tenant()), clean(c.keyId()),
          clean(c.code()));
      byHour.computeIfAbsent(c.atMs(), h -> new java.util.HashMap<>())
          .merge(field, c.count(), Long::sum);
    }
    store.addRefusals(byHour).onFailure(t -> LOG.log(Level.DEBUG,
        "refusal counts not recorded: {0}", t.getMessage()));
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace(UsageRollups.SEP, " ");
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
