package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Chaos row 29, the usage soak: mixed traffic (free and paid, chats and streams) at a fixed,
 * bounded rate against a two-JVM mesh (gateway + router, budget + providers) on a real Redis,
 * with short ledger and audit retentions so that trimming runs many times during the soak.
 * What is watched: Redis's {@code used_memory}, the ledger's and audit stream's lengths, and each
 * node's heap after a full GC. Once retention applies, none of them may keep growing; no request
 * may fail; and the daily usage rollups must count every served request although most ledger
 * entries are trimmed by the end.
 *
 * <p>{@code bin/chaos} runs it for 30 minutes; {@code -Dtiermesh.soak.minutes=N} sets another
 * length. It is left out of {@code bin/test} by the integration-tests pom: a soak shorter than
 * its retentions shows nothing.
 */
class UsageSoakTest {

  static final String KEY = "it-soak-key-0123456789";
  static final String ADMIN = "it-soak-admin-0123456789";
  /** Requests sent per second, whatever the mesh's speed: the load is bounded, not closed. */
  static final int RATE = 12;
  /** Requests in flight at most; a tick finding them all busy is counted as skipped. */
  static final int IN_FLIGHT = 48;
  static final Duration LEDGER_RETENTION = Duration.ofMinutes(2);
  static final Duration WARM_UP = Duration.ofMinutes(1);
  /** Settled reservations' records live at least the reservation deadline (6 minutes). */
  static final Duration STEADY_AFTER = Duration.ofMinutes(8);
  static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  static long minutes() {
    return Long.getLong("tiermesh.soak.minutes", ChaosRecord.scale() > 1 ? 30 : 3);
  }

  record Sample(long atS, long redisBytes, long ledger, long audit, long keys, long frontHeapKiB,
      long backHeapKiB, long frontRssKiB, long backRssKiB) {
    String line() {
      return String.format("t=%ds redis=%.1fMB ledger=%d audit=%d keys=%d heap(front/back)="
          + "%d/%dMB rss=%d/%dMB", atS, redisBytes / 1e6, ledger, audit, keys,
          frontHeapKiB / 1024, backHeapKiB / 1024, frontRssKiB / 1024, backRssKiB / 1024);
    }
  }

  /** What one phase of the load observed. */
  static final class Counts {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong freeOk = new AtomicLong();
    final AtomicLong paidOk = new AtomicLong();
    final AtomicLong streamsOk = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    /**
     * Paid requests answered by tier 1 after their tier-2 attempt failed (a backend call that
     * timed out on an overloaded machine): the router's fallback doing its job, an answer for
     * the client, counted and reported rather than judged.
     */
    final AtomicLong fallbacks = new AtomicLong();
    /** 200 answers per tier that answered, judged or not: what the rollups must count. */
    final AtomicLong tier1 = new AtomicLong();
    final AtomicLong tier2 = new AtomicLong();
    final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
  }

  /**
   * Sends the mix at {@link #RATE} until {@code endMs}, then waits (bounded) for every answer.
   * Per six requests: four free (two streamed), two paid (one streamed).
   */
  static java.util.concurrent.ScheduledFuture<?> load(ScheduledExecutorService ticker,
      HttpClient http, URI chat, Semaphore inFlight, Counts c, long endMs) {
    return ticker.scheduleAtFixedRate(() -> {
      if (System.currentTimeMillis() >= endMs) {
        return;
      }
      if (!inFlight.tryAcquire()) {
        c.skipped.incrementAndGet();
        return;
      }
      long n = c.sent.getAndIncrement();
      int kind = (int) (n % 6);
      boolean paid = kind == 3 || kind == 5;
      boolean stream = kind == 1 || kind == 4 || kind == 5;
      String body = "{\"model\":\"auto\",\"stream\":" + stream + ",\"messages\":[{\"role\":"
          + "\"user\",\"content\":\"soak request " + n + ": summarise the quarter\"}]}";
      HttpRequest.Builder req = HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(60))
          .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body));
      if (paid) {
        req.header("X-TierMesh-Quality", "high");
      }
      http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
        inFlight.release();
        if (r != null && r.statusCode() == 200) {
          String tier = r.headers().firstValue("X-TierMesh-Tier").orElse("");
          if (tier.equals("1") || tier.equals("2")) {
            (tier.equals("1") ? c.tier1 : c.tier2).incrementAndGet();
          }
        }
        String problem = e != null ? e.toString()
            : r.statusCode() != 200 ? "status " + r.statusCode() + ": " + r.body()
            : paid && r.headers().firstValue("X-TierMesh-Tier").orElse("").equals("1")
                && r.headers().firstValue("X-TierMesh-Route-Reason").orElse("").equals("fallback")
                ? "fallback"
            : !r.headers().firstValue("X-TierMesh-Tier").orElse("").equals(paid ? "2" : "1")
                ? "answered by tier " + r.headers().firstValue("X-TierMesh-Tier").orElse("?")
            : stream && !r.body().contains("data: [DONE]") ? "stream without [DONE]"
            : null;
        if ("fallback".equals(problem)) {
          if (stream && !r.body().contains("data: [DONE]")) {
            c.failed.incrementAndGet();
          } else {
            c.fallbacks.incrementAndGet();
          }
          return;
        }
        if (problem != null) {
          c.failed.incrementAndGet();
          if (c.failures.size() < 5) {
            c.failures.add("request " + n + (paid ? " paid" : " free")
                + (stream ? " stream" : "") + ": " + ClientTextCut.cut(problem));
          }
          return;
        }
        (paid ? c.paidOk : c.freeOk).incrementAndGet();
        if (stream) {
          c.streamsOk.incrementAndGet();
        }
      });
    }, 0, 1_000_000 / RATE, TimeUnit.MICROSECONDS);
  }

  /** Failure texts kept short enough for a results row. */
  static final class ClientTextCut {
    static String cut(String s) {
      String one = s.replace('\n', ' ').replace('|', '/');
      return one.length() <= 160 ? one : one.substring(0, 160) + "…";
    }
  }

  @Test
  void redisMemoryAndHeapStayFlatUnderHoursOfMixedTraffic() throws Exception {
    long soakMinutes = minutes();
    Path dir = Files.createTempDirectory("tiermesh-soak-it");
    Vertx vertx = Vertx.vertx();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    List<NodeProcess> nodes = new ArrayList<>();
    try (LocalRedis redisServer = RedisProcess.local()) {
      UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults()
          .withPort(0).withName("soak")).await(10, TimeUnit.SECONDS);
      int httpPort = NodeProcess.freePort();
      int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
      String name = "soak-" + UUID.randomUUID().toString().substring(0, 8);
      Map<String, String> env = Map.of("IT_KEY", KEY, "TIERMESH_ADMIN_KEY", ADMIN,
          "IT_PROVIDER_KEY", "sk-soak-provider");
      NodeProcess front = NodeProcess.start("front", config(dir, "front", "gateway, router",
          name, cluster[0], cluster, httpPort, redisServer.url(), sim.port()), env);
      nodes.add(front);
      NodeProcess back = NodeProcess.start("back", config(dir, "back",
          "budget, \"provider:local\", \"provider:hosted\"", name, cluster[1], cluster, httpPort,
          redisServer.url(), sim.port()), env);
      nodes.add(back);
      // Generous: this runs beside other builds on a loaded machine, and proves nothing about
      // start-up time.
      front.awaitReady(300);
      back.awaitReady(300);
      long readyBy = System.currentTimeMillis() + 120_000;
      while (RawHttp.send("127.0.0.1", httpPort, "GET", "/health/ready", null).status() != 200) {
        assertTrue(System.currentTimeMillis() < readyBy, "the gateway never saw the providers");
        Thread.sleep(100);
      }
      Redis redisClient = Redis.createClient(vertx, new RedisOptions()
          .setConnectionString(redisServer.url()));
      RedisAPI redis = RedisAPI.api(redisClient);

      Semaphore inFlight = new Semaphore(IN_FLIGHT);
      URI chat = URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions");

      // Warm-up: the same mix for a minute while both JVMs compile their hot paths. On a
      // loaded machine the first calls of a cold node can outlast the breakers' timeouts; what
      // the soak asserts is the steady state, and the warm-up's own figures are reported.
      Counts warm = new Counts();
      var warming = load(ticker, http, chat, inFlight, warm, System.currentTimeMillis()
          + WARM_UP.toMillis());
      Thread.sleep(WARM_UP.toMillis());
      warming.cancel(false);
      assertTrue(inFlight.tryAcquire(IN_FLIGHT, 90, TimeUnit.SECONDS), "warm-up unanswered");
      inFlight.release(IN_FLIGHT);
      Counts c = new Counts();
      AtomicLong sent = c.sent;
      AtomicLong skipped = c.skipped;
      AtomicLong freeOk = c.freeOk;
      AtomicLong paidOk = c.paidOk;
      AtomicLong streamsOk = c.streamsOk;
      AtomicLong failed = c.failed;
      List<String> failures = c.failures;
      // Rollups count from the warm-up on: the check below adds its answers.
      long warmFree = warm.tier1.get();
      long warmPaid = warm.tier2.get();

      String load = String.format("load average at start %s", loadAverage());
      long start = System.currentTimeMillis();
      long end = start + soakMinutes * 60_000;
      var pacing = load(ticker, http, chat, inFlight, c, end);

      List<Sample> samples = new ArrayList<>();
      long sampleEveryMs = Math.max(30_000, soakMinutes * 60_000 / 30);
      long nextSample = start;
      while (true) {
        long now = System.currentTimeMillis();
        if (now >= nextSample || now >= end) {
          Sample s = sample(redis, now - start, front, back);
          samples.add(s);
          System.out.println("soak " + s.line() + " sent=" + sent.get() + " failed="
              + failed.get() + " skipped=" + skipped.get());
          nextSample += sampleEveryMs;
        }
        if (now >= end) {
          break;
        }
        Thread.sleep(Math.min(1_000, Math.max(1, end - now)));
      }
      pacing.cancel(false);
      assertTrue(inFlight.tryAcquire(IN_FLIGHT, 90, TimeUnit.SECONDS),
          "requests still unanswered 90 s after the soak");
      String loadEnd = loadAverage();

      // Every served request is in the daily rollups, though most ledger entries are gone.
      long served = freeOk.get() + paidOk.get();
      long[] rolled = {-1, -1};
      long countedBy = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < countedBy) {
        rolled = rolledUpCalls(httpPort);
        if (rolled[0] == c.tier1.get() + warmFree && rolled[1] == c.tier2.get() + warmPaid) {
          break;
        }
        Thread.sleep(500);
      }

      Sample first = samples.get(0);
      Sample last = samples.get(samples.size() - 1);
      Sample middle = nearest(samples, (last.atS() + STEADY_AFTER.toSeconds()) / 2);
      Sample steady = nearest(samples, STEADY_AFTER.toSeconds());
      long peakRedis = samples.stream().filter(s -> s.atS() >= steady.atS())
          .mapToLong(Sample::redisBytes).max().orElse(0);
      String observed = String.format("%d min; %d requests sent (%d free, %d paid served, %d"
          + " streams), %d failed, %d paid answered by tier 1 after a failed tier-2 attempt,"
          + " %d ticks skipped (all %d in flight); Redis used_memory"
          + " start %.1f MB, at %d min %.1f MB, middle (%d min) %.1f MB, end %.1f MB (peak after"
          + " %d min %.1f MB); ledger entries %d → %d → %d; audit records %d → %d; heap after"
          + " full GC front/back %d/%d MB → %d/%d MB → %d/%d MB; RSS front/back end %d/%d MB;"
          + " daily rollups count %d tier-1 + %d tier-2 calls (answered %d + %d, warm-up"
          + " included);"
          + " warm-up (1 min, not judged): %d sent, %d failed%s; %s, at end %s",
          soakMinutes, sent.get(), freeOk.get(), paidOk.get(), streamsOk.get(), failed.get(),
          c.fallbacks.get(), skipped.get(), IN_FLIGHT, first.redisBytes() / 1e6, steady.atS() / 60,
          steady.redisBytes() / 1e6, middle.atS() / 60, middle.redisBytes() / 1e6,
          last.redisBytes() / 1e6, steady.atS() / 60, peakRedis / 1e6, first.ledger(),
          middle.ledger(), last.ledger(), middle.audit(), last.audit(),
          first.frontHeapKiB() / 1024, first.backHeapKiB() / 1024, middle.frontHeapKiB() / 1024,
          middle.backHeapKiB() / 1024, last.frontHeapKiB() / 1024, last.backHeapKiB() / 1024,
          last.frontRssKiB() / 1024, last.backRssKiB() / 1024, rolled[0], rolled[1],
          c.tier1.get() + warmFree, c.tier2.get() + warmPaid, warm.sent.get(), warm.failed.get(),
          warm.failures.isEmpty() ? "" : " (first: " + warm.failures.get(0) + ")", load,
          loadEnd);
      System.out.println("soak: " + observed);
      samples.forEach(s -> System.out.println("soak sample " + s.line()));

      assertEquals(0, failed.get(), "failed requests: " + failures);
      assertTrue(sent.get() >= RATE * soakMinutes * 60 * 8 / 10,
          "the load ran at most 80 % of its rate: " + observed);
      assertEquals(c.tier1.get() + warmFree, rolled[0], "tier-1 calls in the rollups: " + observed);
      assertEquals(c.tier2.get() + warmPaid, rolled[1], "tier-2 calls in the rollups: " + observed);
      // The ledger holds about one retention's worth of entries, plus the trimmer's period.
      long ledgerBound = (long) (RATE * (LEDGER_RETENTION.toSeconds() + 60) * 1.2);
      for (Sample s : samples) {
        assertTrue(s.ledger() <= ledgerBound, "ledger of " + s.ledger() + " entries at "
            + s.atS() + " s, above " + ledgerBound + ": not trimmed. " + observed);
      }
      if (last.atS() >= 2 * STEADY_AFTER.toSeconds()) {
        // Flat once every retention applies: the second half of the steady part grew by at most
        // 10 % (plus 1 MB of allocator noise) over the first, and so did each heap (by 16 MB).
        assertTrue(last.redisBytes() <= steady.redisBytes() * 1.1 + 1_000_000,
            "Redis kept growing: " + observed);
        assertTrue(peakRedis <= steady.redisBytes() * 1.2 + 1_000_000,
            "Redis peaked above its steady size: " + observed);
        assertTrue(last.frontHeapKiB() <= steady.frontHeapKiB() + 16 * 1024,
            "gateway heap kept growing: " + observed);
        assertTrue(last.backHeapKiB() <= steady.backHeapKiB() + 16 * 1024,
            "budget node heap kept growing: " + observed);
      }
      ChaosRecord.record(29, "usage soak: mixed free and paid traffic, chats and streams, on a"
          + " gateway + router JVM and a budget + providers JVM with a real Redis; ledger and"
          + " audit retention 2 minutes", String.format("%d requests/s for %d min (per 6: 4 free"
          + " of which 2 streamed, 2 paid of which 1 streamed), at most %d in flight", RATE,
          soakMinutes, IN_FLIGHT), "none: time and volume",
          "no failed request (a paid one answered by tier 1 after a failed tier-2 attempt is"
          + " an answer, counted apart); the ledger holds about one retention of entries; once retention"
          + " applies Redis used_memory and each node's heap after a full GC stay flat; the daily"
          + " rollups count every served call", observed);
      redisClient.close();
    } finally {
      ticker.shutdownNow();
      for (NodeProcess n : nodes) {
        n.close();
      }
      vertx.close().await(10, TimeUnit.SECONDS);
      deleteTree(dir);
    }
  }

  private static Sample nearest(List<Sample> samples, long atS) {
    Sample best = samples.get(0);
    for (Sample s : samples) {
      if (Math.abs(s.atS() - atS) < Math.abs(best.atS() - atS)) {
        best = s;
      }
    }
    return best;
  }

  private static Sample sample(RedisAPI redis, long atMs, NodeProcess front, NodeProcess back)
      throws Exception {
    String info = redis.info(List.of("memory")).await(10, TimeUnit.SECONDS).toString();
    Matcher m = Pattern.compile("used_memory:(\\d+)").matcher(info);
    assertTrue(m.find(), info);
    long ledger = redis.xlen("{tm}:ledger").await(10, TimeUnit.SECONDS).toLong();
    long audit = redis.xlen("{tm}:audit").await(10, TimeUnit.SECONDS).toLong();
    long keys = redis.send(Command.DBSIZE).await(10, TimeUnit.SECONDS).toLong();
    return new Sample(atMs / 1000, Long.parseLong(m.group(1)), ledger, audit, keys,
        heapAfterGcKiB(front), heapAfterGcKiB(back), rssKiB(front), rssKiB(back));
  }

  /** Runs a full GC in the node and reads what is left: the heap it really holds. */
  private static long heapAfterGcKiB(NodeProcess n) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    String pid = Long.toString(n.process.pid());
    run(jcmd, pid, "GC.run");
    Matcher m = HEAP_USED.matcher(run(jcmd, pid, "GC.heap_info"));
    long used = 0;
    // Serial GC: the young and the tenured generation, each "total …K, used …K".
    while (m.find()) {
      used += Long.parseLong(m.group(1));
    }
    return used;
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd hung");
    return out;
  }

  private static long rssKiB(NodeProcess n) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(n.process.pid()),
        "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IOException("no VmRSS");
  }

  /** Calls on tier 1 and on tier 2 from yesterday to today (UTC), from the daily rollups. */
  private static long[] rolledUpCalls(int port) throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    RawHttp.Reply r = RawHttp.send("127.0.0.1", port, "GET", "/admin/usage?group_by=tier&from="
        + today.minusDays(1) + "&to=" + today, null, "Authorization", "Bearer " + ADMIN);
    assertEquals(200, r.status(), r.body());
    JsonArray rows = new JsonObject(r.body()).getJsonArray("rows");
    long[] calls = {0, 0};
    for (int i = 0; i < rows.size(); i++) {
      JsonObject row = rows.getJsonObject(i);
      calls["1".equals(row.getString("tier")) ? 0 : 1] += row.getLong("calls");
    }
    return calls;
  }

  private static String loadAverage() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  private static Path config(Path dir, String node, String roles, String clusterName,
      int clusterPort, int[] members, int httpPort, String redisUrl, int simPort)
      throws IOException {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:" + members[1] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redisUrl + "\"}\n"
        + "ledger: {retention: " + LEDGER_RETENTION.toMinutes() + "m}\n"
        + "audit: {retention: " + LEDGER_RETENTION.toMinutes() + "m}\n"
        + "drainMs: 2000\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [gpt-4o-mini], apiKeyEnv: IT_PROVIDER_KEY}\n"
        + "budget:\n"
        + "  prices: {hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}\n"
        + "  limits: [{scope: global, window: day, usd: \"1000.00\"}]\n";
    Path file = dir.resolve(node + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
