package io.tiermesh.router;

import io.tiermesh.contracts.RulesVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The published rules history in Redis, shared by every router of the mesh: each version the
 * cluster ran, its text, who published it and why. A router that starts reads the version in
 * force from here, not from its own file, so that a rollback survives restarts; a rollback is
 * itself a new version whose text is an earlier one's.
 *
 * <p>Keys (all under the {@code {tm}} hash tag, like the budget's):
 * <ul>
 *   <li>{@code {tm}:rules:seq} the last number given out;
 *   <li>{@code {tm}:rules:v:<n>} hash {@code version, text, source, who, why, at, node,
 *       previous};
 *   <li>{@code {tm}:rules:log} list of numbers, newest first, at most {@link #KEEP};
 *   <li>{@code {tm}:rules:current} the number in force.
 * </ul>
 * Every call is bounded by {@link #TIMEOUT_MS}: a slow Redis delays a publication, never a
 * routing decision (which reads only the router's memory).
 */
public final class PublishedRules {

  /** Versions kept; older ones are deleted as new ones are published. */
  public static final int KEEP = 100;
  public static final long TIMEOUT_MS = 5_000;
  static final String SEQ = "{tm}:rules:seq";
  static final String LOG = "{tm}:rules:log";
  static final String CURRENT = "{tm}:rules:current";
  static final String ENTRY = "{tm}:rules:v:";

  private static final String PUBLISH = script("rules-publish");
  private static final String HISTORY = script("rules-history");

  /** A published version with its text. */
  public record Entry(RulesVersion meta, String text) {}

  /** What a publication did: the number in force, and whether it is a new entry. */
  public record Publication(long number, boolean created) {}

  private final Redis redis;

  public PublishedRules(Redis redis) {
    this.redis = redis;
  }

  /** A small client of its own: publications are rare, a pool of two is plenty. */
  public static PublishedRules connect(Vertx vertx, RedisTarget target) {
    RedisOptions options = RedisClients.options(target, 2, 16);
    options.getNetClientOptions().setConnectTimeout((int) TIMEOUT_MS);
    return new PublishedRules(RedisClients.create(vertx, options, target));
  }

  public Future<Void> close() {
    return redis.close();
  }

  /**
   * Records {@code text} as the version in force. Unless {@code always}, a version equal to the
   * one already in force is not recorded again (several routers reading one shared file all
   * publish the same change).
   */
  public Future<Publication> publish(String version, String text, String source, String who,
      String why, String node, boolean always) {
    Request eval = Request.cmd(Command.EVAL).arg(PUBLISH).arg(3).arg(SEQ).arg(LOG).arg(CURRENT)
        .arg(version).arg(text).arg(source).arg(who).arg(why == null ? "" : why)
        .arg(System.currentTimeMillis()).arg(node).arg(always ? "1" : "0").arg(KEEP).arg(ENTRY);
    return bounded(redis.send(eval)).map(r -> new Publication(r.get(0).toLong(),
        r.get(1).toInteger() == 1));
  }

  /** The version in force, or null when nothing was ever published. */
  public Future<Entry> current() {
    return bounded(redis.send(Request.cmd(Command.GET).arg(CURRENT)))
        .compose(n -> n == null ? Future.succeededFuture() : get(n.toLong()));
  }

  /** Version {@code number} with its text, or null when it is not (or no longer) kept. */
  public Future<Entry> get(long number) {
    return bounded(redis.send(Request.cmd(Command.HMGET).arg(ENTRY + number).arg("version")
        .arg("source").arg("who").arg("why").arg("at").arg("node").arg("previous").arg("text")))
        .map(r -> {
          if (r.get(0) == null) {
            return null;
          }
          List<String> f = new ArrayList<>();
          for (int i = 0; i < 7; i++) {
            f.add(r.get(i) == null ? "" : r.get(i).toString());
          }
          return new Entry(meta(number, f), r.get(7).toString());
        });
  }

  /** The newest {@code limit} versions (without text), and the number in force (or null). */
  public Future<History> history(int limit) {
    Request eval = Request.cmd(Command.EVAL).arg(HISTORY).arg(2).arg(LOG).arg(CURRENT)
        .arg(Math.max(1, Math.min(limit, KEEP))).arg(ENTRY);
    return bounded(redis.send(eval)).map(r -> {
      String cur = r.get(0).toString();
      List<RulesVersion> out = new ArrayList<>();
      for (int i = 1; i + 7 < r.size(); i += 8) {
        List<String> f = new ArrayList<>();
        for (int j = 1; j <= 7; j++) {
          f.add(r.get(i + j).toString());
        }
        if (!f.get(0).isEmpty()) {
          out.add(meta(Long.parseLong(r.get(i).toString()), f));
        }
      }
      return new History(cur.isEmpty() ? null : Long.parseLong(cur), out);
    });
  }

  /** @param versions newest first */
  public record History(Long current, List<RulesVersion> versions) {}

  /**
   * The version a rollback returns to: {@code to} when given, else the newest kept version
   * before the one in force whose rules differ from it. Null when there is none.
   */
  public static RulesVersion rollbackTarget(History h, Long to) {
    if (h.current() == null) {
      return null;
    }
    RulesVersion current = h.versions().stream().filter(v -> v.number() == h.current())
        .findFirst().orElse(null);
    for (RulesVersion v : h.versions()) {
      if (to != null) {
        if (v.number() == to) {
          return v;
        }
      } else if (v.number() < h.current()
          && (current == null || !v.version().equals(current.version()))) {
        return v;
      }
    }
    return null;
  }

  private static RulesVersion meta(long number, List<String> f) {
    return new RulesVersion(number, f.get(0), f.get(1), f.get(2), f.get(3).isEmpty() ? null
        : f.get(3), f.get(4).isEmpty() ? 0 : Long.parseLong(f.get(4)), f.get(5),
        f.get(6).isEmpty() ? null : Long.parseLong(f.get(6)));
  }

  private static <T> Future<T> bounded(Future<T> f) {
    return f.timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static String script(String name) {
    String path = "/lua/" + name + ".lua";
    try (InputStream in = PublishedRules.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
