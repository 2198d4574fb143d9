package io.tiermesh.budget;

import io.tiermesh.contracts.redis.RedisTarget;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a Redis may hold budgets: it must never evict (counters and reservations carry no
 * copy elsewhere; an evicted counter reads as zero spend) and must keep an append-only file (a
 * restart without one starts every budget at zero and loses the ledger that could rebuild
 * them). Snapshots alone are not enough: everything charged since the last one is lost.
 */
public final class RedisDurability {

  /** Thrown when the budget store is unsafe and the operator did not force it. */
  public static final class UnsafeStore extends RuntimeException {
    public UnsafeStore(String message) {
      super(message, null, false, false);
    }
  }

  private RedisDurability() {}

  /**
   * What is wrong with a Redis for budgets, from its {@code maxmemory-policy} and its
   * {@code INFO persistence} text; empty when it is fit.
   */
  public static List<String> problems(String maxmemoryPolicy, String infoPersistence) {
    List<String> problems = new ArrayList<>();
    if (maxmemoryPolicy == null || !maxmemoryPolicy.equals("noeviction")) {
      problems.add("it evicts keys (maxmemory-policy " + maxmemoryPolicy + ")");
    }
    if (!infoPersistence.lines().anyMatch(l -> l.trim().equals("aof_enabled:1"))) {
      problems.add("it keeps no append-only file (appendonly no)");
    }
    return problems;
  }

  /**
   * Asks the server (through {@code redis}) and fails with {@link UnsafeStore} naming every
   * problem and the way out. A server that refuses {@code CONFIG} (a managed Redis may) cannot
   * be vouched for and counts as unsafe too.
   */
  public static Future<Void> check(Redis redis, RedisTarget target) {
    Future<Response> policy = redis.send(Request.cmd(Command.CONFIG).arg("GET")
        .arg("maxmemory-policy"));
    Future<Response> info = redis.send(Request.cmd(Command.INFO).arg("persistence"));
    return Future.join(policy, info).transform(ar -> {
      if (policy.failed()) {
        return Future.failedFuture(unsafe(target, List.of("CONFIG GET maxmemory-policy was "
            + "refused (" + policy.cause().getMessage() + "), so eviction cannot be ruled out")));
      }
      if (info.failed()) {
        return Future.failedFuture(info.cause());
      }
      List<String> problems = problems(configValue(policy.result()),
          info.result().toString());
      return problems.isEmpty() ? Future.succeededFuture()
          : Future.failedFuture(unsafe(target, problems));
    });
  }

  private static UnsafeStore unsafe(RedisTarget target, List<String> problems) {
    return new UnsafeStore("the budget role will not run on " + target.describe() + ": "
        + String.join("; ", problems) + ". Budgets, the ledger and usage would be lost without "
        + "a trace. Run that Redis with maxmemory-policy noeviction and appendonly yes, give "
        + "the budget store its own Redis (redis.budget), or set redis.budget.force: true to "
        + "run anyway.");
  }

  /** {@code CONFIG GET} answers a map (RESP3) or a flat name/value array (RESP2). */
  private static String configValue(Response r) {
    if (r == null) {
      return null;
    }
    try {
      Response v = r.get("maxmemory-policy");
      if (v != null) {
        return v.toString();
      }
    } catch (RuntimeException notAMap) {
      // RESP2 array: fall through.
    }
    return r.size() >= 2 ? r.get(1).toString() : null;
  }
}
