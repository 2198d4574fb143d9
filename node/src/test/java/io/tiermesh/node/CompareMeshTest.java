package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Paired answers end to end: a rule shadows tier 1 to tier 2, the tier-2 simulator is scripted
 * to diverge (a refusal instead of the JSON, and slower) on 3 of 10 requests, and the
 * comparison report says so; client feedback lands beside the scores; a private request leaves
 * no pair and never reaches tier 2.
 */
class CompareMeshTest {

  static final String RULES = """
      rules:
        - name: private-data
          when: {classification: [pii, hipaa, confidential]}
          target: tier-1
          shadow: {target: tier-2, percent: 100}
        - name: structured
          when: always
          target: tier-1
          shadow: {target: tier-2, percent: 100}
      """;
  /** A schema both simulators fill the same way, whatever their seed: one constant. */
  static final String BODY = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
      + "\"status please N\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
      + "{\"name\":\"s\",\"schema\":{\"type\":\"object\",\"properties\":{\"status\":"
      + "{\"const\":\"ok\"}},\"required\":[\"status\"]}}}}";

  static Path dir;
  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("tm-compare");
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, RULES);
    mesh = new TestMesh("rulesFile: \"" + rules + "\"", "");
  }

  @AfterAll
  static void stop() throws Exception {
    mesh.close();
    Files.deleteIfExists(dir.resolve("rules.yaml"));
    Files.deleteIfExists(dir);
  }

  static JsonObject report(String query) throws Exception {
    HttpResponse<String> r = mesh.admin("GET", "/admin/compare" + query, null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** The report's row for the rule once it counts {@code pairs} pairs (written once a second). */
  static JsonObject awaitRow(String rule, long pairs) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      JsonArray rows = report("?rule=" + rule).getJsonArray("rows");
      if (rows.size() == 1 && rows.getJsonObject(0).getLong("pairs") >= pairs) {
        return rows.getJsonObject(0);
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no " + pairs + " pairs for " + rule + ": " + rows.encode());
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void scoresReflectTheDivergingFractionFeedbackSitsBesideThemAndPrivateDataLeavesNoPair() throws Exception {
    mesh.resetSimulators();
    // Three shadow answers are refusals (no JSON at all) and take 400 ms longer.
    mesh.hosted.faults().install(Fault.latency(400).with(Script.refusal("No.")), 3,
        "gpt-4o-mini", null);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = mesh.post("/v1/chat/completions", BODY.replace("N",
          String.valueOf(i)));
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
      ids.add(r.headers().firstValue("X-Request-Id").orElseThrow());
    }
    JsonObject row = awaitRow("structured", 10);
    assertEquals("local/llama3.1:8b", row.getString("primary"));
    assertEquals("hosted/gpt-4o-mini", row.getString("shadow"));
    assertEquals(10, row.getLong("pairs"));
    assertEquals(10, row.getLong("scored"));
    assertEquals(0.7, row.getDouble("exactMatch"), 1e-9, row.encode());
    assertEquals(0.7, row.getDouble("agreement"), 1e-9, row.encode());
    assertEquals(10, row.getLong("jsonPairs"));
    assertEquals(0.7, row.getDouble("jsonValid"), 1e-9);
    assertEquals(0.7, row.getDouble("schemaAgreement"), 1e-9);
    assertNull(row.getValue("toolAgreement"), "no tool calls, no tool figure");
    JsonArray tenths = row.getJsonArray("agreementTenths");
    assertEquals(3, tenths.getLong(0));
    assertEquals(7, tenths.getLong(9));
    // Latency per arm: the slow three put the shadow's p95 above 400 ms (bucket bounds).
    assertTrue(row.getJsonObject("shadowArm").getLong("p95Ms") >= 500, row.encode());
    assertEquals(0.0, row.getJsonObject("primaryArm").getDouble("fallbackRate"));
    assertTrue(row.getJsonObject("shadowArm").getLong("completionTokens") > 0);

    // Feedback from the client that asked, on two of its requests.
    HttpResponse<String> up = mesh.post("/v1/feedback", "{\"request_id\":\"" + ids.get(0)
        + "\",\"thumbs\":\"up\",\"label\":\"correct\"}");
    assertEquals(200, up.statusCode(), up.body());
    assertEquals("structured", new JsonObject(up.body()).getString("rule"));
    HttpResponse<String> low = mesh.post("/v1/feedback", "{\"request_id\":\"" + ids.get(1)
        + "\",\"score\":0.25}");
    assertEquals(200, low.statusCode(), low.body());
    // A client's mistakes are 400s; an id it never got is a 404.
    assertEquals(400, mesh.post("/v1/feedback", "{\"request_id\":\"" + ids.get(2)
        + "\",\"score\":7}").statusCode());
    assertEquals(400, mesh.post("/v1/feedback", "{\"request_id\":\"" + ids.get(2)
        + "\",\"thumbs\":\"up\",\"label\":\"Not A Label\"}").statusCode());
    assertEquals(404, mesh.post("/v1/feedback",
        "{\"request_id\":\"nosuchrequest\",\"thumbs\":\"up\"}").statusCode());
    JsonObject fb = report("?rule=structured").getJsonArray("rows").getJsonObject(0)
        .getJsonObject("feedback");
    assertEquals(2, fb.getLong("count"), fb.encode());
    // docs/compare.md shows this report.
    System.out.println("compare report: " + report("?rule=structured").encode());
    assertEquals(0.625, fb.getDouble("meanScore"), 1e-9);
    assertEquals(1, fb.getLong("up"));
    assertEquals(1, fb.getLong("down"));

    HttpResponse<String> csv = mesh.admin("GET", "/admin/compare?rule=structured&format=csv",
        null);
    assertEquals(200, csv.statusCode(), csv.body());
    assertTrue(csv.headers().firstValue("Content-Type").orElseThrow().startsWith("text/csv"));
    String[] lines = csv.body().split("\r\n");
    assertEquals(2, lines.length, csv.body());
    assertTrue(lines[0].startsWith("rule,primary,shadow,pairs,scored,agreement"), lines[0]);
    assertTrue(lines[1].startsWith("structured,local/llama3.1:8b,hosted/gpt-4o-mini,10,10,0.7,"),
        lines[1]);
    assertEquals(400, mesh.admin("GET", "/admin/compare?from=yesterday", null).statusCode());

    // A private request: its tier-2 shadow is dropped, so it leaves no pair and no trace there.
    HttpResponse<String> p = mesh.post("/v1/chat/completions",
        TestMesh.chat("CANARY-compare private", false), "X-TierMesh-Classification", "pii");
    assertEquals(200, p.statusCode(), p.body());
    // A public request after it: once its pair is in, the private one would be too.
    HttpResponse<String> pub = mesh.post("/v1/chat/completions", TestMesh.chat("public", false));
    assertEquals(200, pub.statusCode(), pub.body());
    awaitRow("structured", 11);
    assertEquals(0, report("?rule=private-data").getJsonArray("rows").size());
    assertEquals(0, mesh.hosted.log().count(e -> e.privacy().canary()));
  }
}
