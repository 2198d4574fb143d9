package io.tiermesh.it;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the multi-JVM budget tests share: one real redis-server, one upstream simulator serving
 * a free local model (Ollama format) and a paid hosted one (OpenAI format), nodes started from
 * the packaged jar, and a client that reads Redis directly to check the invariants.
 */
final class BudgetRig implements AutoCloseable {

  static final String KEY = "tm-it-budget-" + UUID.randomUUID();

  final Path dir;
  final Vertx vertx = Vertx.vertx();
  final LocalRedis redis;
  final Redis client;
  final UpstreamSimulator sim;
  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String clusterName = "it-budget-" + UUID.randomUUID().toString().substring(0, 8);

  BudgetRig(Path dir) throws Exception {
    this.dir = dir;
    redis = RedisProcess.local();
    // Sampler and test share one connection: requests are pipelined, never pool-starved.
    client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redis.url())
        .setMaxPoolSize(2).setMaxPoolWaiting(1024));
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("it-budget")).await(10, TimeUnit.SECONDS);
  }

  /**
   * A node config. The hosted model's prompt tokens are free and each output token costs
   * {@code outputUsdPerMillion}; with max_tokens below the simulator's answer length every paid
   * call uses exactly its reservation, so the number a cap admits is known in advance.
   */
  Path config(String name, String roles, boolean clustered, int clusterPort, List<Integer> members,
      int httpPort, String budgetYaml) throws Exception {
    StringBuilder m = new StringBuilder();
    for (int p : members) {
      m.append(m.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
    }
    String yaml = "roles: [" + roles + "]\n"
        + (clustered
            ? "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
                + ", members: [" + m + "]}\n"
            : "cluster: {enabled: false}\n")
        + "gateway: {host: 127.0.0.1, port: " + httpPort + ", apiKeyEnv: IT_KEY,"
        + " requestTimeoutMs: 60000}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "drainMs: 1000\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"], maxConcurrent: 1024}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 1024,"
        + " breaker: {maxFailures: 1000, resetMs: 1000}}\n"
        + "budget:\n" + budgetYaml.indent(2);
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  NodeProcess start(String name, Path config) throws Exception {
    NodeProcess n = NodeProcess.start(name, config, Map.of("IT_KEY", KEY));
    nodes.add(n);
    return n;
  }

  /**
   * Polls {@code /health/ready} until the gateway reports every role ready and nothing
   * degraded (the budget store reached Redis).
   */
  void awaitReady(int httpPort, long seconds) throws Exception {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
            .timeout(Duration.ofSeconds(5)).build(), LeakScan.bodies());
        if (r.statusCode() == 200 && r.body().contains("\"degraded\":false")) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // still starting
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("gateway on " + httpPort + " never became ready");
      }
      Thread.onSpinWait(); // the HTTP round trip paces the loop
    }
  }

  CompletableFuture<HttpResponse<String>> paid(int httpPort, String prompt, int maxTokens) {
    String body = "{\"model\":\"auto\",\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":"
        + "\"user\",\"content\":\"" + prompt + "\"}]}";
    return http.sendAsync(GatewayRequests.chat(httpPort, KEY, body, Duration.ofSeconds(90),
        "X-TierMesh-Quality", "high"), LeakScan.bodies());
  }

  Response call(String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(5, TimeUnit.SECONDS);
  }

  static String dayCounter(String scope) {
    return "{tm}:c:day:" + LocalDate.now(ZoneOffset.UTC) + ":" + scope;
  }

  long field(String counter, String name) throws Exception {
    Response v = call("HGET", counter, name);
    return v == null ? 0 : v.toLong();
  }

  long openReservations() throws Exception {
    return call("ZCARD", "{tm}:reservations").toLong();
  }

  /** Sum of {@code cost} over the ledger, and the number of paid (cost > 0) entries. */
  long[] ledger() throws Exception {
    long sum = 0;
    long paid = 0;
    for (Response entry : call("XRANGE", "{tm}:ledger", "-", "+")) {
      Response f = entry.get(1);
      for (int i = 0; i + 1 < f.size(); i += 2) {
        if ("cost".equals(f.get(i).toString())) {
          long c = f.get(i + 1).toLong();
          sum += c;
          paid += c > 0 ? 1 : 0;
        }
      }
    }
    return new long[] {sum, paid};
  }

  @Override
  public void close() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    client.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    redis.close();
  }
}
