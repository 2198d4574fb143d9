package io.tiermesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark run on loopback: the upstream simulator alone ("direct"), nginx proxying to it
 * (the "does no work" limit), and TierMesh single-node and clustered in front of it. Targets
 * are interleaved round by round so that a noisy machine shifts all of them alike, and the
 * median round is reported. With {@code --baseline-jar} every TierMesh scenario also runs from
 * another build's node jar, the two builds swapping places each round, so a change is
 * measured against the build before it on the same machine in the same minutes.
 */
public final class BenchMain {

  static final String KEY = "bench-key-0123456789";
  static final String JSON_BODY = "{\"model\":\"auto\",\"max_tokens\":16,\"messages\":"
      + "[{\"role\":\"user\",\"content\":\"Say hello to the benchmark\"}]}";
  static final String STREAM_BODY = JSON_BODY.replace("{\"model\"", "{\"stream\":true,\"model\"");
  static final String NODE_JVM = "-Xmx256m -XX:+UseSerialGC";
  static final int EVENT_LOOPS = Integer.getInteger("tiermesh.bench.eventLoops", 1);
  /** A JVM starts in seconds on a quiet box, in minutes on a 2-core box running other builds. */
  static final int STARTUP_SECONDS = 300;

  /** @param model what the requests ask for: {@code auto}, or a forced paid model */
  record Target(String name, String url, String apiKey, List<ManagedProcess> tiermesh,
      String model) {

    Target(String name, String url, String apiKey, List<ManagedProcess> tiermesh) {
      this(name, url, apiKey, tiermesh, "auto");
    }

    String body(boolean stream) {
      String b = stream ? STREAM_BODY : JSON_BODY;
      return b.replace("\"model\":\"auto\"", "\"model\":\"" + model + "\"");
    }
  }

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      // "--name value", or a bare "--flag".
      boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
      opts.put(args[i], hasValue ? args[++i] : "true");
    }
    int seconds = Integer.parseInt(opts.getOrDefault("--seconds", "6"));
    int rounds = Integer.parseInt(opts.getOrDefault("--rounds", "5"));
    int rate = Integer.parseInt(opts.getOrDefault("--rate", "500"));
    int connections = Integer.parseInt(opts.getOrDefault("--connections", "64"));
    // The JIT of a node takes longer to settle on a busy box: the first rounds of a run at
    // load average 25 cost 3-5 times the CPU per request of the later ones.
    int warmup = Integer.parseInt(opts.getOrDefault("--warmup-seconds", "8"));
    int lightUsers = Integer.parseInt(opts.getOrDefault("--light-users", "10"));
    int lightThinkMs = Integer.parseInt(opts.getOrDefault("--light-think-ms", "20"));
    // On a box other work keeps busy, saturating load only measures the queue: "--loads light"
    // keeps to the closed loop, whose CPU per request still compares two builds.
    List<String> loads = List.of(opts.getOrDefault("--loads", "saturated,paced,light")
        .split(","));
    List<String> scenarios = List.of(opts.getOrDefault("--scenarios", "single,paid,clustered")
        .split(","));
    Path root = Path.of(opts.getOrDefault("--root", ".")).toAbsolutePath().normalize();
    // --jar: a copy of the node jar, so that a long run is not disturbed by the next build.
    Path jar = Path.of(opts.getOrDefault("--jar", root.resolve("node/target/tiermesh.jar")
        .toString())).toAbsolutePath();
    Path baselineJar = opts.containsKey("--baseline-jar")
        ? Path.of(opts.get("--baseline-jar")).toAbsolutePath() : null;
    Path out = Path.of(opts.getOrDefault("--out", root.resolve("bench").toString()));
    Path work = root.resolve("bench/target/run-" + System.currentTimeMillis());
    Files.createDirectories(work);
    Files.createDirectories(out);
    if (baselineJar != null && !Files.isRegularFile(baselineJar)) {
      throw new IllegalArgumentException("no baseline jar at " + baselineJar);
    }

    List<AutoCloseable> started = new ArrayList<>();
    // Ctrl-C or a SIGTERM skips the finally below: the hook stops what the run started.
    Thread cleanup = new Thread(() -> closeAll(started));
    Runtime.getRuntime().addShutdownHook(cleanup);
    Vertx vertx = Vertx.vertx();
    try {
      int simPort = freePort();
      track(started, ManagedProcess.start("simulator",
          java(jar, List.of("sim", "--port", String.valueOf(simPort), "--name", "bench")),
          Map.of(), work).awaitOutput("listening", STARTUP_SECONDS));
      int redisPort = freePort();
      // With an append-only file (in the work directory), as the budget role requires of its
      // Redis: the paid and clustered scenarios run one.
      track(started, ManagedProcess.start("redis", List.of(redisBinary(), "--port",
          String.valueOf(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
          "--dir", work.toString()),
          Map.of(), work).awaitOutput("Ready to accept connections", 30));
      String redisUrl = "redis://127.0.0.1:" + redisPort;
      if (scenarios.contains("paid-wait")) {
        // A replica for WAIT to count. The paid scenario shares this master, so both pay for
        // its replication stream and differ only in waiting for it.
        track(started, ManagedProcess.start("redis-replica", List.of(redisBinary(), "--port",
            String.valueOf(freePort()), "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "yes", "--dir", work.toString(), "--appenddirname", "replica-aof",
            "--dbfilename", "replica.rdb", "--replicaof", "127.0.0.1",
            String.valueOf(redisPort)), Map.of(), work)
            .awaitOutput("MASTER <-> REPLICA sync: Finished with success", 60));
      }
      if (opts.containsKey("--growth")) {
        growth(vertx, started, jar, work, simPort, redisUrl, seconds, out);
        return;
      }
      int nginxPort = freePort();
      track(started, startNginx(work, nginxPort, simPort));
      awaitPort(nginxPort);

      // Each scenario's targets: this build, then (with --baseline-jar) the baseline build.
      List<List<Target>> pairs = new ArrayList<>();
      for (String scenario : scenarios) {
        List<Target> pair = new ArrayList<>();
        pair.add(startScenario(started, jar, "", scenario, work, simPort, redisUrl));
        if (baselineJar != null) {
          pair.add(startScenario(started, baselineJar, BASE, scenario, work, simPort,
              redisUrl));
        }
        pairs.add(pair);
      }
      Target direct = new Target("direct", "http://127.0.0.1:" + simPort
          + "/v1/chat/completions", null, List.of());
      Target nginx = new Target("nginx", "http://127.0.0.1:" + nginxPort
          + "/v1/chat/completions", null, List.of());

      System.out.println("warming up");
      List<Target> all = new ArrayList<>(List.of(direct, nginx));
      pairs.forEach(all::addAll);
      for (Target t : all) {
        if (loads.contains("saturated")) {
          WrkRun.run(t.url(), t.body(false), t.apiKey(), connections, warmup * 5 / 8, work);
          WrkRun.run(t.url(), t.body(true), t.apiKey(), connections, warmup * 3 / 8, work);
        } else {
          ClosedLoad.run(vertx, t.url(), t.body(false), t.apiKey(), lightUsers, 0, warmup / 2);
          ClosedLoad.run(vertx, t.url(), t.body(true), t.apiKey(), lightUsers, 0, warmup / 2);
        }
      }
      JsonArray samples = new JsonArray();
      // A round whose direct baseline was an outlier is left out of the medians and replaced
      // by one more round, up to half as many extra rounds as asked for.
      int maxRounds = rounds + (rounds + 1) / 2;
      int r = 0;
      while (r < maxRounds
          && r - Report.outlierRounds(samples).size() < rounds) {
        r++;
        // The two builds of a scenario swap places every round, so a drift of the machine
        // during a round cannot favour one of them.
        List<Target> order = new ArrayList<>(List.of(direct, nginx));
        for (List<Target> pair : pairs) {
          List<Target> p = new ArrayList<>(pair);
          if (r % 2 == 0) {
            Collections.reverse(p);
          }
          order.addAll(p);
        }
        for (Target t : order) {
          for (String mode : List.of("json", "stream")) {
            if (!loads.contains("saturated") && !loads.contains("paced")) {
              break;
            }
            JsonObject s = measure(vertx, t, mode, r, connections, seconds, rate, work,
                loads.contains("saturated"), loads.contains("paced"));
            System.out.println(s.encode());
            samples.add(s);
          }
          if (loads.contains("light")) {
            JsonObject light = measureLight(vertx, t, r, lightUsers, lightThinkMs, seconds);
            System.out.println(light.encode());
            samples.add(light);
          }
        }
        if (Report.outlierRounds(samples).contains(r)) {
          System.out.println("round " + r + ": the direct baseline was an outlier; it is left"
              + " out of the medians");
        }
      }
      Report report = new Report(samples, rounds, seconds, rate, connections);
      Files.writeString(out.resolve("results.json"), new JsonObject()
          .put("time", Instant.now().toString()).put("rounds", rounds).put("seconds", seconds)
          .put("rate", rate).put("connections", connections)
          .put("cpus", Runtime.getRuntime().availableProcessors())
          .put("baseline_jar", baselineJar == null ? null : baselineJar.toString())
          .put("samples", samples).encodePrettily());
      report.writeInto(out.resolve("RESULTS.md"));
      System.out.println(report.table());
    } finally {
      closeAll(started);
      Runtime.getRuntime().removeShutdownHook(cleanup);
      vertx.close().await();
    }
  }

  private static void closeAll(List<AutoCloseable> started) {
    synchronized (started) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception e) {
          System.err.println("could not stop " + started.get(i) + ": " + e);
        }
      }
    }
  }

  /** Extra YAML for the local provider (the growth steps' 1 MiB prompt needs a long context). */
  private static String localCapabilities = "";

  /** The cost-growth steps on a single node (see {@link Growth}). */
  private static void growth(Vertx vertx, List<AutoCloseable> started, Path jar, Path work,
      int simPort, String redisUrl, int seconds, Path out) throws Exception {
    String loadBefore = loadAverage();
    // 1 MiB of English is about 260,000 tokens, twice gpt-4o-mini's real window.
    localCapabilities = ", capabilities: {models: {gpt-4o-mini: {maxContextTokens: 4000000}}}";
    Target single = startScenario(started, jar, "", "single", work, simPort, redisUrl);
    JsonArray rows = Growth.run(vertx, single, seconds);
    String loadAfter = loadAverage();
    Files.writeString(out.resolve("growth-results.json"), new JsonObject()
        .put("time", Instant.now().toString()).put("seconds", seconds)
        .put("cpus", Runtime.getRuntime().availableProcessors())
        .put("loadavg_before", loadBefore).put("loadavg_after", loadAfter)
        .put("rows", rows).encodePrettily());
    Growth.writeInto(out.resolve("RESULTS.md"), rows, String.format(java.util.Locale.ROOT,
        "Run of %s: one node (gateway, router and a local provider on one event loop) in "
        + "front of the simulator; each step is a closed loop of 2–4 users without pause for "
        + "%d s after an unmeasured warm-up, CPU of the node from /proc; %d cores shared with "
        + "the load generator and the simulator; load average before / after: %s / %s.",
        Instant.now().toString().substring(0, 10), seconds,
        Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
  }

  /** The suffix of a target run by the --baseline-jar build. */
  static final String BASE = "@base";

  private static Target startScenario(List<AutoCloseable> started, Path jar, String suffix,
      String scenario, Path work, int simPort, String redisUrl) throws Exception {
    String tag = suffix.isEmpty() ? "" : "-base";
    Target t;
    switch (scenario) {
      case "single" -> {
        int http = freePort();
        int cluster = freePort();
        ManagedProcess n = track(started, node(jar, work, "single" + tag, "single" + tag,
            "[gateway, router, \"provider:local\"]", http, cluster, List.of(cluster), simPort,
            redisUrl));
        t = new Target("tiermesh-single" + suffix, chatUrl(http), KEY, List.of(n));
      }
      case "paid" -> {
        int http = freePort();
        int cluster = freePort();
        ManagedProcess n = track(started, node(jar, work, "paid" + tag, "paid" + tag,
            "[gateway, router, budget, \"provider:local\", \"provider:paid\"]", http,
            cluster, List.of(cluster), simPort, redisUrl));
        t = new Target("tiermesh-paid" + suffix, chatUrl(http), KEY, List.of(n),
            "paid/gpt-4o-mini");
      }
      case "paid-wait" -> {
        // The paid scenario with every reservation confirmed by the replica (WAIT 1 100).
        int http = freePort();
        int cluster = freePort();
        ManagedProcess n = track(started, node(jar, work, "paid-wait" + tag, "paid-wait" + tag,
            "[gateway, router, budget, \"provider:local\", \"provider:paid\"]", http,
            cluster, List.of(cluster), simPort, redisUrl, "", "budget: {replicaAcks: 1}"));
        t = new Target("tiermesh-paid-wait" + suffix, chatUrl(http), KEY, List.of(n),
            "paid/gpt-4o-mini");
      }
      case "clustered-paid", "clustered-paid-tls" -> {
        // The paid path across the event bus: gateway + router on one node, the budget and
        // the providers on another; "-tls" with mutual TLS between them (cluster.tls).
        boolean tls = scenario.endsWith("-tls");
        String busTls = "";
        if (tls) {
          io.vertx.core.net.SelfSignedCertificate cert =
              io.vertx.core.net.SelfSignedCertificate.create("tiermesh-bench");
          track(started, (AutoCloseable) cert::delete);
          busTls = ", tls: {certFile: \"" + cert.certificatePath() + "\", keyFile: \""
              + cert.privateKeyPath() + "\", caFile: \"" + cert.certificatePath() + "\"}";
        }
        int http = freePort();
        int gwCluster = freePort();
        int provCluster = freePort();
        List<Integer> members = List.of(gwCluster, provCluster);
        ManagedProcess gw = track(started, node(jar, work, scenario + "-gateway" + tag,
            scenario + tag, "[gateway, router]", http, gwCluster, members, simPort, redisUrl,
            tls ? busTls + ", eventBusPort: " + freePort() : "", ""));
        ManagedProcess prov = track(started, node(jar, work, scenario + "-budget" + tag,
            scenario + tag, "[budget, \"provider:local\", \"provider:paid\"]", freePort(),
            provCluster, members, simPort, redisUrl,
            tls ? busTls + ", eventBusPort: " + freePort() : "", ""));
        t = new Target("tiermesh-" + scenario + suffix, chatUrl(http), KEY, List.of(gw, prov),
            "paid/gpt-4o-mini");
      }
      case "clustered" -> {
        int http = freePort();
        int gwCluster = freePort();
        int provCluster = freePort();
        List<Integer> members = List.of(gwCluster, provCluster);
        ManagedProcess gw = track(started, node(jar, work, "clustered-gateway" + tag,
            "c" + tag, "[gateway, router]", http, gwCluster, members, simPort, redisUrl));
        ManagedProcess prov = track(started, node(jar, work, "clustered-provider" + tag,
            "c" + tag, "[\"provider:local\"]", freePort(), provCluster, members, simPort,
            redisUrl));
        t = new Target("tiermesh-clustered" + suffix, chatUrl(http), KEY, List.of(gw, prov));
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario
          + " (single, paid, paid-wait, clustered, clustered-paid, clustered-paid-tls)");
    }
    for (ManagedProcess p : t.tiermesh()) {
      p.awaitOutput("tiermesh node ready", STARTUP_SECONDS);
    }
    awaitServing(URI.create(t.url()).getPort());
    if (t.model().startsWith("paid/")) {
      requirePaidPath(URI.create(t.url()).getPort(), t.body(false));
    }
    return t;
  }

  private static String chatUrl(int port) {
    return "http://127.0.0.1:" + port + "/v1/chat/completions";
  }

  private static JsonObject measure(Vertx vertx, Target t, String mode, int round,
      int connections, int seconds, int rate, Path work, boolean saturated, boolean paced)
      throws Exception {
    String body = t.body(mode.equals("stream"));
    JsonObject s = new JsonObject().put("round", round).put("target", t.name())
        .put("mode", mode).put("loadavg", loadAverage());
    if (saturated) {
      long cpuBefore = cpu(t);
      WrkRun.Result w = WrkRun.run(t.url(), body, t.apiKey(), connections, seconds, work);
      long cpuTicks = cpu(t) - cpuBefore;
      s.put("saturated_rps", w.requestsPerSecond())
          .put("saturated_requests", w.requests())
          .put("saturated_errors", w.errors());
      if (!t.tiermesh().isEmpty()) {
        s.put("cpu_us_per_request_saturated",
            ticksToMicros(cpuTicks) / Math.max(1, w.requests()));
      }
    }
    if (paced) {
      long cpuBefore = cpu(t);
      PacedLoad.Result p = PacedLoad.run(vertx, t.url(), body, t.apiKey(), rate, seconds);
      long pacedTicks = cpu(t) - cpuBefore;
      s.put("paced_rate", rate)
          .put("paced_errors", p.errors())
          .put("paced_p50_ms", p.p50Ms()).put("paced_p99_ms", p.p99Ms())
          .put("paced_ttfb_p50_ms", p.ttfbP50Ms()).put("paced_ttfb_p99_ms", p.ttfbP99Ms());
      if (!t.tiermesh().isEmpty()) {
        s.put("cpu_us_per_request_paced", ticksToMicros(pacedTicks) / Math.max(1, p.sent()));
      }
    }
    if (!t.tiermesh().isEmpty()) {
      s.put("peak_rss_mib", rss(t));
    }
    return s;
  }

  /** The closed-loop light load (JSON answers): a few users who each pause between calls. */
  private static JsonObject measureLight(Vertx vertx, Target t, int round, int users,
      int thinkMs, int seconds) throws Exception {
    String load = loadAverage();
    long cpuBefore = cpu(t);
    ClosedLoad.Result c = ClosedLoad.run(vertx, t.url(), t.body(false), t.apiKey(), users,
        thinkMs, seconds);
    long ticks = cpu(t) - cpuBefore;
    JsonObject s = new JsonObject().put("round", round).put("target", t.name())
        .put("mode", "light").put("loadavg", load)
        .put("light_users", users).put("light_think_ms", thinkMs)
        .put("light_requests", c.requests()).put("light_errors", c.errors())
        .put("light_rps", c.requestsPerSecond())
        .put("light_p50_ms", c.p50Ms()).put("light_p99_ms", c.p99Ms());
    if (!t.tiermesh().isEmpty()) {
      s.put("cpu_us_per_request_light", ticksToMicros(ticks) / Math.max(1, c.requests()));
      s.put("peak_rss_mib", rss(t));
    }
    return s;
  }

  private static JsonObject rss(Target t) throws IOException {
    JsonObject rss = new JsonObject();
    for (ManagedProcess m : t.tiermesh()) {
      rss.put(m.name, m.peakRssKib() / 1024);
    }
    return rss;
  }

  /** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  static double ticksToMicros(long ticks) {
    return ticks * 1_000_000.0 / ManagedProcess.TICKS_PER_SECOND;
  }

  private static long cpu(Target t) throws IOException {
    long sum = 0;
    for (ManagedProcess p : t.tiermesh()) {
      sum += p.cpuTicks();
    }
    return sum;
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> started, T c) {
    synchronized (started) {
      started.add(c);
    }
    return c;
  }

  static List<String> java(Path jar, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(List.of(NODE_JVM.split(" ")));
    cmd.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "-jar", jar.toString()));
    cmd.addAll(args);
    return cmd;
  }

  private static ManagedProcess node(Path jar, Path work, String name, String clusterName,
      String roles, int http, int clusterPort, List<Integer> members, int simPort,
      String redisUrl)
      throws IOException {
    return node(jar, work, name, clusterName, roles, http, clusterPort, members, simPort,
        redisUrl, "", "");
  }

  /**
   * @param clusterExtra more keys of the {@code cluster} map, each after ", "
   * @param redisExtra   more keys of the {@code redis} map (e.g. the budget store's settings)
   */
  private static ManagedProcess node(Path jar, Path work, String name, String clusterName,
      String roles, int http, int clusterPort, List<Integer> members, int simPort,
      String redisUrl, String clusterExtra, String redisExtra)
      throws IOException {
    StringBuilder m = new StringBuilder();
    for (int p : members) {
      m.append(m.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
    }
    String yaml = "roles: " + roles + "\n"
        + "cluster: {name: bench-" + work.getFileName() + "-" + clusterName
        + ", host: 127.0.0.1, port: " + clusterPort + ", members: [" + m + "]" + clusterExtra
        + "}\n"
        + "gateway: {host: 127.0.0.1, port: " + http + ", apiKeyEnv: BENCH_KEY}\n"
        // One event loop: the roles of a node then hand requests to each other without thread
        // wake-ups (on this 2-core machine: 96 vs 138-341 µs CPU per request at one request
        // in flight, 45-51 vs 55-63 µs at 32; README "Tuning").
        + "eventLoops: " + EVENT_LOOPS + "\n"
        + "providers:\n"
        + "  - {id: local, kind: openai, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 4096" + localCapabilities + "}\n"
        + "  - {id: paid, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 4096}\n"
        + "redis: {url: \"" + redisUrl + "\"" + (redisExtra.isEmpty() ? "" : ", " + redisExtra)
        + "}\n"
        // A cap far above what a run spends: the paid path does its full reserve + settle.
        + "budget:\n  limits: [{scope: global, window: month, usd: \"1000000.00\"}]\n"
        + "  prices: {paid: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}\n";
    Path config = work.resolve(name + ".yaml");
    Files.writeString(config, yaml);
    return ManagedProcess.start(name, java(jar, List.of("node", "--config", config.toString())),
        Map.of("BENCH_KEY", KEY), work);
  }

  private static ManagedProcess startNginx(Path work, int port, int simPort) throws IOException {
    Path prefix = work.resolve("nginx");
    Files.createDirectories(prefix.resolve("logs"));
    String conf = """
        worker_processes auto;
        daemon off;
        pid %1$s/nginx.pid;
        error_log stderr warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          upstream sim { server 127.0.0.1:%3$d; keepalive 128; }
          server {
            listen 127.0.0.1:%2$d;
            location / {
              proxy_pass http://sim;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_buffering off;
            }
          }
        }
        """.formatted(prefix, port, simPort);
    Path file = prefix.resolve("nginx.conf");
    Files.writeString(file, conf);
    return ManagedProcess.start("nginx", List.of(nginxBinary(), "-p", prefix.toString(), "-c",
        file.toString()), Map.of(), work);
  }

  static String redisBinary() {
    for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return "redis-server";
  }

  private static String nginxBinary() {
    for (String p : List.of("/usr/sbin/nginx", "/usr/bin/nginx")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return "nginx";
  }

  private static void awaitPort(int port) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
    }
    throw new IllegalStateException("nothing listens on " + port);
  }

  /** A node is ready for load once a real request went through it end to end. */
  static void awaitServing(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.currentTimeMillis() + STARTUP_SECONDS * 1000L;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
          .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON_BODY)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new IllegalStateException("node on " + port + " never served a request");
  }

  /** The paid scenario only means something if it really reserves and settles on tier 2. */
  private static void requirePaidPath(int port, String body) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || !"2".equals(r.headers().firstValue("X-TierMesh-Tier").orElse(""))
        || r.headers().firstValue("X-TierMesh-Cost-USD").isEmpty()) {
      throw new IllegalStateException("the paid path is not billed on tier 2: " + r.statusCode()
          + " " + r.headers().map());
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
