package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The management port of a node without the gateway role (a provider node): probes, metrics
 * and the provider view with the admin key. (Readiness through a drain: GatewayDrainTest.)
 */
class ManagementPortTest {

  static final String ADMIN = "tm-management-admin-key";
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final Vertx simVertx = Vertx.vertx();
  Node node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.stop();
    }
    simVertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + node.managementPort() + path)).timeout(Duration.ofSeconds(10));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aProviderNodeAnswersProbesMetricsAndItsProviders() throws Exception {
    UpstreamSimulator local = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults()
        .withName("local").withPort(0)).await(10, TimeUnit.SECONDS);
    MeshConfig config = ConfigLoader.parse("""
        roles: ["provider:local"]
        cluster: {enabled: false}
        gateway: {adminKeyEnv: TM_ADMIN}
        management: {host: 127.0.0.1, port: 0}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], probe: {intervalMs: 300}}
        """.formatted(local.port()), "management test", v -> null);
    node = Node.start(config, new Secrets(Map.of("TM_ADMIN", ADMIN)));
    assertEquals(-1, node.httpPort(), "no gateway, no client port");

    assertEquals(200, get("/health/live", null).statusCode());
    HttpResponse<String> ready = get("/health/ready", null);
    assertEquals(200, ready.statusCode(), ready.body());
    // Ready while it runs; what it hears of the mesh is reported, not required.
    JsonObject verdict = new JsonObject(ready.body());
    assertEquals(true, verdict.getBoolean("ready"));
    assertEquals(false, verdict.getJsonObject("checks").getJsonObject("router")
        .getBoolean("ready"), ready.body());

    assertEquals(401, get("/admin/providers", null).statusCode());
    assertEquals(401, get("/admin/providers", "not-the-key").statusCode());
    JsonArray providers = new JsonArray();
    long deadline = System.currentTimeMillis() + 10_000;
    while (providers.isEmpty()) {
      HttpResponse<String> r = get("/admin/providers", ADMIN);
      assertEquals(200, r.statusCode(), r.body());
      providers = new JsonObject(r.body()).getJsonArray("providers");
      assertTrue(System.currentTimeMillis() < deadline, "the provider never announced itself");
    }
    assertEquals("local", providers.getJsonObject(0).getString("provider"));

    HttpResponse<String> metrics = get("/metrics", null);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("tiermesh_node_ready"), "the ready gauge is exported");
    assertTrue(metrics.body().contains("tiermesh_provider_breaker_state"),
        "a node without a gateway exports the provider gauges itself");
    assertEquals(404, get("/v1/models", null).statusCode(), "no client API here");
  }

  /**
   * A view of the providers that starts after they announced themselves (a gateway joining a
   * running mesh) asks them to announce again: it knows them at once, not at their next
   * periodic announcement (every 5 s; the health probe, which also announces, is slowed here).
   */
  @Test
  void aLateViewHearsTheProvidersAtOnce() throws Exception {
    UpstreamSimulator local = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults()
        .withName("local").withPort(0)).await(10, TimeUnit.SECONDS);
    MeshConfig config = ConfigLoader.parse("""
        roles: ["provider:local"]
        cluster: {enabled: false}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], probe: {intervalMs: 600000}}
        """.formatted(local.port()), "management test", v -> null);
    node = Node.start(config, new Secrets(Map.of()));
    // Past the announcements made at start (the initial one and the first probe's).
    Thread.sleep(1_000);
    io.tiermesh.gateway.ManagementVerticle late = new io.tiermesh.gateway.ManagementVerticle(
        "127.0.0.1", 0, node.meshNode(), false, new io.tiermesh.gateway.DrainState(), ADMIN,
        "TM_ADMIN", null, null, false);
    node.vertx().deployVerticle(late).await(10, TimeUnit.SECONDS);
    long started = System.currentTimeMillis();
    JsonArray providers = new JsonArray();
    while (providers.isEmpty() && System.currentTimeMillis() - started < 1_000) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + late.actualPort() + "/admin/providers")).header("Authorization", "Bearer " + ADMIN)
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      providers = new JsonObject(r.body()).getJsonArray("providers");
    }
    assertEquals(1, providers.size(), "the provider was not heard within 1 s");
  }
}
