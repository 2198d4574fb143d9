package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Row 23: three hosts (network namespaces) find each other through DNS; then the network of a
 * provider host is cut (the bridge's end of its link down: packets vanish, nothing is refused,
 * as when a switch port or a zone fails) while requests execute on it. The requests move to the other provider
 * host once membership drops the silent one; after the link heals the host merges back and
 * serves again.
 */
class MultiHostPartitionTest extends MultiHostRig {

  static final long BACKEND_LATENCY_MS = 1_500;

  @Test
  void dnsDiscoveryFormsTheClusterAndAPartitionedProviderHostLosesNothingAndRejoins()
      throws Exception {
    rig(3);
    NodeProcess gw = start(0, "gateway, router");
    NodeProcess p1 = start(1, "\"provider:local\"");
    NodeProcess p2 = start(2, "\"provider:local\"");
    for (NodeProcess n : List.of(gw, p1, p2)) {
      n.awaitReady(180);
    }
    // Joined through the name alone: no member list anywhere in the configs.
    long formed1 = awaitServedBy(0, p1, 60);
    long formed2 = awaitServedBy(0, p2, 60);
    assertTrue(gw.output().contains("cluster discovery: " + MESH_NAME + " lists"),
        gw.output());

    sim.log().clear();
    sim.faults().install(Fault.latency(BACKEND_LATENCY_MS));
    int n = 12 * ChaosRecord.scale();
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      inFlight.add(chat(0, i % 2 == 0, "partition " + i));
    }
    long waitStart = System.currentTimeMillis();
    while (sim.log().calls() < n && System.currentTimeMillis() - waitStart < 10_000) {
      Thread.onSpinWait();
    }
    assertEquals(n, sim.log().calls(), "all requests reached the backend");
    long cutAt = System.currentTimeMillis();
    hosts.cut(1);

    int failedOver = 0;
    int streams = 0;
    Reconciliation threeWay = new Reconciliation(Map.of());
    long lastAnswer = 0;
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
      lastAnswer = System.currentTimeMillis();
      assertEquals(200, r.statusCode(), r.body());
      int attempts = Integer.parseInt(r.headers().firstValue("X-TierMesh-Attempts")
          .orElseThrow());
      String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
      threeWay.client(new Reconciliation.Client(requestId, true, attempts, false));
      long executed = sim.log().count(e -> requestId.equals(e.requestId()));
      assertTrue(executed >= 1 && executed <= attempts,
          "executions of " + requestId + ": " + executed + " of " + attempts + " reported");
      if (attempts > 1) {
        failedOver++;
      }
      if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
        streams++;
        assertTrue(SseView.of(r.body()).whole(), r.body());
      }
    }
    long failover = lastAnswer - cutAt;
    Reconciliation.Result three = threeWay.backend(sim.log().entries()).ledger(List.of())
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    assertTrue(failedOver > 0, "some requests were on the cut host");
    // Detection is the missed heartbeats (maxNoHeartbeatSeconds 4) plus one more backend call.
    assertTrue(failover < 4_000 + BACKEND_LATENCY_MS * 2 + 6_000,
        "last answer " + failover + " ms after the cut");

    sim.faults().install(Fault.NONE);
    hosts.heal(1);
    long rejoin = awaitServedBy(0, p1, 90);
    ChaosRecord.record(23, "DNS discovery across hosts (network namespaces, 3 JVMs: gateway + "
            + "router, two provider hosts); one provider host's network cut with requests in "
            + "flight, then healed",
        n + " concurrent requests (half streamed), backend " + BACKEND_LATENCY_MS + " ms",
        "the provider host's link cut (its bridge port down) while all " + n
            + " executed at the backend; brought back afterwards",
        "cluster formed from the DNS name alone; no accepted request lost; failover bounded; "
            + "the host serves again after healing",
        String.format("cluster formed through DNS (both provider hosts served %d / %d ms after "
            + "their nodes were ready); %d/%d succeeded (%d streams whole), %d failed over, "
            + "last answer %d ms after the cut; host served again %d ms after healing; %s "
            + "(free tier, no ledger charges)",
            formed1, formed2, n, n, streams, failedOver, failover, rejoin, three.summary()));
  }
}
