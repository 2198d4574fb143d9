package io.tiermesh.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
    process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind",
        "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "yes",
        "--appendfsync", "always", "--maxmemory-policy", "noeviction", "--daemonize", "no")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
        .start();
    long deadline = System.currentTimeMillis() + 15_000;
    while (!pings()) {
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

  private boolean pings() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      return "+PONG".equals(line);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
  }
}
