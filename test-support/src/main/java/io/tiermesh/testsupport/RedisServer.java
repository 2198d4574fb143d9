package io.tiermesh.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One {@code redis-server} (or {@code redis-sentinel}) process for a test, with whatever
 * arguments the test needs (TLS ports, ACL users, {@code replicaof}, eviction policies), in its
 * own temporary directory on 127.0.0.1. Ready once its log says it accepts connections (so it
 * also works for a TLS-only server that redis-cli could not PING without certificates).
 * {@link #close()} stops it and deletes the directory.
 */
public final class RedisServer implements AutoCloseable {

  private static final long READY_TIMEOUT_MS = 30_000;

  private final Process process;
  private final int port;
  private final Path dir;
  private final Path log;

  private RedisServer(Process process, int port, Path dir, Path log) {
    this.process = process;
    this.port = port;
    this.dir = dir;
    this.log = log;
  }

  /**
   * A redis-server on a free port ({@code --port}), no snapshots, plus {@code args}. For a
   * TLS-only server pass {@code --port 0 --tls-port N} yourself with {@link #start(int, List)}.
   */
  public static RedisServer start(List<String> args) throws IOException, InterruptedException {
    int port = FreePorts.next();
    List<String> all = new ArrayList<>(List.of("--port", String.valueOf(port)));
    all.addAll(args);
    return start(port, all);
  }

  /** A redis-server whose listening port {@code port} the arguments set themselves. */
  public static RedisServer start(int port, List<String> args)
      throws IOException, InterruptedException {
    Path server = RequiredTool.require("redis-server").get(0);
    Path dir = Files.createTempDirectory("tiermesh-redis");
    List<String> cmd = new ArrayList<>(List.of(server.toString(), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--daemonize", "no"));
    cmd.addAll(args);
    return launch(cmd, port, dir, "Ready to accept connections");
  }

  /**
   * A redis-sentinel on a free port watching {@code masterName} at 127.0.0.1:{@code masterPort}
   * with the given quorum, declaring the master down after {@code downAfterMs}.
   */
  public static RedisServer sentinel(String masterName, int masterPort, int quorum,
      long downAfterMs) throws IOException, InterruptedException {
    return sentinel(masterName, masterPort, quorum, downAfterMs, List.of());
  }

  /**
   * As above, with more lines for its configuration file (e.g. {@code requirepass},
   * {@code sentinel auth-pass}).
   */
  public static RedisServer sentinel(String masterName, int masterPort, int quorum,
      long downAfterMs, List<String> moreConf) throws IOException, InterruptedException {
    Path sentinel = RequiredTool.require("redis-sentinel").get(0);
    int port = FreePorts.next();
    Path dir = Files.createTempDirectory("tiermesh-sentinel");
    Path conf = dir.resolve("sentinel.conf");
    Files.writeString(conf, String.join("\n",
        "port " + port,
        "bind 127.0.0.1",
        "daemonize no",
        "dir " + dir,
        "sentinel resolve-hostnames no",
        "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " " + quorum,
        "sentinel down-after-milliseconds " + masterName + " " + downAfterMs,
        "sentinel failover-timeout " + masterName + " 10000",
        "sentinel parallel-syncs " + masterName + " 1",
        String.join("\n", moreConf), ""));
    return launch(List.of(sentinel.toString(), conf.toString()), port, dir,
        "Sentinel ID is");
  }

  private static RedisServer launch(List<String> cmd, int port, Path dir, String readyLine)
      throws IOException, InterruptedException {
    Path log = dir.resolve("redis.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    RedisServer s = new RedisServer(p, port, dir, log);
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (!s.log().contains(readyLine)) {
      // Waiting on the process paces the poll and notices an early exit.
      if (p.waitFor(50, TimeUnit.MILLISECONDS) || System.currentTimeMillis() > deadline) {
        String text = s.log();
        s.close();
        throw new IOException("redis did not start (" + String.join(" ", cmd) + "): " + text);
      }
    }
    return s;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public Path dir() {
    return dir;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** What the server logged so far. */
  public String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** {@code redis-cli -p <port> args...} (plain TCP); its output. */
  public String cli(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(RequiredTool.require("redis-cli").get(0)
        .toString(), "-p", String.valueOf(port)));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  /** {@code kill -9}: no shutdown, no final write. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // A temporary directory left behind is harmless; the process is what must not leak.
    }
  }
}
