package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling update's SIGTERM to the node that runs the gateway, the router and the budget
 * role, with paid streams in flight through a provider node (two JVMs, real Redis). The node
 * must turn not-ready at once on its management port, refuse new connections once
 * {@code drain.notReadyDelayMs} has passed, finish every stream whole, leave no budget
 * reservation open and exit within the delay plus {@code drainMs}.
 */
class GatewayDrainTest {

  static final int STREAMS = 6;
  static final long NOT_READY_DELAY_MS = 2_000;
  static final long DRAIN_MS = 20_000;
  /** 24 chunks 400 ms apart: each stream still runs well after the delay has passed. */
  static final String SLOW = "[sim chunk-delay=400 tokens=24]";

  @TempDir
  Path dir;
  BudgetRig rig;

  @AfterEach
  void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }

  private Path config(String name, String roles, int clusterPort, int[] members, int httpPort,
      int managementPort) throws Exception {
    StringBuilder m = new StringBuilder();
    for (int p : members) {
      m.append(m.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
    }
    String yaml = """
        roles: [%s]
        cluster: {name: %s, host: 127.0.0.1, port: %d, members: [%s]}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: IT_KEY, requestTimeoutMs: 60000}
        management: {host: 127.0.0.1, port: %d}
        redis: {url: "%s"}
        drainMs: %d
        drain: {notReadyDelayMs: %d}
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"]}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini]}
        budget:
          limits:
            - {scope: global, window: day, usd: "10.00"}
          prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00"}}
        """.formatted(roles, rig.clusterName, clusterPort, m, httpPort,
        managementPort, rig.redis.url(), DRAIN_MS, NOT_READY_DELAY_MS, rig.sim.port(),
        rig.sim.port());
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return rig.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static boolean accepts(int port) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      return true;
    } catch (ConnectException refused) {
      return false;
    }
  }

  @Test
  void sigtermFinishesEveryStreamRefusesNewConnectionsAndLeaksNoReservation() throws Exception {
    rig = new BudgetRig(dir);
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    int frontHttp = NodeProcess.freePort();
    int frontManagement = NodeProcess.freePort();
    NodeProcess back = rig.start("back", config("back", "\"provider:local\", \"provider:hosted\"",
        cluster[1], cluster, NodeProcess.freePort(), NodeProcess.freePort()));
    NodeProcess front = rig.start("front", config("front", "gateway, router, budget", cluster[0],
        cluster, frontHttp, frontManagement));
    back.awaitReady(90);
    front.awaitReady(90);
    rig.awaitReady(frontHttp, 60);
    long readyBy = System.currentTimeMillis() + 30_000;
    while (get(frontManagement, "/health/ready").statusCode() != 200) {
      assertTrue(System.currentTimeMillis() < readyBy, "the management port never turned ready");
      Thread.sleep(100);
    }

    List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      String body = "{\"model\":\"auto\",\"stream\":true,\"max_tokens\":100,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"drain " + i + " " + SLOW + "\"}]}";
      streams.add(rig.http.sendAsync(GatewayRequests.chat(frontHttp, BudgetRig.KEY, body,
          Duration.ofSeconds(90), "X-TierMesh-Quality", "high"), LeakScan.bodies()));
    }
    long deadline = System.currentTimeMillis() + 20_000;
    while (rig.sim.log().entries().stream().filter(e -> "POST".equals(e.method())).count()
        < STREAMS || rig.openReservations() < STREAMS) {
      assertTrue(System.currentTimeMillis() < deadline, "the streams never reached the backend");
      Thread.sleep(10);
    }

    long t0 = System.currentTimeMillis();
    front.terminate();
    // Not ready at once, on the management port, while the client port still accepts.
    HttpResponse<String> draining;
    do {
      draining = get(frontManagement, "/health/ready");
    } while (draining.statusCode() == 200 && System.currentTimeMillis() - t0 < 1_500);
    assertEquals(503, draining.statusCode(), draining.body());
    assertEquals("draining", new JsonObject(draining.body()).getString("status"));

    // After the delay: new connections are refused while the streams still run.
    while (System.currentTimeMillis() - t0 < NOT_READY_DELAY_MS + 1_000) {
      Thread.sleep(50);
    }
    assertTrue(!accepts(frontHttp), "a new connection was accepted after the not-ready delay");
    long stillRunning = streams.stream().filter(f -> !f.isDone()).count();
    assertTrue(stillRunning > 0, "every stream ended before the delay: nothing was drained");

    int whole = 0;
    for (CompletableFuture<HttpResponse<String>> f : streams) {
      HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().endsWith("data: [DONE]\n\n"), "truncated stream: " + r.body());
      whole++;
    }
    int exit = front.awaitExit((NOT_READY_DELAY_MS + DRAIN_MS) / 1000 + 15);
    long exitedAfter = System.currentTimeMillis() - t0;
    String out = front.completeOutput();
    // 128 + 15: how a JVM ends on SIGTERM once its shutdown hook (the drain) has returned.
    assertEquals(143, exit, out);
    assertTrue(out.contains("tiermesh: stopping (draining in-flight requests)"), out);
    assertTrue(exitedAfter < NOT_READY_DELAY_MS + DRAIN_MS, "exited after " + exitedAfter
        + " ms");
    assertEquals(0, rig.openReservations(), "a reservation was left open by the drain");
    assertEquals(STREAMS, rig.ledger()[1], "every stream was charged once");
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", frontManagement).close());
    System.out.printf("gateway drain: %d/%d streams whole, %d still running after the %d ms "
        + "not-ready delay, node exited %d ms after SIGTERM, 0 reservations open%n", whole,
        STREAMS, stillRunning, NOT_READY_DELAY_MS, exitedAfter);
  }

  /**
   * SIGTERM to one of two router + budget nodes while it holds paid requests (the gateway
   * spreads requests over both routers): each finishes with its answer, every reservation is
   * settled (none left for the reaper), and the other node serves what comes next.
   */
  @Test
  void aDrainingRouterAndBudgetNodeFinishesItsRequestsAndLeaksNoReservation() throws Exception {
    rig = new BudgetRig(dir);
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    int frontHttp = NodeProcess.freePort();
    NodeProcess front = rig.start("front", config("front",
        "gateway, \"provider:local\", \"provider:hosted\"", cluster[0], cluster, frontHttp,
        NodeProcess.freePort()));
    int leavingManagement = NodeProcess.freePort();
    NodeProcess leaving = rig.start("leaving", config("leaving", "router, budget", cluster[1],
        cluster, NodeProcess.freePort(), leavingManagement));
    NodeProcess staying = rig.start("staying", config("staying", "router, budget", cluster[2],
        cluster, NodeProcess.freePort(), NodeProcess.freePort()));
    front.awaitReady(90);
    leaving.awaitReady(90);
    staying.awaitReady(90);
    rig.awaitReady(frontHttp, 60);

    int held = 8;
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < held; i++) {
      calls.add(rig.paid(frontHttp, "hold " + i + " [sim latency=4000]", 50));
    }
    long deadline = System.currentTimeMillis() + 20_000;
    while (rig.sim.log().entries().stream().filter(e -> "POST".equals(e.method())).count()
        < held) {
      assertTrue(System.currentTimeMillis() < deadline, "the calls never reached the backend");
      Thread.sleep(10);
    }
    long t0 = System.currentTimeMillis();
    leaving.terminate();
    HttpResponse<String> draining;
    do {
      draining = get(leavingManagement, "/health/ready");
    } while (draining.statusCode() == 200 && System.currentTimeMillis() - t0 < 1_500);
    assertEquals(503, draining.statusCode(), draining.body());

    for (CompletableFuture<HttpResponse<String>> f : calls) {
      HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("2", r.headers().firstValue("X-TierMesh-Tier").orElse(null), r.body());
    }
    assertEquals(143, leaving.awaitExit(DRAIN_MS / 1000 + 15), leaving.completeOutput());
    long exitedAfter = System.currentTimeMillis() - t0;
    // A settle the other router sent to the leaving budget role as it stopped listening is
    // retried (BudgetGate: 6 retries from 250 ms, about 16 s in all) and lands on the budget
    // role that stayed; only what is still open after that would be left for the reaper.
    long settleDeadline = System.currentTimeMillis() + 17_000;
    while (rig.openReservations() > 0 && System.currentTimeMillis() < settleDeadline) {
      Thread.sleep(100);
    }
    assertEquals(0, rig.openReservations(), "a reservation was left for the reaper");
    assertEquals(held, rig.ledger()[1], "every call was charged once");
    // What comes next is routed and budgeted by the node that stayed.
    HttpResponse<String> after = rig.paid(frontHttp, "after the drain", 50).get(60,
        TimeUnit.SECONDS);
    assertEquals(200, after.statusCode(), after.body());
    assertEquals("2", after.headers().firstValue("X-TierMesh-Tier").orElse(null));
    assertEquals(0, rig.openReservations());
    assertEquals(held + 1, rig.ledger()[1]);
    System.out.printf("router+budget drain: %d/%d held paid calls answered, node exited %d ms "
        + "after SIGTERM, 0 reservations open%n", held, held, exitedAfter);
  }
}
