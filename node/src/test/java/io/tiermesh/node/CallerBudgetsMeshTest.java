package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-key, per-person and model-family budgets through a whole node with a real Redis, and the
 * runtime administration around them: keys with an owner and an expiry, tenants that trust (or
 * not) the request's own user field, budget limits set and reset through the admin API and
 * recorded in the audit trail, and explain showing every limit that applies. Request caps
 * ({@code requests}) keep the counts exact: they are held by the same reservation as money.
 */
class CallerBudgetsMeshTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh("", "", "", """
            - {scope: "tenant:team/key:*", window: day, requests: 2}
            - {scope: "tenant:team/user:*", window: day, requests: 3}
            - {scope: "tenant:fam/user:*/model:gpt-4o", window: day, requests: 1}
            - {scope: "tenant:open/user:*", window: day, requests: 1}
        """);
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static String tenant(String id, String body) throws Exception {
    HttpResponse<String> r = mesh.admin("PUT", "/admin/tenants/" + id, body);
    assertEquals(200, r.statusCode(), r.body());
    return id;
  }

  private static JsonObject key(String tenant, String extra) throws Exception {
    HttpResponse<String> r = mesh.admin("POST", "/admin/keys", "{\"tenant\":\"" + tenant
        + "\",\"name\":\"dev\"" + extra + "}");
    assertEquals(201, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** A request the rules send to tier 3; an exhausted budget moves it down the tiers. */
  private static String body(String user) {
    return "{\"model\":\"auto\",\"max_tokens\":50," + (user == null ? ""
        : "\"user\":\"" + user + "\",") + "\"messages\":[{\"role\":\"user\",\"content\":"
        + "\"review this design\"}]}";
  }

  private static HttpResponse<String> premium(JsonObject key, String user) throws Exception {
    String body = body(user);
    HttpResponse<String> r = mesh.send("POST", "/v1/chat/completions", body,
        "Authorization", "Bearer " + key.getString("key"), "Content-Type", "application/json",
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high");
    assertEquals(200, r.statusCode(), r.body());
    return r;
  }

  private static String tier(HttpResponse<String> r) {
    return r.headers().firstValue("X-TierMesh-Tier").orElseThrow();
  }

  private static List<String> tiers(JsonObject key, String user, int n) throws Exception {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(tier(premium(key, user)));
    }
    return out;
  }

  @Test
  void aKeyCapHoldsPerKeyAndTheOwnersCapAcrossBothOfTheirKeys() throws Exception {
    tenant("team", "{}");
    JsonObject first = key("team", ",\"owner\":\"alice@example.com\"");
    JsonObject second = key("team", ",\"owner\":\"alice@example.com\"");
    assertEquals("alice@example.com", first.getString("owner"));

    assertEquals(List.of("3", "3", "1"), tiers(first, null, 3),
        "two requests a day per key: the third falls back to the free tier");
    assertEquals(List.of("3", "1"), tiers(second, null, 2),
        "her other key has room, but three a day per person: her fourth falls back");

    // Explain, as an operator asking for that key and person, lists every limit that applies.
    HttpResponse<String> explain = mesh.send("POST", "/admin/route/explain",
        TestMesh.chat("review this design", false), "Authorization",
        "Bearer " + TestMesh.ADMIN_KEY, "Content-Type", "application/json",
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high",
        "X-TierMesh-Tenant", "team", "X-TierMesh-Key-Id", second.getString("id"),
        "X-TierMesh-User", "alice@example.com");
    assertEquals(200, explain.statusCode(), explain.body());
    JsonArray budgets = new JsonObject(explain.body()).getJsonArray("budgets");
    assertNotNull(budgets, explain.body());
    JsonObject premiumTarget = budgets.getJsonObject(0);
    assertEquals(3, premiumTarget.getInteger("tier"), explain.body());
    JsonObject user = scope(premiumTarget, "tenant:team/user:alice@example.com");
    assertEquals(3, user.getLong("requests"), explain.body());
    assertEquals(3, user.getLong("max_requests"), explain.body());
    JsonObject perKey = scope(premiumTarget, "tenant:team/key:" + second.getString("id"));
    assertEquals(1, perKey.getLong("requests"), explain.body());
    assertNotNull(scope(premiumTarget, "global"), "the file's global limit applies too");

    // Her own explain shows her own limits, not the mesh's global spending.
    HttpResponse<String> last = premium(second, null);
    HttpResponse<String> own = mesh.send("POST", "/v1/route/explain", body(null),
        "Authorization", "Bearer " + second.getString("key"), "Content-Type", "application/json",
        "X-Request-Id", last.headers().firstValue("X-Request-Id").orElseThrow(),
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high");
    assertEquals(200, own.statusCode(), own.body());
    JsonObject ownPremium = new JsonObject(own.body()).getJsonArray("budgets").getJsonObject(0);
    assertEquals(3, scope(ownPremium, "tenant:team/user:alice@example.com").getLong("requests"),
        own.body());
    assertTrue(!ownPremium.encode().contains("\"global\""), own.body());

    // The usage report groups by the person: her 3 paid and 3 fallen-back (free) calls.
    long calls = 0;
    long until = System.currentTimeMillis() + 10_000;
    while (calls != 6 && System.currentTimeMillis() < until) {
      HttpResponse<String> usage = mesh.admin("GET", "/admin/usage?group_by=user,tier&tenant=team",
          null);
      assertEquals(200, usage.statusCode(), usage.body());
      calls = 0;
      for (Object o : new JsonObject(usage.body()).getJsonArray("rows")) {
        JsonObject row = (JsonObject) o;
        if ("alice@example.com".equals(row.getString("user"))) {
          calls += row.getLong("calls");
        }
      }
    }
    assertEquals(6, calls, "alice's calls in the usage report grouped by user");
  }

  private static JsonObject scope(JsonObject target, String id) {
    for (Object o : target.getJsonArray("scopes")) {
      JsonObject s = (JsonObject) o;
      if (id.equals(s.getString("scope"))) {
        return s;
      }
    }
    throw new AssertionError("no scope " + id + " in " + target.encode());
  }

  @Test
  void aModelFamilyCapMovesOnlyThatFamilyDown() throws Exception {
    tenant("fam", "{}");
    JsonObject bob = key("fam", ",\"owner\":\"bob\"");
    assertEquals(List.of("3", "2", "2"), tiers(bob, null, 3),
        "one gpt-4o a day; the tier-2 model is outside the family");
  }

  @Test
  void anUntrustedUserFieldIsIgnoredAndATrustedOneIsCounted() throws Exception {
    tenant("open", "{}");
    JsonObject shared = key("open", "");
    assertEquals(List.of("3", "3"), tiers(shared, "carol", 2),
        "the tenant does not trust the field: no per-user limit applies to anyone");

    tenant("open", "{\"trustUserField\":true}");
    assertEquals(List.of("3", "1"), tiers(shared, "dave", 2), "now dave has one a day");
    assertEquals("3", tier(premium(shared, "erin")), "and erin her own");
    JsonObject owned = key("open", ",\"owner\":\"frank\"");
    assertEquals(List.of("3", "1", "1"), List.of(tier(premium(owned, "gina")),
        tier(premium(owned, "gina")), tier(premium(owned, "hal"))),
        "a key's owner wins over the field: frank's key cannot spend as gina or hal");
  }

  @Test
  void aRuntimeLimitIsInForceAtOnceAuditedAndResetToTheFiles() throws Exception {
    tenant("rt", "{}");
    JsonObject k = key("rt", ",\"owner\":\"ivy\"");
    HttpResponse<String> unknown = mesh.admin("PUT", "/admin/budgets/limits",
        "{\"scope\":\"tenant:rt/key:*\",\"window\":\"day\",\"requests\":1,\"usd_max\":2}");
    assertEquals(400, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("usd_max"), unknown.body());

    HttpResponse<String> set = mesh.admin("PUT", "/admin/budgets/limits",
        "{\"scope\":\"tenant:rt/key:*\",\"window\":\"day\",\"requests\":1}");
    assertEquals(200, set.statusCode(), set.body());
    JsonObject listed = limit(new JsonObject(set.body()), "tenant:rt/key:*");
    assertEquals("runtime", listed.getString("source"));
    assertEquals(List.of("3", "1"), tiers(k, null, 2));

    HttpResponse<String> reset = mesh.admin("DELETE",
        "/admin/budgets/limits?scope=tenant:rt/key:*&window=day", null);
    assertEquals(200, reset.statusCode(), reset.body());
    assertEquals("3", tier(premium(k, null)), "no file limit for the scope: none any more");
    assertEquals(404, mesh.admin("DELETE",
        "/admin/budgets/limits?scope=tenant:rt/key:*&window=day", null).statusCode());

    // A runtime limit over a file one: listed with the file's, and a reset brings it back.
    HttpResponse<String> over = mesh.admin("PUT", "/admin/budgets/limits",
        "{\"scope\":\"tenant:team/user:*\",\"window\":\"day\",\"requests\":30}");
    JsonObject overridden = limit(new JsonObject(over.body()), "tenant:team/user:*");
    assertEquals(30, overridden.getLong("requests"));
    assertEquals(3, overridden.getJsonObject("file").getLong("requests"));
    HttpResponse<String> back = mesh.admin("DELETE",
        "/admin/budgets/limits?scope=tenant:team/user:*&window=day", null);
    assertEquals(3, limit(new JsonObject(back.body()), "tenant:team/user:*").getLong("requests"));
    assertEquals("file", limit(new JsonObject(back.body()), "tenant:team/user:*")
        .getString("source"));

    List<String> changes = new ArrayList<>();
    long until = System.currentTimeMillis() + 10_000;
    while (changes.size() < 4 && System.currentTimeMillis() < until) {
      changes.clear();
      HttpResponse<String> audit = mesh.admin("GET", "/admin/audit?key=admin&limit=50", null);
      for (Object o : new JsonObject(audit.body()).getJsonArray("records")) {
        String c = ((JsonObject) o).getString("change");
        if (c != null && c.contains("tenant:rt/key:*")) {
          changes.add(((JsonObject) o).getInteger("status") + " " + c);
        }
      }
      Thread.sleep(100);
    }
    assertTrue(changes.contains("200 set day tenant:rt/key:* requests=1"),
        changes.toString());
    assertTrue(changes.contains("200 reset day tenant:rt/key:*"), changes.toString());
    assertTrue(changes.contains("404 reset day tenant:rt/key:*"), changes.toString());
  }

  @Test
  void aRuntimeSpendLimitTakesAlertLevelsInDollarsAndACutoffShownWithItsCounter()
      throws Exception {
    HttpResponse<String> set = mesh.admin("PUT", "/admin/budgets/limits",
        "{\"scope\":\"tenant:money\",\"window\":\"day\",\"usd\":\"10.00\","
            + "\"cutoffUsd\":\"12.00\",\"alerts\":[0.5,\"8.00\"]}");
    assertEquals(200, set.statusCode(), set.body());
    JsonObject listed = limit(new JsonObject(set.body()), "tenant:money");
    assertEquals("10.000000", listed.getString("usd"), listed.encode());
    assertEquals("12.000000", listed.getString("cutoffUsd"), listed.encode());
    assertEquals(new JsonArray().add("5.000000").add("8.000000"),
        listed.getJsonArray("alertsUsd"), listed.encode());

    // The counter's view: reservations stop at the cut-off; the levels are of the budget.
    JsonObject line = null;
    for (Object o : new JsonObject(mesh.admin("GET", "/admin/budgets", null).body())
        .getJsonArray("budgets")) {
      JsonObject l = (JsonObject) o;
      if ("tenant:money".equals(l.getString("scope")) && "day".equals(l.getString("window"))) {
        line = l;
      }
    }
    assertNotNull(line, "GET /admin/budgets lists the runtime limit's counter");
    assertEquals("12.000000", line.getString("limit_usd"), line.encode());
    assertEquals("10.000000", line.getString("budget_usd"), line.encode());
    JsonArray levels = line.getJsonArray("alerts");
    assertEquals(2, levels.size(), line.encode());
    assertEquals(0.5, levels.getJsonObject(0).getDouble("share"), 1e-9);
    assertEquals("8.000000", levels.getJsonObject(1).getString("usd"), line.encode());

    // Refused as the config file refuses them, before anything is stored.
    for (String bad : List.of(
        "{\"scope\":\"tenant:money\",\"window\":\"day\",\"usd\":\"10\","
            + "\"cutoffUsd\":\"12\",\"alerts\":[\"13.00\"]}",
        "{\"scope\":\"tenant:money\",\"window\":\"day\",\"requests\":5,"
            + "\"cutoffUsd\":\"12\"}",
        "{\"scope\":\"tenant:money\",\"window\":\"day\",\"usd\":\"10\","
            + "\"cutoffUsd\":\"9\"}")) {
      HttpResponse<String> r = mesh.admin("PUT", "/admin/budgets/limits", bad);
      assertEquals(400, r.statusCode(), bad + " -> " + r.body());
    }
    assertEquals("12.000000", limit(new JsonObject(mesh.admin("GET", "/admin/budgets/limits",
        null).body()), "tenant:money").getString("cutoffUsd"), "the refusals changed nothing");
    assertEquals(200, mesh.admin("DELETE",
        "/admin/budgets/limits?scope=tenant:money&window=day", null).statusCode());
  }

  private static JsonObject limit(JsonObject limits, String scope) {
    for (Object o : limits.getJsonArray("limits")) {
      JsonObject l = (JsonObject) o;
      if (scope.equals(l.getString("scope")) && "day".equals(l.getString("window"))) {
        return l;
      }
    }
    throw new AssertionError("no limit " + scope + " in " + limits.encode());
  }

  @Test
  void keysExpireAndTenantsAreListedAndDeleted() throws Exception {
    tenant("gone", "{\"policy\":\"local_only\"}");
    HttpResponse<String> typo = mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"gone\",\"nmae\":\"x\"}");
    assertEquals(400, typo.statusCode(), typo.body());
    assertTrue(typo.body().contains("nmae"), typo.body());
    assertEquals(400, mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"gone\",\"expiresAt\":\"2001-01-01T00:00:00Z\"}").statusCode());

    JsonObject brief = key("gone", ",\"expiresAt\":\""
        + Instant.now().plusSeconds(2) + "\"");
    String body = TestMesh.chat("hi", false);
    assertEquals(200, mesh.send("POST", "/v1/chat/completions", body, "Authorization",
        "Bearer " + brief.getString("key"), "Content-Type", "application/json").statusCode());
    Thread.sleep(Math.max(0, Instant.parse(brief.getString("expiresAt")).toEpochMilli()
        - System.currentTimeMillis() + 50));
    HttpResponse<String> expired = mesh.send("POST", "/v1/chat/completions", body,
        "Authorization", "Bearer " + brief.getString("key"), "Content-Type", "application/json");
    assertEquals(401, expired.statusCode(), expired.body());
    assertTrue(expired.body().contains("invalid API key"), "as an unknown key is");

    JsonObject live = key("gone", "");
    HttpResponse<String> refused = mesh.admin("DELETE", "/admin/tenants/gone", null);
    assertEquals(400, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("1 active key"), refused.body());
    assertTrue(tenantIds().contains("gone"));
    assertEquals(200, mesh.admin("DELETE", "/admin/keys/" + live.getString("id"), null)
        .statusCode());
    assertEquals(200, mesh.admin("DELETE", "/admin/tenants/gone", null).statusCode(),
        "an expired key does not hold its tenant");
    assertTrue(!tenantIds().contains("gone"));
    assertEquals(404, mesh.admin("DELETE", "/admin/tenants/gone", null).statusCode());
    assertEquals(400, mesh.admin("DELETE", "/admin/tenants/default", null).statusCode());
  }

  private static List<String> tenantIds() throws Exception {
    HttpResponse<String> r = mesh.admin("GET", "/admin/tenants", null);
    assertEquals(200, r.statusCode(), r.body());
    List<String> ids = new ArrayList<>();
    for (Object o : new JsonObject(r.body()).getJsonArray("data")) {
      ids.add(((JsonObject) o).getString("id"));
    }
    return ids;
  }
}
