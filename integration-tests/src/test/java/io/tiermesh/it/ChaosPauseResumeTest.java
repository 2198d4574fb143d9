package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.RequestLog;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docs/reliability.md row 12: a provider node frozen with SIGSTOP (a stalled VM, a long GC) and
 * later resumed. While frozen, calls sent to it are not acknowledged and move to the other node
 * after the ack timeout; once resumed it merges back into the cluster and serves again.
 */
class ChaosPauseResumeTest extends ThreeNodeClusterTest {

  static final String KEY = "tm-chaos-" + UUID.randomUUID();
  static final long ACK_TIMEOUT_MS = 1_000;

  @Override
  void beforeStop(NodeProcess node) throws Exception {
    signal(node, "CONT");
  }

  private NodeProcess start(String name, String roles, int port) throws Exception {
    return startNode(name, "roles: [" + roles + "]\n" + clusterAndGatewayYaml(port, "IT_KEY")
        + "router: {ackTimeoutMs: " + ACK_TIMEOUT_MS + "}\n"
        + "providers:\n  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:"
        + sim.port() + "\", models: [llama3.1:8b]}\n", Map.of("IT_KEY", KEY));
  }

  private CompletableFuture<HttpResponse<String>> chat() {
    return http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + KEY)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"still there?\"}]}")).build(),
        LeakScan.bodies());
  }

  /** Sends requests until one is served by {@code node}; returns how long that took. */
  private long awaitServedBy(NodeProcess node, long timeoutMs) throws Exception {
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < timeoutMs) {
      HttpResponse<String> r = chat().get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200
          && node.nodeId().equals(r.headers().firstValue("X-TierMesh-Node").orElse(""))) {
        return System.currentTimeMillis() - start;
      }
    }
    throw new AssertionError(node.name + " served nothing within " + timeoutMs + " ms");
  }

  private static void signal(NodeProcess n, String sig) throws Exception {
    if (n.process.isAlive()) {
      new ProcessBuilder("kill", "-" + sig, String.valueOf(n.process.pid())).start().waitFor();
    }
  }

  @Test
  void frozenProviderIsRoutedAroundAndServesAgainAfterResume() throws Exception {
    NodeProcess a = start("a", "gateway, router", clusterPorts[0]);
    NodeProcess b = start("b", "\"provider:local\"", clusterPorts[1]);
    NodeProcess c = start("c", "\"provider:local\"", clusterPorts[2]);
    for (NodeProcess n : List.of(a, b, c)) {
      n.awaitReady(60);
    }
    awaitServedBy(b, 30_000);
    awaitServedBy(c, 30_000);

    signal(b, "STOP");
    long frozenAt = System.currentTimeMillis();
    List<CompletableFuture<HttpResponse<String>>> during = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      during.add(chat());
    }
    int ok = 0;
    long slowest = 0;
    List<HttpResponse<String>> seen = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : during) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      seen.add(r);
      slowest = Math.max(slowest, System.currentTimeMillis() - frozenAt);
      if (r.statusCode() == 200) {
        ok++;
        assertEquals(c.nodeId(), r.headers().firstValue("X-TierMesh-Node").orElse(""));
      } else {
        assertEquals(503, r.statusCode(), r.body());
      }
    }
    // Row 12 asks for fast failure or re-routing; most requests must find the live node.
    assertTrue(ok >= 9, ok + " of 12 re-routed to the live node");
    // Each request waits at most a few ack timeouts, never the 300 s request timeout.
    assertTrue(slowest < 4 * ACK_TIMEOUT_MS + 3_000, "slowest answer " + slowest + " ms");

    // Stay frozen past the heartbeat limit (5 s) so the cluster removes the node, serving
    // traffic all the while; the resumed node must then merge back.
    int afterRemoval = 0;
    while (System.currentTimeMillis() - frozenAt < 8_000) {
      HttpResponse<String> r = chat().get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      seen.add(r);
      afterRemoval++;
    }
    signal(b, "CONT");
    long back = awaitServedBy(b, 90_000);
    // Three records: calls the frozen node held must not run at the backend after it resumes
    // unless the client was told (X-TierMesh-Attempts); the tier is free, so no ledger.
    long settle = System.currentTimeMillis() + 10_000;
    while (sim.log().count(e -> RequestLog.PENDING.equals(e.outcome())) > 0
        && System.currentTimeMillis() < settle) {
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // poll every 20 ms
    }
    Reconciliation rec = new Reconciliation(Map.of());
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (HttpResponse<String> r : seen) {
      String id = r.headers().firstValue("X-Request-Id").orElseThrow();
      ids.add(id);
      rec.client(new Reconciliation.Client(id, r.statusCode() == 200,
          Integer.parseInt(r.headers().firstValue("X-TierMesh-Attempts").orElse("-1")), false));
    }
    Reconciliation.Result three = rec.backend(sim.log().entries().stream()
        .filter(e -> ids.contains(e.requestId())).toList()).ledger(List.of()).reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    ChaosRecord.record(12, "provider node paused (SIGSTOP) then resumed (SIGCONT)",
        "12 concurrent + sequential requests for 8 s, 2 provider nodes",
        "SIGSTOP 8 s on one provider node, then SIGCONT",
        "requests fail fast or re-route; the resumed node is reachable again",
        String.format("%d/12 concurrent re-routed, %d fast 503, slowest %d ms; %d/%d sequential "
            + "ok while frozen; resumed node served again %d ms after SIGCONT; %s (free tier, "
            + "no ledger charges)", ok, 12 - ok, slowest, afterRemoval, afterRemoval, back,
            three.summary()));
  }
}
