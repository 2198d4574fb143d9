package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.FreePorts;
import io.tiermesh.testsupport.RedisCluster;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole node on the Redis topologies of the {@code redis} section: budgets, rate limits,
 * idempotent replays and the answer cache on a real 3-master Redis Cluster, and the budget
 * role's refusal of a Redis that would lose budgets (and its {@code force} override).
 */
class RedisTopologiesMeshTest {

  static final String KEY = "tm-topologies-key-0123456789";
  static final int PER_MINUTE = 12;

  static final Vertx simVertx = Vertx.vertx();
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void simulators() throws Exception {
    local = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName("local")
        .withPort(0).withSeed(1)).await(10, TimeUnit.SECONDS);
    hosted = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName("hosted")
        .withPort(0).withSeed(2)).await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopSimulators() {
    simVertx.close().await();
  }

  static MeshConfig config(String redisYaml) throws Exception {
    return ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN,
                  requestTimeoutMs: 20000}
        access: {perKey: {requestsPerMinute: %d}}
        redis: %s
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"]}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o-mini]}
        budget:
          operationTimeoutMs: 2000   # a loaded 2-core machine: the test is about routing, not speed
          limits:
            - {scope: global, window: month, usd: "200.00"}
          prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00", maxOutputTokens: 1000}}
        """.formatted(FreePorts.next(), PER_MINUTE, redisYaml, local.port(), hosted.port()),
        "topologies test");
  }

  static Node start(MeshConfig config) throws Exception {
    return Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN",
        "tm-topologies-admin-0123456789")));
  }

  HttpResponse<String> chat(Node node, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + node.httpPort() + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String body(String content, String extra) {
    return "{\"model\":\"auto\"" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + content + "\"}]}";
  }

  @Test
  void budgetsLimitsReplaysAndTheCacheRunOnARedisCluster() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(3, List.of("--appendonly", "yes"))) {
      String endpoints = String.join(", ", cluster.urls().stream()
          .map(u -> "\"" + u + "\"").toList());
      Node node = start(config("{mode: cluster, endpoints: [" + endpoints + "]}"));
      try {
        awaitReady(node);
        int answered = 0;
        // A paid call: reserved and settled by the budget role on the cluster.
        HttpResponse<String> paid = chat(node, body("paid on a cluster", ""),
            "X-TierMesh-Quality", "high");
        assertEquals(200, paid.statusCode(), paid.body());
        answered++;
        assertEquals("2", paid.headers().firstValue("X-TierMesh-Tier").orElseThrow());
        double cost = Double.parseDouble(paid.headers().firstValue("X-TierMesh-Cost-USD")
            .orElseThrow());
        double remaining = Double.parseDouble(paid.headers()
            .firstValue("X-TierMesh-Budget-Remaining").orElseThrow());
        assertTrue(cost > 0, "charged " + cost);
        assertEquals(200.0 - cost, remaining, 1e-6);

        // An idempotent retry: the stored answer, one backend call.
        String key = "idem-" + UUID.randomUUID();
        long hostedBefore = hosted.log().calls();
        String once = body("exactly once", "");
        assertEquals(200, chat(node, once, "Idempotency-Key", key,
            "X-TierMesh-Quality", "high").statusCode());
        HttpResponse<String> replay = chat(node, once, "Idempotency-Key", key,
            "X-TierMesh-Quality", "high");
        answered += 2;
        assertEquals("true", replay.headers().firstValue("X-TierMesh-Idempotent-Replay")
            .orElseThrow(), replay.body());
        assertEquals(hostedBefore + 1, hosted.log().calls(), "executed once");

        // A deterministic request twice: the second is a cache hit, no backend call.
        long localBefore = local.log().calls();
        String det = body("cache me " + UUID.randomUUID(), ",\"temperature\":0");
        assertEquals("miss", chat(node, det).headers().firstValue("X-TierMesh-Cache")
            .orElseThrow());
        assertEquals("hit", chat(node, det).headers().firstValue("X-TierMesh-Cache")
            .orElseThrow());
        answered += 2;
        assertEquals(localBefore + 1, local.log().calls());

        // The key's per-minute limit holds exactly: every request so far counted once.
        int refused = 0;
        for (int i = 0; i < PER_MINUTE + 3; i++) {
          int status = chat(node, body("count " + i, "")).statusCode();
          if (status == 200) {
            answered++;
          } else {
            assertEquals(429, status);
            refused++;
          }
        }
        assertEquals(PER_MINUTE, answered, "admitted by the limit");
        assertTrue(refused > 0);
      } finally {
        node.stop();
      }
    }
  }

  @Test
  void theBudgetRoleRefusesAnEvictingOrNonPersistentRedisUnlessForced() throws Exception {
    try (RedisServer evicting = RedisServer.start(List.of("--appendonly", "no",
        "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"))) {
      Exception e = assertThrows(Exception.class,
          () -> start(config("{url: \"" + evicting.url() + "\"}")).stop());
      String message = messages(e);
      assertTrue(message.contains("the budget role will not run on standalone "
          + evicting.url()), message);
      assertTrue(message.contains("maxmemory-policy allkeys-lru"), message);
      assertTrue(message.contains("no append-only file"), message);
      assertTrue(message.contains("redis.budget.force: true"), message);

      Node forced = start(config("{url: \"" + evicting.url() + "\", budget: {force: true}}"));
      try {
        HttpResponse<String> paid = chat(forced, body("forced", ""), "X-TierMesh-Quality",
            "high");
        assertEquals(200, paid.statusCode(), paid.body());
        assertEquals("2", paid.headers().firstValue("X-TierMesh-Tier").orElseThrow());
      } finally {
        forced.stop();
      }
    }
  }

  private static String messages(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append(" | ");
    }
    return all.toString();
  }

  /**
   * Until the budget role has started its store (on a loaded machine a Cluster's or a TLS
   * server's first connections take seconds), paid calls fall back to tier 1; bounded.
   */
  void awaitReady(Node node) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + node.httpPort() + "/health/ready")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode();
      if (status == 200) {
        return;
      }
      assertTrue(System.currentTimeMillis() < deadline, "the node never became ready");
      Thread.sleep(200);
    }
  }
}
