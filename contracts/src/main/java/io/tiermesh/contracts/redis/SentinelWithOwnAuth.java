package io.tiermesh.contracts.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The master of a Sentinel set whose sentinels require credentials of their own (a sentinel
 * {@code requirepass} or ACL user that differs from the data servers' user).
 *
 * <p>Why not the Vert.x Sentinel client: it derives the master's address from the sentinel's
 * URL and copies that URL's user and password onto it, so the sentinels and the data servers
 * can only share one set of credentials. Here each sentinel is asked with the sentinels' own
 * credentials ({@code SENTINEL GET-MASTER-ADDR-BY-NAME}), and the master is reached by a
 * standalone client with the data servers' credentials and TLS settings.
 *
 * <p>Failover: the sentinels are asked again every second and after any failed command, and a
 * changed answer replaces the master client (the old one is closed). Commands in flight on the
 * old master fail, as they do with any client, and the budget's callers fail closed.
 */
final class SentinelWithOwnAuth implements Redis {

  static final long RECHECK_MS = 1_000;

  private final List<Redis> sentinels = new ArrayList<>();
  private final String masterName;
  private final String scheme;
  private final Function<String, Redis> masterClient;
  private final Vertx vertx;
  private final long timer;

  private String address;
  private Redis current;
  private Future<Redis> asking;
  private boolean closed;

  /**
   * @param sentinelOptions options for one sentinel at the given endpoint (its credentials)
   * @param masterClient    a standalone client for the master at the given endpoint
   */
  SentinelWithOwnAuth(Vertx vertx, RedisTarget target,
      Function<String, RedisOptions> sentinelOptions, Function<String, Redis> masterClient) {
    this.vertx = vertx;
    this.masterName = target.masterName();
    this.scheme = target.secure() ? "rediss://" : "redis://";
    this.masterClient = masterClient;
    for (String endpoint : target.endpoints()) {
      sentinels.add(Redis.createClient(vertx, sentinelOptions.apply(endpoint)
          .setType(RedisClientType.STANDALONE)));
    }
    this.timer = vertx.setPeriodic(RECHECK_MS, id -> ask());
  }

  private synchronized Future<Redis> master() {
    if (closed) {
      return Future.failedFuture("the Redis client is closed");
    }
    return current != null ? Future.succeededFuture(current) : ask();
  }

  /** Asks the sentinels for the master; one question at a time. */
  private synchronized Future<Redis> ask() {
    if (closed) {
      return Future.failedFuture("the Redis client is closed");
    }
    if (asking == null) {
      Future<Redis> q = askFrom(0, new ArrayList<>()).map(this::adopt);
      asking = q;
      q.onComplete(ar -> {
        synchronized (this) {
          asking = null;
        }
      });
    }
    return asking;
  }

  private Future<String> askFrom(int i, List<String> failures) {
    if (i >= sentinels.size()) {
      return Future.failedFuture("no sentinel named the master of " + masterName + ": "
          + String.join("; ", failures));
    }
    return sentinels.get(i).send(Request.cmd(Command.SENTINEL).arg("GET-MASTER-ADDR-BY-NAME")
        .arg(masterName)).compose(r -> {
          if (r == null || r.size() != 2) {
            return Future.failedFuture("sentinel knows no master " + masterName);
          }
          String host = r.get(0).toString();
          return Future.succeededFuture((host.contains(":") ? "[" + host + "]" : host) + ":"
              + r.get(1).toString());
        }).recover(t -> {
          failures.add(String.valueOf(t.getMessage()));
          return askFrom(i + 1, failures);
        });
  }

  private synchronized Redis adopt(String hostPort) {
    if (closed) {
      throw new IllegalStateException("the Redis client is closed");
    }
    if (!hostPort.equals(address)) {
      Redis old = current;
      current = masterClient.apply(scheme + hostPort);
      address = hostPort;
      if (old != null) {
        old.close();
      }
    }
    return current;
  }

  /** A failed command may mean a failover: the sentinels are asked at once, not in a second. */
  private <T> Future<T> watched(Future<T> f) {
    return f.onFailure(t -> ask());
  }

  @Override
  public Future<RedisConnection> connect() {
    return watched(master().compose(Redis::connect));
  }

  @Override
  public Future<Response> send(Request request) {
    return watched(master().compose(m -> m.send(request)));
  }

  @Override
  public Future<List<Response>> batch(List<Request> requests) {
    return watched(master().compose(m -> m.batch(requests)));
  }

  @Override
  public Future<Void> close() {
    List<Redis> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(sentinels);
      if (current != null) {
        all.add(current);
      }
      current = null;
    }
    vertx.cancelTimer(timer);
    return Future.join(all.stream().map(Redis::close).toList()).mapEmpty();
  }
}
