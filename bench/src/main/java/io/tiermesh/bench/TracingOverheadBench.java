package io.tiermesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What tracing costs a request: single nodes (gateway, router, one provider) from the same jar
 * with tracing off, with a tracer that samples nothing ({@code samplingRatio: 0}) and with one
 * that records every request (ratio 1) into a collector in this JVM that accepts and discards;
 * optionally a node from a jar built before tracing existed ({@code --base-jar}). Each is
 * loaded at the same fixed rate, interleaved round by round so a busy machine shifts all alike;
 * the figure that matters is the node's CPU time per request (from /proc, so other processes'
 * load does not count), with the paced latency beside it.
 *
 * <p>{@code java -cp bench/target/tiermesh-bench.jar io.tiermesh.bench.TracingOverheadBench
 * --root . [--base-jar PATH] [--rounds 5] [--seconds 10] [--rate 200]}
 */
public final class TracingOverheadBench {

  private TracingOverheadBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int rounds = Integer.parseInt(opts.getOrDefault("--rounds", "5"));
    int seconds = Integer.parseInt(opts.getOrDefault("--seconds", "10"));
    int rate = Integer.parseInt(opts.getOrDefault("--rate", "200"));
    Path root = Path.of(opts.getOrDefault("--root", ".")).toAbsolutePath().normalize();
    Path jar = root.resolve("node/target/tiermesh.jar");
    Path work = root.resolve("bench/target/tracing-" + System.currentTimeMillis());
    Files.createDirectories(work);
    List<AutoCloseable> started = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    AtomicLong exportedBytes = new AtomicLong();
    try {
      HttpServer collector = vertx.createHttpServer().requestHandler(req -> req.body()
          .onSuccess(b -> {
            exportedBytes.addAndGet(b.length());
            req.response().putHeader("Content-Type", "application/x-protobuf").end();
          })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      String endpoint = "http://127.0.0.1:" + collector.actualPort() + "/v1/traces";
      int simPort = BenchMain.freePort();
      started.add(ManagedProcess.start("simulator", BenchMain.java(jar, List.of("sim", "--port",
          String.valueOf(simPort), "--name", "bench")), Map.of(), work)
          .awaitOutput("listening", 60));
      int redisPort = BenchMain.freePort();
      started.add(ManagedProcess.start("redis", List.of(BenchMain.redisBinary(), "--port",
          String.valueOf(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"),
          Map.of(), work).awaitOutput("Ready to accept connections", 30));
      String redisUrl = "redis://127.0.0.1:" + redisPort;

      Map<String, String> variants = new LinkedHashMap<>();
      variants.put("off", "");
      variants.put("ratio-0", "tracing: {otlp: {endpoint: \"" + endpoint
          + "\"}, samplingRatio: 0}\n");
      variants.put("ratio-1", "tracing: {otlp: {endpoint: \"" + endpoint + "\"}}\n");
      Map<String, ManagedProcess> nodes = new LinkedHashMap<>();
      Map<String, Integer> ports = new LinkedHashMap<>();
      if (opts.containsKey("--base-jar")) {
        int port = BenchMain.freePort();
        nodes.put("before-tracing", started(started, node(Path.of(opts.get("--base-jar")), work,
            "before-tracing", port, simPort, redisUrl, "")));
        ports.put("before-tracing", port);
      }
      for (Map.Entry<String, String> v : variants.entrySet()) {
        int port = BenchMain.freePort();
        nodes.put(v.getKey(), started(started, node(jar, work, v.getKey(), port, simPort,
            redisUrl, v.getValue())));
        ports.put(v.getKey(), port);
      }
      for (int port : ports.values()) {
        BenchMain.awaitServing(port);
      }
      System.out.println("load average before: " + Files.readString(Path.of("/proc/loadavg"))
          .strip() + "; " + Instant.now());
      for (String name : nodes.keySet()) {
        PacedLoad.run(vertx, url(ports.get(name)), BenchMain.JSON_BODY, BenchMain.KEY, rate, 5);
      }
      for (int r = 1; r <= rounds; r++) {
        for (String name : nodes.keySet()) {
          ManagedProcess p = nodes.get(name);
          long before = p.cpuTicks();
          PacedLoad.Result res = PacedLoad.run(vertx, url(ports.get(name)),
              BenchMain.JSON_BODY, BenchMain.KEY, rate, seconds);
          long ticks = p.cpuTicks() - before;
          System.out.printf("RESULT round=%d node=%s sent=%d errors=%d cpu_us_per_request=%.1f"
                  + " p50_ms=%.2f p99_ms=%.2f exported_bytes=%d%n", r, name, res.sent(),
              res.errors(), BenchMain.ticksToMicros(ticks) / Math.max(1, res.sent()),
              res.p50Ms(), res.p99Ms(), exportedBytes.get());
        }
      }
      System.out.println("load average after: " + Files.readString(Path.of("/proc/loadavg"))
          .strip() + "; " + Instant.now());
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).close();
      }
      vertx.close().await();
    }
  }

  /** One node at a time: several JVMs starting at once on a busy 2-core box time out. */
  private static ManagedProcess started(List<AutoCloseable> started, ManagedProcess p)
      throws Exception {
    started.add(p);
    return p.awaitOutput("tiermesh node ready", 180);
  }

  private static String url(int port) {
    return "http://127.0.0.1:" + port + "/v1/chat/completions";
  }

  private static ManagedProcess node(Path jar, Path work, String name, int http, int simPort,
      String redisUrl, String tracing) throws Exception {
    String yaml = "roles: [gateway, router, \"provider:local\"]\n"
        + "cluster: {enabled: false}\n"
        + "gateway: {host: 127.0.0.1, port: " + http + ", apiKeyEnv: BENCH_KEY}\n"
        + "eventLoops: 1\n"
        + "providers:\n"
        + "  - {id: local, kind: openai, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 4096}\n"
        + "redis: {url: \"" + redisUrl + "\"}\n"
        + tracing;
    Path config = work.resolve(name + ".yaml");
    Files.writeString(config, yaml);
    return ManagedProcess.start(name, BenchMain.java(jar, List.of("node", "--config",
        config.toString())), Map.of("BENCH_KEY", BenchMain.KEY), work);
  }
}
