package io.tiermesh.router.rollout;

import io.tiermesh.contracts.ComparisonKeys;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.RolloutAlert;
import io.tiermesh.contracts.RolloutsView;
import io.tiermesh.router.ActiveRules;
import io.tiermesh.router.EnginePlanner;
import io.tiermesh.router.PublishedRules;
import io.tiermesh.router.RulesReloader;
import io.tiermesh.router.rollout.RolloutDecider.Action;
import io.tiermesh.router.rollout.RolloutDecider.Decision;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.ProviderEntry;
import io.tiermesh.router.rules.Rule;
import io.tiermesh.router.rules.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Runs the rules' staged rollouts: once a second, judges each rollout's evidence
 * ({@link RolloutDecider}) and publishes the new weight as a new rules version, through the
 * same path as a rollback, so every router runs it within the bus's push (well under 1 s).
 *
 * <p>One controller acts for the whole mesh: the router holding a lease in Redis
 * ({@link RolloutKeys#OWNER}, {@link #LEASE_MS}, renewed every tick). A router, because the
 * rules and their publication live there; a Redis lease rather than the cluster manager's
 * lock, because the evidence, the rules history and the budget's counters already live in that
 * Redis, and a controller that cannot reach Redis could neither read evidence nor publish, so
 * it should not hold the role. When the owner's node goes, another router takes the lease
 * within {@link #LEASE_MS}. Two owners at once (a paused JVM whose lease ran out) would at
 * worst both publish the same decision: each decision names the rules version it judged, and a
 * router only acts while that version is still in force.
 *
 * <p>Every router answers {@link Endpoints#ROUTER_ROLLOUTS} from Redis: the evidence, the
 * owner and its last decisions are there.
 */
public final class RolloutController {

  private static final Logger LOG = Logger.getLogger(RolloutController.class.getName());

  public static final long TICK_MS = 1_000;
  public static final long LEASE_MS = 5_000;
  /** Hours of feedback a window reads at most (feedback is kept per hour). */
  static final int MAX_FEEDBACK_HOURS = 48;
  public static final String WHO = "rollout controller";

  private static final String LEASE = "local v = redis.call('GET', KEYS[1]) "
      + "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
      + "if v then return 0 end "
      + "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";

  private final Vertx vertx;
  private final Redis redis;
  private final EnginePlanner planner;
  private final RulesReloader reloader;
  private final String nodeId;
  private long timer = -1;
  private boolean busy;
  private boolean owner;
  private MessageConsumer<Object> viewConsumer;
  /** When this router first saw each rules version: a window's start without a history. */
  private final Map<String, Long> seen = new HashMap<>();

  public RolloutController(Vertx vertx, Redis redis, EnginePlanner planner,
      RulesReloader reloader, String nodeId) {
    this.vertx = vertx;
    this.redis = redis;
    this.planner = planner;
    this.reloader = reloader;
    this.nodeId = nodeId;
  }

  /** Starts the ticks and the view consumer; call on the router verticle's context. */
  public Future<Void> start() {
    timer = vertx.setPeriodic(TICK_MS, id -> tick());
    viewConsumer = Endpoints.ROUTER_ROLLOUTS.consumer(vertx.eventBus(), this::onView);
    return viewConsumer.completion();
  }

  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    Future<Void> released = owner ? send(Request.cmd(Command.EVAL).arg("if redis.call('GET', "
        + "KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1").arg(1)
        .arg(RolloutKeys.OWNER).arg(nodeId)).mapEmpty() : Future.succeededFuture();
    return released.recover(e -> Future.succeededFuture())
        .eventually(() -> viewConsumer == null ? Future.succeededFuture()
            : viewConsumer.unregister());
  }

  /** Whether this router held the controller's lease at its last tick. */
  public boolean owner() {
    return owner;
  }

  /** A rollout of the rules in force, with what its judgement needs. */
  record Judged(Rule rule, int candidateIndex, int weight, long windowStart, Evidence evidence,
      Decision decision) {}

  private void tick() {
    if (busy) {
      return;
    }
    ActiveRules active = planner.active();
    seen.putIfAbsent(active.version(), System.currentTimeMillis());
    if (seen.size() > 64) {
      seen.keySet().removeIf(v -> !v.equals(active.version()));
    }
    busy = true;
    send(Request.cmd(Command.EVAL).arg(LEASE).arg(1).arg(RolloutKeys.OWNER).arg(nodeId)
        .arg(LEASE_MS))
        .compose(r -> {
          boolean was = owner;
          owner = r != null && r.toInteger() == 1;
          if (owner && !was) {
            LOG.info("this router runs the rollout controller");
          }
          return owner ? judgeAll(active).compose(list -> act(active, list))
              : Future.succeededFuture();
        })
        .onComplete(ar -> {
          busy = false;
          if (ar.failed()) {
            LOG.warning("rollout controller tick failed: " + ar.cause().getMessage());
          }
        });
  }

  /** Judges every rollout of {@code active}. */
  Future<List<Judged>> judgeAll(ActiveRules active) {
    List<Rule> rules = active.engine().ruleSet().rules().stream()
        .filter(r -> r.rollout() != null && r.candidateArm() != null).toList();
    if (rules.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    PublishedRules history = reloader.history();
    Future<Long> start = history == null ? Future.succeededFuture(null)
        : history.current().map(e -> e != null && e.meta().version().equals(active.version())
            ? e.meta().atMillis() : null).recover(err -> Future.succeededFuture(null));
    return start.compose(at -> {
      long windowStart = at != null ? at
          : seen.getOrDefault(active.version(), System.currentTimeMillis());
      List<Future<Judged>> all = new ArrayList<>();
      for (Rule r : rules) {
        all.add(judge(active, r, windowStart));
      }
      return Future.all(all).map(f -> {
        List<Judged> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          out.add(f.resultAt(i));
        }
        return out;
      });
    });
  }

  private Future<Judged> judge(ActiveRules active, Rule r, long windowStart) {
    long now = System.currentTimeMillis();
    int index = r.split().get(0).target().equals(r.rollout().candidate()) ? 0 : 1;
    int weight = r.split().get(index).weight();
    Future<Map<String, String>> sums = hash(RolloutKeys.evidence(active.version(), r.name()));
    Future<double[][]> feedback = feedback(r, index, windowStart, now);
    return Future.all(sums, feedback).map(f -> {
      double[][] fb = feedback.result();
      Evidence e = Evidence.of(sums.result(), fb[0], fb[1]);
      return new Judged(r, index, weight, windowStart, e,
          RolloutDecider.decide(r.rollout(), weight, e, now - windowStart));
    });
  }

  /**
   * Client feedback on each arm's answers over the window's hours: {count, sum} for the
   * candidate, then the other arm. Feedback is kept per hour, so a window's first hour counts
   * whole.
   */
  private Future<double[][]> feedback(Rule r, int candidateIndex, long from, long to) {
    if (r.rollout().guards().maxQualityDrop() == null) {
      return Future.succeededFuture(new double[2][2]);
    }
    long first = Math.max(ComparisonKeys.hour(from), ComparisonKeys.hour(to)
        - MAX_FEEDBACK_HOURS + 1);
    List<Future<Map<String, String>>> hours = new ArrayList<>();
    for (long h = first; h <= ComparisonKeys.hour(to); h++) {
      hours.add(hash(ComparisonKeys.FEEDBACK_PREFIX + h));
    }
    Target cand = r.split().get(candidateIndex).target();
    Target other = r.split().get(1 - candidateIndex).target();
    Catalog catalog = reloader.catalog();
    return Future.all(hours).map(f -> {
      double[][] out = new double[2][2];
      for (int i = 0; i < hours.size(); i++) {
        Map<String, String> hash = f.resultAt(i);
        hash.forEach((field, value) -> {
          String[] p = field.split(ComparisonKeys.SEP, -1);
          // tenant SEP rule's route reason SEP provider/model SEP metric
          if (p.length != 4 || !p[1].equals(r.reason())
              || !(p[3].equals("n") || p[3].equals("sum"))) {
            return;
          }
          int slash = p[2].indexOf('/');
          String provider = slash < 0 ? p[2] : p[2].substring(0, slash);
          String model = slash < 0 ? null : p[2].substring(slash + 1);
          Optional<ProviderEntry> entry = catalog.provider(provider);
          if (entry.isEmpty()) {
            return;
          }
          io.tiermesh.contracts.RouteInfo route = new io.tiermesh.contracts.RouteInfo(
              entry.get().tier(), provider, model, null);
          int arm = RolloutRecorder.matches(cand, route) ? 0
              : RolloutRecorder.matches(other, route) ? 1 : -1;
          if (arm >= 0) {
            out[arm][p[3].equals("n") ? 0 : 1] += Double.parseDouble(value);
          }
        });
      }
      return out;
    });
  }

  private Future<Void> act(ActiveRules judged, List<Judged> list) {
    Future<Void> chain = Future.succeededFuture();
    for (Judged j : list) {
      chain = chain.compose(v -> act(judged, j));
    }
    return chain;
  }

  private Future<Void> act(ActiveRules judged, Judged j) {
    Decision d = j.decision();
    if (d.action() != Action.ADVANCE && d.action() != Action.REVERT) {
      return Future.succeededFuture();
    }
    if (planner.active() != judged) {
      // The rules changed while the evidence was read: judge the new ones next tick.
      return Future.succeededFuture();
    }
    String rule = j.rule().name();
    String cand = j.rule().rollout().candidate().label();
    boolean revert = d.action() == Action.REVERT;
    String why = "rollout " + rule + ": " + d.why();
    String halted = revert ? d.why() + " (" + Instant.now() + ")" : null;
    String text = RolloutRules.withWeight(judged.text(), rule, j.candidateIndex(), d.toWeight(),
        halted, "published by the " + WHO + ": " + why);
    return reloader.publish(text, WHO, why).compose(published -> {
      LOG.info(why + (published == null ? "" : "; published rules version #" + published));
      if (revert) {
        RolloutAlert alert = new RolloutAlert(rule, d.guard(), figure(d), cand, d.fromWeight(),
            d.toWeight(), published, nodeId);
        LOG.warning("rollout " + rule + " reverted by this node's controller: " + d.why());
        Endpoints.BUDGET_ROLLOUT_ALERT.send(vertx.eventBus(), alert);
      }
      // Every change the controller makes is on the audit trail, as an admin's would be.
      return audit(rule, why, published).compose(v -> remember(j, published));
    }, err -> {
      LOG.warning("rollout " + rule + ": " + d.action() + " not published: "
          + err.getMessage());
      return Future.succeededFuture();
    });
  }

  private static String figure(Decision d) {
    return d.checks().stream().filter(c -> c.guard().equals(d.guard())).findFirst()
        .map(RolloutDecider.GuardCheck::figure).orElse(d.why());
  }

  /**
   * An audit record beside the admin API's own (same stream and field names as the gateway's
   * {@code AuditRecord}): who is the controller, what changed names the guard and figures.
   * No MAXLEN here: the gateways bound the stream, and a shorter bound would trim their records.
   */
  private Future<Void> audit(String rule, String change, Long published) {
    Request xadd = Request.cmd(Command.XADD).arg("{tm}:audit").arg("*")
        .arg("t").arg(Long.toString(System.currentTimeMillis()))
        .arg("kid").arg("rollout-controller")
        .arg("ep").arg("rollout " + rule)
        .arg("why").arg(rule)
        .arg("st").arg("200")
        .arg("lat").arg("0")
        .arg("chg").arg(change + (published == null ? "" : " (rules version #" + published
            + ")"));
    return send(xadd).<Void>mapEmpty().recover(err -> {
      LOG.warning("rollout audit record not written: " + err.getMessage());
      return Future.succeededFuture();
    });
  }

  /** Keeps a published decision for {@code GET /admin/rollouts}, which shows the last one. */
  private Future<Void> remember(Judged j, Long published) {
    Decision d = j.decision();
    String key = RolloutKeys.LAST + j.rule().name();
    Request set = Request.cmd(Command.HSET).arg(key)
        .arg("action").arg(d.action().name().toLowerCase(Locale.ROOT))
        .arg("from").arg(Integer.toString(d.fromWeight()))
        .arg("to").arg(Integer.toString(d.toWeight()))
        .arg("why").arg(d.why())
        .arg("at").arg(Long.toString(System.currentTimeMillis()))
        .arg("guard").arg(d.guard() == null ? "" : d.guard())
        .arg("published").arg(published == null ? "" : published.toString());
    return send(set).<Void>mapEmpty().recover(err -> Future.succeededFuture());
  }

  private void onView(Message<Object> msg) {
    ActiveRules active = planner.active();
    Future<Response> ownerF = send(Request.cmd(Command.GET).arg(RolloutKeys.OWNER));
    judgeAll(active).compose(list -> {
      List<Future<Map<String, String>>> lasts = new ArrayList<>();
      for (Judged j : list) {
        lasts.add(hash(RolloutKeys.LAST + j.rule().name()));
      }
      return Future.all(ownerF, Future.all(lasts)).map(v -> {
        List<RolloutsView.Rollout> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          out.add(view(list.get(i), lasts.get(i).result()));
        }
        Response o = ownerF.result();
        return new RolloutsView(active.version(), o == null ? null : o.toString(), out, null);
      });
    }).onComplete(ar -> msg.reply(ar.succeeded() ? ar.result()
        : new RolloutsView(active.version(), null, List.of(), "rollout state unavailable: "
            + ar.cause().getMessage())));
  }

  static RolloutsView.Rollout view(Judged j, Map<String, String> last) {
    Rule r = j.rule();
    Evidence e = j.evidence();
    Evidence.Arm c = e.candidate();
    long[] p95 = c.p95Bounds();
    RolloutsView.Evidence ev = new RolloutsView.Evidence(c.requests(), c.fellBack(),
        c.answered(), p95 == null ? null : p95[1] == Long.MAX_VALUE ? null : p95[1],
        c.costMicros(), e.other().requests(), e.pairs(),
        e.pairs() == 0 ? null : e.agreementSum() / e.pairs(), (long) e.feedbackCandidate()[0],
        e.feedbackCandidate()[0] == 0 ? null : e.feedbackCandidate()[1]
            / e.feedbackCandidate()[0], (long) e.feedbackOther()[0],
        e.feedbackOther()[0] == 0 ? null : e.feedbackOther()[1] / e.feedbackOther()[0]);
    List<RolloutsView.Guard> guards = new ArrayList<>();
    for (RolloutDecider.GuardCheck g : RolloutDecider.checks(r.rollout(), e,
        System.currentTimeMillis() - j.windowStart())) {
      guards.add(new RolloutsView.Guard(g.guard(), g.verdict().name().toLowerCase(Locale.ROOT),
          g.figure()));
    }
    RolloutsView.Decision lastDecision = last == null || last.get("action") == null ? null
        : new RolloutsView.Decision(last.get("action"), parse(last.get("from")),
            parse(last.get("to")), blankToNull(last.get("guard")), last.get("why"),
            Long.parseLong(last.getOrDefault("at", "0")),
            blankToNull(last.get("published")) == null ? null
                : Long.valueOf(last.get("published")));
    Decision d = j.decision();
    RolloutsView.Decision now = new RolloutsView.Decision(d.action().name()
        .toLowerCase(Locale.ROOT), d.fromWeight(), d.toWeight(), d.guard(), d.why(),
        System.currentTimeMillis(), null);
    Target other = r.split().get(1 - j.candidateIndex()).target();
    return new RolloutsView.Rollout(r.name(), r.rollout().candidate().label(), other.label(),
        r.rollout().steps(), j.weight(), r.rollout().halted() == null
            ? r.rollout().nextStep(j.weight()) : null, r.rollout().minSamples(),
        r.rollout().holdMs(), r.rollout().halted(), j.windowStart(), ev, guards, now,
        lastDecision);
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static int parse(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private Future<Map<String, String>> hash(String key) {
    return send(Request.cmd(Command.HGETALL).arg(key)).map(r -> {
      Map<String, String> m = new HashMap<>();
      if (r == null) {
        return m;
      }
      if (r.isMap()) {
        for (String k : r.getKeys()) {
          m.put(k, r.get(k).toString());
        }
      } else {
        for (int i = 0; i + 1 < r.size(); i += 2) {
          m.put(r.get(i).toString(), r.get(i + 1).toString());
        }
      }
      return m;
    });
  }

  private Future<Response> send(Request r) {
    return redis.send(r).timeout(PublishedRules.TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }
}
