package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultPlan;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Row 4 as the reliability table states it: a gateway JVM is killed with kill -9 while an
 * idempotent paid request is executing at a slow backend, and the client retries with the same
 * Idempotency-Key on the other gateway. Three JVMs share one Redis: gateway A, gateway B, and
 * node C running router, budget and the providers (so the request outlives its gateway).
 *
 * <p>What must happen: the backend runs the request once, the ledger charges it once, and the
 * retry gets 409 while the first still runs, then the first's answer, replayed, with the usage
 * the backend reported.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChaosGatewayKillTest {

  static final String KEY = "it-gwkill-key-0123456789";
  static final String PAID_MODEL = "gpt-4o-mini";
  static final long BACKEND_MS = 6_000;

  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  LocalRedis redis;
  Redis client;
  NodeProcess a;
  NodeProcess b;
  NodeProcess c;
  int portA;
  int portB;
  int[] cluster;
  String clusterName;
  final Map<String, String> env = Map.of("IT_KEY", KEY);

  @BeforeAll
  void startMesh() throws Exception {
    dir = Files.createTempDirectory("tiermesh-gwkill-it");
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("gwkill")).await(10, TimeUnit.SECONDS);
    redis = LocalRedis.start();
    client = Redis.createClient(vertx, redis.url());
    portA = NodeProcess.freePort();
    portB = NodeProcess.freePort();
    cluster = new int[] {NodeProcess.freePort(), NodeProcess.freePort(),
        NodeProcess.freePort()};
    clusterName = "gwkill-" + UUID.randomUUID().toString().substring(0, 8);
    c = NodeProcess.start("c", config("c", "router, budget, \"provider:local\", "
        + "\"provider:hosted\"", cluster[2], NodeProcess.freePort(), cluster), env);
    // One JVM starting at a time: three at once on a loaded 2-core machine can take minutes.
    c.awaitReady(90);
    a = NodeProcess.start("a", config("a", "gateway", cluster[0], portA, cluster), env);
    a.awaitReady(90);
    b = NodeProcess.start("b", config("b", "gateway", cluster[1], portB, cluster), env);
    b.awaitReady(90);
    for (int port : new int[] {portA, portB}) {
      awaitGatewayReady(port);
    }
  }

  private static void awaitGatewayReady(int port) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (RawHttp.send("127.0.0.1", port, "GET", "/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "gateway " + port + " never ready");
      LockSupport.parkNanos(100_000_000L); // poll every 100 ms
    }
  }

  /** A test that killed gateway A leaves it dead: the next one starts a fresh A. */
  @org.junit.jupiter.api.BeforeEach
  void gatewayAUp() throws Exception {
    if (!a.process.isAlive()) {
      a = NodeProcess.start("a", dir.resolve("a.yaml"), env);
      a.awaitReady(90);
      awaitGatewayReady(portA);
    }
  }

  private Path config(String node, String roles, int clusterPort, int httpPort, int[] members)
      throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:" + members[1]
        + "\", \"127.0.0.1:" + members[2] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY, requestTimeoutMs: 30000}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "drainMs: 1000\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "/v1\", models: [" + PAID_MODEL + "]}\n"
        + "budget: {prices: {hosted: {" + PAID_MODEL + ": {input: \"0.15\", output: \"0.60\"}}}}\n";
    Path file = dir.resolve(node + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @AfterAll
  void stopMesh() throws Exception {
    for (NodeProcess n : new NodeProcess[] {a, b, c}) {
      if (n != null) {
        n.close();
      }
    }
    if (client != null) {
      client.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static RawHttp.Reply paid(int port, String body, String idem) throws Exception {
    return RawHttp.send("127.0.0.1", port, "POST", "/v1/chat/completions", body,
        "Authorization", "Bearer " + KEY, "X-TierMesh-Quality", "high", "Idempotency-Key", idem);
  }

  @Test
  void aRetryOnTheOtherGatewayGetsTheAnswerOfTheRequestWhoseGatewayWasKilled() throws Exception {
    sim.log().clear();
    sim.faults().clear();
    // Only model calls are slow: the providers' health probes (GETs) stay fast.
    sim.faults().install(Fault.latency(BACKEND_MS), FaultPlan.UNLIMITED, null,
        "/v1/chat/completions");
    String idem = "gwkill-" + UUID.randomUUID();
    String body = "{\"model\":\"auto\",\"max_tokens\":40,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"exactly once across a gateway kill " + idem + "\"}]}";
    CompletableFuture<RawHttp.Reply> first = CompletableFuture.supplyAsync(() -> {
      try {
        return paid(portA, body, idem);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.currentTimeMillis() + 15_000;
    while (sim.log().count(e -> "POST".equals(e.method())) == 0
        && System.currentTimeMillis() < deadline) {
      LockSupport.parkNanos(10_000_000L); // poll every 10 ms
    }
    List<RequestLog.Entry> started = sim.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).toList();
    assertEquals(1, started.size(), "the first request reached the backend: " + started);
    RequestLog.Entry atBackend = started.get(0);
    assertEquals("/v1/chat/completions", atBackend.path(), "the paid (OpenAI-format) tier");
    assertEquals(RequestLog.PENDING, atBackend.outcome());
    String firstId = atBackend.requestId();

    long killedAt = System.currentTimeMillis();
    a.kill();
    assertTrue(!a.process.isAlive(), "gateway A is dead");
    // The client lost its connection with A and retries on B at once, then every 250 ms.
    List<Integer> statuses = new ArrayList<>();
    RawHttp.Reply retry = paid(portB, body, idem);
    statuses.add(retry.status());
    assertEquals(409, retry.status(), "the first still runs: " + retry.body());
    assertEquals("idempotency_key_in_use",
        new JsonObject(retry.body()).getJsonObject("error").getString("code"));
    long until = System.currentTimeMillis() + 40_000;
    while (retry.status() == 409 && System.currentTimeMillis() < until) {
      LockSupport.parkNanos(250_000_000L);
      retry = paid(portB, body, idem);
      statuses.add(retry.status());
    }
    long answeredAfter = System.currentTimeMillis() - killedAt;
    assertEquals(200, retry.status(), "statuses " + statuses + ": " + retry.body());
    assertEquals("true", retry.header("X-TierMesh-Idempotent-Replay"), "a stored answer");
    assertTrue(first.handle((r, err) -> err != null || r == null).get(30, TimeUnit.SECONDS),
        "the first client got no answer from the killed gateway");

    // One execution, completed, and its usage is what the replay reports.
    List<RequestLog.Entry> calls = sim.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).toList();
    assertEquals(1, calls.size(), "one backend execution: " + calls);
    RequestLog.Entry done = calls.get(0);
    assertEquals(RequestLog.OK, done.outcome());
    assertEquals(PAID_MODEL, done.model());
    JsonObject usage = new JsonObject(retry.body()).getJsonObject("usage");
    assertEquals(done.promptTokens(), usage.getInteger("prompt_tokens"));
    assertEquals(done.completionTokens(), usage.getInteger("completion_tokens"));
    assertNotNull(new JsonObject(retry.body()).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content"));

    // One charge, at the configured price of the usage the backend reported; the ledger is
    // read for this request and its retry (other tests of the class charge too).
    String retryId = retry.header("X-Request-Id");
    List<Reconciliation.Charge> ledger = Reconciliation.Charge.fromXrange(
        client.send(Request.cmd(Command.XRANGE).arg("{tm}:ledger").arg("-").arg("+"))
            .await(5, TimeUnit.SECONDS)).stream()
        .filter(l -> firstId.equals(l.requestId()) || retryId.equals(l.requestId())).toList();
    Reconciliation.Result three = new Reconciliation(Map.of(PAID_MODEL,
        Reconciliation.Price.usdPerMillion("0.15", "0.60")))
        .client(new Reconciliation.Client(firstId, false, -1, false))
        .client(new Reconciliation.Client(retryId, true, -1, true))
        .backend(calls)
        .ledger(ledger)
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    assertEquals(1, three.charges(), "one charge: " + ledger);
    assertEquals(1, ledger.stream().filter(l -> firstId.equals(l.requestId())).count(),
        "charged to the first request");

    int conflicts = (int) statuses.stream().filter(s -> s == 409).count();
    ChaosRecord.record(4, "kill -9 of a gateway node while an idempotent paid request runs at "
            + "a slow backend; the client retries on the other gateway (3 JVMs, shared Redis)",
        "1 paid request, backend " + BACKEND_MS + " ms; retries every 250 ms",
        "kill -9 of the gateway holding the request once it reached the backend",
        "per key at most one execution and one charge; the retry gets 409 while the first "
            + "runs, then the stored answer",
        String.format("retry: %d x 409 idempotency_key_in_use, then 200 replay %d ms after the "
            + "kill with the backend's usage (%d+%d tokens); 1 backend execution; 1 ledger "
            + "charge of %d µ$; %s", conflicts, answeredAfter, done.promptTokens(),
            done.completionTokens(), three.chargedMicros(), three.summary()));
  }

  /**
   * A streamed request has no whole answer to store: when its gateway dies, the key is released
   * once the router's attempt ends, and the retry runs the request again (what the README says).
   */
  @Test
  void aStreamWhoseGatewayWasKilledIsReleasedAndRunsAgainOnRetry() throws Exception {
    sim.log().clear();
    sim.faults().clear();
    sim.faults().install(Fault.chunkDelay(300).and(Fault.tokens(20)), FaultPlan.UNLIMITED, null,
        "/v1/chat/completions");
    String idem = "gwkill-stream-" + UUID.randomUUID();
    String body = "{\"model\":\"auto\",\"stream\":true,\"max_tokens\":40,\"messages\":[{"
        + "\"role\":\"user\",\"content\":\"a stream across a gateway kill " + idem + "\"}]}";
    CompletableFuture<RawHttp.Reply> first = CompletableFuture.supplyAsync(() -> {
      try {
        return paid(portA, body, idem);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.currentTimeMillis() + 15_000;
    while (sim.log().count(e -> "POST".equals(e.method()) && e.chunksSent() >= 2) == 0
        && System.currentTimeMillis() < deadline) {
      LockSupport.parkNanos(10_000_000L); // poll every 10 ms
    }
    List<RequestLog.Entry> started = sim.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).toList();
    assertEquals(1, started.size(), "the stream reached the backend: " + started);
    assertTrue(started.get(0).chunksSent() >= 2, "the stream was under way: " + started);
    String firstId = started.get(0).requestId();
    long killedAt = System.currentTimeMillis();
    a.kill();
    List<Integer> statuses = new ArrayList<>();
    RawHttp.Reply retry = paid(portB, body, idem);
    statuses.add(retry.status());
    long until = System.currentTimeMillis() + 45_000;
    while (retry.status() == 409 && System.currentTimeMillis() < until) {
      LockSupport.parkNanos(250_000_000L);
      retry = paid(portB, body, idem);
      statuses.add(retry.status());
    }
    long ranAgainAfter = System.currentTimeMillis() - killedAt;
    assertEquals(200, retry.status(), "statuses " + statuses + ": " + retry.body());
    assertEquals(null, retry.header("X-TierMesh-Idempotent-Replay"), "run again, not replayed");
    assertTrue(SseView.of(retry.body()).whole(), retry.body());
    assertTrue(first.handle((r, err) -> err != null || r == null || !SseView.of(r.body())
        .whole()).get(30, TimeUnit.SECONDS), "the first client got no whole stream");

    long settle = System.currentTimeMillis() + 15_000;
    while (sim.log().count(e -> RequestLog.PENDING.equals(e.outcome())) > 0
        && System.currentTimeMillis() < settle) {
      LockSupport.parkNanos(20_000_000L); // poll every 20 ms
    }
    List<RequestLog.Entry> calls = sim.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).toList();
    List<Reconciliation.Charge> ledger = Reconciliation.Charge.fromXrange(
        client.send(Request.cmd(Command.XRANGE).arg("{tm}:ledger").arg("-").arg("+"))
            .await(5, TimeUnit.SECONDS)).stream()
        .filter(c -> firstId.equals(c.requestId())
            || c.requestId().equals(retryId(calls, firstId))).toList();
    Reconciliation.Result three = new Reconciliation(Map.of(PAID_MODEL,
        Reconciliation.Price.usdPerMillion("0.15", "0.60")))
        .client(new Reconciliation.Client(firstId, false, -1, false))
        .client(new Reconciliation.Client(retry.header("X-Request-Id"), true,
            Integer.parseInt(retry.header("X-TierMesh-Attempts")), false))
        .backend(calls)
        .ledger(ledger)
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    assertEquals(2, calls.size(), "the first (cut) and the retry: " + calls);
    System.out.printf("stream across a gateway kill: retry statuses %s, ran again %d ms after "
        + "the kill; first call %s after %d chunks; %s%n", statuses, ranAgainAfter,
        calls.get(0).outcome(), calls.get(0).chunksSent(), three.summary());
  }

  private static String retryId(List<RequestLog.Entry> calls, String firstId) {
    return calls.stream().map(RequestLog.Entry::requestId).filter(id -> !firstId.equals(id))
        .findFirst().orElse("");
  }
}
