package io.tiermesh.node;

import io.tiermesh.simulator.UpstreamSimulator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tiermesh up | node --config FILE | check --config FILE | chat … | sim … | --version |
 * --help}. Errors a user can fix are lines on stderr (one per error) and a non-zero exit, never a
 * stack trace.
 */
public final class Main {

  static final int EXIT_CONFIG = 2;
  static final int EXIT_START = 1;

  private Main() {}

  public static void main(String[] args) {
    Logging.configure();
    int code = run(args, System.out, System.err);
    // One-shot commands end the process (a replay's clients may leave threads behind); a
    // running simulator keeps it, and up / node return only from their shutdown hook.
    boolean serves = args.length > 0 && List.of("up", "node", "sim").contains(args[0]);
    if (code != 0 || !serves) {
      System.exit(code);
    }
  }

  /**
   * Runs one command. Commands that start something ({@code up}, {@code node}, {@code sim})
   * return only once it stopped; {@code --help}, {@code --version} and {@code check} return at
   * once.
   *
   * @return the process's exit code
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      usage(err);
      return EXIT_CONFIG;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "--help", "-h", "help" -> {
        usage(out);
        return 0;
      }
      case "--version", "-V", "version" -> {
        out.println("tiermesh " + version());
        return 0;
      }
      default -> {
        // a command follows
      }
      case "chat" -> {
        // The chat client has its own options, help and exit statuses (0, 1, 2 for scripts).
        return io.tiermesh.node.chat.ChatCommand.run(rest, System.in, out, err, System.getenv());
      }
    }
    if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
      usage(out);
      return 0;
    }
    try {
      switch (args[0]) {
        case "up" -> up(Options.parse(rest));
        case "node" -> node(Options.parse(rest));
        case "check" -> {
          return check(Options.parse(rest), System::getenv, out, err);
        }
        case "sim" -> UpstreamSimulator.main(rest);
        case "replay" -> {
          return Replay.run(rest);
        }
        case "ledger" -> {
          return LedgerCli.run(rest, System.getenv(), System.out);
        }
        default -> {
          err.println("tiermesh: unknown command '" + args[0] + "'");
          usage(err);
          return EXIT_CONFIG;
        }
      }
      return 0;
    } catch (ConfigException e) {
      // Every error on its own line, each one a complete message.
      e.getMessage().lines().forEach(l -> Logging.launcherError(err, "tiermesh: " + l));
      return EXIT_CONFIG;
    } catch (Exception e) {
      Logging.launcherError(err, "tiermesh: " + Node.rootMessage(e));
      return EXIT_START;
    }
  }

  /** The version the build wrote into the jar, or {@code unknown} outside a build. */
  static String version() {
    try (var in = Main.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version");
      return v == null || v.contains("${") ? "unknown" : v;
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static void usage(PrintStream to) {
    to.println("usage: tiermesh up [--http-port N] [--cluster-port N] [--management-port N]\n"
        + "       tiermesh node --config FILE [--roles R,R...] [--cluster-host ADDR]\n"
        + "                     [--http-port N] [--management-port N]\n"
        + "       tiermesh check --config FILE [--roles R,R...]\n"
        + "       tiermesh chat [--model M] [--hint name=value]... [\"question\"]\n"
        + "       tiermesh sim [--port N] [--name NAME] [--seed N] [--instance name:port]...\n"
        + "       tiermesh ledger export [--from DATE] [--to DATE] [--format jsonl|csv]"
        + " [--url URL]\n"
        + "       tiermesh ledger rebuild-rollups [--url URL]\n"
        + "       tiermesh replay [--scale N] [--seed N] [--concurrency N] [--out DIR]\n"
        + "                       [--url URL --api-key K --admin-key K --cloud-sim URL...\n"
        + "                        --local-sim URL...]\n"
        + "       tiermesh --version | --help\n"
        + "A config may use ${VAR} and ${VAR:-default}; 'check' validates it without starting\n"
        + "anything and prints every error with its line.");
  }

  /**
   * {@code tiermesh check --config FILE}: reads, interpolates and validates a config, the
   * routing rules file it names included, without starting anything or touching the network.
   */
  static int check(Options o, java.util.function.Function<String, String> env, PrintStream out,
      PrintStream err) {
    if (o.config() == null) {
      throw new ConfigException("check needs --config FILE");
    }
    String source = o.config().toString();
    ConfigLoader.Checked c = ConfigLoader.check(ConfigLoader.read(o.config()), source, env);
    List<String> errors = new java.util.ArrayList<>(c.errors());
    MeshConfig config = c.config();
    if (config != null) {
      try {
        config = o.applyTo(config);
        if (config.roles().contains("router")) {
          RouterRules.check(config);
        }
      } catch (ConfigException e) {
        errors.addAll(e.getMessage().lines().toList());
      }
    }
    if (!errors.isEmpty()) {
      errors.forEach(e -> err.println("tiermesh: " + e));
      err.println("tiermesh: " + source + ": " + errors.size() + " error(s)");
      return EXIT_CONFIG;
    }
    out.println(source + ": ok (roles " + config.roles() + ", " + config.providers().size()
        + " provider(s)" + (config.management() == null ? ""
            : ", management port " + config.management().port()) + ")");
    return 0;
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

  /**
   * Command-line options. {@code --roles} and {@code --cluster-host} let one config file serve
   * every container of a mesh: each pod names its roles and binds to its own address.
   */
  record Options(Path config, Integer httpPort, Integer clusterPort, List<String> roles,
      String clusterHost, Integer managementPort) {
    static Options parse(String[] args) {
      Path config = null;
      Integer http = null;
      Integer cluster = null;
      List<String> roles = null;
      String clusterHost = null;
      Integer management = null;
      for (String[] o : optionPairs(args)) {
        String a = o[0];
        String v = o[1];
        switch (a) {
          case "--config" -> config = Path.of(v);
          case "--http-port" -> http = port(a, v);
          case "--cluster-port" -> cluster = port(a, v);
          case "--management-port" -> management = port(a, v);
          case "--roles" -> roles = roles(v);
          case "--cluster-host" -> {
            if (v.isBlank() || v.contains(":") && !v.contains("::") && v.chars()
                .filter(ch -> ch == ':').count() == 1) {
              throw new ConfigException("--cluster-host takes an address without a port, not '"
                  + v + "'");
            }
            clusterHost = v.trim();
          }
          default -> throw new ConfigException("unknown option " + a);
        }
      }
      return new Options(config, http, cluster, roles, clusterHost, management);
    }

    private static List<String> roles(String v) {
      List<String> out = new java.util.ArrayList<>();
      for (String r : v.split(",")) {
        if (!r.isBlank()) {
          out.add(r.trim());
        }
      }
      if (out.isEmpty()) {
        throw new ConfigException("--roles needs at least one role (gateway, router, budget, "
            + "provider:<id>), comma-separated");
      }
      return out;
    }

    /**
     * The options that override the file, re-validated (a role given here must name a
     * provider of the file like one written in it).
     */
    MeshConfig applyTo(MeshConfig config) {
      MeshConfig c = config;
      if (roles != null) {
        c = c.withRoles(roles);
      }
      if (clusterHost != null) {
        c = c.withClusterHost(clusterHost);
      }
      if (httpPort != null) {
        c = c.withGatewayPort(httpPort);
      }
      if (managementPort != null) {
        c = c.withManagementPort(managementPort);
      }
      return roles == null ? c : ConfigLoader.validate(c, "--roles");
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
    MeshConfig config = o.applyTo(ConfigLoader.load(o.config()));
    String redisUrl = System.getenv("REDIS_URL");
    if (redisUrl != null && !redisUrl.isBlank()) {
      config = config.withRedisUrl(redisUrl);
    }
    // Before anything starts, so that the start's own lines are in the chosen format.
    Logging.format(config.logging());
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
    if (o.managementPort() != null) {
      config = config.withManagementPort(o.managementPort());
    }
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
      parts.add((c.gateway().tls() == null ? "http=" : "https=") + c.gateway().host() + ":"
          + node.httpPort());
    }
    if (c.cluster().enabled()) {
      parts.add("cluster=" + c.cluster().name() + "@" + c.cluster().host() + ":"
          + c.cluster().port());
      parts.add("bus=" + (c.cluster().tls() == null ? "plain" : "mutual-tls"));
    }
    Logging.launcher(System.out, "tiermesh node ready " + String.join(" ", parts));
  }

  /**
   * Runs {@code stop} on SIGTERM or Ctrl-C. Registered before the node says it is ready, so a
   * signal sent by someone who waited for that line always drains.
   */
  private static CountDownLatch onShutdown(Runnable stop) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Logging.launcher(System.err, "tiermesh: stopping (draining in-flight requests)");
      try {
        stop.run();
      } finally {
        stopped.countDown();
      }
    }, "tiermesh-shutdown"));
    return stopped;
  }
}
