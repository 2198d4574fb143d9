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
 * A real Redis Cluster for tests: {@code masters} {@code redis-server --cluster-enabled yes}
 * processes on free loopback ports (client and cluster-bus ports both chosen, never derived as
 * port + 10000, which could land in the ephemeral range), joined with
 * {@code redis-cli --cluster create}, and ready once every node reports
 * {@code cluster_state:ok}. Without replicas by default (key routing); with
 * {@link #start(int, int, List)} each master gets replicas, for failover tests.
 * {@link #close()} stops every process and deletes the working directory.
 */
public final class RedisCluster implements AutoCloseable {

  private static final long READY_TIMEOUT_MS = 30_000;

  private final Path dir;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Path redisCli;
  private final List<String> extraArgs = new ArrayList<>();

  private RedisCluster(Path dir, Path redisCli) {
    this.dir = dir;
    this.redisCli = redisCli;
  }

  /** Starts and joins the cluster; fails under CI (skips, loudly, elsewhere) without Redis. */
  public static RedisCluster start(int masters) throws IOException, InterruptedException {
    return start(masters, List.of());
  }

  /**
   * @param extraArgs more {@code redis-server} arguments for every master, after (so
   *                  overriding) the defaults, e.g. {@code --appendonly yes} for a cluster that
   *                  may hold budgets
   */
  public static RedisCluster start(int masters, List<String> extraArgs)
      throws IOException, InterruptedException {
    return start(masters, 0, extraArgs);
  }

  /**
   * @param replicasPerMaster replicas of each master ({@code --cluster-replicas}); ready once
   *                          every replica's link to its master is up
   */
  public static RedisCluster start(int masters, int replicasPerMaster, List<String> extraArgs)
      throws IOException, InterruptedException {
    List<Path> tools = RequiredTool.require("redis-server", "redis-cli");
    RedisCluster c = new RedisCluster(Files.createTempDirectory("tiermesh-redis-cluster"),
        tools.get(1));
    c.extraArgs.addAll(extraArgs);
    try {
      for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
        c.launch(tools.get(0));
      }
      List<String> create = new ArrayList<>(List.of(c.redisCli.toString(), "--cluster", "create"));
      for (int p : c.ports) {
        create.add("127.0.0.1:" + p);
      }
      if (replicasPerMaster > 0) {
        create.add("--cluster-replicas");
        create.add(String.valueOf(replicasPerMaster));
      }
      create.add("--cluster-yes");
      String out = c.run(create);
      if (!out.contains("All 16384 slots covered")) {
        throw new IOException("redis-cli --cluster create failed: " + out);
      }
      c.awaitClusterOk();
      c.awaitReplicas(masters * replicasPerMaster);
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void launch(Path redisServer) throws IOException, InterruptedException {
    int port = FreePorts.next();
    int busPort = FreePorts.next();
    List<String> cmd = new ArrayList<>(List.of(redisServer.toString(), "--port",
        String.valueOf(port), "--cluster-port", String.valueOf(busPort), "--bind", "127.0.0.1",
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
        "--cluster-node-timeout", "5000", "--dir", dir.toString(), "--save", "",
        "--appendonly", "no", "--appendfilename", "appendonly-" + port + ".aof",
        "--appenddirname", "aof-" + port, "--daemonize", "no"));
    cmd.addAll(extraArgs);
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
        .start();
    processes.add(p);
    ports.add(port);
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (!run(List.of(redisCli.toString(), "-p", String.valueOf(port), "PING"))
        .contains("PONG")) {
      // Waiting on the server process paces the poll and notices an early exit.
      if (p.waitFor(50, TimeUnit.MILLISECONDS) || System.currentTimeMillis() > deadline) {
        throw new IOException("redis-server on port " + port + " did not start; see "
            + dir.resolve("redis-" + port + ".log"));
      }
    }
  }

  private void awaitClusterOk() throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    for (int i = 0; i < ports.size(); i++) {
      while (!run(List.of(redisCli.toString(), "-p", String.valueOf(ports.get(i)), "CLUSTER",
          "INFO")).contains("cluster_state:ok")) {
        if (processes.get(i).waitFor(100, TimeUnit.MILLISECONDS)
            || System.currentTimeMillis() > deadline) {
          throw new IOException("the cluster did not reach cluster_state:ok within "
              + READY_TIMEOUT_MS + " ms");
        }
      }
    }
  }

  private void awaitReplicas(int expected) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (true) {
      int linked = 0;
      for (int p : ports) {
        if (cli(p, "INFO", "replication").contains("master_link_status:up")) {
          linked++;
        }
      }
      if (linked == expected) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException(linked + " of " + expected + " replicas linked within "
            + READY_TIMEOUT_MS + " ms");
      }
      // Paces the poll; the processes' early exits show as a timeout with their logs kept.
      processes.get(0).waitFor(100, TimeUnit.MILLISECONDS);
    }
  }

  private String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /** The client ports of every node (the masters only, for a cluster without replicas). */
  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /**
   * The client port of the master that serves {@code key}'s slot now, as {@code via} sees the
   * cluster ({@code CLUSTER KEYSLOT} and {@code CLUSTER NODES}).
   */
  public int masterOf(String key, int via) throws IOException, InterruptedException {
    int slot = Integer.parseInt(cli(via, "CLUSTER", "KEYSLOT", key).trim());
    for (String line : cli(via, "CLUSTER", "NODES").split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue;  // a slot being migrated
        }
        String[] range = f[i].split("-");
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        if (slot >= from && slot <= to) {
          String address = f[1].substring(0, f[1].indexOf('@'));
          return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        }
      }
    }
    throw new IOException("no master serves slot " + slot + " of " + key);
  }

  /** The client port of a replica of the master on {@code masterPort}. */
  public int replicaOf(int masterPort) throws IOException, InterruptedException {
    String id = cli(masterPort, "CLUSTER", "MYID").trim();
    for (String line : cli(masterPort, "CLUSTER", "NODES").split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length > 3 && f[2].contains("slave") && f[3].equals(id)) {
        String address = f[1].substring(0, f[1].indexOf('@'));
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      }
    }
    throw new IOException("the master on " + masterPort + " has no replica");
  }

  /** {@code kill -9} of the node on {@code port}: no shutdown, no final write. */
  public void kill(int port) throws InterruptedException {
    processes.get(ports.indexOf(port)).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** {@code redis://127.0.0.1:<port>} of every node. */
  public List<String> urls() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  /** Runs {@code redis-cli -p <port> args...} against one master and returns its output. */
  public String cli(int port, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(redisCli.toString(), "-p",
        String.valueOf(port)));
    command.addAll(List.of(args));
    return run(command);
  }

  /** The number of keys each master holds, in {@link #ports()} order. */
  public List<Long> keyCounts() throws IOException, InterruptedException {
    List<Long> counts = new ArrayList<>();
    for (int p : ports) {
      counts.add(Long.parseLong(cli(p, "DBSIZE").trim()));
    }
    return counts;
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // A temporary directory left behind is harmless; the processes are what must not leak.
    }
  }
}
