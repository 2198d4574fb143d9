package io.tiermesh.budget.impl;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * A Lua script from the class path, run by digest so that the script body crosses the network
 * only when Redis does not know it yet (first use, restart, SCRIPT FLUSH).
 */
public final class LuaScript {

  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /** Loads {@code /lua/<name>.lua}. */
  public static LuaScript load(String name) {
    return new LuaScript(name, text(name));
  }

  /**
   * Loads {@code /lua/<name>.lua} with the functions of {@code /lua/<prelude>.lua} in front:
   * Redis scripts cannot include one another, and two scripts that must write the same thing
   * the same way share its one definition like this.
   */
  public static LuaScript load(String name, String prelude) {
    return new LuaScript(name, text(prelude) + "\n" + text(name));
  }

  private static String text(String name) {
    String path = "/lua/" + name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String name() {
    return name;
  }

  /** Caches the script in Redis ahead of traffic, so the first burst does not all miss. */
  public Future<Void> preload(Redis redis) {
    return redis.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(source)).mapEmpty();
  }

  public Future<Response> run(Redis redis, List<String> keys, List<String> args) {
    return run(redis::send, keys, args);
  }

  private Future<Response> run(Function<Request, Future<Response>> send, List<String> keys,
      List<String> args) {
    return send.apply(request(Command.EVALSHA, sha, keys, args)).recover(t -> {
      String message = t.getMessage();
      // A promoted replica has an empty script cache (SCRIPT LOAD is not replicated).
      if (message != null && message.startsWith("NOSCRIPT")) {
        return send.apply(request(Command.EVAL, source, keys, args));
      }
      return Future.failedFuture(t);
    });
  }

  /** A script's reply and how many replicas confirmed its writes. */
  public record Confirmed(Response reply, int replicas) {}

  /**
   * Runs the script and {@code WAIT replicas timeoutMs} pipelined as one batch on one connection
   * (WAIT counts the replicas that have this connection's writes), so the answer says whether
   * the writes would survive the master's loss. One batch rather than two sends because on a
   * Redis Cluster a command without keys (WAIT) sent alone goes to any master: in a batch it
   * goes where the script's keys send the batch, to the master that ran the script.
   */
  public Future<Confirmed> runConfirmed(Redis redis, List<String> keys, List<String> args,
      int replicas, long timeoutMs) {
    Request wait = Request.cmd(Command.WAIT).arg(replicas).arg(timeoutMs);
    return redis.batch(List.of(request(Command.EVALSHA, sha, keys, args), wait))
        .recover(t -> {
          // A batch reports a failed command as "ERR [index] <error>"; WAIT after a NOSCRIPT
          // only waited for nothing, so the pair is sent again with the script's body.
          String message = t.getMessage();
          if (message != null && message.contains("NOSCRIPT")) {
            return redis.batch(List.of(request(Command.EVAL, source, keys, args), wait));
          }
          return Future.failedFuture(t);
        })
        .map(replies -> new Confirmed(replies.get(0), replies.get(1).toInteger()));
  }

  private static Request request(Command cmd, String script, List<String> keys,
      List<String> args) {
    Request req = Request.cmd(cmd).arg(script).arg(keys.size());
    keys.forEach(req::arg);
    args.forEach(req::arg);
    return req;
  }

  private static String sha1(String source) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}
