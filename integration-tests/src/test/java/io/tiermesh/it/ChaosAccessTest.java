package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md row 14 across two gateway JVMs sharing one Redis: bad, near-miss and
 * truncated API keys on every client and admin endpoint; tenant keys aimed at admin routes and at
 * other tenants' data; the response cache asked for another tenant's answer. Node b has no admin
 * key configured, so it shows there is no default one. Afterwards every value in Redis is read to
 * prove the plain keys were never stored.
 */
class ChaosAccessTest {

  static final String BOOTSTRAP = "it-bootstrap-key-row14-0123456789";
  static final String ADMIN = "it-admin-key-row14-0123456789";

  @TempDir
  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  LocalRedis redis;
  final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void badKeysAreAllRefusedAndTenantsStayApart() throws Exception {
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("row14")).await(10, TimeUnit.SECONDS);
    redis = RedisProcess.local();
    int portA = NodeProcess.freePort();
    int portB = NodeProcess.freePort();
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    String name = "row14-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env = new LinkedHashMap<>(Map.of("IT_KEY", BOOTSTRAP,
        "TIERMESH_KEY_SECRET", "it-key-secret-row14-0123456789abcdef"));
    Map<String, String> envA = new LinkedHashMap<>(env);
    envA.put("TIERMESH_ADMIN_KEY", ADMIN);
    NodeProcess a = start("a", "gateway, router, budget, \"provider:local\"", name, cluster[0],
        portA, cluster, envA);
    NodeProcess b = start("b", "gateway", name, cluster[1], portB, cluster, env);
    a.awaitReady(60);
    b.awaitReady(60);
    long deadline = System.currentTimeMillis() + 30_000;
    while (RawHttp.send("127.0.0.1", portB, "GET", "/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "gateway b never saw the router");
    }

    // Two tenants with two keys each, made through node a's admin API.
    Map<String, List<String>> keysByTenant = new TreeMap<>();
    List<String> keyIds = new ArrayList<>();
    for (String tenant : List.of("acme", "globex")) {
      assertEquals(200, admin(portA, "PUT", "/admin/tenants/" + tenant,
          "{\"policy\":\"local_only\"}").status());
      for (int i = 0; i < 2; i++) {
        RawHttp.Reply r = admin(portA, "POST", "/admin/keys",
            "{\"tenant\":\"" + tenant + "\",\"name\":\"k" + i + "\"}");
        assertEquals(201, r.status(), r.body());
        JsonObject created = new JsonObject(r.body());
        keysByTenant.computeIfAbsent(tenant, t -> new ArrayList<>()).add(created.getString("key"));
        keyIds.add(created.getString("id"));
      }
    }
    String acme = keysByTenant.get("acme").get(0);
    String globex = keysByTenant.get("globex").get(0);
    // A revoked key is a bad key from then on.
    String revoked = keysByTenant.get("globex").get(1);
    assertEquals(200, admin(portA, "DELETE", "/admin/keys/" + keyIds.get(3), null).status());

    List<String> bad = badKeys(List.of(BOOTSTRAP, acme, globex, ADMIN), 20261122L * ChaosRecord
        .scale());
    bad.add(revoked);
    int[] ports = {portA, portB};
    long backendBefore = sim.log().calls();
    Map<String, Integer> statuses = new TreeMap<>();
    int attempts = 0;
    int accepted = 0;
    for (String key : bad) {
      for (int port : ports) {
        for (RawHttp.Reply r : clientCalls(port, key)) {
          attempts++;
          statuses.merge(String.valueOf(r.status()), 1, Integer::sum);
          if (r.status() < 400 || r.status() >= 500) {
            accepted++;
          }
        }
      }
    }
    assertEquals(0, accepted, "bad keys accepted; statuses " + statuses);
    assertEquals(backendBefore, sim.log().calls(), "a bad key reached a backend");

    // Client keys, good or bad, never open the admin API; node b has no admin key at all.
    int adminAttempts = 0;
    int adminOpened = 0;
    List<String> adminTries = new ArrayList<>(List.of(acme, globex, BOOTSTRAP, "admin",
        "changeme", "tiermesh", ""));
    adminTries.addAll(bad.subList(0, Math.min(bad.size(), 20 * ChaosRecord.scale())));
    for (String key : adminTries) {
      for (String path : List.of("/admin/keys", "/admin/tenants/globex", "/admin/budgets",
          "/admin/keys?tenant=acme")) {
        for (int port : ports) {
          adminAttempts++;
          if (RawHttp.send("127.0.0.1", port, "GET", path, null, "Authorization",
              "Bearer " + key).status() < 400) {
            adminOpened++;
          }
        }
      }
    }
    int noDefaultAdmin = 0;
    for (String path : List.of("/admin/keys", "/admin/budgets", "/admin/providers")) {
      RawHttp.Reply r = RawHttp.send("127.0.0.1", portB, "GET", path, null, "Authorization",
          "Bearer " + ADMIN);
      noDefaultAdmin += r.status() == 404 ? 1 : 0;
    }
    assertEquals(0, adminOpened, "a client key opened the admin API");
    assertEquals(3, noDefaultAdmin, "node b has no admin key: its admin API must not exist");

    // Good keys work on both nodes, each under its own tenant, whatever the client claims.
    int spoofed = 0;
    for (int port : ports) {
      for (Map.Entry<String, List<String>> e : keysByTenant.entrySet()) {
        String key = e.getValue().get(0);
        RawHttp.Reply r = RawHttp.send("127.0.0.1", port, "POST", "/v1/chat/completions",
            chat("hello " + port), "Authorization", "Bearer " + key,
            "X-TierMesh-Tenant", "default");
        assertEquals(200, r.status(), r.body());
        spoofed += e.getKey().equals(r.header("X-TierMesh-Tenant")) ? 0 : 1;
      }
    }
    assertEquals(0, spoofed, "a client header changed the tenant");

    // A cached answer of acme is never served to globex, on either node. A hit carries a fresh
    // id, so ids and whole bodies say nothing; what does: the answer's text, and the backend's
    // log, which never sees a request the cache answered. The simulator's text is a function of
    // its seed and the prompt, so after acme's answer is cached the simulator is restarted on
    // the same port with another seed: from then on only a cached answer can carry acme's text.
    String cached = chat("the same deterministic question");
    RawHttp.Reply first = RawHttp.send("127.0.0.1", portA, "POST", "/v1/chat/completions",
        cached, "Authorization", "Bearer " + acme, "X-TierMesh-Cache", "use");
    assertEquals(200, first.status(), first.body());
    assertEquals("miss", first.header("X-TierMesh-Cache"));
    assertEquals(1, executions(first), "acme's first request was answered by the backend");
    String acmeText = text(first);
    int simPort = sim.port();
    sim.stop().await(10, TimeUnit.SECONDS);
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(simPort)
        .withName("row14-reseeded").withSeed(SimulatorOptions.DEFAULT_SEED + 14))
        .await(10, TimeUnit.SECONDS);

    RawHttp.Reply again = RawHttp.send("127.0.0.1", portB, "POST", "/v1/chat/completions",
        cached, "Authorization", "Bearer " + acme, "X-TierMesh-Cache", "use");
    assertEquals(200, again.status(), again.body());
    assertEquals("hit", again.header("X-TierMesh-Cache"), "the cache works within a tenant");
    assertEquals(acmeText, text(again), "a hit carries the cached text");
    assertEquals(0, executions(again), "a cache hit reached the backend");

    int crossHits = 0;
    int globexAtBackend = 0;
    String globexText = null;
    for (int port : ports) {
      RawHttp.Reply other = RawHttp.send("127.0.0.1", port, "POST", "/v1/chat/completions",
          cached, "Authorization", "Bearer " + globex, "X-TierMesh-Cache", "use");
      assertEquals(200, other.status(), other.body());
      long executed = executions(other);
      globexAtBackend += (int) executed;
      String text = text(other);
      if (globexText == null) {
        // globex's first ask: nothing of globex's is cached, so the backend must answer it.
        assertEquals(1, executed, "globex's first request never reached the backend");
        globexText = text;
      }
      // acme's text can only come from acme's cache entry; a request the backend never saw
      // may only be globex's own hit, carrying globex's own text.
      if (text.equals(acmeText) || (executed == 0 && !text.equals(globexText))) {
        crossHits++;
      }
    }
    assertEquals(0, crossHits, "another tenant's cached answer was served");
    assertTrue(!globexText.equals(acmeText),
        "the reseeded backend answers differently, so the text check can tell a hit");

    // Keys stored hashed: no plain key (nor a 16-character piece of one) anywhere in Redis.
    List<String> plain = new ArrayList<>(List.of(acme, globex, revoked,
        keysByTenant.get("acme").get(1)));
    String everything = dumpRedis(redis.url());
    int found = 0;
    for (String k : plain) {
      for (int i = 0; i + 16 <= k.length(); i += 8) {
        found += everything.contains(k.substring(i, i + 16)) ? 1 : 0;
      }
    }
    assertEquals(0, found, "a plain key is stored in Redis");
    assertTrue(everything.contains("globex") && everything.contains("k1"),
        "the dump read the access records");

    ChaosRecord.record(14, "bad, near-miss, truncated and revoked API keys; client keys on "
            + "admin routes; a tenant asking for another tenant's cached answer (2 gateway JVMs, "
            + "one without an admin key)",
        bad.size() + " bad keys x 3 client endpoints x 2 nodes; " + adminTries.size()
            + " keys x 4 admin routes x 2 nodes",
        "truncations, one-character changes, case flips, extra characters, a doubled key, "
            + "other schemes, the admin key as a client key, a revoked key, a spoofed tenant "
            + "header",
        "100 % rejected; no cross-tenant reads or cache hits; keys stored hashed; no default "
            + "admin key",
        attempts + "/" + attempts + " bad-key calls refused " + statuses
            + ", 0 reached a backend; " + adminAttempts + "/" + adminAttempts
            + " admin calls with client keys refused; node without an admin key: /admin/* 404 "
            + "(3/3); 0 tenant spoofs; " + crossHits + " cross-tenant cache hits (by answer "
            + "text and backend log: own tenant's hit carried its cached text and reached no "
            + "backend; the other tenant's " + ports.length + " asks, " + globexAtBackend
            + " at the backend, none with the first tenant's text); 0 of "
            + plain.size() + " plain keys in " + everything.length() + " characters of Redis "
            + "content");
  }

  /** Near misses of each real key: what a typo, a cut paste or a guess would send. */
  static List<String> badKeys(List<String> real, long seed) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>();
    for (String k : real) {
      out.add(k.substring(0, k.length() - 1));
      out.add(k.substring(0, k.length() / 2));
      out.add(k.substring(1));
      out.add(k + "x");
      out.add(k + "\t" + k);
      out.add(k.toUpperCase());
      for (int i = 0; i < 4; i++) {
        int at = r.nextInt(k.length());
        char c = k.charAt(at);
        char other = c == 'a' ? 'b' : 'a';
        out.add(k.substring(0, at) + other + k.substring(at + 1));
      }
    }
    out.add("");
    out.add("null");
    out.add("Bearer");
    out.removeIf(real::contains);
    return out;
  }

  private static List<RawHttp.Reply> clientCalls(int port, String key) throws Exception {
    List<RawHttp.Reply> out = new ArrayList<>();
    out.add(RawHttp.send("127.0.0.1", port, "POST", "/v1/chat/completions", chat("hi"),
        "Authorization", "Bearer " + key));
    out.add(RawHttp.send("127.0.0.1", port, "POST", "/v1/embeddings",
        "{\"model\":\"auto\",\"input\":\"x\"}", "Authorization", "Bearer " + key));
    out.add(RawHttp.send("127.0.0.1", port, "POST", "/v1/messages",
        "{\"model\":\"auto\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}", "x-api-key", key, "anthropic-version", "2023-06-01"));
    return out;
  }

  /** How many times the backend executed the request that got {@code reply}, by request id. */
  private long executions(RawHttp.Reply reply) {
    String id = reply.header("X-Request-Id");
    assertTrue(id != null && !id.isEmpty(), "no X-Request-Id");
    return sim.log().count(e -> e.requestId() != null && e.requestId().startsWith(id));
  }

  private static String text(RawHttp.Reply reply) {
    return new JsonObject(reply.body()).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content");
  }

  private static String chat(String content) {
    return "{\"model\":\"auto\",\"temperature\":0,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + content + "\"}]}";
  }

  private static RawHttp.Reply admin(int port, String method, String path, String body)
      throws Exception {
    return RawHttp.send("127.0.0.1", port, method, path, body, "Authorization",
        "Bearer " + ADMIN);
  }

  private NodeProcess start(String node, String roles, String clusterName, int clusterPort,
      int httpPort, int[] members, Map<String, String> env) throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:" + members[1] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"], embeddingModel: nomic-embed-text}\n";
    Path file = dir.resolve(node + ".yaml");
    Files.writeString(file, yaml);
    NodeProcess p = NodeProcess.start(node, file, env);
    nodes.add(p);
    return p;
  }

  /** Every key and every value in Redis, as text, whatever its type. */
  private String dumpRedis(String url) throws Exception {
    RedisConnection conn = Redis.createClient(vertx, url).connect().await(10, TimeUnit.SECONDS);
    try {
      RedisAPI api = RedisAPI.api(conn);
      StringBuilder all = new StringBuilder();
      String cursor = "0";
      do {
        Response page = api.scan(List.of(cursor, "COUNT", "500")).await(10, TimeUnit.SECONDS);
        cursor = page.get(0).toString();
        for (Response k : page.get(1)) {
          String key = k.toString();
          all.append(key).append('\n');
          String type = api.type(key).await(10, TimeUnit.SECONDS).toString();
          Response v = switch (type) {
            case "string" -> api.get(key).await(10, TimeUnit.SECONDS);
            case "hash" -> api.hgetall(key).await(10, TimeUnit.SECONDS);
            case "set" -> api.smembers(key).await(10, TimeUnit.SECONDS);
            case "zset" -> api.zrange(List.of(key, "0", "-1", "WITHSCORES"))
                .await(10, TimeUnit.SECONDS);
            case "list" -> api.lrange(key, "0", "-1").await(10, TimeUnit.SECONDS);
            case "stream" -> api.xrange(List.of(key, "-", "+")).await(10, TimeUnit.SECONDS);
            default -> null;
          };
          all.append(v).append('\n');
        }
      } while (!"0".equals(cursor));
      return all.toString();
    } finally {
      conn.close();
    }
  }
}
