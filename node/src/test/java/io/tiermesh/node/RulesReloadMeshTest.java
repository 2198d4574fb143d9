package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.RequestLog;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose router reads a rules file: the file watcher and the admin reload swap rules,
 * a bad file is rejected and the last good rules stay, and a shadow copy reaches its target
 * without touching the answer.
 */
class RulesReloadMeshTest {

  static final String SHADOWED = """
      rules:
        - name: private-data
          when: {classification: [pii, hipaa, confidential]}
          target: tier-1
          shadow: {target: tier-2, percent: 100}
        - name: mirrored
          when: always
          target: tier-1
          shadow: {target: tier-2, percent: 100}
      """;

  static Path dir;
  static Path rules;
  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("tm-rules");
    rules = dir.resolve("rules.yaml");
    Files.writeString(rules, SHADOWED);
    mesh = new TestMesh("rulesFile: \"" + rules + "\"", "");
  }

  @AfterAll
  static void stop() throws Exception {
    mesh.close();
    Files.deleteIfExists(rules);
    Files.deleteIfExists(dir);
  }

  static JsonObject explain(String... headers) throws Exception {
    HttpResponse<String> r = mesh.adminPost("/admin/route/explain", TestMesh.chat("x", false),
        headers);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  static void await(String what, Predicate<Void> done) throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!done.test(null)) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void shadowCopyReachesItsTargetAfterTheAnswerAndNeverForPrivateData() throws Exception {
    mesh.resetSimulators();
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("hi", false));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    String id = r.headers().firstValue("X-Request-Id").orElseThrow();
    await("the shadow copy", v -> mesh.hosted.log().count(e -> (id + "-shadow")
        .equals(e.requestId()) && e.outcome().equals(RequestLog.OK)) == 1);
    assertFalse(mesh.hosted.log().entries().get(0).stream());

    HttpResponse<String> p = mesh.post("/v1/chat/completions",
        TestMesh.chat("CANARY-shadow private", false), "X-TierMesh-Classification", "pii");
    assertEquals(200, p.statusCode(), p.body());
    JsonObject x = explain("X-TierMesh-Classification", "pii");
    assertEquals(null, x.getValue("shadow"), "the engine drops a cloud shadow for private data");
    assertEquals(0, mesh.hosted.log().count(e -> e.privacy().canary()));
  }

  @Test
  void fileChangeAndAdminReloadSwapRulesAndABadFileKeepsTheLastGoodOnes() throws Exception {
    String before = explain().getString("rulesVersion");
    Files.writeString(rules, SHADOWED.replace("name: mirrored", "name: watched")
        .replace("target: tier-1\n    shadow: {target: tier-2, percent: 100}\n", "target: tier-2\n"));
    // The watcher polls every 2 s.
    await("the watcher", v -> {
      try {
        return "watched".equals(explain().getString("rule"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonObject after = explain();
    assertNotEquals(before, after.getString("rulesVersion"));
    assertEquals(2, after.getJsonArray("chain").getJsonObject(0).getInteger("tier"));

    Files.writeString(rules, SHADOWED.replace("target: tier-1", "target: tier-7")
        .replace("when: always", "when: {quality: superb}"));
    HttpResponse<String> bad = mesh.adminPost("/admin/config/reload", "");
    assertEquals(400, bad.statusCode(), bad.body());
    JsonObject err = new JsonObject(bad.body());
    String errors = err.getJsonObject("error").getJsonArray("errors").encode();
    assertTrue(errors.contains("tier 7") && errors.contains("superb"), errors);
    assertEquals(after.getString("rulesVersion"), err.getString("rulesVersion"));
    assertEquals("watched", explain().getString("rule"), "the last good rules stay");

    Files.writeString(rules, SHADOWED);
    HttpResponse<String> good = mesh.adminPost("/admin/config/reload", "");
    assertEquals(200, good.statusCode(), good.body());
    assertEquals(before, new JsonObject(good.body()).getString("rulesVersion"));
    assertEquals("mirrored", explain().getString("rule"));
  }
}
