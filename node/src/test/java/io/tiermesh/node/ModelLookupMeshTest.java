package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/models/{id}} for the names the rules file's {@code models} section aliases: an
 * exact alias and a name a pattern matches answer 200 with what they stand for (OpenAI's shape,
 * or Anthropic's for a request with {@code anthropic-version}), agreeing with where the router
 * sends that name; an unknown name is a 404 in the caller's error shape until the rules end with
 * the catch-all {@code "*": auto}.
 */
class ModelLookupMeshTest {

  static Path dir;
  static Path rules;
  static TestMesh mesh;
  static String bundled;

  @BeforeAll
  static void start() throws Exception {
    try (var in = ModelLookupMeshTest.class.getResourceAsStream("/rules/default-rules.yaml")) {
      bundled = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    dir = Files.createTempDirectory("tm-model-lookup");
    rules = dir.resolve("rules.yaml");
    Files.writeString(rules, withAliases("  \"gpt-4.1\": tier-2\n"));
    mesh = new TestMesh("rulesFile: \"" + rules + "\"", "");
  }

  /** The bundled rules with more entries at the top of their models section. */
  static String withAliases(String entries) {
    assertTrue(bundled.contains("\nmodels:\n"), "the bundled rules have a models section");
    return bundled.replace("\nmodels:\n", "\nmodels:\n" + entries);
  }

  @AfterAll
  static void stop() throws Exception {
    mesh.close();
    Files.deleteIfExists(rules);
    Files.deleteIfExists(dir);
  }

  private static HttpResponse<String> anthropicGet(String path) throws Exception {
    return mesh.send("GET", path, null, "x-api-key", TestMesh.KEY,
        "anthropic-version", "2023-06-01");
  }

  @Test
  void anExactAliasAnswersWithItsTargetAndTheRouterAgrees() throws Exception {
    HttpResponse<String> r = mesh.get("/v1/models/gpt-4.1");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject m = new JsonObject(r.body());
    assertEquals("gpt-4.1", m.getString("id"));
    assertEquals("model", m.getString("object"));
    assertEquals("tier-2", m.getString("alias_for"));

    HttpResponse<String> chat = mesh.post("/v1/chat/completions",
        "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, chat.statusCode(), chat.body());
    assertEquals("2", chat.headers().firstValue("X-TierMesh-Tier").orElseThrow(),
        "the router sends the name where the lookup said");
  }

  @Test
  void aNameAPatternMatchesAnswersInBothShapes() throws Exception {
    HttpResponse<String> r = mesh.get("/v1/models/claude-opus-5-5");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject m = new JsonObject(r.body());
    assertEquals("claude-opus-5-5", m.getString("id"));
    assertEquals("auto", m.getString("alias_for"));
    assertEquals("claude-*", m.getString("alias_pattern"));
    assertEquals("tiermesh", m.getString("owned_by"));

    // Anthropic's SDK (models.retrieve) sends anthropic-version and reads its own shape.
    HttpResponse<String> a = anthropicGet("/v1/models/claude-opus-5-5");
    assertEquals(200, a.statusCode(), a.body());
    JsonObject am = new JsonObject(a.body());
    assertEquals("model", am.getString("type"));
    assertEquals("claude-opus-5-5", am.getString("id"));
    assertEquals("claude-opus-5-5", am.getString("display_name"));
    assertTrue(am.getString("created_at").endsWith("Z"), am.encode());
    assertEquals("auto", am.getString("alias_for"));
    assertFalse(am.containsKey("object"));
    // A percent-encoded id (as SDKs send one) resolves the same.
    assertEquals(200, mesh.get("/v1/models/gpt-4o-2024-08-06").statusCode());
    assertEquals(200, mesh.get("/v1/models/claude%2Dsonnet-4").statusCode());
  }

  @Test
  void anUnknownNameIsA404InTheCallersShapeUntilTheRulesEndWithACatchAll() throws Exception {
    HttpResponse<String> openAi = mesh.get("/v1/models/mistral-large");
    assertEquals(404, openAi.statusCode(), openAi.body());
    JsonObject err = new JsonObject(openAi.body()).getJsonObject("error");
    assertEquals("not_found", err.getString("code"));
    assertTrue(err.getString("message").contains("'mistral-large'"), err.encode());

    HttpResponse<String> anthropic = anthropicGet("/v1/models/mistral-large");
    assertEquals(404, anthropic.statusCode(), anthropic.body());
    JsonObject body = new JsonObject(anthropic.body());
    assertEquals("error", body.getString("type"));
    assertEquals("not_found_error", body.getJsonObject("error").getString("type"));

    // The setting for unknown names: a final "*": auto routes them, so the lookup knows them.
    Files.writeString(rules, withAliases("  \"gpt-4.1\": tier-2\n")
        .replace("\nrules:\n", "  \"*\": auto\n\nrules:\n"));
    HttpResponse<String> reload = mesh.admin("POST", "/admin/config/reload", null);
    assertEquals(200, reload.statusCode(), reload.body());
    try {
      HttpResponse<String> r = mesh.get("/v1/models/mistral-large");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("auto", new JsonObject(r.body()).getString("alias_for"));
      assertEquals("*", new JsonObject(r.body()).getString("alias_pattern"));
      assertEquals("tier-2", new JsonObject(mesh.get("/v1/models/gpt-4.1").body())
          .getString("alias_for"), "entries above the catch-all still win");
    } finally {
      Files.writeString(rules, withAliases("  \"gpt-4.1\": tier-2\n"));
      assertEquals(200, mesh.admin("POST", "/admin/config/reload", null).statusCode());
    }
  }
}
