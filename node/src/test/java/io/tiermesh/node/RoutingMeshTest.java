package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rule engine behind the real gateway and router, with the default rules and simulated
 * backends on tiers 1–3: the explain API, hint validation, the fallback chain, and privacy under
 * a seeded random mix of hints, model names and outages.
 */
class RoutingMeshTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @BeforeEach
  void reset() {
    mesh.resetSimulators();
  }

  static Stream<Arguments> defaultRules() {
    return Stream.of(
        // rule name, route reason, serving tier, headers
        Arguments.of("private-data", "private-data", 1,
            new String[] {"X-TierMesh-Classification", "hipaa", "X-TierMesh-Quality", "high"}),
        Arguments.of("embedding", "embedding", 1, new String[] {"X-TierMesh-Task", "embedding"}),
        // Rule 3: the budget of the chosen tier (3) is out: the next lower tier serves.
        Arguments.of("critical-high", "budget-fallback", 2,
            new String[] {"X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high",
                "X-TierMesh-Assume-Exhausted-Tiers", "3"}),
        Arguments.of("critical-high", "critical-high", 3,
            new String[] {"X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high"}),
        Arguments.of("quality-high", "quality-high", 2,
            new String[] {"X-TierMesh-Batch-Size", "11"}),
        Arguments.of("default", "default", 1, new String[] {}));
  }

  @ParameterizedTest
  @MethodSource("defaultRules")
  void explainNamesTheRuleTheReasonAndWhyEarlierRulesDidNotMatch(String rule, String reason,
      int tier, String[] headers) throws Exception {
    HttpResponse<String> r = mesh.adminPost("/admin/route/explain", TestMesh.chat("Hello", false),
        headers);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject x = new JsonObject(r.body());
    assertEquals(rule, x.getString("rule"), r.body());
    assertEquals(reason, x.getString("reason"), r.body());
    JsonArray chain = x.getJsonArray("chain");
    assertEquals(tier, chain.getJsonObject(0).getInteger("tier"), r.body());
    assertEquals(reason, chain.getJsonObject(0).getString("reason"));
    assertNull(x.getValue("refusal"));
    assertEquals(12, x.getString("rulesVersion").length());
    assertEquals("bundled:default-rules.yaml", x.getString("rulesSource"));
    assertEquals(mesh.node.meshNode().nodeId(), x.getString("routerNode"));
    assertEquals("hello".length() / 4, Integer.parseInt(
        x.getJsonObject("facts").getString("estimatedPromptTokens")));
    JsonArray checks = x.getJsonArray("checks");
    JsonObject last = checks.getJsonObject(checks.size() - 1);
    assertEquals(rule, last.getString("rule"));
    assertTrue(last.getBoolean("matched"));
    for (int i = 0; i < checks.size() - 1; i++) {
      JsonObject earlier = checks.getJsonObject(i);
      assertFalse(earlier.getBoolean("matched"));
      assertFalse(earlier.getString("why").isBlank(), r.body());
    }
    assertEquals(x.getBoolean("localOnly"), "private-data".equals(rule));
    // A dry run: no backend saw anything.
    for (UpstreamSimulator s : List.of(mesh.local, mesh.hosted, mesh.premium)) {
      assertEquals(0, s.log().calls());
    }
  }

  @Test
  void explainShowsRefusalOfAForcedCloudModelWithPrivateData() throws Exception {
    HttpResponse<String> r = mesh.adminPost("/admin/route/explain", "{\"model\":\"premium/gpt-4o\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "X-TierMesh-Classification", "pii");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject x = new JsonObject(r.body());
    assertEquals("policy_violation", x.getJsonObject("refusal").getString("code"));
    assertEquals(403, x.getJsonObject("refusal").getInteger("status"));
    assertTrue(x.getJsonArray("chain").isEmpty());
  }

  @Test
  void refusalsAndExhaustedChainsStillSayWhyTheyWereRouted() throws Exception {
    HttpResponse<String> forced = mesh.post("/v1/chat/completions", "{\"model\":"
        + "\"premium/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "X-TierMesh-Classification", "pii");
    assertEquals(403, forced.statusCode(), forced.body());
    assertEquals("policy_violation",
        forced.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
    mesh.local.faults().install(Fault.status(503));
    HttpResponse<String> down = mesh.post("/v1/chat/completions",
        TestMesh.chat("CANARY-1", false), "X-TierMesh-Classification", "pii");
    assertEquals(503, down.statusCode(), down.body());
    assertEquals("private-data",
        down.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
    assertEquals(0, mesh.hosted.log().calls() + mesh.premium.log().calls());
  }

  @Test
  void adminApiWantsTheAdminKey() throws Exception {
    String body = TestMesh.chat("x", false);
    assertEquals(401, mesh.post("/admin/route/explain", body).statusCode(),
        "the client key is not the admin key");
    assertEquals(401, mesh.adminPost("/admin/config/reload", "{}", "Authorization",
        "Bearer " + TestMesh.ADMIN_KEY + "x").statusCode());
    HttpResponse<String> noFile = mesh.adminPost("/admin/config/reload", "");
    assertEquals(400, noFile.statusCode(), noFile.body());
    assertTrue(noFile.body().contains("router.rulesFile"), noFile.body());
  }

  @Test
  void invalidHintIsRefusedNamingTheHeaderAndTheEngineVocabulary() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "X-TierMesh-Task", "reasoning");
    assertEquals(400, r.statusCode());
    String msg = new JsonObject(r.body()).getJsonObject("error").getString("message");
    assertTrue(msg.contains("X-TierMesh-Task"), msg);
    assertTrue(msg.contains("research") && msg.contains("translation"), msg);
  }

  @Test
  void premiumDownFallsToHostedThenBothDownToLocal() throws Exception {
    String[] critical = {"X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high"};
    mesh.premium.faults().install(Fault.status(503));
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        critical);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("2", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals("fallback", r.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
    // Providers retry a 5xx themselves before the chain moves on; every backend execution is
    // reported, whatever the retry budget allowed.
    assertEquals(String.valueOf(executions(r)),
        r.headers().firstValue("X-TierMesh-Attempts").orElseThrow());
    assertTrue(executions(r, mesh.premium) >= 1 && executions(r, mesh.hosted) == 1);

    mesh.hosted.faults().install(Fault.status(500));
    r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false), critical);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals(String.valueOf(executions(r)),
        r.headers().firstValue("X-TierMesh-Attempts").orElseThrow());
    assertTrue(executions(r, mesh.premium) >= 1 && executions(r, mesh.hosted) >= 1);
    assertEquals(1, mesh.local.log().count(e -> e.outcome().equals(RequestLog.OK)));
  }

  private static long executions(HttpResponse<String> r,
      io.tiermesh.simulator.UpstreamSimulator sim) {
    String id = r.headers().firstValue("X-Request-Id").orElseThrow();
    return sim.log().count(e -> "POST".equals(e.method()) && id.equals(e.requestId()));
  }

  private static long executions(HttpResponse<String> r) {
    return executions(r, mesh.premium) + executions(r, mesh.hosted) + executions(r, mesh.local);
  }

  /**
   * Reliability invariant 13: a seeded random walk over classifications, hints, model names and
   * backend outages. Private requests carry a canary; the simulators of tiers 2 and 3 must never
   * receive one, and a private request whose local tier is down gets an error, never a cloud
   * call. Public requests carry no canary and must reach the cloud tiers, so the check cannot
   * pass by routing nothing there.
   */
  @Test
  void privateRequestsNeverReachACloudBackend() throws Exception {
    Random rnd = new Random(20261121L);
    List<String> classes = List.of("pii", "hipaa", "confidential", "public", "internal");
    List<String> models = List.of("auto", "tier-1", "tier-2", "tier-3", "premium/gpt-4o",
        "hosted/gpt-4o-mini", "local/llama3.1:8b", "gpt-4o", "hosted", "premium");
    List<String> qualities = List.of("low", "standard", "high", "critical");
    List<String> complexities = List.of("low", "medium", "high");
    List<String> tasks = List.of("chat", "code", "docs", "embedding", "research");
    List<UpstreamSimulator> sims = List.of(mesh.local, mesh.hosted, mesh.premium);
    int privateServed = 0;
    int privateRefused = 0;
    for (int i = 0; i < 300; i++) {
      boolean[] down = new boolean[3];
      for (int s = 0; s < 3; s++) {
        sims.get(s).faults().clear();
        down[s] = rnd.nextInt(4) == 0;
        if (down[s]) {
          sims.get(s).faults().install(Fault.status(List.of(500, 502, 503).get(rnd.nextInt(3))));
        }
      }
      String cls = classes.get(rnd.nextInt(classes.size()));
      boolean priv = List.of("pii", "hipaa", "confidential").contains(cls);
      String model = models.get(rnd.nextInt(models.size()));
      boolean stream = rnd.nextInt(4) == 0;
      List<String> h = new ArrayList<>(List.of("X-TierMesh-Classification", cls));
      if (rnd.nextBoolean()) {
        h.addAll(List.of("X-TierMesh-Quality", qualities.get(rnd.nextInt(4))));
      }
      if (rnd.nextBoolean()) {
        h.addAll(List.of("X-TierMesh-Complexity", complexities.get(rnd.nextInt(3))));
      }
      if (rnd.nextInt(3) == 0) {
        h.addAll(List.of("X-TierMesh-Task", tasks.get(rnd.nextInt(tasks.size()))));
      }
      if (rnd.nextInt(4) == 0) {
        h.addAll(List.of("X-TierMesh-Batch-Size", String.valueOf(1 + rnd.nextInt(40))));
      }
      String text = (priv ? "CANARY-" + i + " patient record " : "public question ") + i;
      HttpResponse<String> r = mesh.post("/v1/chat/completions", "{\"model\":\"" + model
          + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
          + text + "\"}]}", h.toArray(String[]::new));
      String ctx = "request " + i + " " + cls + " " + model + " down=" + down[0] + "," + down[1]
          + "," + down[2] + ": " + r.statusCode() + " " + r.body();
      if (!priv) {
        continue;
      }
      if (r.statusCode() == 200 && !r.body().contains("\"error\"")) {
        assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElse("?"), ctx);
        assertFalse(down[0], ctx);
        privateServed++;
      } else {
        assertTrue(List.of(200, 403, 503).contains(r.statusCode()), ctx);
        privateRefused++;
      }
      if (down[0] && !stream) {
        assertTrue(r.statusCode() == 503 || r.statusCode() == 403, ctx);
      }
    }
    for (UpstreamSimulator cloud : List.of(mesh.hosted, mesh.premium)) {
      assertEquals(0, cloud.log().count(e -> e.privacy().canary()),
          "a private request reached " + cloud.port());
      assertTrue(cloud.log().count(e -> !e.privacy().canary()) > 0,
          "public traffic should reach the cloud tiers too");
    }
    assertTrue(mesh.local.log().count(e -> e.privacy().canary()) > 0);
    assertTrue(privateServed > 20 && privateRefused > 20,
        "served " + privateServed + ", refused " + privateRefused);
  }
}
