package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.OrphanedOutcome;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.Usage;
import io.tiermesh.gateway.StoredAnswers;
import io.tiermesh.simulator.Fault;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Idempotent replays and the response cache through a real mesh with Redis. */
class AnswerReuseEndToEndTest {

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

  private static String key() {
    return "idem-" + UUID.randomUUID();
  }

  private static String content(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content");
  }

  @Test
  void aRetryWithTheSameKeyGetsTheStoredAnswerWithoutASecondExecution() throws Exception {
    String k = key();
    String body = TestMesh.chat("idempotent please", false);
    HttpResponse<String> first = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    assertEquals(200, first.statusCode(), first.body());
    assertTrue(first.headers().firstValue("X-TierMesh-Idempotent-Replay").isEmpty());
    HttpResponse<String> again = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    assertEquals(200, again.statusCode(), again.body());
    assertEquals("true", again.headers().firstValue("X-TierMesh-Idempotent-Replay").orElseThrow());
    assertEquals(content(first), content(again));
    assertEquals(new JsonObject(first.body()).getJsonObject("usage"),
        new JsonObject(again.body()).getJsonObject("usage"));
    assertEquals(1, mesh.local.log().calls(), "executed once");

    HttpResponse<String> other = mesh.post("/v1/chat/completions",
        TestMesh.chat("something else", false), "Idempotency-Key", k);
    assertEquals(422, other.statusCode());
    assertEquals("idempotency_key_reused",
        new JsonObject(other.body()).getJsonObject("error").getString("code"));
  }

  @Test
  void aReplayWithChangedRoutingHintsIsRefusedNotServedFromTheCloudAnswer() throws Exception {
    String k = key();
    String body = TestMesh.chat("route me high", false);
    HttpResponse<String> first = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k,
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high");
    assertEquals("3", first.headers().firstValue("X-TierMesh-Tier").orElseThrow(), first.body());
    // The same body, now labelled private: the stored tier-3 answer must not come back.
    HttpResponse<String> pii = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k,
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high",
        "X-TierMesh-Classification", "pii");
    assertEquals(422, pii.statusCode(), pii.body());
    assertEquals("idempotency_key_reused",
        new JsonObject(pii.body()).getJsonObject("error").getString("code"));
    assertTrue(pii.headers().firstValue("X-TierMesh-Idempotent-Replay").isEmpty());
    HttpResponse<String> lower = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k,
        "X-TierMesh-Quality", "high", "X-TierMesh-Complexity", "high");
    assertEquals(422, lower.statusCode(), lower.body());
    HttpResponse<String> same = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k,
        "X-TierMesh-Complexity", "high", "X-TierMesh-Quality", "critical");
    assertEquals("true", same.headers().firstValue("X-TierMesh-Idempotent-Replay").orElseThrow());
    assertEquals(1, mesh.premium.log().calls(), "executed once");
  }

  @Test
  void aConcurrentDuplicateGets409() throws Exception {
    mesh.local.faults().install(Fault.latency(1_500));
    String k = key();
    String body = TestMesh.chat("slow one", false);
    CompletableFuture<HttpResponse<String>> first = mesh.http.sendAsync(HttpRequest.newBuilder(
            URI.create(mesh.url("/v1/chat/completions"))).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TestMesh.KEY).header("Idempotency-Key", k)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    long deadline = System.currentTimeMillis() + 10_000;
    while ((mesh.local.log().calls() == 0) && System.currentTimeMillis() < deadline) {
      Thread.onSpinWait(); // until the first request is executing upstream
    }
    HttpResponse<String> dup = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    assertEquals(409, dup.statusCode(), dup.body());
    assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
    assertEquals(1, mesh.local.log().calls());
  }

  @Test
  void aStreamIsStoredWholeAndReplayedAsAStream() throws Exception {
    String k = key();
    String body = TestMesh.chat("stream me once", true);
    HttpResponse<String> first = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    HttpResponse<String> again = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    assertEquals("true", again.headers().firstValue("X-TierMesh-Idempotent-Replay").orElseThrow());
    assertEquals("text/event-stream", again.headers().firstValue("Content-Type").orElseThrow());
    List<String> a = MeshEndToEndTest.sseData(first.body());
    List<String> b = MeshEndToEndTest.sseData(again.body());
    assertEquals("[DONE]", b.get(b.size() - 1));
    assertEquals(MeshEndToEndTest.streamedText(a), MeshEndToEndTest.streamedText(b));
    assertEquals(1, mesh.local.log().calls());
  }

  @Test
  void aFailedRequestReleasesItsKeySoARetryRuns() throws Exception {
    mesh.local.faults().install(Fault.status(500));
    mesh.hosted.faults().install(Fault.status(500));
    mesh.premium.faults().install(Fault.status(500));
    String k = key();
    String body = TestMesh.chat("fails first", false);
    assertEquals(503, mesh.post("/v1/chat/completions", body, "Idempotency-Key", k).statusCode());
    mesh.resetSimulators();
    HttpResponse<String> retry = mesh.post("/v1/chat/completions", body, "Idempotency-Key", k);
    assertEquals(200, retry.statusCode(), retry.body());
    assertTrue(retry.headers().firstValue("X-TierMesh-Idempotent-Replay").isEmpty());
  }

  /**
   * A request whose gateway died while it ran: the router hands its outcome to a surviving
   * gateway (here: the bus message the router sends), which stores a success under the dead
   * gateway's claim, so the client's retry is a replay; a failure releases the claim, so the
   * retry runs.
   */
  @Test
  void anOutcomeHandedOverForADeadGatewayAnswersTheRetryOrReleasesTheKey() throws Exception {
    String tenant = mesh.post("/v1/chat/completions", TestMesh.chat("whose tenant", false))
        .headers().firstValue("X-TierMesh-Tenant").orElseThrow();
    mesh.resetSimulators();
    Redis redis = Redis.createClient(mesh.simVertx, mesh.redis.url());
    try {
      StoredAnswers store = new StoredAnswers(redis);
      String body = TestMesh.chat("answered while its gateway was gone", false);
      String body2 = TestMesh.chat("failed while its gateway was gone", false);
      String body3 = TestMesh.chat("never reached a router", false);
      String hash = requestHashOf(redis, tenant, body);
      String hash2 = requestHashOf(redis, tenant, body2);
      String hash3 = requestHashOf(redis, tenant, body3);
      mesh.resetSimulators();
      RouteInfo route = new RouteInfo(1, "local", "llama3.1:8b", "default");
      Usage usage = new Usage(7, 9, false);

      String k = key();
      // Another gateway claimed the key and died while the request ran.
      assertEquals(StoredAnswers.Claim.NEW, store.begin(tenant, k, hash, 60_000)
          .await(5, TimeUnit.SECONDS).claim());
      assertEquals(409, mesh.post("/v1/chat/completions", body, "Idempotency-Key", k)
          .statusCode(), "still in progress");
      RouteOutcome done = new RouteOutcome("r-dead-gw", route, new ChatResponse("c-1", 1,
          "llama3.1:8b", ChatMessage.of("assistant", "the first one's answer"), "stop", usage),
          usage, 0, List.of(), null);
      Endpoints.GATEWAY_ORPHANED_OUTCOME.request(mesh.node.vertx().eventBus(),
          new OrphanedOutcome(StoredAnswers.claim(tenant, k, hash), done), 30_000)
          .await(5, TimeUnit.SECONDS);
      HttpResponse<String> retry = mesh.post("/v1/chat/completions", body, "Idempotency-Key",
          k);
      assertEquals(200, retry.statusCode(), retry.body());
      assertEquals("true", retry.headers().firstValue("X-TierMesh-Idempotent-Replay")
          .orElseThrow());
      assertEquals("the first one's answer", content(retry));
      assertEquals(7, new JsonObject(retry.body()).getJsonObject("usage")
          .getInteger("prompt_tokens"));
      assertEquals(0, mesh.local.log().calls() + mesh.hosted.log().calls()
          + mesh.premium.log().calls(), "the retry ran nothing");

      String k2 = key();
      store.begin(tenant, k2, hash2, 60_000).await(5, TimeUnit.SECONDS);
      RouteOutcome failed = new RouteOutcome("r-dead-gw-2", null, null, null, 0, List.of(),
          new Failure(FailureCode.NO_PROVIDER_AVAILABLE, "every provider of the chain failed"));
      Endpoints.GATEWAY_ORPHANED_OUTCOME.request(mesh.node.vertx().eventBus(),
          new OrphanedOutcome(StoredAnswers.claim(tenant, k2, hash2), failed), 30_000)
          .await(5, TimeUnit.SECONDS);
      HttpResponse<String> rerun = mesh.post("/v1/chat/completions", body2, "Idempotency-Key",
          k2);
      assertEquals(200, rerun.statusCode(), rerun.body());
      assertTrue(rerun.headers().firstValue("X-TierMesh-Idempotent-Replay").isEmpty());
      assertEquals(1, mesh.local.log().calls(), "the released key ran once more");

      // A gateway that died before handing its request to a router: nothing ran and nobody
      // hands anything over; the claim expires and the retry runs (once).
      String k3 = key();
      store.begin(tenant, k3, hash3, 3_000).await(5, TimeUnit.SECONDS);
      HttpResponse<String> late = mesh.post("/v1/chat/completions", body3, "Idempotency-Key", k3);
      assertEquals(409, late.statusCode(), "claimed until it expires");
      long until = System.currentTimeMillis() + 10_000;
      while (late.statusCode() == 409 && System.currentTimeMillis() < until) {
        mesh.simVertx.timer(200, TimeUnit.MILLISECONDS).await();
        late = mesh.post("/v1/chat/completions", body3, "Idempotency-Key", k3);
      }
      assertEquals(200, late.statusCode(), late.body());
      assertTrue(late.headers().firstValue("X-TierMesh-Idempotent-Replay").isEmpty());
      assertEquals(2, mesh.local.log().calls(), "ran once after the claim expired");
    } finally {
      redis.close();
    }
  }

  /**
   * The request hash a gateway binds a key to for this body (body, applied hints, policy), as
   * the gateway itself stored it for a request sent with a throwaway key.
   */
  private static String requestHashOf(Redis redis, String tenant, String body)
      throws Exception {
    String probe = key();
    assertEquals(200, mesh.post("/v1/chat/completions", body, "Idempotency-Key", probe)
        .statusCode());
    return redis.send(Request.cmd(Command.HGET).arg(StoredAnswers.claim(tenant, probe, "")
        .storeKey()).arg("request")).await(5, TimeUnit.SECONDS).toString();
  }

  private static long tier1LedgerCalls() throws Exception {
    io.vertx.core.json.JsonObject report = new io.vertx.core.json.JsonObject(
        mesh.admin("GET", "/admin/usage?group=tier", null).body());
    return report.getJsonArray("rows").stream()
        .map(io.vertx.core.json.JsonObject.class::cast)
        .filter(r -> "1".equals(r.getString("key")))
        .mapToLong(r -> r.getLong("calls")).sum();
  }

  @Test
  void deterministicRequestsAreCachedPerTenantAndClassification() throws Exception {
    String body = "{\"model\":\"auto\",\"temperature\":0,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"cache " + UUID.randomUUID() + "\"}]}";
    long ledgerBefore = tier1LedgerCalls();
    HttpResponse<String> miss = mesh.post("/v1/chat/completions", body);
    assertEquals("miss", miss.headers().firstValue("X-TierMesh-Cache").orElseThrow());
    HttpResponse<String> hit = mesh.post("/v1/chat/completions", body);
    assertEquals("hit", hit.headers().firstValue("X-TierMesh-Cache").orElseThrow());
    assertEquals(content(miss), content(hit));
    assertEquals(1, mesh.local.log().calls());
    // The hit is in the ledger at $0 next to the call that filled the cache.
    long deadline = System.currentTimeMillis() + 5_000;
    while (tier1LedgerCalls() < ledgerBefore + 2 && System.currentTimeMillis() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(ledgerBefore + 2, tier1LedgerCalls(), "the miss and the hit are recorded");

    HttpResponse<String> bypass = mesh.post("/v1/chat/completions", body,
        "Cache-Control", "no-cache");
    assertTrue(bypass.headers().firstValue("X-TierMesh-Cache").isEmpty());
    assertEquals(2, mesh.local.log().calls());

    HttpResponse<String> pii = mesh.post("/v1/chat/completions", body,
        "X-TierMesh-Classification", "pii");
    assertEquals("miss", pii.headers().firstValue("X-TierMesh-Cache").orElseThrow(),
        "a private request has its own partition");

    JsonObject created = new JsonObject(mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"default\"}").body());
    assertEquals(200, mesh.admin("PUT", "/admin/tenants/other", "{}").statusCode());
    String otherKey = new JsonObject(mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"other\"}").body()).getString("key");
    HttpResponse<String> otherTenant = mesh.post("/v1/chat/completions", body,
        "Authorization", "Bearer " + otherKey);
    assertEquals("miss", otherTenant.headers().firstValue("X-TierMesh-Cache").orElseThrow(),
        "no cross-tenant hits");
    HttpResponse<String> sameTenantOtherKey = mesh.post("/v1/chat/completions", body,
        "Authorization", "Bearer " + created.getString("key"));
    assertEquals("hit", sameTenantOtherKey.headers().firstValue("X-TierMesh-Cache").orElseThrow());

    HttpResponse<String> sampled = mesh.post("/v1/chat/completions",
        TestMesh.chat("not deterministic", false));
    assertTrue(sampled.headers().firstValue("X-TierMesh-Cache").isEmpty());
    HttpResponse<String> optIn = mesh.post("/v1/chat/completions",
        TestMesh.chat("opt in " + UUID.randomUUID(), true), "X-TierMesh-Cache", "use");
    assertEquals("miss", optIn.headers().firstValue("X-TierMesh-Cache").orElseThrow());
    assertFalse(MeshEndToEndTest.sseData(optIn.body()).isEmpty());
  }
}
