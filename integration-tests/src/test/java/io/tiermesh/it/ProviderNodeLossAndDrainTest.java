package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Four JVMs on loopback: node A (gateway + router) and provider nodes B and C serving the same
 * backend. Under a steady, bounded load B is killed with kill -9: no accepted request may be
 * lost (each succeeds, or ends with a clear retryable 5xx or an explicit SSE error), and no
 * request may reach the backend more often than the client was told. Then C gets SIGTERM with
 * streams open: every stream finishes whole, and C exits after draining.
 */
class ProviderNodeLossAndDrainTest extends ThreeNodeClusterTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  static final int LANES = 6;
  static final int PER_LANE = 8;
  static final Set<Integer> RETRYABLE_5XX = Set.of(502, 503, 504);

  private NodeProcess start(String name, String roles, int clusterPort) throws Exception {
    return startNode(name, "roles: [" + roles + "]\n"
        + clusterAndGatewayYaml(clusterPort, "IT_KEY")
        + "drainMs: 15000\n"
        + "providers:\n  - id: local\n    kind: ollama\n    tier: 1\n"
        + "    baseUrl: http://127.0.0.1:" + sim.port() + "\n    models: [llama3.1:8b]\n"
        + "    embeddingModel: nomic-embed-text\n", Map.of("IT_KEY", KEY));
  }

  private CompletableFuture<HttpResponse<String>> post(String path, String body) {
    return http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + path))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + KEY)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        LeakScan.bodies());
  }

  private static String chat(boolean stream, String text) {
    return "{\"model\":\"auto\",\"stream\":" + stream + ",\"messages\":[{\"role\":"
        + "\"user\",\"content\":\"" + text + "\"}]}";
  }

  private void awaitServedBy(NodeProcess node) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> r = post("/v1/chat/completions", chat(false, "warm up"))
          .get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200
          && node.nodeId().equals(r.headers().firstValue("X-TierMesh-Node").orElse(""))) {
        return;
      }
    }
    throw new AssertionError("no request was served by " + node.name);
  }

  /** How one request ended, as the client saw it. */
  enum Ending { OK, RETRYABLE_5XX, SSE_ERROR, LOST }

  static Ending classify(HttpResponse<String> r) {
    boolean sse = r.headers().firstValue("Content-Type").orElse("")
        .startsWith("text/event-stream");
    if (r.statusCode() == 200 && !sse) {
      JsonObject o = new JsonObject(r.body());
      return o.containsKey("choices") || o.containsKey("data") ? Ending.OK : Ending.LOST;
    }
    if (r.statusCode() == 200) {
      if (r.body().endsWith("data: [DONE]\n\n")) {
        return Ending.OK;
      }
      // A stream cut after the first byte must end with an explicit error event.
      return r.body().contains("\"error\"") && !r.body().contains("[DONE]")
          ? Ending.SSE_ERROR : Ending.LOST;
    }
    if (RETRYABLE_5XX.contains(r.statusCode())
        && new JsonObject(r.body()).getJsonObject("error") != null) {
      return Ending.RETRYABLE_5XX;
    }
    return Ending.LOST;
  }

  /** Requests the client was told reached a backend. */
  static int reported(HttpResponse<String> r) {
    String header = r.headers().firstValue("X-TierMesh-Attempts").orElse(null);
    if (header != null) {
      return Integer.parseInt(header);
    }
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    return err.getJsonArray("attempts") == null ? 0 : err.getJsonArray("attempts").size();
  }

  @Test
  void killedProviderLosesNothingAndDrainingProviderFinishesItsStreams() throws Exception {
    NodeProcess a = start("a", "gateway, router", clusterPorts[0]);
    NodeProcess b = start("b", "\"provider:local\"", clusterPorts[1]);
    NodeProcess c = start("c", "\"provider:local\"", clusterPorts[2]);
    a.awaitReady(60);
    b.awaitReady(60);
    c.awaitReady(60);
    awaitServedBy(b);
    awaitServedBy(c);

    // Phase 1: steady bounded load (LANES requests in flight, each ~300 ms at the backend),
    // kill -9 of B once a quarter of the load is done.
    sim.log().clear();
    sim.faults().install(Fault.latency(300));
    int total = LANES * PER_LANE;
    AtomicInteger done = new AtomicInteger();
    ConcurrentLinkedQueue<HttpResponse<String>> responses = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> transportErrors = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < LANES; lane++) {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (int i = 0; i < PER_LANE; i++) {
        int n = lane * PER_LANE + i;
        String path = n % 4 == 3 ? "/v1/embeddings" : "/v1/chat/completions";
        String body = n % 4 == 3 ? "{\"input\":[\"lane " + n + "\"]}"
            : chat(n % 2 == 0, "steady load " + n);
        chain = chain.thenCompose(v -> post(path, body).handle((r, err) -> {
          if (err != null) {
            transportErrors.add(err);
          } else {
            responses.add(r);
          }
          done.incrementAndGet();
          return null;
        }));
      }
      lanes.add(chain);
    }
    long waitStart = System.currentTimeMillis();
    while (done.get() < total / 4 && System.currentTimeMillis() - waitStart < 30_000) {
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L); // poll every 10 ms
    }
    // What B and C were running at the backend when B died: the calls the kill can lose.
    Set<String> inFlightAtKill = new java.util.HashSet<>();
    for (RequestLog.Entry e : sim.log().entries()) {
      if ("POST".equals(e.method()) && RequestLog.PENDING.equals(e.outcome())) {
        inFlightAtKill.add(e.requestId());
      }
    }
    b.kill();
    CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

    assertTrue(transportErrors.isEmpty(), "transport errors: " + transportErrors);
    assertEquals(total, responses.size());
    Map<Ending, Integer> endings = new java.util.EnumMap<>(Ending.class);
    int executions = 0;
    int moved = 0;
    int notInFlight = 0;
    int okNotInFlight = 0;
    Reconciliation threeWay = new Reconciliation(Map.of());
    for (HttpResponse<String> r : responses) {
      Ending e = classify(r);
      endings.merge(e, 1, Integer::sum);
      assertTrue(e != Ending.LOST, "lost: " + r.statusCode() + " " + r.body());
      String id = r.headers().firstValue("X-Request-Id").orElseThrow();
      threeWay.client(new Reconciliation.Client(id, e == Ending.OK,
          e == Ending.OK ? reported(r) : -1, false));
      if (!inFlightAtKill.contains(id)) {
        notInFlight++;
        okNotInFlight += e == Ending.OK ? 1 : 0;
      }
      if (e != Ending.OK) {
        // Only a call running on the killed node may fail, and only as a clear 5xx or an
        // explicit error event (a stream that had sent chunks cannot move).
        assertTrue(inFlightAtKill.contains(id), id + " failed but was not in flight at the "
            + "kill: " + r.statusCode() + " " + r.body());
      }
      long seen = sim.log().count(x -> id.equals(x.requestId()));
      int told = reported(r);
      executions += (int) seen;
      assertTrue(seen <= told, id + " reached the backend " + seen + " times, client told "
          + told);
      if (told > 1) {
        moved++;
      }
    }
    System.out.printf("kill -9 under load: %d requests, endings %s, %d reported more than "
        + "one backend call, %d backend executions%n", total, endings, moved, executions);
    // The killed node held calls: each such call's backend connection died with it, so the
    // simulator logged it cut (not ok) and it ran again on C or ended with a clear error.
    Set<String> heldByKilled = new java.util.TreeSet<>();
    for (RequestLog.Entry x : sim.log().entries()) {
      if (inFlightAtKill.contains(x.requestId()) && !RequestLog.OK.equals(x.outcome())) {
        heldByKilled.add(x.requestId());
      }
    }
    assertTrue(!heldByKilled.isEmpty(), "the killed node held no call when it was killed; in "
        + "flight at the backend then: " + inFlightAtKill);
    // ">= 99 % once membership settles" is checked in the loop above in its strict form: a
    // request that failed must have been running at the backend when B died.
    int ok = endings.getOrDefault(Ending.OK, 0);
    Reconciliation.Result three = threeWay.backend(sim.log().entries()).ledger(List.of())
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    ChaosRecord.record(3, "kill -9 of one of two provider nodes under steady load (chat, "
            + "streams, embeddings)", total + " requests (" + LANES + " in flight)",
        "kill -9 of one provider node while " + inFlightAtKill.size() + " calls were at the "
            + "backend",
        "no accepted request lost; >= 99 % succeed once membership settles; none executed "
            + "more often than reported",
        String.format("endings %s (%d of %d succeeded, %.1f %%; %d of the %d not in flight at "
                + "the kill); the killed node held %d calls when killed; %d reported more than "
                + "one backend call; %d backend executions; %s (free tier, no ledger "
                + "charges)", endings, ok, total, 100.0 * ok / total, okNotInFlight,
            notInFlight, heldByKilled.size(), moved, executions, three.summary()));

    // Phase 2: C, now the only provider, gets SIGTERM with streams open; they must all finish.
    sim.faults().clear();
    sim.log().clear();
    sim.faults().install(Fault.chunkDelay(100).and(Fault.tokens(20)));
    List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      streams.add(post("/v1/chat/completions", chat(true, "drain " + i)));
    }
    waitStart = System.currentTimeMillis();
    while (sim.log().count(e -> "pending".equals(e.outcome())) < 6
        && System.currentTimeMillis() - waitStart < 10_000) {
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L); // poll every 10 ms
    }
    assertEquals(6, sim.log().count(e -> "pending".equals(e.outcome())), "6 streams open");
    long termAt = System.currentTimeMillis();
    c.terminate();
    int whole = 0;
    for (CompletableFuture<HttpResponse<String>> f : streams) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().endsWith("data: [DONE]\n\n"), "truncated stream: " + r.body());
      assertEquals(21, r.body().split("data: ", -1).length - 1 - 1,
          "20 content chunks and the finish chunk: " + r.body());
      whole++;
    }
    int exit = c.awaitExit(30);
    System.out.printf("SIGTERM with %d streams open: %d finished whole, node exited %d after "
        + "%d ms%n", streams.size(), whole, exit, System.currentTimeMillis() - termAt);
    // 143 is the JVM's exit status after SIGTERM once its shutdown hook (the drain) finished.
    assertTrue(exit == 0 || exit == 143, "exit " + exit + "\n" + c.output());
    assertTrue(c.output().contains("draining"), c.output());
    assertEquals(6, sim.log().count(e -> "ok".equals(e.outcome())), "no stream was cut");
    ChaosRecord.record(5, "SIGTERM (spot notice) on a provider node with live streams",
        "6 streams of 20 chunks, 100 ms apart", "SIGTERM to the only provider node",
        "zero failed requests, zero truncated streams",
        String.format("6/6 streams whole with [DONE], 0 failed; node drained and exited %d",
            exit));
  }
}
