package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** API keys, tenants and the admin API through a real gateway with Redis. */
class AccessEndToEndTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static JsonObject createKey(String tenant, String limits) throws Exception {
    HttpResponse<String> r = mesh.admin("POST", "/admin/keys", "{\"tenant\":\"" + tenant
        + "\",\"name\":\"ci\"" + (limits == null ? "" : ",\"limits\":" + limits) + "}");
    assertEquals(201, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static HttpResponse<String> chatWith(String key) throws Exception {
    return mesh.send("POST", "/v1/chat/completions", TestMesh.chat("hi", false),
        "Authorization", "Bearer " + key, "Content-Type", "application/json");
  }

  @Test
  void aTenantRecordsLocalOnlyPolicyKeepsItsTrafficOnTierOne() throws Exception {
    assertEquals(200, mesh.admin("PUT", "/admin/tenants/onprem",
        "{\"policy\":\"local_only\"}").statusCode());
    String key = createKey("onprem", null).getString("key");
    long paidBefore = mesh.hosted.log().calls() + mesh.premium.log().calls();
    HttpResponse<String> r = mesh.send("POST", "/v1/chat/completions",
        TestMesh.chat("critical work", false), "Authorization", "Bearer " + key,
        "Content-Type", "application/json", "X-TierMesh-Quality", "critical",
        "X-TierMesh-Complexity", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    assertEquals(paidBefore, mesh.hosted.log().calls() + mesh.premium.log().calls(),
        "no call left the local tier");
    // The bootstrap key's tenant has no stored policy: the same request goes to tier 3.
    HttpResponse<String> open = mesh.post("/v1/chat/completions",
        TestMesh.chat("critical work", false), "X-TierMesh-Quality", "critical",
        "X-TierMesh-Complexity", "high");
    assertEquals("3", open.headers().firstValue("X-TierMesh-Tier").orElseThrow(), open.body());
  }

  @Test
  void aTenantRecordsLocalOnlyPolicyAlsoKeepsItsEmbeddingsOnTierOne() throws Exception {
    assertEquals(200, mesh.admin("PUT", "/admin/tenants/onprem-embed",
        "{\"policy\":\"local_only\"}").statusCode());
    String key = createKey("onprem-embed", null).getString("key");
    String body = "{\"model\":\"tier-2\",\"input\":\"contract text\"}";
    long hostedBefore = mesh.hosted.log().count(e -> "/v1/embeddings".equals(e.path()));
    HttpResponse<String> r = mesh.send("POST", "/v1/embeddings", body,
        "Authorization", "Bearer " + key, "Content-Type", "application/json");
    assertEquals(hostedBefore, mesh.hosted.log().count(e -> "/v1/embeddings".equals(e.path())),
        "a local_only tenant's embedding never reaches tier 2: " + r.statusCode() + " "
            + r.body());
    assertEquals(403, r.statusCode(), r.body());
    assertTrue(r.body().contains("tenant 'onprem-embed' policy local_only"), r.body());
    // The bootstrap key's tenant has no stored policy: the same request reaches tier 2.
    mesh.post("/v1/embeddings", body);
    assertEquals(hostedBefore + 1,
        mesh.hosted.log().count(e -> "/v1/embeddings".equals(e.path())));
  }

  @Test
  void aTenantsDefaultClassificationAndDetectorsKeepItsPrivateTextOnTierOne() throws Exception {
    assertEquals(400, mesh.admin("PUT", "/admin/tenants/careful",
        "{\"detectors\":{\"emali\":\"upgrade\"}}").statusCode(), "a typo is refused");
    assertEquals(400, mesh.admin("PUT", "/admin/tenants/careful",
        "{\"defaultClassification\":\"secret\"}").statusCode());
    HttpResponse<String> put = mesh.admin("PUT", "/admin/tenants/careful",
        "{\"defaultClassification\":\"confidential\",\"detectors\":{\"email\":\"upgrade\","
            + "\"card\":\"refuse\",\"secret\":\"upgrade\"}}");
    assertEquals(200, put.statusCode(), put.body());
    JsonObject stored = new JsonObject(mesh.admin("GET", "/admin/tenants/careful", null).body());
    assertEquals("confidential", stored.getString("defaultClassification"));
    assertEquals("refuse", stored.getJsonObject("detectors").getString("card"));
    String key = createKey("careful", null).getString("key");
    long paidBefore = mesh.hosted.log().calls() + mesh.premium.log().calls();
    String[] high = {"X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high"};

    // Unlabelled: the tenant default (confidential) keeps it local.
    HttpResponse<String> unlabelled = mesh.send("POST", "/v1/chat/completions",
        TestMesh.chat("review this", false), concat(key, high));
    assertEquals("1", unlabelled.headers().firstValue("X-TierMesh-Tier").orElseThrow(),
        unlabelled.body());
    // Labelled public but holding an e-mail address: upgraded to pii.
    HttpResponse<String> email = mesh.send("POST", "/v1/chat/completions",
        TestMesh.chat("write to jane.doe@example.org", false),
        concat(key, high, "X-TierMesh-Classification", "public"));
    assertEquals("1", email.headers().firstValue("X-TierMesh-Tier").orElseThrow(), email.body());
    // A card number is refused outright, on chat, Anthropic and embeddings alike.
    HttpResponse<String> card = mesh.send("POST", "/v1/chat/completions",
        TestMesh.chat("pay with 4111 1111 1111 1111", false), concat(key, high));
    assertEquals(403, card.statusCode(), card.body());
    assertTrue(card.body().contains("payment card") && !card.body().contains("4111"), card.body());
    HttpResponse<String> anthropic = mesh.send("POST", "/v1/messages",
        "{\"model\":\"auto\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"card 4111-1111-1111-1111\"}]}", "x-api-key", key,
        "Content-Type", "application/json");
    // 400, not 403: Claude Code reads a 403 as a failed login (docs/api-fields.md, Refusals).
    assertEquals(400, anthropic.statusCode(), anthropic.body());
    assertEquals("permission_error",
        new JsonObject(anthropic.body()).getJsonObject("error").getString("type"));
    HttpResponse<String> embed = mesh.send("POST", "/v1/embeddings",
        "{\"model\":\"tier-2\",\"input\":[\"fine\",\"my key is AKIAIOSFODNN7EXAMPLE\"]}",
        concat(key, new String[0], "X-TierMesh-Classification", "public"));
    assertEquals(403, embed.statusCode(), "a secret raised it to confidential: " + embed.body());
    assertEquals(paidBefore, mesh.hosted.log().calls() + mesh.premium.log().calls(),
        "nothing of this tenant left tier 1");
  }

  private static String[] concat(String key, String[] hints, String... more) {
    List<String> all = new ArrayList<>(List.of("Authorization", "Bearer " + key,
        "Content-Type", "application/json"));
    all.addAll(List.of(hints));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  @Test
  void createdKeyWorksForItsTenantIsListedMaskedAndStopsWorkingWhenRevoked() throws Exception {
    assertEquals(200, mesh.admin("PUT", "/admin/tenants/acme",
        "{\"policy\":\"local_only\",\"limits\":{\"requestsPerDay\":1000}}").statusCode());
    JsonObject created = createKey("acme", null);
    String key = created.getString("key");
    assertTrue(key.startsWith("tm-") && key.length() > 40, key);

    HttpResponse<String> ok = chatWith(key);
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("acme", ok.headers().firstValue("X-TierMesh-Tenant").orElseThrow());
    HttpResponse<String> anthropic = mesh.send("POST", "/v1/messages",
        "{\"model\":\"auto\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "x-api-key", key, "Content-Type", "application/json");
    assertEquals(200, anthropic.statusCode(), anthropic.body());

    HttpResponse<String> list = mesh.admin("GET", "/admin/keys?tenant=acme", null);
    assertEquals(200, list.statusCode());
    assertFalse(list.body().contains(key), "the plain key is shown only once");
    JsonObject listed = new JsonObject(list.body()).getJsonArray("data").getJsonObject(0);
    assertEquals(created.getString("id"), listed.getString("id"));
    assertEquals(key.substring(0, 7) + "…" + key.substring(key.length() - 4),
        listed.getString("masked"));
    assertEquals(false, listed.getBoolean("revoked"));

    assertEquals(200, mesh.admin("DELETE", "/admin/keys/" + created.getString("id"), null)
        .statusCode());
    HttpResponse<String> after = chatWith(key);
    assertEquals(401, after.statusCode(), "revoked on this node at once, cache or not");
    assertEquals(true, new JsonObject(mesh.admin("GET", "/admin/keys?tenant=acme", null).body())
        .getJsonArray("data").getJsonObject(0).getBoolean("revoked"));
    assertEquals(404, mesh.admin("DELETE", "/admin/keys/key_nope", null).statusCode());
  }

  @Test
  void tenantsAreStoredAndValidated() throws Exception {
    assertEquals(404, mesh.admin("GET", "/admin/tenants/nobody", null).statusCode());
    assertEquals(404, mesh.admin("POST", "/admin/keys", "{\"tenant\":\"nobody\"}").statusCode());
    assertEquals(400, mesh.admin("PUT", "/admin/tenants/t1", "{\"policy\":\"anything\"}")
        .statusCode());
    assertEquals(400, mesh.admin("PUT", "/admin/tenants/t1",
        "{\"limits\":{\"requestsPerDya\":5}}").statusCode(), "a typo is not 'no limit'");
    assertEquals(400, mesh.admin("PUT", "/admin/tenants/Bad%20Id", "{}").statusCode());
    assertEquals(200, mesh.admin("PUT", "/admin/tenants/t1",
        "{\"policy\":\"multi_cloud\",\"limits\":{\"requestsPerMinute\":7}}").statusCode());
    JsonObject t = new JsonObject(mesh.admin("GET", "/admin/tenants/t1", null).body());
    assertEquals("multi_cloud", t.getString("policy"));
    assertEquals(7, t.getJsonObject("limits").getInteger("requestsPerMinute"));
    assertEquals("default", new JsonObject(mesh.admin("GET", "/admin/tenants/default", null)
        .body()).getString("id"));
  }

  @Test
  void adminApiNeedsTheAdminKeyAndClientKeysAreNotAdminKeys() throws Exception {
    assertEquals(401, mesh.send("GET", "/admin/keys", null).statusCode());
    assertEquals(401, mesh.send("GET", "/admin/keys", null, "Authorization",
        "Bearer " + TestMesh.KEY).statusCode());
    assertEquals(401, mesh.send("GET", "/admin/keys", null, "Authorization",
        "Bearer " + TestMesh.ADMIN_KEY + "x").statusCode());
    assertEquals(401, chatWith(TestMesh.ADMIN_KEY).statusCode());
  }

  /** Near misses of a real stored key and of the bootstrap key: all 401, none served. */
  @Test
  void authFuzzRejectsBadTruncatedAndNearMissKeys() throws Exception {
    String real = createKey("default", null).getString("key");
    List<String> bad = new ArrayList<>();
    for (String good : List.of(real, TestMesh.KEY)) {
      for (int i = 0; i < good.length(); i++) {
        char c = good.charAt(i);
        bad.add(good.substring(0, i) + (char) (c == 'a' ? 'b' : 'a') + good.substring(i + 1));
      }
      for (int len : new int[] {1, good.length() / 2, good.length() - 1}) {
        bad.add(good.substring(0, len));
      }
      bad.add(good + "0");
      bad.add(" " + good + "x");
      bad.add(good.toUpperCase(Locale.ROOT));
      bad.add(good.substring(1) + good.charAt(0));
    }
    bad.add("x".repeat(4_000));
    bad.add("tm-");
    bad.add("\u00e9\u00e9\u00e9");
    int served = 0;
    for (String k : bad) {
      if (k.equals(real) || k.equals(TestMesh.KEY)) {
        continue;
      }
      int status = chatWith(k).statusCode();
      assertEquals(401, status, "key variant " + bad.indexOf(k));
      served += status == 200 ? 1 : 0;
    }
    assertEquals(0, served);
    assertTrue(bad.size() > 60);
    assertEquals(401, mesh.send("POST", "/v1/chat/completions", TestMesh.chat("x", false),
        "Authorization", "Bearer").statusCode());
    assertEquals(401, mesh.send("POST", "/v1/chat/completions", TestMesh.chat("x", false),
        "Authorization", "Basic " + real).statusCode());
    assertEquals(200, chatWith(real).statusCode(), "the real key still works");
  }

  @Test
  void perKeyRequestLimitGives429WithOpenAiHeadersAndRetryAfter() throws Exception {
    String key = createKey("default", "{\"requestsPerMinute\":3}").getString("key");
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = chatWith(key);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("3", r.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
      assertEquals(String.valueOf(2 - i),
          r.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
      assertTrue(r.headers().firstValue("x-ratelimit-reset-requests").isPresent());
    }
    HttpResponse<String> refused = chatWith(key);
    assertEquals(429, refused.statusCode());
    int retry = Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
    JsonObject err = new JsonObject(refused.body()).getJsonObject("error");
    assertEquals("rate_limit_exceeded", err.getString("code"));
    assertTrue(err.getString("message").contains("3 requests per minute"), err.getString("message"));
    assertEquals(200, chatWith(TestMesh.KEY).statusCode(), "other keys are not affected");
  }

  @Test
  void tokensPerMinuteAreChargedAfterTheAnswer() throws Exception {
    String key = createKey("default", "{\"tokensPerMinute\":1}").getString("key");
    HttpResponse<String> first = chatWith(key);
    assertEquals(200, first.statusCode());
    long deadline = System.currentTimeMillis() + 5_000;
    HttpResponse<String> next = chatWith(key);
    while (next.statusCode() == 200 && System.currentTimeMillis() < deadline) {
      next = chatWith(key); // the charge is written after the answer; allow for it to land
    }
    assertEquals(429, next.statusCode());
    assertEquals("0", next.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
  }

  @Test
  void tokensPerMinuteAreChargedForEmbeddingsToo() throws Exception {
    String key = createKey("default", "{\"tokensPerMinute\":1}").getString("key");
    String body = "{\"model\":\"tier-2\",\"input\":\"count these tokens\"}";
    HttpResponse<String> first = mesh.send("POST", "/v1/embeddings", body,
        "Authorization", "Bearer " + key, "Content-Type", "application/json");
    assertEquals(200, first.statusCode(), first.body());
    // Only embeddings here: a chat in between would be charged itself and prove nothing.
    long deadline = System.currentTimeMillis() + 5_000;
    HttpResponse<String> next = first;
    while (next.statusCode() == 200 && System.currentTimeMillis() < deadline) {
      next = mesh.send("POST", "/v1/embeddings", body, "Authorization", "Bearer " + key,
          "Content-Type", "application/json"); // the charge lands after the answer
    }
    assertEquals(429, next.statusCode(), "the embedding's tokens count against the key");
  }

  @Test
  void keysListIsValidJsonWithoutPlaintext() throws Exception {
    JsonArray data = new JsonObject(mesh.admin("GET", "/admin/keys", null).body())
        .getJsonArray("data");
    for (Object o : data) {
      assertFalse(((JsonObject) o).containsKey("key"));
      assertFalse(((JsonObject) o).containsKey("hash"));
    }
  }
}
