package io.tiermesh.node;

import io.tiermesh.simulator.UpstreamSimulator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tiermesh up | node --config FILE | chat … | sim …}. Errors a user can fix are one line on
 * stderr and a non-zero exit, never a stack trace.
 */
public final class Main {

  static final int EXIT_CONFIG = 2;
  static final int EXIT_START = 1;

  private Main() {}

  public static void main(String[] args) {
    Logging.configure();
    if (args.length == 0) {
      usage();
      System.exit(EXIT_CONFIG);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (args[0].equals("chat")) {
      // The chat client has its own options, help and exit statuses (0, 1, 2 for scripts).
      System.exit(io.tiermesh.node.chat.ChatCommand.run(rest, System.in, System.out, System.err,
          System.getenv()));
    }
    if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
      usage();
      System.exit(0);
    }
    try {
      switch (args[0]) {
        case "up" -> up(Options.parse(rest));
        case "node" -> node(Options.parse(rest));
        case "sim" -> UpstreamSimulator.main(rest);
        case "replay" -> System.exit(Replay.run(rest));
        default -> {
          usage();
          System.exit(EXIT_CONFIG);
        }
      }
    } catch (ConfigException e) {
      System.err.println("tiermesh: " + e.getMessage());
      System.exit(EXIT_CONFIG);
    } catch (Exception e) {
      System.err.println("tiermesh: " + Node.rootMessage(e));
      System.exit(EXIT_START);
    }
  }

  private static void usage() {
    System.err.println("usage: tiermesh up [--http-port N] [--cluster-port N]\n"
        + "       tiermesh node --config FILE [--http-port N]\n"
        + "       tiermesh chat [--model M] [--hint name=value]... [\"question\"]\n"
        + "       tiermesh sim [--port N] [--name NAME] [--seed N] [--instance name:port]...\n"
        + "       tiermesh replay [--scale N] [--seed N] [--concurrency N] [--out DIR]\n"
        + "                       [--url URL --api-key K --admin-key K --cloud-sim URL...\n"
        + "                        --local-sim URL...]");
  }

  /** {@code --name value} pairs in order; an option without its value is a usage error. */
  static List<String[]> optionPairs(String[] args) {
    List<String[]> pairs = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new ConfigException("option " + args[i] + " needs a value");
      }
      pairs.add(new String[] {args[i], args[i + 1]});
    }
    return pairs;
  }

  record Options(Path config, Integer httpPort, Integer clusterPort) {
    static Options parse(String[] args) {
      Path config = null;
      Integer http = null;
      Integer cluster = null;
      for (String[] o : optionPairs(args)) {
        String a = o[0];
        String v = o[1];
        switch (a) {
          case "--config" -> config = Path.of(v);
          case "--http-port" -> http = port(a, v);
          case "--cluster-port" -> cluster = port(a, v);
          default -> throw new ConfigException("unknown option " + a);
        }
      }
      return new Options(config, http, cluster);
    }

    private static int port(String option, String v) {
      try {
        int p = Integer.parseInt(v);
        if (p >= 0 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new ConfigException(option + " must be a port number, not '" + v + "'");
    }
  }

  private static void node(Options o) throws Exception {
    if (o.config() == null) {
      throw new ConfigException("node needs --config FILE (examples in cluster-config/)");
    }
    MeshConfig config = ConfigLoader.load(o.config());
    if (o.httpPort() != null) {
      config = config.withGatewayPort(o.httpPort());
    }
    String redisUrl = System.getenv("REDIS_URL");
    if (redisUrl != null && !redisUrl.isBlank()) {
      config = config.withRedisUrl(redisUrl);
    }
    Node node = Node.start(config, Secrets.fromEnvironment());
    CountDownLatch stopped = onShutdown(node::stop);
    announce(node);
    stopped.await();
  }

  private static void up(Options o) throws Exception {
    if (o.config() != null) {
      node(o);
      return;
    }
    String redisUrl = System.getenv("REDIS_URL");
    LocalRedis redis = null;
    if (redisUrl == null || redisUrl.isBlank()) {
      redis = LocalRedis.start();
      redisUrl = redis.url();
    }
    LocalRedis ownedRedis = redis;
    DemoMesh.Backends backends = DemoMesh.startBackends();
    Map<String, String> env = new HashMap<>(System.getenv());
    String apiKey = env.computeIfAbsent("TIERMESH_API_KEY", k -> DemoMesh.newKey("tm-"));
    String adminKey = env.computeIfAbsent("TIERMESH_ADMIN_KEY",
        k -> DemoMesh.newKey("tm-admin-"));
    // Keys created through the admin API are hashed with this; a demo Redis lives one run.
    env.computeIfAbsent("TIERMESH_KEY_SECRET", k -> DemoMesh.newKey("secret-"));
    MeshConfig config = DemoMesh.config(backends, redisUrl,
        o.httpPort() == null ? 8080 : o.httpPort(),
        o.clusterPort() == null ? 5701 : o.clusterPort());
    Node node;
    try {
      node = Node.start(config, new Secrets(env));
    } catch (Exception e) {
      backends.close();
      if (ownedRedis != null) {
        ownedRedis.close();
      }
      throw e;
    }
    CountDownLatch stopped = onShutdown(() -> {
      node.stop();
      backends.close();
      if (ownedRedis != null) {
        ownedRedis.close();
      }
    });
    announce(node);
    String url = "http://127.0.0.1:" + node.httpPort();
    System.out.println();
    System.out.println("TierMesh is up at " + url);
    System.out.println("  client API key: " + apiKey);
    System.out.println("  admin key:      " + adminKey);
    System.out.println("  redis:          " + redisUrl + (ownedRedis != null ? " (started for this run)" : ""));
    for (UpstreamSimulator s : backends.simulators()) {
      System.out.println("  demo backend:   " + s.name() + " at " + s.baseUrl());
    }
    System.out.println("Try:");
    System.out.println("  curl -s " + url + "/v1/chat/completions -H 'Authorization: Bearer "
        + apiKey + "' -H 'Content-Type: application/json' \\");
    System.out.println("    -d '{\"model\":\"auto\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"Hello\"}]}'");
    System.out.println("Playground: " + url + "/playground (enter the client API key)");
    System.out.println("Terminal chat: TIERMESH_URL=" + url + " TIERMESH_API_KEY=" + apiKey
        + " bin/tiermesh chat");
    System.out.println("Dashboard: " + url + "/dashboard (enter the admin key)");
    System.out.println("Ctrl-C stops the mesh and everything it started.");
    System.out.flush();
    stopped.await();
  }

  private static void announce(Node node) {
    MeshConfig c = node.config();
    List<String> parts = new java.util.ArrayList<>();
    parts.add("id=" + node.meshNode().nodeId());
    parts.add("roles=" + c.roles());
    if (node.httpPort() >= 0) {
      parts.add("http=" + c.gateway().host() + ":" + node.httpPort());
    }
    if (c.cluster().enabled()) {
      parts.add("cluster=" + c.cluster().name() + "@" + c.cluster().host() + ":"
          + c.cluster().port());
    }
    System.out.println("tiermesh node ready " + String.join(" ", parts));
    System.out.flush();
  }

  /**
   * Runs {@code stop} on SIGTERM or Ctrl-C. Registered before the node says it is ready, so a
   * signal sent by someone who waited for that line always drains.
   */
  private static CountDownLatch onShutdown(Runnable stop) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("tiermesh: stopping (draining in-flight requests)");
      try {
        stop.run();
      } finally {
        stopped.countDown();
      }
    }, "tiermesh-shutdown"));
    return stopped;
  }
}
