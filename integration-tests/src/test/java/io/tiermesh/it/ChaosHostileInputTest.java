package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docs/reliability.md row 16 against a two-JVM mesh (a gateway + router + budget node, a provider
 * node): oversized bodies (declared and chunked), deeply nested JSON, absurd max_tokens and
 * slowloris connections trickling their head or their body a byte at a time. Every hostile
 * request is refused with 400/408/413 before it reaches a backend, a stream of normal requests
 * keeps a bounded latency while the slowloris connections are open, the gateway's RSS does not
 * jump, and a paid reservation never exceeds the model's real output limit.
 */
class ChaosHostileInputTest extends ThreeNodeClusterTest {

  static final String KEY = "tm-it-hostile-" + UUID.randomUUID();
  /** The gateway's default body limit (gateway.maxBodyBytes), which this rig leaves as is. */
  static final int MAX_BODY = 32 << 20;
  /** A gateway node's RSS after a little traffic, with the JVM options of NodeProcess. */
  static final long NODE_RSS_MIB = 272;
  /** Declared by the bodies refused on their Content-Length alone: above the limit. */
  static final long DECLARED = 40_000_000;
  /** A long agent conversation that the old 1 MiB limit refused: ~8 MB of text. */
  static final int LONG_CONVERSATION_CHARS = 8_000_000;
  static final long BODY_TIMEOUT_MS = 2_000;
  static final int GATEWAY_OUTPUT_LIMIT = 1_000;
  /** The budget's own cap is lower than what the gateway lets through. */
  static final int PRICED_OUTPUT_LIMIT = 800;
  static final long MICROS_PER_OUTPUT_TOKEN = 500;

  private String chatBody(String model, String maxTokens, String content) {
    return "{\"model\":\"" + model + "\"" + (maxTokens == null ? "" : ",\"max_tokens\":"
        + maxTokens) + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  private HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), LeakScan.bodies());
  }

  private static long rssKiB(NodeProcess n) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(n.process.pid()),
        "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS");
  }

  /** Bytes the process has read with read(2) and friends, sockets included (/proc rchar). */
  private static long readBytes(NodeProcess n) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(n.process.pid()),
        "io"))) {
      if (line.startsWith("rchar:")) {
        return Long.parseLong(line.substring("rchar:".length()).trim());
      }
    }
    throw new IOException("no rchar");
  }

  /** The JVM's used heap (young + old generation, KiB) as {@code jstat -gc} reports it. */
  private static long heapUsedKiB(NodeProcess n) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstat")
        .toString(), "-gc", String.valueOf(n.process.pid())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "jstat hung");
    String[] lines = out.trim().split("\n");
    assertEquals(2, lines.length, "jstat -gc: " + out);
    List<String> names = Arrays.asList(lines[0].trim().split("\\s+"));
    String[] values = lines[1].trim().split("\\s+");
    double used = 0;
    for (String column : List.of("S0U", "S1U", "EU", "OU")) {
      used += Double.parseDouble(values[names.indexOf(column)]);
    }
    return (long) used;
  }

  /** Samples a process's RSS every 10 ms on its own thread until closed; keeps the peak. */
  static final class RssSampler implements AutoCloseable {
    // A daemon thread: a failed assertion before close() leaves nothing that outlives the run.
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "rss-sampler");
          t.setDaemon(true);
          return t;
        });
    private final java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic
        .AtomicLong();

    RssSampler(NodeProcess n) {
      timer.scheduleAtFixedRate(() -> {
        try {
          peak.accumulateAndGet(rssKiB(n), Math::max);
        } catch (IOException e) {
          // the process is gone; the assertions on its answers report that
        }
      }, 0, 10, TimeUnit.MILLISECONDS);
    }

    long peakKiB() {
      return peak.get();
    }

    @Override
    public void close() throws InterruptedException {
      timer.shutdownNow();
      timer.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Sends a head declaring {@code declared} body bytes, then up to {@code send} of them. */
  private String oversized(long declared, int send, boolean chunked) throws IOException {
    try (Socket s = new Socket("127.0.0.1", httpPort)) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
          + "Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
          + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + declared + "\r\n")
          + "\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] block = new byte[16 * 1024];
      Arrays.fill(block, (byte) ' ');
      int sent = 0;
      try {
        while (sent < send) {
          if (chunked) {
            out.write((Integer.toHexString(block.length) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
          }
          out.write(block);
          if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          sent += block.length;
        }
        out.flush();
      } catch (IOException closedOnUs) {
        // the gateway answered and closed while we were still sending: what we want
      }
      InputStream in = s.getInputStream();
      byte[] head = new byte[12];
      int got = in.readNBytes(head, 0, head.length);
      return new String(head, 0, got, StandardCharsets.US_ASCII);
    }
  }

  /** A slowloris connection: what it learnt and when the gateway ended it. */
  static final class Trickle {
    final CompletableFuture<Long> closedAfterMs = new CompletableFuture<>();
    final StringBuilder answer = new StringBuilder();
    volatile int bytesSent;
  }

  /**
   * Opens a connection that sends {@code prefix} and then one byte of {@code drip} every
   * {@code everyMs}, until the gateway closes it or {@code maxMs} pass (bounded either way).
   */
  private Trickle trickle(NetClient client, String prefix, String drip, long everyMs,
      long maxMs) {
    Trickle t = new Trickle();
    long started = System.nanoTime();
    client.connect(httpPort, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        t.closedAfterMs.completeExceptionally(ar.cause());
        return;
      }
      NetSocket s = ar.result();
      s.handler(b -> {
        synchronized (t.answer) {
          t.answer.append(b.toString(StandardCharsets.US_ASCII));
        }
      });
      long[] timer = new long[1];
      s.closeHandler(v -> {
        vertx.cancelTimer(timer[0]);
        t.closedAfterMs.complete((System.nanoTime() - started) / 1_000_000);
      });
      s.write(Buffer.buffer(prefix));
      t.bytesSent = prefix.length();
      int[] next = {0};
      timer[0] = vertx.setPeriodic(everyMs, id -> {
        if ((System.nanoTime() - started) / 1_000_000 > maxMs) {
          vertx.cancelTimer(id);
          s.close();
          return;
        }
        s.write(Buffer.buffer(String.valueOf(drip.charAt(next[0]++ % drip.length()))));
        t.bytesSent++;
      });
    });
    return t;
  }

  private Response redis(Redis client, String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(5, TimeUnit.SECONDS);
  }

  @Test
  void hostileInputIsRefusedEarlyTheEventLoopKeepsServingAndReservationsAreCapped()
      throws Exception {
    int scale = ChaosRecord.scale();
    clusterPorts = new int[] {clusterPorts[0], clusterPorts[1]};
    try (LocalRedis redisServer = RedisProcess.local()) {
      String providers = "providers:\n"
          + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
          + "\", models: [\"llama3.1:8b\"]}\n"
          + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + sim.port()
          + "/v1\", models: [gpt-4o-mini]}\n";
      String budget = "redis: {url: \"" + redisServer.url() + "\"}\n"
          + "budget:\n"
          + "  limits:\n"
          + "    - {scope: global, window: day, usd: \"100.00\"}\n"
          + "  prices:\n"
          + "    hosted: {gpt-4o-mini: {input: \"0\", output: \"500.00\", maxOutputTokens: "
          + PRICED_OUTPUT_LIMIT + "}}\n";
      NodeProcess gateway = startNode("gw", "roles: [gateway, router, budget]\n"
          + clusterAndGatewayYaml(clusterPorts[0], "IT_KEY")
          + "access:\n"
          + "  maxJsonDepth: 32\n"
          + "  bodyTimeoutMs: " + BODY_TIMEOUT_MS + "\n"
          + "  maxOutputTokens: {\"hosted/gpt-4o-mini\": " + GATEWAY_OUTPUT_LIMIT + "}\n"
          + budget + providers, Map.of("IT_KEY", KEY));
      NodeProcess provider = startNode("prov", "roles: [\"provider:local\", "
          + "\"provider:hosted\"]\n" + clusterAndGatewayYaml(clusterPorts[1], "IT_KEY")
          + budget + providers, Map.of("IT_KEY", KEY));
      gateway.awaitReady(90);
      provider.awaitReady(90);
      long deadline = System.currentTimeMillis() + 60_000;
      while (true) {
        HttpResponse<String> r = post(chatBody("auto", "5", "warm up"),
            "X-TierMesh-Quality", "high");
        if (r.statusCode() == 200 && "2".equals(r.headers().firstValue("X-TierMesh-Tier")
            .orElse(""))) {
          break;
        }
        assertTrue(System.currentTimeMillis() < deadline, "mesh never served a paid call: "
            + r.statusCode() + " " + r.body());
        vertx.timer(100, TimeUnit.MILLISECONDS).await();
      }
      sim.log().clear();
      long rssBefore = rssKiB(gateway);
      // The gateway's RSS over the whole hostile phase: its peak is what the bound below holds.
      RssSampler wholePhase = new RssSampler(gateway);

      // Oversized: 40 MB declared (refused by its Content-Length without reading it) and a
      // chunked body that goes past the 32 MiB default limit while being read. The client
      // really sends the 40 MB, so a status check alone would pass a gateway that read and buffered all of it
      // before refusing: what the gateway process read from its sockets (/proc rchar) and its
      // RSS, sampled every 10 ms, are measured while the bodies arrive.
      int oversized = 5 * scale;
      int refused413 = 0;
      List<String> oversizedAnswers = new ArrayList<>();
      long readBefore = readBytes(gateway);
      long heapBeforeKiB = heapUsedKiB(gateway);
      long rssPeakKiB;
      try (RssSampler rss = new RssSampler(gateway)) {
        for (int i = 0; i < oversized; i++) {
          for (String answer : List.of(oversized(DECLARED, (int) DECLARED, false),
              oversized(0, MAX_BODY + (1 << 20), true))) {
            oversizedAnswers.add(answer.isEmpty() ? "(nothing)" : answer.trim());
            refused413 += answer.startsWith("HTTP/1.1 413") ? 1 : 0;
          }
        }
        rssPeakKiB = rss.peakKiB();
      }
      long readDuring = readBytes(gateway) - readBefore;
      long heapAfterKiB = heapUsedKiB(gateway);
      assertEquals(2 * oversized, refused413, "every oversized body got 413; status lines in "
          + "order (declared, chunked, ...): " + oversizedAnswers);
      // The chunked bodies are read up to the limit before they are refused, so at least that
      // much shows: the counter sees socket reads. A body refused on its Content-Length is
      // allowed no reading of its own: only the 256 KiB the gateway may discard after its 413
      // (so a client still sending sees the answer) and as much again for read buffers, which
      // a chunked body gets on top of the limit; plus 2 MiB of cluster heartbeats and class
      // loading in all. One declared 40 MB body read even to the limit is 32 MiB over that.
      long readFloor = (long) oversized * MAX_BODY;
      long readCeiling = (long) oversized * (MAX_BODY + 512 * 1024) + oversized * 512L * 1024
          + 2 * 1024 * 1024;
      assertTrue(readDuring >= readFloor, "the gateway read " + readDuring + " bytes; the "
          + "chunked bodies alone are " + readFloor + " up to the limit");
      assertTrue(readDuring <= readCeiling, "the gateway read " + readDuring + " bytes while "
          + 2 * oversized + " oversized bodies (" + oversized + " x 40 MB) arrived: it kept "
          + "reading past the " + MAX_BODY + "-byte limit (allowed " + readCeiling + ")");
      long rssOversizedGrowthMiB = (rssPeakKiB - rssBefore) / 1024;

      // Below the limit, a long conversation is served: the limit refuses abuse, not agents.
      StringBuilder turns = new StringBuilder("{\"model\":\"auto\",\"max_tokens\":5,\"messages\":[");
      String line = "line of a long coding session, with code and logs pasted in. ".repeat(400);
      int turn = 0;
      while (turns.length() < LONG_CONVERSATION_CHARS) {
        turns.append(turn == 0 ? "" : ",").append("{\"role\":\"").append(turn % 2 == 0 ? "user"
            : "assistant").append("\",\"content\":\"").append(line).append("\"}");
        turn++;
      }
      String longConversation = turns.append(turn % 2 == 0 ? ",{\"role\":\"user\",\"content\""
          + ":\"and now?\"}" : "").append("]}").toString();
      HttpResponse<String> served = post(longConversation);
      assertEquals(200, served.statusCode(), served.body().length() > 300
          ? served.body().substring(0, 300) : served.body());
      int longServed = 1;

      // Deeply nested JSON: 30,000 levels, well inside the byte limit.
      int depth = 30_000;
      String nested = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
          + "\"metadata\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      int nestedRefused = 0;
      for (int i = 0; i < 3 * scale; i++) {
        HttpResponse<String> r = post(nested);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("32 levels"), r.body());
        nestedRefused++;
      }

      // Absurd max_tokens: refused by name or alias, whatever the number's shape.
      List<String> absurd = List.of("1000000000", "1e300", "99999999999999999999", "-1", "0",
          "2.5", "\"lots\"", String.valueOf(GATEWAY_OUTPUT_LIMIT + 1));
      int absurdRefused = 0;
      for (String mt : absurd) {
        for (String model : List.of("hosted/gpt-4o-mini", "auto")) {
          HttpResponse<String> r = post(chatBody(model, mt, "absurd"),
              "X-TierMesh-Quality", "high");
          assertEquals(400, r.statusCode(), model + " max_tokens " + mt + ": " + r.body());
          absurdRefused++;
        }
      }
      assertEquals(longServed, sim.log().calls(),
          "no hostile request reached a backend (the long conversation did)");

      // What is let through reserves no more than the model's priced maximum (800 tokens),
      // whether the client asked for the gateway's limit (1000) or named no max_tokens.
      Redis client = Redis.createClient(vertx, new RedisOptions()
          .setConnectionString(redisServer.url()));
      String lastId = "-";
      for (Response e : redis(client, "XRANGE", "{tm}:ledger", "-", "+")) {
        lastId = e.get(0).toString();
      }
      for (String mt : Arrays.asList(String.valueOf(GATEWAY_OUTPUT_LIMIT), null)) {
        HttpResponse<String> r = post(chatBody("hosted/gpt-4o-mini", mt, "capped"));
        assertEquals(200, r.statusCode(), r.body());
      }
      List<Long> reserved = new ArrayList<>();
      for (Response e : redis(client, "XRANGE", "{tm}:ledger", "(" + lastId, "+")) {
        Response f = e.get(1);
        for (int i = 0; i + 1 < f.size(); i += 2) {
          if ("reserved".equals(f.get(i).toString()) && f.get(i + 1).toLong() > 0) {
            reserved.add(f.get(i + 1).toLong());
          }
        }
      }
      client.close();
      // input is free here, so a reservation is exactly its output cap times the price
      long capMicros = PRICED_OUTPUT_LIMIT * MICROS_PER_OUTPUT_TOKEN;
      assertEquals(List.of(capMicros, capMicros), reserved, "reservations capped at "
          + PRICED_OUTPUT_LIMIT + " output tokens");

      // Slowloris: half trickle their head, half their body, one byte every 200 ms, while a
      // stream of normal requests runs. Each connection stops by itself after 12 s.
      int loris = 10 * scale;
      NetClient raw = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000));
      List<Trickle> heads = new ArrayList<>();
      List<Trickle> bodies = new ArrayList<>();
      for (int i = 0; i < loris; i++) {
        heads.add(trickle(raw, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            "X-Slow-Header-Padding-", 200, 12_000));
        bodies.add(trickle(raw, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: 5000\r\n\r\n{\"model\":\"auto\",\"messages\":[", " ", 200,
            12_000));
      }
      List<Long> latencies = new ArrayList<>();
      long streamStarted = System.currentTimeMillis();
      int normalFailed = 0;
      while (System.currentTimeMillis() - streamStarted < 3 * BODY_TIMEOUT_MS
          && latencies.size() < 5_000) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = post(chatBody("auto", "5", "normal " + latencies.size()));
        latencies.add((System.nanoTime() - t0) / 1_000_000);
        normalFailed += r.statusCode() == 200 ? 0 : 1;
      }
      int bodiesCut = 0;
      long bodyCutMax = 0;
      for (Trickle t : bodies) {
        long ms = t.closedAfterMs.get(30, TimeUnit.SECONDS);
        if (ms < 12_000 && t.answer.toString().startsWith("HTTP/1.1 408")) {
          bodiesCut++;
          bodyCutMax = Math.max(bodyCutMax, ms);
        }
      }
      int headsCut = 0;
      long headCutMax = 0;
      for (Trickle t : heads) {
        long ms = t.closedAfterMs.get(30, TimeUnit.SECONDS);
        if (ms < 12_000) {
          headsCut++;
          headCutMax = Math.max(headCutMax, ms);
        }
      }
      raw.close();
      long rssAfter = rssKiB(gateway);
      wholePhase.close();
      long rssPeakMiB = Math.max(wholePhase.peakKiB(), rssAfter) / 1024;
      List<Long> sorted = latencies.stream().sorted().toList();
      long p50 = sorted.get(sorted.size() / 2);
      long p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99)
          - 1));
      long rssGrowthMiB = (rssAfter - rssBefore) / 1024;
      System.out.printf("hostile input: oversized phase read %d bytes, RSS peak %d KiB (before"
          + " %d), heap %d -> %d KiB%n", readDuring, rssPeakKiB, rssBefore, heapBeforeKiB,
          heapAfterKiB);
      System.out.printf("hostile input: %d/%d oversized 413, %d nested 400, %d absurd max_tokens"
          + " 400, reservations %s µ$; slowloris %d heads cut (max %d ms), %d bodies 408 (max %d"
          + " ms); %d normal requests meanwhile, p50 %d ms p99 %d ms, %d failed; RSS %d -> %d MiB"
          + "%n", refused413, 2 * oversized, nestedRefused, absurdRefused, reserved, headsCut,
          headCutMax, bodiesCut, bodyCutMax, latencies.size(), p50, p99, normalFailed,
          rssBefore / 1024, rssAfter / 1024);

      assertEquals(0, normalFailed, "normal requests kept being served");
      assertTrue(latencies.size() >= 20, "the normal stream ran: " + latencies.size());
      // generous for a shared 2-core machine; a stalled event loop shows as seconds
      assertTrue(p99 < 1_500, "p99 of normal requests with slowloris open: " + p99 + " ms");
      assertEquals(loris, bodiesCut, "every trickled body cut with 408");
      assertTrue(bodyCutMax < BODY_TIMEOUT_MS + 3_000, "body cut after " + bodyCutMax + " ms");
      assertEquals(loris, headsCut, "every trickled head cut");
      assertTrue(headCutMax < BODY_TIMEOUT_MS + 3_000, "head cut after " + headCutMax + " ms");
      // The bound is on the peak, not on the growth: how much a node grows depends on how much
      // of its heap it had touched before (a node that loads less at start grows more into the
      // same heap), while what the machine must hold is the peak. A body being read may take
      // up to twice the limit while its buffer grows, and the heap keeps what it grew to;
      // beyond that, 64 MiB of slack, on top of a gateway node's RSS when it has served a
      // little traffic (about 272 MiB with -Xmx256m). Refused bodies must not add up: they are
      // read one after another, each dropped at the limit.
      long rssPeakBoundMiB = NODE_RSS_MIB + 2L * (MAX_BODY >> 20) + 64;
      assertTrue(rssPeakMiB < rssPeakBoundMiB, "gateway RSS peaked at " + rssPeakMiB
          + " MiB (bound " + rssPeakBoundMiB + "; " + rssBefore / 1024 + " MiB before, grew "
          + rssGrowthMiB + ")");
      assertEquals(2 + longServed + latencies.size(), sim.log().calls(),
          "only the long conversation, the capped calls and the normal stream reached a backend");
      ChaosRecord.record(16, "oversized bodies, deep JSON, absurd max_tokens, slowloris",
          String.format("%d oversized (40 MB declared / chunked past the default %d MiB), one "
              + "%d MB conversation, %d nested %d deep, %d absurd max_tokens, %d slowloris (%d "
              + "heads, %d bodies) beside a normal stream; gateway and provider in two JVMs",
              2 * oversized, MAX_BODY >> 20, LONG_CONVERSATION_CHARS / 1_000_000,
              nestedRefused, depth, absurdRefused, 2 * loris, loris, loris),
          "hostile input from raw sockets; one byte per 200 ms for slowloris",
          "refused 400/413/408 before buffering past the limit; gateway RSS peak below "
              + (NODE_RSS_MIB + 2L * (MAX_BODY >> 20) + 64) + " MiB; event loop keeps serving; "
              + "reservations capped by the model's real maximum",
          String.format("%d/%d oversized 413 with the gateway reading %d KiB from its sockets "
              + "in all (limit %d KiB; the 40 MB bodies alone were %d MiB sent), RSS peak +%d MiB, "
              + "heap %d -> %d MiB meanwhile; "
              + "%d/%d nested 400, %d/%d absurd max_tokens 400, 0 "
              + "backend calls from them; reservations %s µ$ (cap %d tokens); slowloris: %d/%d "
              + "heads cut (max %d ms), %d/%d bodies 408 (max %d ms); %d normal requests "
              + "meanwhile p50 %d ms p99 %d ms, 0 failed; gateway RSS %d -> %d MiB, peak %d MiB "
              + "(bound %d)",
              refused413, 2 * oversized, readDuring / 1024, MAX_BODY / 1024,
              oversized * DECLARED / (1024 * 1024), rssOversizedGrowthMiB,
              heapBeforeKiB / 1024, heapAfterKiB / 1024, nestedRefused, nestedRefused,
              absurdRefused,
              absurdRefused, reserved, PRICED_OUTPUT_LIMIT, headsCut, loris, headCutMax,
              bodiesCut, loris, bodyCutMax, latencies.size(), p50, p99, rssBefore / 1024,
              rssAfter / 1024, rssPeakMiB, rssPeakBoundMiB));
    }
  }
}
