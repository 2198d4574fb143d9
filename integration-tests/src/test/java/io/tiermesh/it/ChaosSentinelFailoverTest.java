package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md row 20: the budget's Redis run as a Sentinel set (one master, one replica,
 * three sentinels; real processes) and its master killed with {@code kill -9} while two node
 * JVMs (every role each, both gateways taking paid traffic) spend against one cap. Paid calls
 * must fail closed (served by tier 1) for the failover's duration, in bounded time, and be
 * admitted again once the replica is promoted; spent + reserved never passes the cap in any
 * sample; tier 1 serves throughout; afterwards the promoted master's counters equal its ledger.
 * Each reservation was confirmed by the replica ({@code WAIT}), so admitted spend survives.
 */
class ChaosSentinelFailoverTest {

  static final String KEY = "tm-it-sentinel-" + UUID.randomUUID();
  static final String MASTER_NAME = "tm-budget";
  static final int MAX_TOKENS = 5;
  static final long PER_CALL = MAX_TOKENS * 500;        // µ$: output at $500 per million
  static final int FITS = 32;
  static final long CAP = FITS * PER_CALL;               // 80,000 µ$ = $0.08
  static final int CLIENTS_PER_GATEWAY = 2;

  @TempDir
  Path dir;
  Vertx vertx;
  final List<AutoCloseable> closeLast = new ArrayList<>();
  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    Collections.reverse(closeLast);
    for (AutoCloseable c : closeLast) {
      c.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** One paid request as its client saw it, with when it started and ended (ms since start). */
  record Seen(long startMs, long endMs, int status, String tier, String reason) {
    boolean paid() {
      return status == 200 && "2".equals(tier);
    }

    long millis() {
      return endMs - startMs;
    }
  }

  private Seen chat(int port, boolean paid, String prompt, long t0) {
    String body = "{\"model\":\"" + (paid ? "auto" : "tier-1") + "\",\"max_tokens\":"
        + MAX_TOKENS + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    HttpRequest request = paid
        ? GatewayRequests.chat(port, KEY, body, Duration.ofSeconds(60), "X-TierMesh-Quality",
            "high")
        : GatewayRequests.chat(port, KEY, body, Duration.ofSeconds(60));
    long start = System.currentTimeMillis() - t0;
    try {
      var r = http.send(request, LeakScan.bodies());
      return new Seen(start, System.currentTimeMillis() - t0, r.statusCode(),
          r.headers().firstValue("X-TierMesh-Tier").orElse(""),
          r.headers().firstValue("X-TierMesh-Route-Reason").orElse(""));
    } catch (Exception e) {
      return new Seen(start, System.currentTimeMillis() - t0, -1, "", e.toString());
    }
  }

  /** A copy taken under the list's lock: client threads keep adding to it. */
  private static List<Seen> copy(List<Seen> seen) {
    synchronized (seen) {
      return new ArrayList<>(seen);
    }
  }

  private static Response call(Redis client, String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(5, TimeUnit.SECONDS);
  }

  @Test
  void paidFailsClosedDuringTheFailoverResumesAfterPromotionAndNeverPassesTheCap()
      throws Exception {
    int scale = ChaosRecord.scale();
    vertx = Vertx.vertx();
    UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults()
        .withPort(0).withName("it-sentinel")).await(10, TimeUnit.SECONDS);
    RedisServer master = RedisServer.start(List.of("--appendonly", "yes", "--appendfsync",
        "always"));
    closeLast.add(master);
    RedisServer replica = RedisServer.start(List.of("--appendonly", "yes", "--appendfsync",
        "always", "--replicaof", "127.0.0.1", String.valueOf(master.port())));
    closeLast.add(replica);
    long linkDeadline = System.currentTimeMillis() + 20_000;
    while (!master.cli("INFO", "replication").contains("state=online")) {
      assertTrue(System.currentTimeMillis() < linkDeadline, "the replica never synced");
      Thread.sleep(50);
    }
    List<RedisServer> sentinels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RedisServer s = RedisServer.sentinel(MASTER_NAME, master.port(), 2, 1_000);
      sentinels.add(s);
      closeLast.add(s);
    }
    String endpoints = String.join(", ", sentinels.stream()
        .map(s -> "\"redis://127.0.0.1:" + s.port() + "\"").toList());

    int[] ports = {NodeProcess.freePort(), NodeProcess.freePort()};
    for (int i = 0; i < 2; i++) {
      String yaml = "roles: [gateway, router, budget, \"provider:local\", \"provider:hosted\"]\n"
          + "cluster: {enabled: false}\n"
          + "gateway: {host: 127.0.0.1, port: " + ports[i] + ", apiKeyEnv: IT_KEY}\n"
          + "redis: {mode: sentinel, masterName: " + MASTER_NAME + ", endpoints: [" + endpoints
          + "]}\n"
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
          + "    - {scope: global, window: day, usd: \""
          + java.math.BigDecimal.valueOf(CAP, 6).toPlainString() + "\"}\n"
          + "  prices:\n"
          + "    hosted: {gpt-4o-mini: {input: \"0\", output: \"500.00\", maxOutputTokens: 1000}}\n";
      Path config = dir.resolve("node-" + i + ".yaml");
      Files.writeString(config, yaml);
      nodes.add(NodeProcess.start("sentinel-" + i, config, Map.of("IT_KEY", KEY)));
    }
    for (NodeProcess n : nodes) {
      n.awaitReady(90);
    }

    // The test's own view of the budget follows the master the sentinels name, as the nodes do.
    Redis view = Redis.createClient(vertx, new RedisOptions().setType(RedisClientType.SENTINEL)
        .setEndpoints(new ArrayList<>(sentinels.stream()
            .map(s -> "redis://127.0.0.1:" + s.port()).toList()))
        .setMasterName(MASTER_NAME).setRole(RedisRole.MASTER).setAutoFailover(true));
    String counter = BudgetRig.dayCounter("global");
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong samples = new AtomicLong();
    AtomicLong maxCommitted = new AtomicLong();
    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    Thread sampler = new Thread(() -> {
      for (int i = 0; i < 100_000 && running.get(); i++) {
        try {
          Response v = view.send(Request.cmd(Command.HMGET).arg(counter).arg("spent")
              .arg("reserved")).await(1, TimeUnit.SECONDS);
          long committed = (v.get(0) == null ? 0 : v.get(0).toLong())
              + (v.get(1) == null ? 0 : v.get(1).toLong());
          samples.incrementAndGet();
          maxCommitted.accumulateAndGet(committed, Math::max);
          if (committed > CAP) {
            violations.add(committed + " µ$ committed");
          }
        } catch (Exception failingOver) {
          // No master to ask during the failover: nothing to sample.
        }
      }
    }, "budget-sampler");

    long t0 = System.currentTimeMillis();
    List<Seen> paid = Collections.synchronizedList(new ArrayList<>());
    List<Seen> free = Collections.synchronizedList(new ArrayList<>());
    List<Thread> clients = new ArrayList<>();
    int perClient = 150 * scale;
    for (int g = 0; g < 2; g++) {
      int port = ports[g];
      for (int c = 0; c < CLIENTS_PER_GATEWAY; c++) {
        String name = "g" + g + "c" + c;
        clients.add(new Thread(() -> {
          for (int i = 0; i < perClient && running.get(); i++) {
            paid.add(chat(port, true, name + " paid " + i, t0));
          }
        }, name));
      }
    }
    Thread tier1 = new Thread(() -> {
      for (int i = 0; i < 20_000 && running.get(); i++) {
        free.add(chat(ports[i % 2], false, "tier one " + i, t0));
      }
    }, "tier-1");
    sampler.start();
    tier1.start();
    clients.forEach(Thread::start);

    // Load until a few paid calls were admitted, then kill the master mid-traffic.
    long warmDeadline = System.currentTimeMillis() + 60_000;
    while (copy(paid).stream().filter(Seen::paid).count() < 10) {
      assertTrue(System.currentTimeMillis() < warmDeadline, "no paid call admitted: " + paid);
      Thread.sleep(20);
    }
    master.kill();
    long killedAt = System.currentTimeMillis() - t0;
    // Until a paid call that started after the kill is admitted again (the promotion).
    long resumeDeadline = System.currentTimeMillis() + 60_000;
    long resumedAt = -1;
    while (resumedAt < 0 && System.currentTimeMillis() < resumeDeadline) {
      resumedAt = copy(paid).stream().filter(s -> s.paid() && s.startMs() > killedAt)
          .mapToLong(Seen::endMs).min().orElse(-1);
      Thread.sleep(20);
    }
    // Paid traffic on the promoted master until the cap is spent (a paid request refused by
    // the budget), so that "never above the cap" is tested at the cap; bounded in time.
    long capDeadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < capDeadline
        && copy(paid).stream().filter(Seen::paid).count() < FITS) {
      Thread.sleep(50);
    }
    Thread.sleep(1_000);
    running.set(false);
    for (Thread t : clients) {
      t.join(120_000);
    }
    tier1.join(60_000);
    sampler.join(10_000);

    // Every reservation closes (settles retried onto the new master, releases of unanswered
    // reserves, the reaper), then counters and ledger are compared on the promoted master.
    long quiet = System.currentTimeMillis() + 60_000;
    while (call(view, "ZCARD", "{tm}:reservations").toLong() > 0
        && System.currentTimeMillis() < quiet) {
      Thread.sleep(100);
    }
    long open = call(view, "ZCARD", "{tm}:reservations").toLong();
    long spent = call(view, "HGET", counter, "spent").toLong();
    long reserved = call(view, "HGET", counter, "reserved") == null ? 0
        : call(view, "HGET", counter, "reserved").toLong();
    long ledgerSum = 0;
    long ledgerPaid = 0;
    for (Response entry : call(view, "XRANGE", "{tm}:ledger", "-", "+")) {
      Response f = entry.get(1);
      for (int i = 0; i + 1 < f.size(); i += 2) {
        if ("cost".equals(f.get(i).toString())) {
          long c = f.get(i + 1).toLong();
          ledgerSum += c;
          ledgerPaid += c > 0 ? 1 : 0;
        }
      }
    }
    String promoted = call(view, "INFO", "replication").toString();
    view.close();
    long simPaid = sim.log().count(e -> "POST".equals(e.method())
        && "gpt-4o-mini".equals(e.model()));

    long admitted = paid.stream().filter(Seen::paid).count();
    long resumed = resumedAt;
    List<Seen> during = paid.stream().filter(s -> s.startMs() >= killedAt
        && s.endMs() <= resumed && !s.paid()).toList();
    long slowestClosed = during.stream().mapToLong(Seen::millis).max().orElse(0);
    long failedPaid = paid.stream().filter(s -> s.status() != 200).count();
    long freeOk = free.stream().filter(s -> s.status() == 200 && "1".equals(s.tier())).count();
    long freeFailed = free.size() - freeOk;
    long freeSlowest = free.stream().mapToLong(Seen::millis).max().orElse(0);
    long outageMs = resumedAt - killedAt;
    System.out.printf("sentinel failover: master killed at %d ms; paid resumed %d ms after the"
        + " kill; %d paid requests failed closed meanwhile (slowest %d ms); %d paid admitted of"
        + " %d sent (%d fit); %d samples, max spent+reserved %d µ$ (cap %d); tier 1 %d ok %d"
        + " failed (slowest %d ms); sim %d paid calls, ledger %d charges (%d µ$), counter %d µ$,"
        + " reserved %d, %d open; promoted: %s%n", killedAt, outageMs, during.size(),
        slowestClosed, admitted, paid.size(), FITS, samples.get(), maxCommitted.get(), CAP,
        freeOk, freeFailed, freeSlowest, simPaid, ledgerPaid, ledgerSum, spent, reserved, open,
        promoted.contains("role:master") ? "yes" : "no");

    assertTrue(resumedAt > 0, "paid calls resumed after the promotion");
    assertTrue(promoted.contains("role:master"), "the replica was promoted: " + promoted);
    assertEquals(List.of(), violations, "spent + reserved above the cap in a sample");
    assertTrue(samples.get() > 0);
    assertEquals(0, failedPaid, "every paid request was answered (paid or by tier 1)");
    for (Seen s : paid) {
      if (!s.paid()) {
        assertEquals("1", s.tier(), "fell back to tier 1: " + s);
      }
    }
    assertTrue(slowestClosed < 10_000, "fail-closed answer took " + slowestClosed + " ms");
    assertTrue(outageMs < 30_000, "paid resumed " + outageMs + " ms after the kill");
    assertEquals(0, freeFailed, "tier 1 kept serving");
    assertTrue(freeOk > 0);
    assertEquals(0, open, "no reservation left open");
    assertEquals(ledgerSum, spent, "counters == ledger on the promoted master");
    assertTrue(spent <= CAP, "spent " + spent + " within the cap " + CAP);
    assertEquals(FITS, admitted, "admitted exactly what the cap pays for");
    assertEquals(admitted, ledgerPaid, "one charge per paid answer");
    assertTrue(ledgerPaid <= simPaid, "no charge without a paid backend call");

    ChaosRecord.record(20, "Redis Sentinel (1 master, 1 replica, 3 sentinels): kill -9 of the"
        + " master under paid load on 2 gateway JVMs",
        (2 * CLIENTS_PER_GATEWAY) + " paid clients on 2 gateways (" + paid.size() + " paid "
        + "requests), a tier-1 client throughout; cap fits " + FITS,
        "redis-server master kill -9; sentinels promote the replica (down-after 1 s)",
        "paid fails closed for the failover, in bounded time, and resumes after promotion; "
        + "spent + reserved ≤ cap in every sample; counters == ledger after",
        String.format("paid resumed %d ms after the kill; %d paid requests failed closed "
            + "meanwhile (slowest %d ms), none failed; %d samples, max spent+reserved %d µ$ "
            + "(cap %d, 0 over); %d admitted of %d that fit; tier 1 %d ok / %d failed; ledger "
            + "%d charges = counter %d µ$ on the promoted master; %d paid backend calls; %d "
            + "open reservations", outageMs, during.size(), slowestClosed, samples.get(),
            maxCommitted.get(), CAP, admitted, FITS, freeOk, freeFailed, ledgerPaid, spent,
            simPaid, open));
  }
}
