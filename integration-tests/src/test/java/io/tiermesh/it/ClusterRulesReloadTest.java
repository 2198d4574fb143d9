package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs, each with a gateway and a router and its own copy of the rules file. A reload
 * through node A's admin API changes node B's router too (observed through B's explain, which
 * B's own router answers); a bad file is then rejected on A and both keep the last good rules.
 */
class ClusterRulesReloadTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  static final String ADMIN = "tm-it-admin-" + UUID.randomUUID();
  static final String RULES = """
      rules:
        - name: NAME
          when: always
          target: TARGET
      """;

  @TempDir
  Path dir;

  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  Vertx vertx;

  @AfterEach
  void stopAll() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  static String rules(String name, String target) {
    return RULES.replace("NAME", name).replace("TARGET", target);
  }

  private Path config(String name, int httpPort, int clusterPort, int[] members, int simPort,
      Path rulesFile) throws Exception {
    String yaml = "roles: [gateway, router]\n"
        + "cluster: {name: " + "it-rules-" + members[0] + ", host: 127.0.0.1, port: "
        + clusterPort + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:"
        + members[1] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY, adminKeyEnv: IT_ADMIN}\n"
        + "router: {rulesFile: \"" + rulesFile + "\"}\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "/v1\", models: [gpt-4o-mini]}\n";
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private HttpResponse<String> admin(int port, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        LeakScan.bodies());
  }

  private JsonObject explain(int port) throws Exception {
    HttpResponse<String> r = admin(port, "/admin/route/explain",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  @Test
  void reloadOnOneNodeChangesTheOtherNodesRouterAndABadReloadChangesNothing() throws Exception {
    vertx = Vertx.vertx();
    UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults()
        .withPort(0).withName("it-rules")).await(10, TimeUnit.SECONDS);
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    int httpA = NodeProcess.freePort();
    int httpB = NodeProcess.freePort();
    Path rulesA = dir.resolve("rules-a.yaml");
    Path rulesB = dir.resolve("rules-b.yaml");
    Files.writeString(rulesA, rules("first", "tier-1"));
    Files.writeString(rulesB, rules("first", "tier-1"));
    Map<String, String> env = Map.of("IT_KEY", KEY, "IT_ADMIN", ADMIN);
    NodeProcess a = NodeProcess.start("a", config("a", httpA, cluster[0], cluster, sim.port(),
        rulesA), env);
    nodes.add(a);
    NodeProcess b = NodeProcess.start("b", config("b", httpB, cluster[1], cluster, sim.port(),
        rulesB), env);
    nodes.add(b);
    a.awaitReady(60);
    b.awaitReady(60);

    JsonObject before = explain(httpB);
    assertEquals("first", before.getString("rule"));
    assertEquals(b.nodeId(), before.getString("routerNode"));

    Files.writeString(rulesA, rules("second", "tier-2"));
    HttpResponse<String> ok = admin(httpA, "/admin/config/reload", "");
    assertEquals(200, ok.statusCode(), ok.body());
    String v2 = new JsonObject(ok.body()).getString("rulesVersion");

    // B's router learns the new rules from the bus: wait until the published update is applied.
    long deadline = System.currentTimeMillis() + 20_000;
    JsonObject onB = explain(httpB);
    while (!v2.equals(onB.getString("rulesVersion")) && System.currentTimeMillis() < deadline) {
      onB = explain(httpB);
    }
    assertEquals(v2, onB.getString("rulesVersion"), onB.encode());
    assertEquals("second", onB.getString("rule"));
    assertEquals(b.nodeId(), onB.getString("routerNode"));
    assertEquals(2, onB.getJsonArray("chain").getJsonObject(0).getInteger("tier"));

    Files.writeString(rulesA, rules("third", "tier-9"));
    HttpResponse<String> bad = admin(httpA, "/admin/config/reload", "");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("tier 9"), bad.body());
    for (int port : new int[] {httpA, httpB}) {
      JsonObject x = explain(port);
      assertEquals(v2, x.getString("rulesVersion"), x.encode());
      assertEquals("second", x.getString("rule"));
    }
  }
}
