package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The usage report from rollups, the ledger export (admin API and CLI) and the audit trail,
 * through every role of one node against simulated backends and a real redis-server.
 */
class UsageAuditEndToEndTest {

  static final String SECRET = "Zq7-SECRET-PROMPT-4411";

  static TestMesh mesh;
  static Vertx vertx;
  static Redis redis;

  @BeforeAll
  static void traffic() throws Exception {
    mesh = new TestMesh();
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, mesh.redis.url());
    // served on tier 1 (the secret is in the prompt), on tier 2 (paid), streamed on tier 3
    assertEquals(200, mesh.post("/v1/chat/completions",
        TestMesh.chat("remember " + SECRET, false)).statusCode());
    assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("summarise", false),
        "X-TierMesh-Quality", "high").statusCode());
    assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("review " + SECRET, true),
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high").statusCode());
    // refused: bad key, unknown endpoint, body too large, bad hint
    assertEquals(401, mesh.post("/v1/chat/completions", TestMesh.chat(SECRET, false),
        "Authorization", "Bearer not-a-key").statusCode());
    assertEquals(404, mesh.post("/v1/nowhere", "{}").statusCode());
    assertEquals(413, mesh.post("/v1/chat/completions",
        TestMesh.chat("x".repeat(70_000), false)).statusCode());
    assertEquals(400, mesh.post("/v1/chat/completions", TestMesh.chat(SECRET, false),
        "X-TierMesh-Classification", "secret-ish").statusCode());
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private static JsonObject admin(String path) throws Exception {
    HttpResponse<String> r = mesh.admin("GET", path, null);
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return new JsonObject(r.body());
  }

  /** Written off the request path, in batches: poll until {@code done} holds (10 s at most). */
  private static JsonObject await(String path, Predicate<JsonObject> done) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    JsonObject last = admin(path);
    while (!done.test(last) && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      last = admin(path);
    }
    assertTrue(done.test(last), path + ": " + last.encodePrettily());
    return last;
  }

  private static JsonArray clientRecords(JsonObject page) {
    JsonArray out = new JsonArray();
    for (Object o : page.getJsonArray("records")) {
      if (!"admin".equals(((JsonObject) o).getString("key_id"))) {
        out.add(o);
      }
    }
    return out;
  }

  private static Response redis(Request r) throws Exception {
    return redis.send(r).await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyDecisionIsInTheAuditTrailWithoutContent() throws Exception {
    // Admin calls that change something (the rollup rebuild of another test) are in the trail
    // too, under key id "admin"; this test is about the client API's decisions.
    JsonObject page = await("/admin/audit?limit=100", p -> clientRecords(p).size() >= 7);
    JsonArray records = clientRecords(page);
    assertEquals(7, records.size(), records.encodePrettily());
    assertNull(page.getString("next_cursor"), "everything fitted in one page");
    Set<Integer> statuses = new HashSet<>();
    for (int i = 0; i < records.size(); i++) {
      JsonObject r = records.getJsonObject(i);
      statuses.add(r.getInteger("status"));
      assertEquals("127.0.0.1", r.getString("client_address"));
      assertNotNull(r.getString("time"));
    }
    assertEquals(Set.of(200, 400, 401, 404, 413), statuses);

    JsonObject paid = find(records, r -> Integer.valueOf(2).equals(r.getInteger("tier")));
    assertEquals("bootstrap", paid.getString("key_id"));
    assertEquals("default", paid.getString("tenant"));
    assertEquals("public", paid.getString("classification"));
    assertEquals("/v1/chat/completions", paid.getString("endpoint"));
    assertEquals("hosted", paid.getString("provider"));
    assertEquals("quality-high", paid.getString("route_reason"));
    assertEquals(1, paid.getInteger("attempts"));
    assertTrue(Double.parseDouble(paid.getString("cost_usd")) > 0, paid.encode());
    JsonObject streamed = find(records, r -> Integer.valueOf(3).equals(r.getInteger("tier")));
    assertTrue(Double.parseDouble(streamed.getString("cost_usd")) > 0,
        "a stream's cost comes from its outcome: " + streamed.encode());
    JsonObject unauthorized = find(records, r -> r.getInteger("status") == 401);
    assertNull(unauthorized.getString("key_id"));

    // filters and cursor paging
    JsonArray only401 = admin("/admin/audit?status=401").getJsonArray("records");
    assertEquals(1, only401.size());
    assertEquals(0, admin("/admin/audit?key=someone-else").getJsonArray("records").size());
    List<String> paged = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject p = admin("/admin/audit?limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
      p.getJsonArray("records").forEach(r -> paged.add(((JsonObject) r).getString("id")));
      cursor = p.getString("next_cursor");
    } while (cursor != null && paged.size() < 20);
    // The 7 client records, and any admin ones (another test's rollup rebuild).
    assertTrue(paged.size() >= 7 && paged.size() < 20, paged.toString());
    assertEquals(paged.size(), new HashSet<>(paged).size(), "no record twice: " + paged);
    assertEquals(400, mesh.admin("GET", "/admin/audit?limit=0", null).statusCode());
    assertEquals(400, mesh.admin("GET", "/admin/audit?cursor=x", null).statusCode());
    assertEquals(401, mesh.send("GET", "/admin/audit", null).statusCode());

    // The prompts' secret is nowhere in Redis: not in the trail, the ledger, the rollups.
    List<String> keys = new ArrayList<>();
    for (Response k : redis(Request.cmd(Command.KEYS).arg("*"))) {
      keys.add(k.toString());
    }
    assertTrue(keys.contains("{tm}:audit") && keys.contains("{tm}:ledger"), keys.toString());
    for (String k : keys) {
      String type = redis(Request.cmd(Command.TYPE).arg(k)).toString();
      Response content = switch (type) {
        case "string" -> redis(Request.cmd(Command.GET).arg(k));
        case "hash" -> redis(Request.cmd(Command.HGETALL).arg(k));
        case "stream" -> redis(Request.cmd(Command.XRANGE).arg(k).arg("-").arg("+"));
        case "zset" -> redis(Request.cmd(Command.ZRANGE).arg(k).arg(0).arg(-1));
        case "set" -> redis(Request.cmd(Command.SMEMBERS).arg(k));
        case "list" -> redis(Request.cmd(Command.LRANGE).arg(k).arg(0).arg(-1));
        default -> throw new AssertionError("unexpected type " + type + " of " + k);
      };
      String text = content == null ? "" : content.toString();
      assertFalse(text.contains(SECRET) || k.contains(SECRET), k + " holds prompt content");
    }
  }

  @Test
  void theUsageReportReadsRollupsByAnyDimensions() throws Exception {
    JsonObject byKeyTier = await("/admin/usage?group_by=key,tier", u -> u.getJsonObject("total")
        .getLong("calls") >= 3);
    assertEquals(List.of("key", "tier"), byKeyTier.getJsonArray("group_by").getList());
    JsonObject tier2 = find(byKeyTier.getJsonArray("rows"), r -> "2".equals(r.getString("tier")));
    assertEquals("bootstrap", tier2.getString("key"));
    assertEquals(1, tier2.getLong("calls"));
    assertNotNull(byKeyTier.getString("savings_percent"), "priced against the premium model");

    JsonObject byHour = admin("/admin/usage?group_by=tenant&group_by=route_reason,hour");
    assertTrue(byHour.getJsonArray("rows").getJsonObject(0).getString("hour").contains("T"));

    HttpResponse<String> csv = mesh.admin("GET", "/admin/usage?group_by=key,tier&format=csv",
        null);
    assertEquals(200, csv.statusCode());
    assertTrue(csv.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
    List<String> lines = csv.body().lines().toList();
    assertEquals("key,tier,calls,prompt_tokens,completion_tokens,cost_usd,premium_cost_usd",
        lines.get(0));
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("bootstrap,2,1,")), lines.toString());

    // refusals reach the rollups about a second later, by code
    JsonObject refused = await("/admin/usage?group_by=tier", u -> u.getJsonArray("refusals")
        .size() >= 3);
    Set<String> codes = new HashSet<>();
    refused.getJsonArray("refusals").forEach(r -> codes.add(((JsonObject) r).getString("code")));
    assertTrue(codes.containsAll(Set.of("invalid_api_key", "not_found", "payload_too_large")),
        codes.toString());

    for (String bad : List.of("group_by=colour", "from=yesterday", "format=xml",
        "from=2026-12-02&to=2026-12-01", "group_by=hour&from=2020-01-01&to=2026-01-01")) {
      assertEquals(400, mesh.admin("GET", "/admin/usage?" + bad, null).statusCode(), bad);
    }
  }

  @Test
  void theLedgerExportsAsJsonLinesAndCsvThroughTheApiAndTheCli() throws Exception {
    await("/admin/usage?group_by=tier", u -> u.getJsonObject("total").getLong("calls") >= 3);
    long entries = redis(Request.cmd(Command.XLEN).arg("{tm}:ledger")).toLong();
    HttpResponse<String> jsonl = mesh.admin("GET", "/admin/ledger/export", null);
    assertEquals(200, jsonl.statusCode(), jsonl.body());
    List<String> lines = jsonl.body().lines().toList();
    assertEquals(entries, lines.size(), jsonl.body());
    for (String l : lines) {
      JsonObject e = new JsonObject(l);
      assertEquals("bootstrap", e.getString("key_id"));
      assertNotNull(e.getString("cost_usd"));
    }
    HttpResponse<String> csv = mesh.admin("GET", "/admin/ledger/export?format=csv&from="
        + java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1), null);
    assertEquals(200, csv.statusCode());
    assertEquals(entries + 1, csv.body().lines().count());
    assertTrue(csv.body().startsWith("id,time,request_id,"));
    assertEquals("", mesh.admin("GET", "/admin/ledger/export?from=2999-01-01", null).body());
    assertEquals(400, mesh.admin("GET", "/admin/ledger/export?format=xml", null).statusCode());
    assertEquals(400, mesh.admin("GET", "/admin/ledger/export?to=soon", null).statusCode());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, LedgerCli.run(new String[] {"export", "--url", mesh.url("")},
        Map.of("TIERMESH_ADMIN_KEY", TestMesh.ADMIN_KEY), out));
    assertEquals(jsonl.body(), out.toString(StandardCharsets.UTF_8));

    // the operator's repair: nothing closed yet in this fresh mesh, so nothing is rewritten
    ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
    assertEquals(0, LedgerCli.run(new String[] {"rebuild-rollups", "--url", mesh.url("")},
        Map.of("TIERMESH_ADMIN_KEY", TestMesh.ADMIN_KEY), rebuilt));
    JsonObject r = new JsonObject(rebuilt.toString(StandardCharsets.UTF_8));
    assertEquals(entries, r.getLong("ledger_entries"));
    assertEquals(0, r.getInteger("hours"));
  }

  private static JsonObject find(JsonArray a, Predicate<JsonObject> p) {
    for (int i = 0; i < a.size(); i++) {
      if (p.test(a.getJsonObject(i))) {
        return a.getJsonObject(i);
      }
    }
    throw new AssertionError("none matches in " + a.encodePrettily());
  }
}
