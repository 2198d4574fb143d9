package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.FaultProxy;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md row 6: the budget's Redis slow (fault proxy latency), killed (kill -9),
 * restarted from its append-only file, and then without its counters but with its ledger. A node
 * JVM runs every role against Redis through the fault proxy; a tier-1 stream runs throughout. Paid
 * requests must fail closed (fall back to tier 1) within a bounded time while Redis is slow or
 * gone, and because the cap fits a known number of paid calls, "no request admitted against a lost
 * counter" is a count: over every phase, exactly that many paid calls are admitted, reach the paid
 * backend and appear in the ledger.
 */
class ChaosRedisOutageTest {

  static final String KEY = "tm-it-redis-" + UUID.randomUUID();
  static final int MAX_TOKENS = 5;
  static final long PER_CALL = MAX_TOKENS * 500;        // µ$: output at $500 per million
  static final int FITS = 12;
  static final long CAP = FITS * PER_CALL;               // 30,000 µ$
  /** What paid traffic before the counters are lost admits: the rest must wait for them. */
  static final int BEFORE_LOSS = 8;

  @TempDir
  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  RedisProcess redis;
  FaultProxy proxy;
  NodeProcess node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  int port;

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

  /** One request's outcome as the client saw it. */
  record Seen(int status, String tier, String reason, long millis) {
    boolean paid() {
      return status == 200 && "2".equals(tier);
    }
  }

  private CompletableFuture<Seen> chat(boolean paid, String prompt) {
    String body = "{\"model\":\"" + (paid ? "auto" : "tier-1") + "\",\"max_tokens\":" + MAX_TOKENS
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    HttpRequest request = paid
        ? GatewayRequests.chat(port, KEY, body, Duration.ofSeconds(60), "X-TierMesh-Quality",
            "high")
        : GatewayRequests.chat(port, KEY, body, Duration.ofSeconds(60));
    long t0 = System.nanoTime();
    return http.sendAsync(request, LeakScan.bodies()).thenApply(r -> new Seen(
        r.statusCode(), r.headers().firstValue("X-TierMesh-Tier").orElse(""),
        r.headers().firstValue("X-TierMesh-Route-Reason").orElse(""),
        (System.nanoTime() - t0) / 1_000_000));
  }

  private List<Seen> paidBurst(int n, String phase) throws Exception {
    List<CompletableFuture<Seen>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(chat(true, phase + " paid " + i));
    }
    List<Seen> out = new ArrayList<>();
    for (CompletableFuture<Seen> f : all) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    return out;
  }

  private static long admitted(List<Seen> seen) {
    return seen.stream().filter(Seen::paid).count();
  }

  /** Every paid request that was not admitted was still served, by tier 1, as a fallback. */
  private static void failedClosed(List<Seen> seen, String phase) {
    for (Seen s : seen) {
      assertEquals(200, s.status(), phase + ": " + s);
      if (!s.paid()) {
        assertEquals("1", s.tier(), phase + ": " + s);
        assertTrue(List.of("fallback", "budget-fallback").contains(s.reason()), phase + ": " + s);
      }
    }
  }

  private static long slowest(List<Seen> seen) {
    return seen.stream().mapToLong(Seen::millis).max().orElse(0);
  }

  private Response call(Redis client, String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(5, TimeUnit.SECONDS);
  }

  /**
   * Until {@code /health/ready} answers 200 and no longer degraded: the budget store has
   * reached Redis (a gateway is ready, degraded, as soon as tier 1 serves).
   */
  private void awaitHealthReady() throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(5)).build(), LeakScan.bodies());
        if (r.statusCode() == 200 && r.body().contains("\"degraded\":false")) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // still starting
      }
      assertTrue(System.currentTimeMillis() < deadline, "node never became ready");
    }
  }

  @Test
  void paidFailsClosedTierOneServesAndLostCountersAreRebuiltBeforeAdmitting() throws Exception {
    int scale = ChaosRecord.scale();
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("it-redis")).await(10, TimeUnit.SECONDS);
    Path data = Files.createDirectories(dir.resolve("redis"));
    redis = RedisProcess.start(data);
    proxy = FaultProxy.start(vertx, "127.0.0.1", redis.port()).await(5, TimeUnit.SECONDS);
    port = NodeProcess.freePort();
    String yaml = "roles: [gateway, router, budget, \"provider:local\", \"provider:hosted\"]\n"
        + "cluster: {enabled: false}\n"
        + "gateway: {host: 127.0.0.1, port: " + port + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"redis://127.0.0.1:" + proxy.port() + "\"}\n"
        + "drainMs: 500\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"], maxConcurrent: 256}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "/v1\", models: [gpt-4o-mini], maxConcurrent: 256,"
        + " breaker: {maxFailures: 1000, resetMs: 1000}}\n"
        + "budget:\n"
        + "  reapIntervalMs: 200\n"
        + "  operationTimeoutMs: 250\n"
        + "  limits:\n"
        + "    - {scope: global, window: day, usd: \"0.03\"}\n"
        + "  prices:\n"
        + "    hosted: {gpt-4o-mini: {input: \"0\", output: \"500.00\", maxOutputTokens: 1000}}\n";
    Path config = dir.resolve("node.yaml");
    Files.writeString(config, yaml);
    node = NodeProcess.start("redis-chaos", config, Map.of("IT_KEY", KEY)).awaitReady(90);
    awaitHealthReady();

    // Tier 1 runs throughout: sequential requests until the scenario ends (bounded by count).
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong freeOk = new AtomicLong();
    AtomicLong freeFailed = new AtomicLong();
    AtomicLong freeSlowest = new AtomicLong();
    Thread tier1 = new Thread(() -> {
      for (int i = 0; i < 20_000 && running.get(); i++) {
        try {
          Seen s = chat(false, "tier one " + i).get(60, TimeUnit.SECONDS);
          freeSlowest.accumulateAndGet(s.millis(), Math::max);
          if (s.status() == 200 && "1".equals(s.tier())) {
            freeOk.incrementAndGet();
          } else {
            freeFailed.incrementAndGet();
          }
        } catch (Exception e) {
          freeFailed.incrementAndGet();
        }
      }
    }, "tier-1-stream");

    // Healthy: paid calls are admitted one after another (sequential: none overlaps).
    int healthy = BEFORE_LOSS / 2;
    for (int i = 0; i < healthy; i++) {
      Seen s = chat(true, "healthy " + i).get(60, TimeUnit.SECONDS);
      assertTrue(s.paid(), "healthy Redis admits: " + s);
    }
    tier1.start();

    // Slow: every chunk to and from Redis held 600 ms, past the 250 ms operation timeout.
    int burst = 6 * scale;
    proxy.latency(0, 600);
    List<Seen> slow = paidBurst(burst, "slow");
    failedClosed(slow, "slow");
    assertEquals(0, admitted(slow), "nothing admitted while Redis is slow");
    proxy.passThrough();

    // Killed: connections refused, so the failure is immediate.
    redis.kill();
    List<Seen> down = paidBurst(burst, "down");
    failedClosed(down, "down");
    assertEquals(0, admitted(down), "nothing admitted while Redis is down");
    // Hung: a dead host that never answers (accepts, forwards nothing).
    proxy.hang();
    List<Seen> hung = paidBurst(burst, "hung");
    failedClosed(hung, "hung");
    assertEquals(0, admitted(hung), "nothing admitted while Redis hangs");

    // Restarted from its append-only file, behind a proxy that passes again.
    redis.launch();
    proxy.passThrough();
    long restartedAt = System.currentTimeMillis();
    int probes = 0;
    int afterRestart = 0;
    while (afterRestart == 0) {
      assertTrue(System.currentTimeMillis() - restartedAt < 30_000, "paid never resumed");
      Seen s = chat(true, "restart probe " + probes++).get(60, TimeUnit.SECONDS);
      failedClosed(List.of(s), "recovering");
      afterRestart += s.paid() ? 1 : 0;
    }
    long resumedMs = System.currentTimeMillis() - restartedAt;
    while (afterRestart < BEFORE_LOSS - healthy) {
      Seen s = chat(true, "restarted " + afterRestart).get(60, TimeUnit.SECONDS);
      assertTrue(s.paid(), "restarted Redis admits: " + s);
      afterRestart++;
    }
    Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redis.url()));
    String counter = BudgetRig.dayCounter("global");
    assertEquals(BEFORE_LOSS * PER_CALL, call(client, "HGET", counter, "spent").toLong(),
        "the restart kept every charge");

    // Counters lost, ledger kept (an operator's FLUSH of the wrong keys, an eviction): wait
    // until every reservation has closed, drop counters and epoch, then send more paid calls
    // than the cap has room for, at once.
    long quiet = System.currentTimeMillis() + 10_000;
    while (call(client, "ZCARD", "{tm}:reservations").toLong() > 0) {
      assertTrue(System.currentTimeMillis() < quiet, "reservations still open");
    }
    long dropped = 0;
    for (Response k : call(client, "KEYS", "{tm}:c:*")) {
      dropped += call(client, "DEL", k.toString()).toLong();
    }
    call(client, "DEL", "{tm}:epoch");
    assertTrue(dropped >= 1, "counters were dropped: " + dropped);
    List<Seen> lost = paidBurst(8 * scale, "lost");
    failedClosed(lost, "lost counters");
    long admittedAfterLoss = admitted(lost);
    // Top up until the cap is reached: whatever the rebuild timing, the total stays exact.
    List<Seen> topUp = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 30_000;
    while (admittedAfterLoss + admitted(topUp) < FITS - BEFORE_LOSS
        && System.currentTimeMillis() < deadline) {
      topUp.add(chat(true, "top up " + topUp.size()).get(60, TimeUnit.SECONDS));
    }
    List<Seen> beyond = paidBurst(4 * scale, "beyond");
    failedClosed(beyond, "beyond the cap");
    running.set(false);
    tier1.join(60_000);

    long totalPaid = healthy + afterRestart + admittedAfterLoss + admitted(topUp)
        + admitted(beyond);
    long spent = call(client, "HGET", counter, "spent").toLong();
    long ledgerSum = 0;
    long ledgerPaid = 0;
    for (Response entry : call(client, "XRANGE", "{tm}:ledger", "-", "+")) {
      Response f = entry.get(1);
      for (int i = 0; i + 1 < f.size(); i += 2) {
        if ("cost".equals(f.get(i).toString())) {
          long c = f.get(i + 1).toLong();
          ledgerSum += c;
          ledgerPaid += c > 0 ? 1 : 0;
        }
      }
    }
    long simPaid = sim.log().count(e -> "POST".equals(e.method())
        && "gpt-4o-mini".equals(e.model()));
    long open = call(client, "ZCARD", "{tm}:reservations").toLong();
    client.close();
    long failClosedMs = Math.max(slowest(slow), Math.max(slowest(down), slowest(hung)));
    System.out.printf("redis outage: slow %d ms, down %d ms, hung %d ms (slowest paid answer);"
        + " paid resumed %d ms after restart (%d probes); %d admitted right after the counters"
        + " were lost, %d in the top-up; tier 1 %d ok %d failed (slowest %d ms); paid %d,"
        + " sim %d, ledger %d (%d µ$), counter %d µ$%n", slowest(slow), slowest(down),
        slowest(hung), resumedMs, probes, admittedAfterLoss, admitted(topUp), freeOk.get(),
        freeFailed.get(), freeSlowest.get(), totalPaid, simPaid, ledgerPaid, ledgerSum, spent);

    String rebuilt = node.output().lines().filter(l -> l.contains("budget rebuild"))
        .reduce("", (a, b) -> a + b + "\n");
    assertTrue(rebuilt.contains("REBUILT"), "the node rebuilt the counters: " + rebuilt);
    assertEquals(FITS, totalPaid, "admitted exactly what the cap allows, across every phase");
    assertEquals(0, admitted(beyond));
    assertEquals(FITS, simPaid, "paid backend calls == paid answers");
    assertEquals(FITS, ledgerPaid, "one ledger charge per paid answer");
    assertEquals(CAP, ledgerSum);
    assertEquals(ledgerSum, spent, "counters rebuilt equal to the ledger");
    assertEquals(0, open, "no reservation left open");
    assertEquals(0, freeFailed.get(), "tier 1 kept serving");
    assertTrue(freeOk.get() > 0);
    // Fail closed in bounded time: the operation timeout, a router budget wait of 1 s and a
    // tier-1 call, with room for a busy 2-core machine.
    assertTrue(failClosedMs < 10_000, "fail-closed answer took " + failClosedMs + " ms");
    ChaosRecord.record(6, "budget Redis slow, killed, hung, restarted (AOF), counters lost",
        BEFORE_LOSS + " paid calls before, " + (3 * burst) + " paid during the outage, "
        + (8 * scale) + " + top-up + " + (4 * scale) + " after the loss; a tier-1 stream "
        + "throughout; cap fits " + FITS,
        "proxy latency 600 ms/chunk; redis kill -9; proxy hang; restart from AOF; DEL counters"
        + " + epoch (ledger kept)",
        "paid fails closed in bounded time; tier 1 serves; nothing admitted against a lost "
        + "counter; counters rebuilt from the ledger",
        String.format("slowest fail-closed answer %d ms (slow %d, down %d, hung %d), 0 of %d "
            + "admitted during the outage; paid resumed %d ms after restart; tier 1 %d ok / %d "
            + "failed; after the loss %d admitted at once, %d in the top-up, total %d of %d "
            + "that fit (0 over); sim %d paid calls, ledger %d charges, counters == ledger "
            + "(%d µ$); 0 open reservations", failClosedMs, slowest(slow), slowest(down),
            slowest(hung), 3 * burst, resumedMs, freeOk.get(), freeFailed.get(),
            admittedAfterLoss, admitted(topUp), totalPaid, FITS, simPaid, ledgerPaid, ledgerSum));
  }
}
