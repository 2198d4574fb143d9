package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The request path through every role in one node, against simulated backends and Redis. */
class MeshEndToEndTest {

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

  /** The data lines of an SSE body, in order. */
  static List<String> sseData(String body) {
    List<String> out = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: ")) {
        out.add(line.substring(6));
      }
    }
    return out;
  }

  static String streamedText(List<String> data) {
    StringBuilder sb = new StringBuilder();
    for (String d : data) {
      if (!d.equals("[DONE]")) {
        JsonArray choices = new JsonObject(d).getJsonArray("choices");
        if (choices != null && !choices.isEmpty()) {
          sb.append(choices.getJsonObject(0).getJsonObject("delta").getString("content", ""));
        }
      }
    }
    return sb.toString();
  }

  @Test
  void plainRequestIsServedByTheLocalTierWithRouteHeaders() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("Hello", false));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals("local", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    assertEquals("default", r.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
    JsonObject body = new JsonObject(r.body());
    assertEquals("chat.completion", body.getString("object"));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertFalse(choice.getJsonObject("message").getString("content").isBlank());
    assertEquals("stop", choice.getString("finish_reason"));
    JsonObject usage = body.getJsonObject("usage");
    assertTrue(usage.getInteger("completion_tokens") > 0);
    assertEquals(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"),
        usage.getInteger("total_tokens"));
    assertEquals(1, mesh.local.log().count(e -> e.requestId() != null
        && r.headers().firstValue("X-Request-Id").orElseThrow().equals(e.requestId())));
  }

  @Test
  void streamCarriesTheSameTextAsTheWholeAnswerAndEndsWithDone() throws Exception {
    HttpResponse<String> whole = mesh.post("/v1/chat/completions",
        TestMesh.chat("Determinism check", false));
    HttpResponse<String> streamed = mesh.post("/v1/chat/completions",
        TestMesh.chat("Determinism check", true));
    assertEquals(200, streamed.statusCode(), streamed.body());
    assertEquals("text/event-stream",
        streamed.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("1", streamed.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    List<String> data = sseData(streamed.body());
    assertEquals("[DONE]", data.get(data.size() - 1));
    JsonObject last = new JsonObject(data.get(data.size() - 2));
    assertEquals("stop", last.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
    assertNotNull(last.getJsonObject("usage"), "usage rides on the finishing chunk");
    String wholeText = new JsonObject(whole.body()).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content");
    assertEquals(wholeText, streamedText(data));
  }

  @Test
  void includeUsageGivesOpenAisSeparateUsageChunk() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions", "{\"model\":\"auto\","
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    List<String> data = sseData(r.body());
    JsonObject usageChunk = new JsonObject(data.get(data.size() - 2));
    assertTrue(usageChunk.getJsonArray("choices").isEmpty());
    assertTrue(usageChunk.getJsonObject("usage").getInteger("total_tokens") > 0);
  }

  @Test
  void qualityHintRoutesToTheHostedTier() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "X-TierMesh-Quality", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("2", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals("gpt-4o-mini", new JsonObject(r.body()).getString("model"));
    assertEquals(1, mesh.hosted.log().calls());
  }

  @Test
  void metadataHintsWorkLikeHeaders() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions", "{\"model\":\"auto\","
        + "\"metadata\":{\"quality\":\"critical\",\"complexity\":\"high\"},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals("3", r.headers().firstValue("X-TierMesh-Tier").orElseThrow(), r.body());
    assertEquals("critical-high",
        r.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
  }

  @Test
  void failingHostedTierFallsBackToLocal() throws Exception {
    mesh.hosted.faults().install(Fault.status(500));
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", true),
        "X-TierMesh-Quality", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals("fallback", r.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow());
    // Every request that reached a backend is reported: the hosted tier's own retries too.
    long hostedTries = mesh.hosted.log().count(e -> e.outcome().equals(RequestLog.error(500)));
    assertTrue(hostedTries >= 1);
    assertEquals(String.valueOf(hostedTries + 1),
        r.headers().firstValue("X-TierMesh-Attempts").orElseThrow());
    List<String> data = sseData(r.body());
    assertEquals("[DONE]", data.get(data.size() - 1));
  }

  @Test
  void streamCutAfterTheFirstTokensEndsWithAnErrorEventAndNoRetry() throws Exception {
    mesh.local.faults().install(Fault.dropAfterChunks(3));
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", true));
    assertEquals(200, r.statusCode());
    List<String> data = sseData(r.body());
    assertFalse(data.contains("[DONE]"), "a cut stream must not look complete");
    JsonObject last = new JsonObject(data.get(data.size() - 1));
    assertEquals("stream_interrupted", last.getJsonObject("error").getString("code"));
    assertEquals(3, data.size() - 1, "exactly the three delivered chunks, nothing duplicated");
    assertEquals(1, mesh.local.log().calls(), "no retry after the first byte");
  }

  @Test
  void privateDataForcedOntoACloudModelIsRefusedWithoutCallingIt() throws Exception {
    HttpResponse<String> r = mesh.post("/v1/chat/completions",
        "{\"model\":\"premium/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "X-TierMesh-Classification", "pii");
    assertEquals(403, r.statusCode());
    assertEquals("policy_violation",
        new JsonObject(r.body()).getJsonObject("error").getString("code"));
    assertEquals(0, mesh.premium.log().calls());
  }

  @Test
  void privateDataStaysLocalEvenWhenLocalFails() throws Exception {
    mesh.local.faults().install(Fault.status(503));
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "X-TierMesh-Classification", "hipaa", "X-TierMesh-Quality", "critical",
        "X-TierMesh-Complexity", "high");
    assertEquals(503, r.statusCode(), r.body());
    assertEquals(0, mesh.hosted.log().calls() + mesh.premium.log().calls());
  }

  @Test
  void everyTierDownListsWhatWasTried() throws Exception {
    mesh.local.faults().install(Fault.status(500));
    mesh.hosted.faults().install(Fault.status(503));
    mesh.premium.faults().install(Fault.status(502));
    HttpResponse<String> r = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high");
    assertEquals(503, r.statusCode());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("no_provider_available", error.getString("code"));
    JsonArray attempts = error.getJsonArray("attempts");
    assertEquals(List.of("premium", "hosted", "local"),
        attempts.stream().map(a -> ((JsonObject) a).getString("provider")).toList());
    assertTrue(r.headers().firstValue("Retry-After").isEmpty(),
        "backend errors name no time to come back");
  }

  @Test
  void aRequestRefusedByAnOpenBreakerSaysWhenToComeBack() throws Exception {
    mesh.local.faults().install(Fault.status(500));
    String body = TestMesh.chat("breaker", false);
    HttpResponse<String> r = null;
    // Private data has only the local tier: its failures open the local breaker (50 faults).
    for (int i = 0; i < 200; i++) {
      r = mesh.post("/v1/chat/completions", body, "X-TierMesh-Classification", "pii");
      if (r.body().contains("circuit_open")) {
        break;
      }
    }
    assertEquals(503, r.statusCode(), r.body());
    assertTrue(r.body().contains("circuit_open"), r.body());
    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null),
        "the breaker lets a trial call through after resetMs (1000 ms here)");
    mesh.local.faults().clear();
    // Leave the breaker closed for the other tests: the trial call after resetMs closes it.
    long deadline = System.currentTimeMillis() + 10_000;
    while (mesh.post("/v1/chat/completions", body, "X-TierMesh-Classification", "pii")
        .statusCode() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "the local breaker closes again");
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
  }

  @Test
  void clientErrorsUseTheOpenAiErrorShape() throws Exception {
    assertError(mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "Authorization", "Bearer wrong"), 401, "invalid_api_key");
    assertError(mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "Authorization", "Bearer " + TestMesh.KEY.substring(0, TestMesh.KEY.length() - 1)),
        401, "invalid_api_key");
    HttpResponse<String> badHint = mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "X-TierMesh-Classification", "secret-ish");
    assertError(badHint, 400, "bad_request");
    assertTrue(badHint.body().contains("X-TierMesh-Classification"));
    assertError(mesh.post("/v1/chat/completions", "{not json"), 400, "bad_request");
    assertError(mesh.post("/v1/chat/completions", "{\"model\":\"auto\",\"messages\":[]}"), 400,
        "bad_request");
    assertError(mesh.post("/v1/chat/completions", TestMesh.chat("x".repeat(70_000), false)),
        413, "payload_too_large");
    assertError(mesh.post("/v1/nothing-here", "{}"), 404, "not_found");
    assertEquals(0, mesh.local.log().calls());
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals(code, error.getString("code"));
    assertNotNull(error.getString("message"));
    assertNotNull(error.getString("type"));
  }

  @Test
  void modelsListsAliasesAndProviderModels() throws Exception {
    HttpResponse<String> r = mesh.get("/v1/models");
    List<String> ids = new JsonObject(r.body()).getJsonArray("data").stream()
        .map(m -> ((JsonObject) m).getString("id")).toList();
    assertTrue(ids.containsAll(List.of("auto", "tier-1", "tier-2", "tier-3",
        "local/llama3.1:8b", "hosted/gpt-4o-mini", "premium/gpt-4o")), ids.toString());
    // The bundled rules' aliases, as the rules file writes them, with what each stands for.
    JsonObject claude = new JsonObject(r.body()).getJsonArray("data").stream()
        .map(JsonObject.class::cast).filter(m -> "claude-*".equals(m.getString("id")))
        .findFirst().orElseThrow(() -> new AssertionError(ids.toString()));
    assertEquals("auto", claude.getString("alias_for"));
    assertEquals("model", claude.getString("object"));
    assertTrue(ids.indexOf("claude-*") < ids.indexOf("local/llama3.1:8b"), ids.toString());
  }

  @Test
  void oneModelIsRetrievedByIdInOpenAisShape() throws Exception {
    JsonObject listed = new JsonObject(mesh.get("/v1/models").body()).getJsonArray("data")
        .stream().map(JsonObject.class::cast)
        .filter(m -> "local/llama3.1:8b".equals(m.getString("id"))).findFirst().orElseThrow();
    // SDKs percent-encode the id; a plain slash works too.
    for (String path : List.of("/v1/models/local%2Fllama3.1%3A8b", "/v1/models/local/llama3.1:8b")) {
      HttpResponse<String> r = mesh.get(path);
      assertEquals(200, r.statusCode(), path + " " + r.body());
      assertEquals(listed, new JsonObject(r.body()));
    }
    JsonObject auto = new JsonObject(mesh.get("/v1/models/auto").body());
    assertEquals("model", auto.getString("object"));
    assertEquals("tiermesh", auto.getString("owned_by"));
    assertEquals("hosted", new JsonObject(mesh.get("/v1/models/gpt-4o-mini").body())
        .getString("owned_by"), "a bare model name a provider serves");

    HttpResponse<String> missing = mesh.get("/v1/models/no-such-model");
    assertEquals(404, missing.statusCode());
    JsonObject error = new JsonObject(missing.body()).getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("not_found", error.getString("code"));
    assertTrue(error.getString("message").contains("'no-such-model'"), error.encode());
    assertEquals(401, mesh.send("GET", "/v1/models/auto", null).statusCode());
  }

  @Test
  void readinessReportsRouterAndRedis() throws Exception {
    HttpResponse<String> live = mesh.get("/health/live");
    assertEquals(200, live.statusCode());
    HttpResponse<String> ready = mesh.get("/health/ready");
    assertEquals(200, ready.statusCode(), ready.body());
    JsonObject checks = new JsonObject(ready.body()).getJsonObject("checks");
    assertTrue(checks.getJsonObject("budget").getBoolean("ready"));
    assertTrue(checks.getJsonObject("router").getBoolean("ready"));
  }
}
