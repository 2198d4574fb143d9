package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.gateway.ApiKeys;
import io.tiermesh.gateway.GatewayVerticle;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up checks of the routing configuration and the admin API's off switch. */
class RouterStartTest {

  @TempDir
  Path dir;

  static final String PROVIDERS = """
      providers:
        - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:1", models: [m]}
      """;

  @Test
  void badRulesFileStopsTheNodeNamingTheRuleAndTheKey() throws Exception {
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, """
        rules:
          - {name: fine, when: {task: code}, target: tier-1}
          - {name: typo, when: {quality: hihg}, target: tier-1}
          - {name: rest, when: always, target: tier-1}
        """);
    MeshConfig config = ConfigLoader.parse("roles: [router]\nrouter: {rulesFile: \"" + rules
        + "\"}\n" + PROVIDERS, "node.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> RouterRules.load(config));
    assertTrue(e.getMessage().contains("rule 2 'typo'") && e.getMessage().contains("quality")
        && e.getMessage().contains("hihg"), e.getMessage());
    assertTrue(e.getMessage().contains(rules.toString()), e.getMessage());
  }

  @Test
  void missingRulesFileAndUnknownRouterKeyAreConfigErrors() {
    MeshConfig config = ConfigLoader.parse("roles: [router]\nrouter: {rulesFile: /nope.yaml}\n"
        + PROVIDERS, "node.yaml");
    assertTrue(assertThrows(ConfigException.class, () -> RouterRules.load(config)).getMessage()
        .contains("/nope.yaml does not exist"));
    assertThrows(ConfigException.class, () -> ConfigLoader.parse(
        "roles: [router]\nrouter: {rulesfile: x.yaml}\n" + PROVIDERS, "node.yaml"));
  }

  @Test
  void withoutAnAdminKeyTheAdminApiIsAbsent() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      GatewayVerticle g = new GatewayVerticle(new GatewayConfig("127.0.0.1", 0, "K", "A",
          65536, 5000, GatewayConfig.MetricsExposure.DEFAULT, null), new MeshNode("standalone-test"), new ApiKeys(List.of("client-key")),
          List.of());
      vertx.deployVerticle(g).await(10, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newHttpClient();
      for (String path : List.of("/admin/route/explain", "/admin/config/reload")) {
        for (String key : List.of("client-key", "", "admin")) {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + g.actualPort() + path))
              .header("Authorization", "Bearer " + key)
              .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertEquals(404, r.statusCode(), path + " " + r.body());
        }
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
