package io.tiermesh.router.rollout;

import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.router.rules.Rule;
import io.tiermesh.router.rules.RuleEngine;
import io.tiermesh.router.rules.RuleSet;
import io.tiermesh.router.rules.Target;
import io.tiermesh.router.rules.WeightedTarget;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Adds each answer of a rule under rollout, and each scored pair of its arms, to the evidence
 * sums of the rules version in force ({@link RolloutKeys}). Every router records what it
 * served; the controller reads the sums of all. Off the request path: an answer only adds to an
 * in-memory map, bounded ({@link #MAX_FIELDS}), that a timer writes once a second in one
 * transaction; when Redis is slow or down, what does not fit is dropped and counted. Touched
 * only on the router's event loop.
 */
public final class RolloutRecorder {

  private static final Logger LOG = Logger.getLogger(RolloutRecorder.class.getName());

  public static final long FLUSH_MS = 1_000;
  public static final int MAX_FIELDS = 10_000;

  private final Vertx vertx;
  private final Redis redis;
  /** evidence key → field → increment. */
  private final Map<String, Map<String, Double>> pending = new LinkedHashMap<>();
  private int fields;
  private boolean flushing;
  private long timer = -1;
  private final AtomicLong dropped = new AtomicLong();
  /** The rollout rules of the last rule set seen, by name; rebuilt when the rules change. */
  private RuleSet rulesSeen;
  private Map<String, Rule> rollouts = Map.of();

  public RolloutRecorder(Vertx vertx, Redis redis) {
    this.vertx = vertx;
    this.redis = redis;
  }

  /** A small client of its own for the evidence, the controller's lease and its reads. */
  public static Redis client(Vertx vertx, io.tiermesh.contracts.redis.RedisTarget target) {
    io.vertx.redis.client.RedisOptions options =
        io.tiermesh.contracts.redis.RedisClients.options(target, 2, 32);
    options.getNetClientOptions().setConnectTimeout(2_000);
    return io.tiermesh.contracts.redis.RedisClients.create(vertx, options, target);
  }

  public void start() {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return flush();
  }

  public long dropped() {
    return dropped.get();
  }

  /** The sums not yet written for {@code key} (a copy), for tests. */
  Map<String, Double> pending(String key) {
    return Map.copyOf(pending.getOrDefault(key, Map.of()));
  }

  /** The rule named {@code name} when it runs a rollout that is not halted; else null. */
  Rule rollout(RuleSet rules, String name) {
    if (name == null) {
      return null;
    }
    if (rules != rulesSeen) {
      Map<String, Rule> m = new HashMap<>();
      for (Rule r : rules.rules()) {
        if (r.rollout() != null && r.rollout().halted() == null && r.candidateArm() != null) {
          m.put(r.name(), r);
        }
      }
      rollouts = m;
      rulesSeen = rules;
    }
    return rollouts.get(name);
  }

  /**
   * One request decided by {@code ruleName} under {@code rulesVersion}.
   *
   * @param served    the target that answered, or null when none did
   * @param planned   the first target of the plan (the arm's own)
   * @param backendFailed no answer, through no fault of the client's
   * @param ms        how long the answer took (ignored without one)
   * @param costMicros what it was charged, or null
   */
  public void request(RuleSet rules, String rulesVersion, String ruleName, String requestId,
      RouteInfo planned, RouteInfo served, boolean backendFailed, long ms, Long costMicros) {
    Rule r = rollout(rules, ruleName);
    if (r == null) {
      return;
    }
    WeightedTarget arm = RuleEngine.splitArm(r, RuleEngine.hashOf(requestId));
    String a = arm.target().equals(r.rollout().candidate()) ? RolloutKeys.CANDIDATE
        : RolloutKeys.OTHER;
    Map<String, Double> sums = sums(RolloutKeys.evidence(rulesVersion, ruleName));
    if (sums == null) {
      return;
    }
    add(sums, a + RolloutKeys.REQUESTS, 1);
    if (served == null) {
      add(sums, a + RolloutKeys.FELL_BACK, backendFailed ? 1 : 0);
      return;
    }
    boolean own = planned != null && served.tier() == planned.tier()
        && served.providerId().equals(planned.providerId())
        && java.util.Objects.equals(served.model(), planned.model());
    add(sums, a + RolloutKeys.FELL_BACK, own ? 0 : 1);
    add(sums, a + RolloutKeys.LATENCY + Evidence.latencyBucket(ms), 1);
    if (costMicros != null) {
      add(sums, a + RolloutKeys.COST, costMicros);
    }
  }

  /**
   * A scored pair of a rule under rollout: counted when one answer came from the candidate arm
   * and the other from the arm it replaces.
   */
  public void pair(RuleSet rules, String rulesVersion, String ruleName, RouteInfo primary,
      RouteInfo shadow, double agreement) {
    Rule r = rollout(rules, ruleName);
    if (r == null) {
      return;
    }
    Target cand = r.rollout().candidate();
    Target other = r.split().get(0).target().equals(cand) ? r.split().get(1).target()
        : r.split().get(0).target();
    boolean paired = (matches(cand, shadow) && matches(other, primary))
        || (matches(cand, primary) && matches(other, shadow));
    Map<String, Double> sums = paired ? sums(RolloutKeys.evidence(rulesVersion, ruleName))
        : null;
    if (sums != null) {
      add(sums, RolloutKeys.PAIRS, 1);
      add(sums, RolloutKeys.AGREEMENT, agreement);
    }
  }

  /** Whether an answer from {@code route} is one of {@code target}'s. */
  static boolean matches(Target target, RouteInfo route) {
    if (route == null) {
      return false;
    }
    if (target instanceof Target.Tier t) {
      return route.tier() == t.tier();
    }
    Target.Provider p = (Target.Provider) target;
    return p.providerId().equals(route.providerId())
        && (p.model() == null || p.model().equals(route.model()));
  }

  private Map<String, Double> sums(String key) {
    if (fields >= MAX_FIELDS) {
      dropped.incrementAndGet();
      return null;
    }
    return pending.computeIfAbsent(key, k -> new LinkedHashMap<>());
  }

  private void add(Map<String, Double> sums, String field, double v) {
    if (sums.merge(field, v, Double::sum) == v) {
      fields++;
    }
  }

  /** Writes what is pending in one transaction; what fails is dropped (counted). */
  Future<Void> flush() {
    if (flushing || pending.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Request> batch = new ArrayList<>();
    batch.add(Request.cmd(Command.MULTI));
    for (Map.Entry<String, Map<String, Double>> e : pending.entrySet()) {
      for (Map.Entry<String, Double> f : e.getValue().entrySet()) {
        batch.add(Request.cmd(Command.HINCRBYFLOAT).arg(e.getKey()).arg(f.getKey())
            .arg(Double.toString(f.getValue())));
      }
      batch.add(Request.cmd(Command.EXPIRE).arg(e.getKey())
          .arg(RolloutKeys.EVIDENCE_TTL_SECONDS));
    }
    batch.add(Request.cmd(Command.EXEC));
    int written = fields;
    pending.clear();
    fields = 0;
    flushing = true;
    // A connection of its own for MULTI..EXEC, as the paired-answer sums do.
    return redis.connect().compose(conn -> conn.batch(batch).eventually(conn::close))
        .timeout(5, TimeUnit.SECONDS).<Void>transform(ar -> {
          flushing = false;
          if (ar.failed()) {
            dropped.addAndGet(written);
            LOG.warning("rollout evidence not written (" + written + " sums dropped): "
                + ar.cause().getMessage());
          }
          return Future.succeededFuture();
        });
  }
}
