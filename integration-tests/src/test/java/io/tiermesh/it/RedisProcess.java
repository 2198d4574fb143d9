package io.tiermesh.it;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.testsupport.RequiredTool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server the chaos scenarios can kill -9 and start again on the same port and data
 * directory. Append-only file with fsync on every write, as a budget deployment should run it,
 * so a restart brings back every counter and ledger entry that was acknowledged.
 */
final class RedisProcess implements AutoCloseable {

  private final Path dir;
  private final int port;
  private Process process;

  private RedisProcess(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /**
   * A throw-away redis-server (the demo's, no fsync per write); fails under CI (skips, loudly,
   * elsewhere) when redis-server is not installed.
   */
  static LocalRedis local() throws IOException, InterruptedException {
    RequiredTool.require("redis-server");
    return LocalRedis.start();
  }

  static RedisProcess start(Path dir) throws IOException {
    RedisProcess r = new RedisProcess(dir, NodeProcess.freePort());
    r.launch();
    return r;
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** No shutdown, no final fsync: only what the AOF already holds survives. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  void launch() throws IOException {
    process = new ProcessBuilder(RequiredTool.path("redis-server").toString(), "--port", String.valueOf(port), "--bind",
        "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "yes",
        "--appendfsync", "always", "--maxmemory-policy", "noeviction", "--daemonize", "no")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
        .start();
    long deadline = System.currentTimeMillis() + 15_000;
    while (!LocalRedis.pings(port)) {
      try {
        if (process.waitFor(50, TimeUnit.MILLISECONDS)
            || System.currentTimeMillis() > deadline) {
          throw new IOException("redis-server did not start; see " + dir.resolve("redis.log"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
  }
}
