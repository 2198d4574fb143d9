package io.tiermesh.node;

import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server (append-only file on, as production must run it) that tests can kill and
 * start again on the same port and data directory, plus a client for looking inside.
 */
final class RestartableRedis implements AutoCloseable {

  final int port;
  final Path dir;
  private final Vertx vertx = Vertx.vertx();
  private Redis client;
  private Process process;

  RestartableRedis() throws Exception {
    port = io.tiermesh.testsupport.FreePorts.next();
    dir = Files.createTempDirectory("tiermesh-test-redis");
    start();
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  void start() throws Exception {
    process = new ProcessBuilder(RequiredTool.path("redis-server").toString(), "--port",
        String.valueOf(port), "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "",
        "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--daemonize", "no")
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!accepts()) {
      if (process.waitFor(50, TimeUnit.MILLISECONDS) || System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("redis-server did not start");
      }
    }
    client = Redis.createClient(vertx, url());
  }

  /** kill -9: whatever the append-only file holds is what comes back. */
  void kill() throws Exception {
    if (client != null) {
      client.close();
      client = null;
    }
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  private boolean accepts() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  Response call(String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(5, TimeUnit.SECONDS);
  }

  List<String> keys(String pattern) throws Exception {
    List<String> out = new ArrayList<>();
    for (Response k : call("KEYS", pattern)) {
      out.add(k.toString());
    }
    return out;
  }

  /** Sum of the {@code cost} field over the whole ledger stream, in µ$. */
  long ledgerSum() throws Exception {
    long sum = 0;
    for (Response entry : call("XRANGE", "{tm}:ledger", "-", "+")) {
      Response fields = entry.get(1);
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        if ("cost".equals(fields.get(i).toString())) {
          sum += fields.get(i + 1).toLong();
        }
      }
    }
    return sum;
  }

  long counterField(String counterKey, String field) throws Exception {
    Response v = call("HGET", counterKey, field);
    return v == null ? 0 : v.toLong();
  }

  @Override
  public void close() throws Exception {
    kill();
    vertx.close().await(5, TimeUnit.SECONDS);
  }
}
