package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two gateway nodes in two JVMs sharing one Redis: keys, rate limits and idempotency must hold
 * across them, and secrets planted as canaries must never come out of either.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoGatewaysTest {

  static final String KEY = "it-bootstrap-key-0123456789";
  static final String ADMIN = "it-admin-key-0123456789";
  static final String PROVIDER_SECRET = "sk-CANARY-provider-secret-5f3a9c";
  static final String PII = "CANARY-PII-4111-1111-1111-1111";

  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  LocalRedis redis;
  NodeProcess a;
  NodeProcess b;
  int portA;
  int portB;
  String clusterName;

  @BeforeAll
  void startMesh() throws Exception {
    dir = Files.createTempDirectory("tiermesh-gw-it");
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0).withName("gw"))
        .await(10, TimeUnit.SECONDS);
    redis = RedisProcess.local();
    portA = NodeProcess.freePort();
    portB = NodeProcess.freePort();
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    clusterName = "gw-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env = Map.of("IT_KEY", KEY, "TIERMESH_ADMIN_KEY", ADMIN,
        "TIERMESH_KEY_SECRET", "it-key-secret-0123456789abcdef", "IT_PROVIDER_KEY",
        PROVIDER_SECRET);
    a = NodeProcess.start("a", config("a", "gateway, router, budget, \"provider:local\", "
        + "\"provider:hosted\"", cluster[0], portA, cluster), env);
    b = NodeProcess.start("b", config("b", "gateway", cluster[1], portB, cluster), env);
    a.awaitReady(60);
    b.awaitReady(60);
    long deadline = System.currentTimeMillis() + 30_000;
    while (RawHttp.send("127.0.0.1", portB, "GET", "/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "gateway b never saw the router");
    }
  }

  private Path config(String node, String roles, int clusterPort, int httpPort, int[] members)
      throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:" + members[1] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "access: {perIp: {requestsPerMinute: 10}}\n"
        + "drainMs: 2000\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"], breaker: {maxFailures: 1000}}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [gpt-4o-mini], apiKeyEnv: IT_PROVIDER_KEY}\n"
        + "budget: {prices: {hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}}\n";
    Path file = dir.resolve(node + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @AfterAll
  void stopMesh() throws Exception {
    for (NodeProcess n : new NodeProcess[] {a, b}) {
      if (n != null) {
        n.close();
      }
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static String chat(String content) {
    return "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content
        + "\"}]}";
  }

  private RawHttp.Reply admin(int port, String method, String path, String body)
      throws Exception {
    return RawHttp.send("127.0.0.1", port, method, path, body, "Authorization", "Bearer " + ADMIN);
  }

  private RawHttp.Reply post(String from, int port, String key, String body, String... headers)
      throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + key;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return RawHttp.send(from, port, "POST", "/v1/chat/completions", body, all);
  }

  @Test
  void keysCreatedAndRevokedOnOneNodeTakeEffectOnTheOther() throws Exception {
    RawHttp.Reply created = admin(portA, "POST", "/admin/keys", "{\"name\":\"two-nodes\"}");
    assertEquals(201, created.status(), created.body());
    String key = new JsonObject(created.body()).getString("key");
    String id = new JsonObject(created.body()).getString("id");
    assertEquals(200, post("127.0.0.11", portB, key, chat("hi")).status(), "usable on b at once");
    assertTrue(admin(portB, "GET", "/admin/keys", null).body().contains(id));
    assertFalse(admin(portB, "GET", "/admin/keys", null).body().contains(key));
    assertEquals(200, admin(portA, "DELETE", "/admin/keys/" + id, null).status());
    // b had the key cached; the revocation notice crosses the cluster bus in well under the
    // time of one more HTTP round trip, so no grace is given.
    long revokedAt = System.nanoTime();
    int status = post("127.0.0.11", portB, key, chat("hi")).status();
    assertEquals(401, status, "revoked on b after "
        + (System.nanoTime() - revokedAt) / 1_000 + " µs");
    assertEquals(401, post("127.0.0.11", portA, key, chat("hi")).status());
  }

  @Test
  void aKeysRequestLimitHoldsAcrossBothNodes() throws Exception {
    String key = new JsonObject(admin(portA, "POST", "/admin/keys",
        "{\"limits\":{\"requestsPerDay\":4}}").body()).getString("key");
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      RawHttp.Reply r = post("127.0.0.12", i % 2 == 0 ? portA : portB, key, chat("n" + i));
      statuses.add(r.status());
      if (r.status() == 429) {
        assertNotNull(r.header("Retry-After"));
        assertEquals("0", r.header("x-ratelimit-remaining-requests"));
        assertTrue(r.body().contains("4 requests per day"), r.body());
      }
    }
    assertEquals(List.of(200, 200, 200, 200, 429, 429), statuses);
  }

  @Test
  void perAddressLimitOfTenPerMinuteHoldsAcrossBothNodes() throws Exception {
    // Fixed windows: if the minute is about to turn, wait for the next one (bounded).
    RawHttp.Reply probe = RawHttp.send("127.0.0.13", portA, "GET", "/v1/models", null,
        "Authorization", "Bearer " + KEY);
    assertEquals(200, probe.status());
    String reset = probe.header("x-ratelimit-reset-requests");
    if (reset != null && !reset.contains("m") && (reset.endsWith("ms")
        || Double.parseDouble(reset.replace("s", "")) < 3)) {
      long until = System.currentTimeMillis() + 4_000;
      while (System.currentTimeMillis() < until) {
        Thread.onSpinWait();
      }
    }
    int ok = 0;
    int refused = 0;
    for (int i = 0; i < 14; i++) {
      RawHttp.Reply r = RawHttp.send("127.0.0.14", i % 2 == 0 ? portA : portB, "GET",
          "/v1/models", null, "Authorization", "Bearer " + KEY);
      if (r.status() == 200) {
        ok++;
      } else {
        assertEquals(429, r.status());
        assertTrue(r.body().contains("this client address"), r.body());
        refused++;
      }
    }
    assertEquals(10, ok);
    assertEquals(4, refused);
    assertEquals(200, RawHttp.send("127.0.0.15", portB, "GET", "/v1/models", null,
        "Authorization", "Bearer " + KEY).status(), "another address is not affected");
  }

  @Test
  void idempotencyHoldsAcrossBothNodes() throws Exception {
    // Let calls of earlier tests finish first: one arriving late would look like ours below.
    long quiet = System.currentTimeMillis() + 15_000;
    while (sim.log().count(e -> RequestLog.PENDING.equals(e.outcome())) > 0
        && System.currentTimeMillis() < quiet) {
      Thread.onSpinWait();
    }
    sim.log().clear();
    // Rules match in install order: a rule left by another test would shadow this one.
    sim.faults().clear();
    sim.faults().install(Fault.latency(1_500));
    String idem = "idem-" + UUID.randomUUID();
    String body = chat("exactly once " + idem);
    CompletableFuture<RawHttp.Reply> first = CompletableFuture.supplyAsync(() -> {
      try {
        return post("127.0.0.16", portA, KEY, body, "Idempotency-Key", idem);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.currentTimeMillis() + 10_000;
    while ((sim.log().calls() == 0) && System.currentTimeMillis() < deadline) {
      Thread.onSpinWait();
    }
    RawHttp.Reply dup = post("127.0.0.16", portB, KEY, body, "Idempotency-Key", idem);
    assertEquals(409, dup.status(), dup.body()
        + " first=" + (first.isDone() ? first.join().status() + " " + first.join().body()
            : "running"));
    RawHttp.Reply done = first.get(30, TimeUnit.SECONDS);
    assertEquals(200, done.status(), done.body());
    sim.faults().clear();
    RawHttp.Reply replay = post("127.0.0.16", portB, KEY, body, "Idempotency-Key", idem);
    assertEquals(200, replay.status());
    assertEquals("true", replay.header("X-TierMesh-Idempotent-Replay"));
    assertEquals(new JsonObject(done.body()).getJsonArray("choices"),
        new JsonObject(replay.body()).getJsonArray("choices"));
    assertEquals(422, post("127.0.0.16", portA, KEY, chat("other"), "Idempotency-Key", idem)
        .status());
    assertEquals(1, sim.log().calls(), "one execution across two gateways");
    ChaosRecord.record(4, "the same Idempotency-Key on two gateway nodes (a client retrying "
            + "elsewhere)", "first request in flight 1.5 s, duplicate, replay, changed body",
        "concurrent duplicate on the other node; retry after completion",
        "per key at most one execution and one charge; the replay returns the stored answer",
        "duplicate 409, replay 200 with the same choices, changed body 422, 1 backend "
            + "execution");
  }

  /** Canaries: a provider key and a PII string pass through requests, errors and streams. */
  @Test
  void canariesNeverLeakIntoLogsMetricsOrErrorBodies() throws Exception {
    List<String> bodies = new ArrayList<>();
    String pii = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"my card is "
        + PII + "\"}]}";
    String piiStream = pii.replace("{\"model\"", "{\"stream\":true,\"model\"");
    sim.faults().clear();
    bodies.add(post("127.0.0.17", portA, KEY, pii, "X-TierMesh-Classification", "pii").body());
    bodies.add(post("127.0.0.17", portB, KEY, pii, "X-TierMesh-Quality", "high").body());
    bodies.add(post("127.0.0.17", portB, KEY, "{\"model\":\"hosted/gpt-4o-mini\",\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"" + PII + "\"}]}", "X-TierMesh-Classification", "pii")
        .body());
    sim.faults().install(Fault.status(500));
    bodies.add(post("127.0.0.17", portA, KEY, pii, "X-TierMesh-Quality", "high").body());
    bodies.add(post("127.0.0.17", portB, KEY, piiStream).body());
    sim.faults().install(Fault.status(400));
    bodies.add(post("127.0.0.17", portA, KEY, pii, "X-TierMesh-Quality", "high").body());
    sim.faults().install(Fault.dropAfterChunks(2));
    bodies.add(post("127.0.0.17", portB, KEY, piiStream).body());
    sim.faults().clear();
    bodies.add(post("127.0.0.17", portA, PROVIDER_SECRET, pii).body());
    bodies.add(post("127.0.0.17", portA, KEY, "{\"model\":\"" + PII + "\",\"messages\":[]}")
        .body());
    bodies.add(post("127.0.0.17", portA, KEY, pii, "X-TierMesh-Classification", PII).body());
    bodies.add(RawHttp.send("127.0.0.17", portB, "POST", "/v1/messages", "{\"model\":\"auto\","
        + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + PII + "\"}]}",
        "x-api-key", KEY).body());
    bodies.add(RawHttp.send("127.0.0.17", portA, "GET", "/metrics", null).body());
    bodies.add(RawHttp.send("127.0.0.17", portB, "GET", "/metrics", null).body());
    bodies.add(admin(portA, "GET", "/admin/keys", null).body());
    assertFalse((sim.log().calls() == 0), "the backend was reached");
    List<String> leaks = new ArrayList<>();
    for (int i = 0; i < bodies.size(); i++) {
      for (String canary : List.of(PROVIDER_SECRET, PII, "CANARY")) {
        if (bodies.get(i).contains(canary)) {
          leaks.add("response " + i + " contains " + canary);
        }
      }
    }
    for (NodeProcess n : List.of(a, b)) {
      assertTrue(n.output().contains("tiermesh node ready"), "the captured log is the node's");
      if (n.output().contains("CANARY")) {
        leaks.add("log of node " + n.name + " contains a canary");
      }
    }
    assertEquals(List.of(), leaks);
    ChaosRecord.record(15, "a provider secret and a PII canary through errors, cut streams and "
            + "refusals", bodies.size() + " responses from 2 gateway nodes",
        "upstream 500/400, mid-stream drop, bad key, bad model, bad hint",
        "secrets and canaries never in logs, metrics, error bodies or SSE errors",
        "0 leaks in " + bodies.size() + " bodies, 2 node logs and /metrics");
  }
}
