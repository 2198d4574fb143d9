package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A cold GPU node takes no traffic: provider {@code gpu} (Ollama format, warm-up configured)
 * runs against a simulator whose model takes seconds to load on first use, beside a warm tier-1
 * provider {@code cpu}. While {@code gpu} warms up (its first tries fail and are retried with a
 * growing wait) every request is served by {@code cpu} without waiting for the load, and
 * {@code /admin/providers} says {@code warming} with the last failure; once the model answered
 * the warm-up, {@code gpu} takes calls, each asking the backend to keep the model loaded, and
 * none of them waits for a load.
 */
class ProviderWarmupMeshTest {

  static final String KEY = "tm-warmup-key-0123456789";
  static final String ADMIN = "tm-warmup-admin-0123456789";
  static final String MODEL = "llama3.1:8b";
  static final long LOAD_MS = 2_500;

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aColdProviderTakesNoCallsUntilItsModelIsLoaded() throws Exception {
    RequiredTool.require("redis-server");
    Vertx simVertx = Vertx.vertx();
    UpstreamSimulator gpu = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults()
        .withName("gpu").withPort(0)).await(10, TimeUnit.SECONDS);
    UpstreamSimulator cpu = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults()
        .withName("cpu").withPort(0).withSeed(2)).await(10, TimeUnit.SECONDS);
    // A fresh spot node: the model is not loaded, and the first two warm-ups fail.
    gpu.residency().loadTime(MODEL, LOAD_MS);
    gpu.faults().install(Fault.status(503), 2, null, "/api/chat");
    LocalRedis redis = LocalRedis.start();
    Node node = null;
    try {
      MeshConfig config = ConfigLoader.parse("""
          roles: [gateway, router, "provider:gpu", "provider:cpu"]
          cluster: {enabled: false}
          gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN}
          redis: {url: "%s"}
          drainMs: 1000
          providers:
            - {id: gpu, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
               models: ["%s"], warmup: {keepAlive: 45m, retryMs: 300, maxRetryMs: 600}}
            - {id: cpu, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
               models: ["%s"]}
          """.formatted(io.tiermesh.testsupport.FreePorts.next(), redis.url(), gpu.port(),
          MODEL, cpu.port(), MODEL), "warm-up test");
      node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN)));
      int port = node.httpPort();

      // While gpu warms up: it says so (with its failures), and cpu serves every request.
      JsonObject status = gpuStatus(port);
      assertEquals(true, status.getBoolean("warming"), status.encode());
      int servedWhileWarming = 0;
      List<String> failuresSeen = new java.util.ArrayList<>();
      long deadline = System.currentTimeMillis() + 60_000;
      while (status.getBoolean("warming")) {
        if (status.getString("lastError") != null) {
          failuresSeen.add(status.getString("lastError"));
        }
        HttpResponse<String> r = chat(port);
        assertEquals(200, r.statusCode(), r.body());
        if ("cpu".equals(r.headers().firstValue("X-TierMesh-Provider").orElse(""))) {
          servedWhileWarming++;
        }
        assertTrue(System.currentTimeMillis() < deadline, "the warm-up never finished: "
            + status.encode());
        status = gpuStatus(port);
      }
      assertTrue(servedWhileWarming > 0, "requests were served during the warm-up");
      assertTrue(failuresSeen.stream().anyMatch(e -> e.contains("warm-up of " + MODEL)
          && e.contains("attempt")), "failed warm-ups are shown: " + failuresSeen);

      // Warm: gpu takes calls, each asking the backend to keep the model loaded.
      int gpuServed = 0;
      for (int i = 0; i < 40 && gpuServed < 3; i++) {
        HttpResponse<String> r = chat(port);
        assertEquals(200, r.statusCode(), r.body());
        if ("gpu".equals(r.headers().firstValue("X-TierMesh-Provider").orElse(""))) {
          gpuServed++;
        }
      }
      assertTrue(gpuServed >= 3, "the warmed provider takes calls");
      // Warm-up calls carry no request id; calls the mesh serves do.
      List<RequestLog.Entry> chats = gpu.log().entries().stream()
          .filter(e -> "/api/chat".equals(e.path())).toList();
      List<RequestLog.Entry> warmups = chats.stream().filter(e -> e.requestId() == null)
          .toList();
      assertEquals(3, warmups.size(), "two failed warm-ups, then the one that loaded: " + chats);
      assertTrue(warmups.get(0).outcome().startsWith("error")
          && warmups.get(1).outcome().startsWith("error"), chats.toString());
      RequestLog.Entry loaded = warmups.get(2);
      assertEquals(RequestLog.OK, loaded.outcome());
      assertTrue(loaded.finishedMillis() - loaded.timeMillis() >= LOAD_MS,
          "the warm-up waited for the load");
      assertTrue(warmups.get(1).timeMillis() - warmups.get(0).finishedMillis() >= 300
          && loaded.timeMillis() - warmups.get(1).finishedMillis() >= 600,
          "the retries waited 300 ms, then 600 ms: " + chats);
      for (RequestLog.Entry e : chats) {
        if (e.requestId() != null) {
          assertTrue(e.timeMillis() >= loaded.finishedMillis(), "a call reached gpu before its "
              + "warm-up finished: " + e);
        }
      }
      assertEquals(1, gpu.residency().loads(MODEL), "only the warm-up waited for the load");
      assertTrue(gpu.residency().loaded(MODEL, System.currentTimeMillis() + 40 * 60_000),
          "the calls asked Ollama to keep the model loaded for the configured 45m");
    } finally {
      if (node != null) {
        node.stop();
      }
      simVertx.close().await(10, TimeUnit.SECONDS);
      redis.close();
    }
  }

  private HttpResponse<String> chat(int port) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"max_tokens\":4,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** gpu's entry in {@code /admin/providers} (the node asks every instance to announce). */
  private JsonObject gpuStatus(int port) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
              + port + "/admin/providers")).header("Authorization", "Bearer " + ADMIN).GET()
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      for (Object o : new JsonObject(r.body()).getJsonArray("providers")) {
        JsonObject p = (JsonObject) o;
        if ("gpu".equals(p.getString("provider"))) {
          return p;
        }
      }
      assertTrue(System.currentTimeMillis() < deadline, "gpu never announced itself: "
          + r.body());
      LockSupport.parkNanos(50_000_000L); // poll every 50 ms
    }
  }

  private JsonObject awaitStatus(int port, java.util.function.Predicate<JsonObject> wanted)
      throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    JsonObject s = gpuStatus(port);
    while (!wanted.test(s)) {
      assertTrue(System.currentTimeMillis() < deadline, "gpu status never changed: " + s);
      LockSupport.parkNanos(50_000_000L); // poll every 50 ms
      s = gpuStatus(port);
    }
    return s;
  }
}
