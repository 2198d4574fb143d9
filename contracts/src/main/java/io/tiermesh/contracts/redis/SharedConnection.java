package io.tiermesh.contracts.redis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * A client that sends every command over one long-lived connection, pipelined: Redis answers a
 * connection's commands in order, so any number of commands can be in flight on it at once.
 * {@link #connect()} still lends a connection of the pool of its own, for what needs one
 * (WAIT counts the writes of the connection it runs on).
 *
 * <p>Why, for a Cluster: the Vert.x cluster client's {@code send} borrows a pooled connection
 * to <em>every</em> master for each command. Concurrent commands then take those connections in
 * different orders, and once the pools run dry each holds some masters while waiting for the
 * others: they stall until their timeouts, for good under steady load (seen as a budget role
 * that never started on a 3-master cluster).
 *
 * <p>Why, for the budget store on any Redis: a pooled {@code send} holds one of the pool's few
 * connections for its whole round trip, so commands beyond the pool size queue for a
 * connection, and that wait counts against the store's short operation timeout. When round
 * trips stretch (a busy event loop, a loaded machine) the queue grows with them: in a burst of
 * 20 concurrent paid calls per node, settles waited 300-800 ms for one of the 8 connections
 * while Redis itself ran every script in under a millisecond. Pipelined, a command is written
 * at once and waits only for the commands ahead of it on the wire.
 *
 * <p>A connection that fails or ends is forgotten, and the next command opens a new one.
 */
final class SharedConnection implements Redis {

  private final Redis pool;
  private Future<RedisConnection> current;
  private boolean closed;

  SharedConnection(Redis pool) {
    this.pool = pool;
  }

  private synchronized Future<RedisConnection> connection() {
    if (closed) {
      return Future.failedFuture("the Redis client is closed");
    }
    if (current == null || current.failed()) {
      Promise<RedisConnection> p = Promise.promise();
      Future<RedisConnection> attempt = p.future();
      current = attempt;
      pool.connect().onComplete(ar -> {
        if (ar.succeeded()) {
          RedisConnection c = ar.result();
          c.exceptionHandler(t -> drop(attempt, c));
          c.endHandler(v -> drop(attempt, c));
        }
        p.handle(ar);
      });
    }
    return current;
  }

  /** Forgets a connection that failed, so the next command opens a new one. */
  private synchronized void drop(Future<RedisConnection> which, RedisConnection c) {
    // Closed once only: a connection closed by close() ends too, and recycling its pooled
    // connections twice is an error.
    if (current == which) {
      current = null;
      c.close();
    }
  }

  @Override
  public Future<RedisConnection> connect() {
    return pool.connect();
  }

  @Override
  public Future<Response> send(Request request) {
    return connection().compose(c -> c.send(request));
  }

  @Override
  public Future<List<Response>> batch(List<Request> requests) {
    return connection().compose(c -> c.batch(requests));
  }

  @Override
  public Future<Void> close() {
    Future<RedisConnection> last;
    synchronized (this) {
      closed = true;
      last = current;
      current = null;
    }
    Future<Void> shared = last == null ? Future.succeededFuture()
        : last.compose(RedisConnection::close).otherwiseEmpty();
    return shared.eventually(pool::close);
  }
}
