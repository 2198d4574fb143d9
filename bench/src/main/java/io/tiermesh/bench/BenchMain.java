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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark run on loopback: the upstream simulator alone ("direct"), nginx proxying to it
 * (the "does no work" limit), and TierMesh single-node and clustered in front of it. Targets
 * are interleaved round by round so that a noisy machine shifts all of them alike, and the
 * median round is reported.
 */
public final class BenchMain {

  static final String KEY = "bench-key-0123456789";
  static final String JSON_BODY = "{\"model\":\"auto\",\"max_tokens\":16,\"messages\":"
      + "[{\"role\":\"user\",\"content\":\"Say hello to the benchmark\"}]}";
  static final String STREAM_BODY = JSON_BODY.replace("{\"model\"", "{\"stream\":true,\"model\"");
  static final String NODE_JVM = "-Xmx256m -XX:+UseSerialGC";
  static final int EVENT_LOOPS = Integer.getInteger("tiermesh.bench.eventLoops", 1);

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
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int seconds = Integer.parseInt(opts.getOrDefault("--seconds", "6"));
    int rounds = Integer.parseInt(opts.getOrDefault("--rounds", "3"));
    int rate = Integer.parseInt(opts.getOrDefault("--rate", "500"));
    int connections = Integer.parseInt(opts.getOrDefault("--connections", "64"));
    Path root = Path.of(opts.getOrDefault("--root", ".")).toAbsolutePath().normalize();
    Path jar = root.resolve("node/target/tiermesh.jar");
    Path work = root.resolve("bench/target/run-" + System.currentTimeMillis());
    Files.createDirectories(work);

    List<AutoCloseable> started = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try {
      int simPort = freePort();
      ManagedProcess sim = track(started, ManagedProcess.start("simulator",
          java(jar, List.of("sim", "--port", String.valueOf(simPort), "--name", "bench")),
          Map.of(), work).awaitOutput("listening", 60));
      int nginxPort = freePort();
      track(started, startNginx(work, nginxPort, simPort));
      awaitPort(nginxPort);

      int redisPort = freePort();
      track(started, ManagedProcess.start("redis", List.of(redisBinary(), "--port",
          String.valueOf(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
          Map.of(), work).awaitOutput("Ready to accept connections", 30));
      String redisUrl = "redis://127.0.0.1:" + redisPort;

      int singleHttp = freePort();
      int singleCluster = freePort();
      ManagedProcess single = track(started, node(jar, work, "single",
          "[gateway, router, \"provider:local\"]", singleHttp, singleCluster,
          List.of(singleCluster), simPort, redisUrl));
      int paidHttp = freePort();
      int paidCluster = freePort();
      ManagedProcess paid = track(started, node(jar, work, "paid",
          "[gateway, router, budget, \"provider:local\", \"provider:paid\"]", paidHttp,
          paidCluster, List.of(paidCluster), simPort, redisUrl));
      int gwHttp = freePort();
      int gwCluster = freePort();
      int provCluster = freePort();
      List<Integer> members = List.of(gwCluster, provCluster);
      ManagedProcess gateway = track(started, node(jar, work, "clustered-gateway",
          "[gateway, router]", gwHttp, gwCluster, members, simPort, redisUrl));
      ManagedProcess provider = track(started, node(jar, work, "clustered-provider",
          "[\"provider:local\"]", freePort(), provCluster, members, simPort, redisUrl));
      for (ManagedProcess p : List.of(single, paid, gateway, provider)) {
        p.awaitOutput("tiermesh node ready", 90);
      }
      awaitServing(singleHttp);
      awaitServing(paidHttp);
      awaitServing(gwHttp);

      List<Target> targets = List.of(
          new Target("direct", "http://127.0.0.1:" + simPort + "/v1/chat/completions", null,
              List.of()),
          new Target("nginx", "http://127.0.0.1:" + nginxPort + "/v1/chat/completions", null,
              List.of()),
          new Target("tiermesh-single", "http://127.0.0.1:" + singleHttp
              + "/v1/chat/completions", KEY, List.of(single)),
          new Target("tiermesh-paid", "http://127.0.0.1:" + paidHttp
              + "/v1/chat/completions", KEY, List.of(paid), "paid/gpt-4o-mini"),
          new Target("tiermesh-clustered", "http://127.0.0.1:" + gwHttp
              + "/v1/chat/completions", KEY, List.of(gateway, provider)));

      requirePaidPath(paidHttp, targets.get(3).body(false));
      System.out.println("warming up");
      for (Target t : targets) {
        WrkRun.run(t.url(), t.body(false), t.apiKey(), connections, 5, work);
        WrkRun.run(t.url(), t.body(true), t.apiKey(), connections, 3, work);
      }
      JsonArray samples = new JsonArray();
      for (int r = 1; r <= rounds; r++) {
        for (Target t : targets) {
          for (String mode : List.of("json", "stream")) {
            String body = t.body(mode.equals("stream"));
            long cpuBefore = cpu(t);
            WrkRun.Result w = WrkRun.run(t.url(), body, t.apiKey(), connections, seconds, work);
            long cpuTicks = cpu(t) - cpuBefore;
            cpuBefore = cpu(t);
            PacedLoad.Result p = PacedLoad.run(vertx, t.url(), body, t.apiKey(), rate, seconds);
            long pacedTicks = cpu(t) - cpuBefore;
            JsonObject s = new JsonObject().put("round", r).put("target", t.name())
                .put("mode", mode)
                .put("saturated_rps", w.requestsPerSecond())
                .put("saturated_requests", w.requests())
                .put("saturated_errors", w.errors())
                .put("paced_rate", rate)
                .put("paced_errors", p.errors())
                .put("paced_p50_ms", p.p50Ms()).put("paced_p99_ms", p.p99Ms())
                .put("paced_ttfb_p50_ms", p.ttfbP50Ms()).put("paced_ttfb_p99_ms", p.ttfbP99Ms());
            if (!t.tiermesh().isEmpty()) {
              s.put("cpu_us_per_request_saturated",
                  ticksToMicros(cpuTicks) / Math.max(1, w.requests()));
              s.put("cpu_us_per_request_paced", ticksToMicros(pacedTicks) / Math.max(1, p.sent()));
              JsonObject rss = new JsonObject();
              for (ManagedProcess m : t.tiermesh()) {
                rss.put(m.name, m.peakRssKib() / 1024);
              }
              s.put("peak_rss_mib", rss);
            }
            System.out.println(s.encode());
            samples.add(s);
          }
        }
      }
      Report report = new Report(samples, rounds, seconds, rate, connections);
      Files.writeString(root.resolve("bench/results.json"), new JsonObject()
          .put("time", Instant.now().toString()).put("rounds", rounds).put("seconds", seconds)
          .put("rate", rate).put("connections", connections)
          .put("cpus", Runtime.getRuntime().availableProcessors())
          .put("samples", samples).encodePrettily());
      report.writeInto(root.resolve("bench/RESULTS.md"));
      System.out.println(report.table());
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).close();
      }
      vertx.close().await();
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
    started.add(c);
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

  private static ManagedProcess node(Path jar, Path work, String name, String roles,
      int http, int clusterPort, List<Integer> members, int simPort, String redisUrl)
      throws IOException {
    StringBuilder m = new StringBuilder();
    for (int p : members) {
      m.append(m.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
    }
    String yaml = "roles: " + roles + "\n"
        + "cluster: {name: bench-" + work.getFileName() + "-" + (members.size() > 1 ? "c" : name)
        + ", host: 127.0.0.1, port: " + clusterPort + ", members: [" + m + "]}\n"
        + "gateway: {host: 127.0.0.1, port: " + http + ", apiKeyEnv: BENCH_KEY}\n"
        // One event loop: the roles of a node then hand requests to each other without thread
        // wake-ups (on this 2-core machine: 96 vs 138-341 µs CPU per request at one request
        // in flight, 45-51 vs 55-63 µs at 32; README "Tuning").
        + "eventLoops: " + EVENT_LOOPS + "\n"
        + "providers:\n"
        + "  - {id: local, kind: openai, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 4096}\n"
        + "  - {id: paid, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 4096}\n"
        + "redis: {url: \"" + redisUrl + "\"}\n"
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
    long deadline = System.currentTimeMillis() + 60_000;
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
