package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.simulator.UsageCount;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos row 18: "a cap cannot be overspent" against prompts that real tokenizers count far
 * above a characters-based estimate. Three JVMs, each a gateway + router + budget + provider
 * node, share one redis-server. The paid tier-2 backend reports usage counted with o200k (what
 * an OpenAI backend bills); concurrent requests with CJK, emoji, base64, code and mixed
 * prompts run against a small tier-2 day cap while a sampler reads Redis: spend + open
 * reservations must never pass the cap, and no settle may overrun its reservation.
 *
 * <p>Then a tier-3 backend that over-reports (10× its o200k count) gets forced requests one at
 * a time: its first overrun is charged in full, alerts, and halts it cluster-wide — no further
 * request reaches it until the admin API acknowledges the overrun.
 */
class ChaosTokenBoundTest {

  static final String ADMIN = "tm-it-admin-" + UUID.randomUUID();
  static final long TIER2_CAP_MICROS = 100_000;        // $0.10 a day on tier 2
  static final int MAX_TOKENS = 5;
  static final long INPUT_MICROS_PER_TOKEN = 20;       // $20 per million prompt tokens
  static final long OUTPUT_MICROS_PER_TOKEN = 500;     // $500 per million output tokens
  static final int CONCURRENCY = 24;

  @TempDir
  Path dir;
  BudgetRig rig;
  final List<UpstreamSimulator> sims = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (UpstreamSimulator s : sims) {
      s.stop().await(10, TimeUnit.SECONDS);
    }
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void noCapIsPassedWithHonestBackendsAndAnOverReportingOneIsHaltedAfterItsFirstOverrun()
      throws Exception {
    rig = new BudgetRig(dir);
    UpstreamSimulator honest = sim("honest-o200k", 1);
    UpstreamSimulator liar = sim("over-reporting", 10);
    int[] http = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    List<Integer> cluster = List.of(NodeProcess.freePort(), NodeProcess.freePort(),
        NodeProcess.freePort());
    for (int i = 0; i < 3; i++) {
      NodeProcess n = NodeProcess.start("n" + i, config("n" + i, cluster.get(i), cluster,
          http[i], honest.port(), liar.port()), Map.of("IT_KEY", BudgetRig.KEY, "IT_ADMIN", ADMIN));
      rig.nodes.add(n);
    }
    for (NodeProcess n : rig.nodes) {
      n.awaitReady(90);
    }
    for (int p : http) {
      rig.awaitReady(p, 60);
    }

    // --- honest backends: concurrent tokenizer-heavy prompts against a small cap ------------
    int requests = 60 * ChaosRecord.scale();
    List<String> prompts = new ArrayList<>();
    Random rnd = new Random(20261207);
    for (int i = 0; i < requests; i++) {
      prompts.add(Corpora.prompt(rnd, i));
    }
    String counter = BudgetRig.dayCounter("tier:2");
    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicLong samples = new AtomicLong();
    AtomicLong maxCommitted = new AtomicLong();
    List<String> violations = new ArrayList<>();
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        try {
          Response v = rig.client.send(Request.cmd(Command.HMGET).arg(counter).arg("spent")
              .arg("reserved")).await(5, TimeUnit.SECONDS);
          long committed = (v.get(0) == null ? 0 : v.get(0).toLong())
              + (v.get(1) == null ? 0 : v.get(1).toLong());
          samples.incrementAndGet();
          maxCommitted.accumulateAndGet(committed, Math::max);
          if (committed > TIER2_CAP_MICROS) {
            synchronized (violations) {
              violations.add("spent + reserved " + committed);
            }
          }
        } catch (Exception e) {
          synchronized (violations) {
            violations.add("sampler: " + e);
          }
          return;
        }
      }
    }, "token-bound-sampler");
    sampler.start();

    Semaphore window = new Semaphore(CONCURRENCY);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      window.acquire();
      JsonObject body = new JsonObject().put("model", "auto").put("max_tokens", MAX_TOKENS)
          .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
              .put("content", prompts.get(i))));
      all.add(rig.http.sendAsync(GatewayRequests.chat(http[i % 3], BudgetRig.KEY,
              body.encode(), Duration.ofSeconds(90), "X-TierMesh-Quality", "high"),
          HttpResponse.BodyHandlers.ofString()).whenComplete((r, t) -> window.release()));
    }
    int paid = 0;
    int local = 0;
    int aboveOldEstimate = 0;
    long billedPrompt = 0;
    for (int i = 0; i < requests; i++) {
      HttpResponse<String> r = all.get(i).get(90, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      if ("2".equals(r.headers().firstValue("X-TierMesh-Tier").orElseThrow())) {
        paid++;
        int promptTokens = new JsonObject(r.body()).getJsonObject("usage")
            .getInteger("prompt_tokens");
        billedPrompt += promptTokens;
        String p = prompts.get(i);
        if (promptTokens > (p.length() + 1) / 2 + 8 + 16) {
          aboveOldEstimate++;
        }
      } else {
        local++;
      }
    }
    sampling.set(false);
    sampler.join(10_000);
    long spent = rig.field(counter, "spent");
    Overruns honestOverruns = overruns();
    System.out.printf("token bound: %d requests, %d paid, %d fell back; %d samples, max"
        + " spent+reserved %d µ$ of %d; spent %d µ$; %d paid prompts billed above the former"
        + " chars/2 estimate; %d overruns%n", requests, paid, local, samples.get(),
        maxCommitted.get(), TIER2_CAP_MICROS, spent, aboveOldEstimate, honestOverruns.count);
    assertTrue(violations.isEmpty(), "cap passed in " + violations.size() + " samples, first: "
        + violations.subList(0, Math.min(5, violations.size())) + "; max " + maxCommitted.get());
    assertTrue(samples.get() > 50, "the sampler ran throughout: " + samples.get());
    assertTrue(paid > 0 && local > 0, "the cap was reached: " + paid + " paid, " + local
        + " fell back");
    assertTrue(spent <= TIER2_CAP_MICROS, "spent " + spent);
    assertEquals(0, honestOverruns.count, "an honest backend never overruns its reservation");
    assertTrue(aboveOldEstimate > 0, "the corpora include prompts the old estimate"
        + " under-reserved (else this row proves nothing)");
    assertEquals(0, openReservationsAfter(15_000), "no reservation left open");
    assertEquals(paid, honest.log().count(e -> "gpt-4o-mini".equals(e.model())));

    // --- an over-reporting backend: stopped after its first overrun -------------------------
    int forced = 6;
    List<String> liarTiers = new ArrayList<>();
    for (int i = 0; i < forced; i++) {
      liarTiers.add(forcedLiar(http[i % 3]));
    }
    long liarCalls = liar.log().count(e -> "gpt-4o".equals(e.model()));
    Overruns afterLie = overruns();
    JsonObject listed = admin(http[1], "GET", "/admin/budgets/overruns");
    long alerted = 0;
    for (int p : http) {
      alerted += overrunMetric(p);
    }
    String tier3 = BudgetRig.dayCounter("tier:3");
    long tier3Spent = rig.field(tier3, "spent");
    assertEquals("3", liarTiers.get(0), "the first forced request reached the liar");
    assertEquals(1, liarCalls, "no request reached the liar after its overrun: " + liarTiers);
    assertTrue(liarTiers.subList(1, forced).stream().noneMatch("3"::equals), liarTiers.toString());
    assertEquals(1, afterLie.count, "one overrun charged");
    assertEquals(afterLie.maxCost, tier3Spent, "the overrun is charged in full, the truth");
    assertEquals(1, listed.getJsonArray("halted").size(), listed.encode());
    assertEquals("liar", listed.getJsonArray("halted").getJsonObject(0).getString("provider"));
    assertEquals(1, alerted, "one overrun alert across the nodes' metrics");

    JsonObject ack = admin(http[2], "POST", "/admin/budgets/overruns/liar/ack");
    assertEquals(Boolean.TRUE, ack.getBoolean("acknowledged"), ack.encode());
    String resumed = forcedLiar(http[0]);
    String haltedAgain = forcedLiar(http[1]);
    long liarCallsAfterAck = liar.log().count(e -> "gpt-4o".equals(e.model()));
    assertEquals("3", resumed, "acknowledging resumes paid traffic to it");
    assertTrue(!"3".equals(haltedAgain), "its next overrun halts it again");
    assertEquals(2, liarCallsAfterAck);

    long[] ledger = rig.ledger();
    long counters = rig.field(counter, "spent") + rig.field(tier3, "spent");
    assertEquals(counters, ledger[0], "counters equal the ledger to the µ$");
    assertEquals(0, openReservationsAfter(15_000));

    ChaosRecord.record(18, "tokenizer-heavy prompts (CJK, emoji, base64, code, mixed) against a"
            + " small cap on 3 gateway JVMs; a backend that over-reports usage",
        requests + " requests, " + CONCURRENCY + " in flight, tier-2 cap " + TIER2_CAP_MICROS
            + " µ$, prompts billed by o200k; then " + forced + " + 2 forced requests to the"
            + " over-reporting backend, one at a time",
        "honest backend counts usage with o200k; the tier-3 backend reports 10× its count",
        "0 µ$ over any cap in every sample of spent + reserved with honest backends; the"
            + " over-reporting backend is stopped after its first overrun",
        String.format("%d Redis samples, max spent+reserved %d µ$ of %d (0 over), spent %d µ$;"
            + " %d paid, %d fell back; %d of %d paid prompts billed above the former chars/2"
            + " estimate (%d prompt tokens billed), 0 overruns; over-reporting backend: 1 call"
            + " of %d forced, charged %d µ$ against %d reserved, alert + metric 1, listed as"
            + " halted; after the admin ack 1 more call, halted again by its next overrun;"
            + " counters == ledger, 0 open reservations", samples.get(), maxCommitted.get(),
            TIER2_CAP_MICROS, spent, paid, local, aboveOldEstimate, paid, billedPrompt, forced,
            afterLie.maxCost, afterLie.maxReserved));
  }

  /**
   * Open reservations once they have drained, waiting at most {@code maxMs}: on a loaded machine
   * a reserve answered after the router's timeout is released by the router a moment later.
   */
  private long openReservationsAfter(long maxMs) throws Exception {
    long deadline = System.currentTimeMillis() + maxMs;
    long open = rig.openReservations();
    while (open > 0 && System.currentTimeMillis() < deadline) {
      rig.call("PING"); // one Redis round trip paces the loop
      open = rig.openReservations();
    }
    return open;
  }

  private UpstreamSimulator sim(String name, int overReport) throws Exception {
    UpstreamSimulator s = UpstreamSimulator.start(rig.vertx, SimulatorOptions.defaults()
        .withPort(0).withName(name).withUsage(UsageCount.O200K).withOverReport(overReport))
        .await(10, TimeUnit.SECONDS);
    sims.add(s);
    return s;
  }

  /** The tier the gateway answered from for one forced request to the over-reporting model. */
  private String forcedLiar(int httpPort) throws Exception {
    JsonObject body = new JsonObject().put("model", "liar/gpt-4o").put("max_tokens", MAX_TOKENS)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Summarise: 東京の天気は晴れ 🌤️ then 0x9f86d081884c7d65")));
    HttpResponse<String> r = rig.http.send(GatewayRequests.chat(httpPort, BudgetRig.KEY,
        body.encode(), Duration.ofSeconds(60)), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("X-TierMesh-Tier").orElseThrow();
  }

  private JsonObject admin(int httpPort, String method, String path) throws Exception {
    HttpResponse<String> r = rig.http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN)
        .method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private long overrunMetric(int httpPort) throws Exception {
    String metrics = rig.http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString()).body();
    long n = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith("tiermesh_budget_overruns_total{") && line.contains("provider=\"liar\"")) {
        n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return n;
  }

  record Overruns(int count, long maxCost, long maxReserved) {}

  /** Ledger entries flagged as charged above their reservation. */
  private Overruns overruns() throws Exception {
    int count = 0;
    long maxCost = 0;
    long maxReserved = 0;
    for (Response entry : rig.call("XRANGE", "{tm}:ledger", "-", "+")) {
      Response f = entry.get(1);
      String over = null;
      long cost = 0;
      long reserved = 0;
      for (int i = 0; i + 1 < f.size(); i += 2) {
        switch (f.get(i).toString()) {
          case "over" -> over = f.get(i + 1).toString();
          case "cost" -> cost = f.get(i + 1).toLong();
          case "reserved" -> reserved = f.get(i + 1).toLong();
          default -> { }
        }
      }
      if ("1".equals(over)) {
        count++;
        maxCost = Math.max(maxCost, cost);
        maxReserved = Math.max(maxReserved, reserved);
      }
    }
    return new Overruns(count, maxCost, maxReserved);
  }

  private Path config(String name, int clusterPort, List<Integer> members, int httpPort,
      int honestPort, int liarPort) throws Exception {
    StringBuilder m = new StringBuilder();
    for (int p : members) {
      m.append(m.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
    }
    String yaml = """
        roles: [gateway, router, budget, "provider:local", "provider:hosted", "provider:liar"]
        cluster: {name: %s, host: 127.0.0.1, port: %d, members: [%s]}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: IT_KEY, adminKeyEnv: IT_ADMIN,
                  requestTimeoutMs: 60000}
        redis: {url: "%s"}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], maxConcurrent: 1024}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], maxConcurrent: 1024, breaker: {maxFailures: 1000, resetMs: 1000}}
          - {id: liar, kind: openai, tier: 3, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o], maxConcurrent: 1024, breaker: {maxFailures: 1000, resetMs: 1000}}
        budget:
          limits:
            - {scope: "tier:2", window: day, usd: "0.10"}
            - {scope: "tier:3", window: day, usd: "1.00"}
          prices:
            hosted: {gpt-4o-mini: {input: "20.00", output: "500.00", maxOutputTokens: 1000}}
            liar: {gpt-4o: {input: "20.00", output: "500.00", maxOutputTokens: 1000}}
        """.formatted(rig.clusterName, clusterPort, m, httpPort, rig.redis.url(),
        rig.sim.port(), honestPort, liarPort);
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** Prompts that tokenizers count far above a characters-based estimate, and ordinary ones. */
  static final class Corpora {
    private static final String[] CJK = {"東京の天気は晴れです。明日は雨が降るでしょう。",
        "请总结以下会议记录并列出行动项目和负责人。", "경제 성장률이 예상보다 높았습니다.",
        "𠀋𠂤𠃵𠊛𠍱𠎁𠏹𠑊𠔉𠗖𠘨𠝏"};
    private static final String[] EMOJI = {"😀", "🎉", "🚀", "👍🏽", "👨‍👩‍👧", "🔥", "✨", "🙏🏻",
        "💯", "🤖", "🇯🇵", "🧑🏿‍🚀"};
    private static final String CODE = "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n"
        + "def f(x):\n    return {'k': [x, x ** 2]}\nif err != nil { return nil, err }\n";

    static String prompt(Random rnd, int i) {
      int len = 60 + rnd.nextInt(160);
      StringBuilder b = new StringBuilder();
      int kind = i % 5;
      while (b.length() < len) {
        switch (kind == 4 ? rnd.nextInt(4) : kind) {
          case 0 -> b.append(CJK[rnd.nextInt(CJK.length)]);
          case 1 -> b.append(EMOJI[rnd.nextInt(EMOJI.length)]);
          case 2 -> {
            byte[] bytes = new byte[24];
            rnd.nextBytes(bytes);
            b.append(java.util.Base64.getEncoder().encodeToString(bytes))
                .append(rnd.nextBoolean() ? " " : String.format("%016x", rnd.nextLong()));
          }
          default -> {
            int at = rnd.nextInt(CODE.length() - 1);
            b.append(CODE, at, Math.min(CODE.length(), at + 10 + rnd.nextInt(40)));
          }
        }
      }
      return b.toString();
    }
  }
}
