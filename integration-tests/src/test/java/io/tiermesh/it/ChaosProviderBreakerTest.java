package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultProxy;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md row 10: the paid provider fully down (the fault proxy resets every
 * connection), slow (past its total timeout) and failing 30 % of its calls. The breaker must open
 * after the configured number of consecutive faults, let through nothing but one trial call per
 * reset period while open, the local tier must serve every request meanwhile, and the breaker must
 * close after recovery, as seen on /admin/providers and /metrics. Backend contact is counted twice:
 * connections the proxy accepted and POSTs the simulator logged.
 */
class ChaosProviderBreakerTest {

  static final String KEY = "tm-it-breaker-" + UUID.randomUUID();
  static final String ADMIN = "tm-it-breaker-admin-" + UUID.randomUUID();
  static final int MAX_FAILURES = 3;
  static final long RESET_MS = 3_000;
  /** Non-streamed calls have no first token: the total timeout bounds them. */
  static final long TOTAL_MS = 1_000;

  @TempDir
  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  LocalRedis redis;
  FaultProxy proxy;
  NodeProcess node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  int port;
  /** Every paid request's response, for the three-way reconciliation at the end. */
  final List<HttpResponse<String>> responses = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** @param attempts backend calls the request made, fallbacks included (X-TierMesh-Attempts) */
  record Seen(int status, String tier, long millis, int attempts) {}

  private Seen paid(String prompt) throws Exception {
    String body = "{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + prompt + "\"}]}";
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.send(GatewayRequests.chat(port, KEY, body,
        Duration.ofSeconds(60), "X-TierMesh-Quality", "high"),
        LeakScan.bodies());
    responses.add(r);
    return new Seen(r.statusCode(), r.headers().firstValue("X-TierMesh-Tier").orElse(""),
        (System.nanoTime() - t0) / 1_000_000,
        Integer.parseInt(r.headers().firstValue("X-TierMesh-Attempts").orElse("0")));
  }

  private String get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    HttpResponse<String> r = http.send(b.build(), LeakScan.bodies());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r.body();
  }

  /** The hosted provider's breaker state as the gateway's admin API reports it. */
  private String breaker() throws Exception {
    for (Object o : new JsonObject(get("/admin/providers", ADMIN)).getJsonArray("providers")) {
      JsonObject p = (JsonObject) o;
      if ("hosted".equals(p.getString("provider"))) {
        return p.getString("breaker");
      }
    }
    return "absent";
  }

  private void awaitBreaker(String state, long ms) throws Exception {
    long deadline = System.currentTimeMillis() + ms;
    while (!state.equals(breaker())) {
      assertTrue(System.currentTimeMillis() < deadline, "breaker never " + state);
      vertx.timer(50, TimeUnit.MILLISECONDS).await();
    }
  }

  private long simPaidCalls() {
    return sim.log().count(e -> "POST".equals(e.method()) && "gpt-4o-mini".equals(e.model()));
  }

  /** Sends until tier 2 answers again; returns how many requests that took. */
  private int untilPaidServes(String phase) throws Exception {
    long deadline = System.currentTimeMillis() + 4 * RESET_MS + 10_000;
    int n = 0;
    while (true) {
      assertTrue(System.currentTimeMillis() < deadline, phase + ": tier 2 never came back");
      Seen s = paid(phase + " " + n++);
      assertEquals(200, s.status(), phase + ": " + s);
      if ("2".equals(s.tier())) {
        return n;
      }
      vertx.timer(100, TimeUnit.MILLISECONDS).await();  // paced: the reset period is seconds
    }
  }

  /**
   * Client outcome, backend executions and ledger charges per request id: completed paid calls
   * charged once at the configured price, calls that failed (reset, timed out, 503) free.
   */
  private Reconciliation.Result threeWay() throws Exception {
    Redis client = Redis.createClient(vertx, redis.url());
    try {
      long deadline = System.currentTimeMillis() + 15_000;
      while (client.send(Request.cmd(Command.ZCARD).arg("{tm}:reservations"))
          .await(5, TimeUnit.SECONDS).toLong() > 0
          || sim.log().count(e -> RequestLog.PENDING.equals(e.outcome())) > 0) {
        assertTrue(System.currentTimeMillis() < deadline, "calls still open");
        vertx.timer(20, TimeUnit.MILLISECONDS).await();
      }
      Reconciliation rec = new Reconciliation(Map.of("gpt-4o-mini",
          Reconciliation.Price.usdPerMillion("0.15", "0.60")));
      for (HttpResponse<String> r : responses) {
        rec.client(new Reconciliation.Client(r.headers().firstValue("X-Request-Id").orElseThrow(),
            r.statusCode() == 200,
            Integer.parseInt(r.headers().firstValue("X-TierMesh-Attempts").orElse("-1")),
            false));
      }
      Reconciliation.Result result = rec.backend(sim.log().entries())
          .ledger(Reconciliation.Charge.fromXrange(client.send(Request.cmd(Command.XRANGE)
              .arg("{tm}:ledger").arg("-").arg("+")).await(5, TimeUnit.SECONDS)))
          .reconcile();
      assertEquals(List.of(), result.problems(), result.summary());
      return result;
    } finally {
      client.close();
    }
  }

  @Test
  void breakerOpensLetsOnlyTrialsThroughFallbackServesAndItClosesAfterRecovery()
      throws Exception {
    int scale = ChaosRecord.scale();
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("it-breaker")).await(10, TimeUnit.SECONDS);
    proxy = FaultProxy.start(vertx, "127.0.0.1", sim.port()).await(5, TimeUnit.SECONDS);
    redis = RedisProcess.local();
    port = NodeProcess.freePort();
    String yaml = "roles: [gateway, router, budget, \"provider:local\", \"provider:hosted\"]\n"
        + "cluster: {enabled: false}\n"
        + "gateway: {host: 127.0.0.1, port: " + port + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "drainMs: 500\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - id: hosted\n    kind: openai\n    tier: 2\n"
        + "    baseUrl: \"http://127.0.0.1:" + proxy.port() + "/v1\"\n"
        + "    models: [gpt-4o-mini]\n"
        + "    timeouts: {connectMs: 1000, firstTokenMs: " + TOTAL_MS
        + ", totalMs: " + TOTAL_MS + "}\n"
        + "    breaker: {maxFailures: " + MAX_FAILURES + ", resetMs: " + RESET_MS + "}\n"
        // no retries: one client request is at most one backend call, so counts are exact
        + "    retry: {maxRetries: 0}\n"
        // the listing probe (a GET) stays out of the counted window
        + "    probe: {intervalMs: 600000}\n"
        + "budget:\n"
        + "  limits:\n"
        + "    - {scope: global, window: day, usd: \"100.00\"}\n"
        + "  prices:\n"
        + "    hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}\n";
    Path config = dir.resolve("node.yaml");
    Files.writeString(config, yaml);
    node = NodeProcess.start("breaker", config, Map.of("IT_KEY", KEY,
        "TIERMESH_ADMIN_KEY", ADMIN)).awaitReady(90);

    // Healthy (the first answers wait for the budget store to reach Redis).
    untilPaidServes("warm-up");
    int healthy = 3 * scale;
    for (int i = 0; i < healthy; i++) {
      assertEquals("2", paid("healthy " + i).tier());
    }
    awaitBreaker("CLOSED", 10_000);  // the provider's announcement may still be on its way

    // Fully down: every connection to the backend is reset.
    long acceptedBefore = proxy.accepted();
    long upBefore = proxy.bytesUp();
    long simBefore = simPaidCalls();
    // Pooled keep-alive connections are reset too; a call that finds one fails without a new
    // connection, and counts against the breaker like one that connects and is reset.
    int pooled = proxy.open();
    proxy.reset();
    int downRequests = 10 * scale;
    long downStarted = System.currentTimeMillis();
    long downSlowest = 0;
    for (int i = 0; i < downRequests; i++) {
      Seen s = paid("down " + i);
      assertEquals(200, s.status(), "fallback serves: " + s);
      assertEquals("1", s.tier(), "fallback serves: " + s);
      downSlowest = Math.max(downSlowest, s.millis());
    }
    long downMs = System.currentTimeMillis() - downStarted;
    awaitBreaker("OPEN", 10_000);
    long downConnections = proxy.accepted() - acceptedBefore;
    // the faults that opened it, plus at most one trial per reset period elapsed
    long downTrialsAllowed = downMs / RESET_MS + 1;
    assertTrue(downConnections >= MAX_FAILURES - pooled
        && downConnections <= MAX_FAILURES + downTrialsAllowed, "connections to the dead "
        + "backend: " + downConnections + " in " + downMs + " ms, " + pooled + " pooled");
    assertEquals(upBefore, proxy.bytesUp(), "no byte reached the backend");
    assertEquals(simBefore, simPaidCalls(), "nothing reached the backend through the reset");

    // Recovery: once the reset period is over, one trial call goes through and closes it.
    proxy.passThrough();
    long simAtRecovery = simPaidCalls();
    long recoverStarted = System.currentTimeMillis();
    int recoverRequests = untilPaidServes("recovering");
    long recoveredMs = System.currentTimeMillis() - recoverStarted;
    assertEquals(simAtRecovery + 1, simPaidCalls(), "one trial call closed it");
    awaitBreaker("CLOSED", 10_000);
    assertTrue(get("/metrics", null).lines().anyMatch(l ->
        l.startsWith("tiermesh_provider_breaker_state") && l.contains("provider=\"hosted\"")
            && l.endsWith(" 0.0")), "metrics gauge shows closed");

    // Slow: answers start after 3 s, past the 1 s total timeout.
    long slowId = sim.faults().install(Fault.latency(3_000), -1, "gpt-4o-mini", "/v1/");
    long simBeforeSlow = simPaidCalls();
    int slowRequests = 8 * scale;
    long slowStarted = System.currentTimeMillis();
    long slowFastest = Long.MAX_VALUE;
    for (int i = 0; i < slowRequests; i++) {
      Seen s = paid("slow " + i);
      assertEquals(200, s.status(), "fallback serves: " + s);
      assertEquals("1", s.tier(), "fallback serves: " + s);
      if (i >= MAX_FAILURES) {
        slowFastest = Math.min(slowFastest, s.millis());
      }
    }
    long slowMs = System.currentTimeMillis() - slowStarted;
    awaitBreaker("OPEN", 10_000);
    long slowContacts = simPaidCalls() - simBeforeSlow;
    long slowTrialsAllowed = Math.max(0, slowMs - MAX_FAILURES * TOTAL_MS) / RESET_MS + 1;
    assertTrue(slowContacts >= MAX_FAILURES && slowContacts <= MAX_FAILURES + slowTrialsAllowed,
        "backend calls while slow: " + slowContacts + " in " + slowMs + " ms");
    sim.faults().remove(slowId);
    int slowRecoverRequests = untilPaidServes("recovering from slow");
    awaitBreaker("CLOSED", 10_000);

    // 30 % errors, never three in a row: every failure falls back, the breaker stays closed.
    long simBeforeErrors = simPaidCalls();
    int errorRequests = 20 * scale;
    int paidServed = 0;
    int fellBack = 0;
    for (int i = 0; i < errorRequests; i++) {
      boolean fail = i % 10 == 0 || i % 10 == 3 || i % 10 == 6;
      if (fail) {
        // on the paid model only: a prompt directive would fail the local fallback too
        sim.faults().install(Fault.status(503), 1, "gpt-4o-mini", "/v1/");
      }
      Seen s = paid("mixed " + i);
      assertEquals(200, s.status(), "fallback serves: " + s);
      if ("2".equals(s.tier())) {
        paidServed++;
      } else {
        fellBack++;
      }
    }
    long errorCalls = simPaidCalls() - simBeforeErrors;
    long errors503 = sim.log().count(e -> "gpt-4o-mini".equals(e.model())
        && "error:503".equals(e.outcome()));
    assertEquals(errorRequests * 3 / 10, fellBack, "exactly the failed calls fell back");
    assertEquals(errorRequests - fellBack, paidServed);
    assertEquals(errorRequests, errorCalls, "one backend call per request: the breaker stayed"
        + " closed");
    assertEquals(errorRequests * 3 / 10, errors503);
    assertEquals("CLOSED", breaker());
    Reconciliation.Result three = threeWay();
    assertEquals(three.paidCompleted(), three.charges(), "one charge per completed paid call, "
        + "none for the failed ones");

    System.out.printf("breaker: down %d requests in %d ms, %d connections tried, %d pooled"
        + " (slowest %d ms); recovered after %d requests, %d ms; slow %d requests, %d backend calls, fastest"
        + " once open %d ms; recovered after %d; 30%% errors: %d paid, %d fell back, %d calls%n",
        downRequests, downMs, downConnections, pooled, downSlowest, recoverRequests, recoveredMs,
        slowRequests, slowContacts, slowFastest, slowRecoverRequests, paidServed, fellBack,
        errorCalls);
    ChaosRecord.record(10, "paid provider fully down, slow, 30 % errors",
        downRequests + " paid requests down, " + slowRequests + " slow, " + errorRequests
            + " with 30 % errors; breaker maxFailures " + MAX_FAILURES + ", resetMs " + RESET_MS,
        "fault proxy resets every connection; simulator latency 3 s (total timeout "
            + TOTAL_MS + " ms); simulator 503 on 3 of every 10",
        "breaker opens after the configured failures; while open only trial calls reach the "
            + "backend; fallback serves; breaker closes after recovery",
        String.format("down: %d/%d served by tier 1, %d connections reached the proxy (%d "
            + "faults open it), OPEN on /admin/providers; recovery: 1 trial call, CLOSED after %d ms (admin +"
            + " metrics gauge 0); slow: %d/%d served by tier 1, %d backend calls, answers once "
            + "open from %d ms; 30 %% errors: %d paid + %d fell back of %d, %d backend calls "
            + "(%d 503s), breaker stayed CLOSED; %s", downRequests, downRequests,
            downConnections, MAX_FAILURES, recoveredMs, slowRequests, slowRequests,
            slowContacts, slowFastest, paidServed, fellBack, errorRequests, errorCalls,
            errors503, three.summary()));
  }
}
