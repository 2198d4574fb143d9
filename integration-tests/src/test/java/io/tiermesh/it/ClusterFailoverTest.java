package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
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
 * Three JVMs on loopback: node A (gateway + router), provider nodes B and C serving the same
 * backend. B is killed with kill -9 while requests are in flight on it; those requests must
 * move to C as soon as cluster membership reports the loss, not after a bus timeout.
 */
class ClusterFailoverTest extends ThreeNodeClusterTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  /** How long the backend takes per call: requests are surely in flight when B dies. */
  static final long BACKEND_LATENCY_MS = 2_000;

  private NodeProcess start(String name, String roles, int clusterPort) throws Exception {
    return startNode(name, "roles: [" + roles + "]\n"
        + clusterAndGatewayYaml(clusterPort, "IT_KEY")
        + "drainMs: 5000\n"
        + "providers:\n  - id: local\n    kind: ollama\n    tier: 1\n"
        + "    baseUrl: http://127.0.0.1:" + sim.port() + "\n    models: [llama3.1:8b]\n",
        Map.of("IT_KEY", KEY));
  }

  private CompletableFuture<HttpResponse<String>> chat(boolean stream) {
    String body = "{\"model\":\"auto\",\"stream\":" + stream + ",\"messages\":[{\"role\":"
        + "\"user\",\"content\":\"failover please\"}]}";
    return http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + KEY)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        LeakScan.bodies());
  }

  /** Sends requests until one is served by {@code node}: its consumer is known cluster-wide. */
  private void awaitServedBy(NodeProcess node) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> r = chat(false).get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200
          && node.nodeId().equals(r.headers().firstValue("X-TierMesh-Node").orElse(""))) {
        return;
      }
    }
    throw new AssertionError("no request was served by " + node.name);
  }

  @Test
  void requestsInFlightOnAKilledProviderNodeMoveToTheSurvivor() throws Exception {
    NodeProcess a = start("a", "gateway, router", clusterPorts[0]);
    NodeProcess b = start("b", "\"provider:local\"", clusterPorts[1]);
    a.awaitReady(60);
    b.awaitReady(60);
    awaitServedBy(b);

    NodeProcess c = start("c", "\"provider:local\"", clusterPorts[2]);
    c.awaitReady(60);
    awaitServedBy(c);

    sim.log().clear();
    sim.faults().install(Fault.latency(BACKEND_LATENCY_MS));
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    int n = 16 * ChaosRecord.scale();
    for (int i = 0; i < n; i++) {
      inFlight.add(chat(i % 2 == 0));
    }
    long waitStart = System.currentTimeMillis();
    while (sim.log().calls() < n && System.currentTimeMillis() - waitStart < 5_000) {
      Thread.onSpinWait();
    }
    assertEquals(n, sim.log().calls(), "all requests reached the backend");
    long killedAt = System.currentTimeMillis();
    b.kill();

    int failedOver = 0;
    Reconciliation threeWay = new Reconciliation(Map.of());
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      int attempts = Integer.parseInt(r.headers().firstValue("X-TierMesh-Attempts").orElseThrow());
      String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
      threeWay.client(new Reconciliation.Client(requestId, true, attempts, false));
      // Every execution the backend saw is one the client was told about. An attempt sent to
      // the dead node after it died never reached the backend, so it may be reported unrun.
      long executed = sim.log().count(e -> requestId.equals(e.requestId()));
      assertTrue(executed >= 1 && executed <= attempts,
          "executions of " + requestId + ": " + executed + " of " + attempts + " reported");
      if (attempts > 1) {
        failedOver++;
      }
      if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
      }
    }
    long elapsed = System.currentTimeMillis() - killedAt;
    Reconciliation.Result three = threeWay.backend(sim.log().entries()).ledger(List.of())
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    ChaosRecord.record(3, "kill -9 of one of two provider nodes under load",
        n + " concurrent requests (half streamed), 2 s backend latency",
        "kill -9 while all " + n + " were executing at the backend",
        "no accepted request lost; executions beyond one are reported",
        String.format("%d/%d succeeded, %d failed over to the survivor, executions <= "
            + "X-TierMesh-Attempts for all, last answer %d ms after the kill; %s (free tier, "
            + "no ledger charges)", n, n, failedOver, elapsed, three.summary()));
    assertTrue(failedOver > 0, "some requests were on the killed node");
    // A bus timeout would be the whole request timeout; membership-driven failover costs the
    // detection (well under a second on loopback) plus one more backend call.
    assertTrue(elapsed < BACKEND_LATENCY_MS * 2 + 5_000, "failover took " + elapsed + " ms");
  }
}
