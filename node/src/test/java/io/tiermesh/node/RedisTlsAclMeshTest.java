package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.FreePorts;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole node (gateway, router, budget, providers) on a TLS-only redis-server that requires a
 * client certificate, as the narrow ACL user that docs/redis.md prints: the gateway's rate
 * limiter, answer cache, idempotency store and key store, the budget role (start-up check,
 * reservations, settlements, usage, runtime limits), the audit trail and the router's rules
 * history all reach Redis over TLS as that user. That the rule is sufficient is read from the
 * server itself: its {@code ACL LOG} (every command or key a user was refused) stays empty. That
 * the rule is narrow is shown by what it refuses.
 */
class RedisTlsAclMeshTest {

  static final String KEY = "tm-tlsacl-key-0123456789";
  static final String ADMIN = "tm-tlsacl-admin-0123456789";
  static final int PER_DAY = 12;
  static final String USER = "tiermesh";
  static final String PASSWORD = "tls-acl-mesh-" + UUID.randomUUID();
  static final String INSPECTOR_PASSWORD = "inspector-" + UUID.randomUUID();

  /**
   * The ACL rule of docs/redis.md, word for word apart from the password (a test in this class
   * checks the two stay the same).
   */
  static final String RULE = "on >" + PASSWORD + " resetkeys ~tm:* ~{tm}* resetchannels -@all"
      + " +hello +auth +ping +info +config|get +cluster|slots +eval +evalsha +script|load"
      + " +wait +multi +exec +get +set +del +exists +expire +pexpire +pttl +incr +hget"
      + " +hgetall +hmget +hset +hdel +hincrby +hincrbyfloat +lpush +lrange +ltrim +sadd +srem"
      + " +smembers +scan +time +xadd +xlen +xrange +xrevrange +xtrim +zadd +zcard +zrange"
      + " +zrangebyscore +zrem";

  static final Vertx vertx = Vertx.vertx();
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  static SelfSignedCertificate serverCert;
  static SelfSignedCertificate clientCert;
  static RedisServer redis;
  static int port;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    local = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withName("local")
        .withPort(0).withSeed(1)).await(10, TimeUnit.SECONDS);
    hosted = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withName("hosted")
        .withPort(0).withSeed(2)).await(10, TimeUnit.SECONDS);
    serverCert = SelfSignedCertificate.create("localhost");
    clientCert = SelfSignedCertificate.create("tiermesh-node");
    port = FreePorts.next();
    List<String> args = new ArrayList<>(List.of("--port", "0", "--tls-port",
        String.valueOf(port), "--tls-cert-file", serverCert.certificatePath(),
        "--tls-key-file", serverCert.privateKeyPath(), "--tls-ca-cert-file",
        clientCert.certificatePath(), "--tls-auth-clients", "yes", "--appendonly", "yes",
        "--maxmemory-policy", "noeviction", "--user", "default", "off", "--user", USER));
    args.addAll(List.of(RULE.split(" ")));
    // The test's own eyes on the server: reads the ACL log, sees every key.
    args.addAll(List.of("--user", "inspector", "on", ">" + INSPECTOR_PASSWORD, "~*", "&*",
        "+@all"));
    redis = RedisServer.start(port, args);
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    if (serverCert != null) {
      serverCert.delete();
      clientCert.delete();
    }
    vertx.close().await();
  }

  static RedisTarget target(String user, String password) {
    return new RedisTarget(RedisTarget.Mode.STANDALONE, List.of("rediss://localhost:" + port),
        null, user, password, new RedisTarget.Tls(serverCert.certificatePath(),
            clientCert.certificatePath(), clientCert.privateKeyPath()));
  }

  static Response call(Redis client, String command, String... args) throws Exception {
    Request r = Request.cmd(Command.create(command));
    for (String a : args) {
      r.arg(a);
    }
    return client.send(r).await(10, TimeUnit.SECONDS);
  }

  MeshConfig config() throws Exception {
    return ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN,
                  requestTimeoutMs: 20000}
        access: {perKey: {requestsPerDay: %d}, keySecretEnv: TM_KEY_SECRET}
        redis:
          url: "rediss://localhost:%d"
          userEnv: TM_REDIS_USER
          passwordEnv: TM_REDIS_PASSWORD
          tls: {caFile: "%s", certFile: "%s", keyFile: "%s"}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"]}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o-mini]}
        budget:
          operationTimeoutMs: 2000   # TLS handshakes on a loaded 2-core machine
          limits:
            - {scope: global, window: month, usd: "200.00"}
          prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00", maxOutputTokens: 1000}}
        """.formatted(FreePorts.next(), PER_DAY, port, serverCert.certificatePath(),
        clientCert.certificatePath(), clientCert.privateKeyPath(), local.port(),
        hosted.port()), "tls acl test");
  }

  HttpResponse<String> send(Node node, String method, String path, String key, String body,
      String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + node.httpPort() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> chat(Node node, String key, String body, String... headers)
      throws Exception {
    return send(node, "POST", "/v1/chat/completions", key, body, headers);
  }

  static String body(String content, String extra) {
    return "{\"model\":\"auto\"" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + content + "\"}]}";
  }

  @Test
  void everyStoreOfTheMeshRunsOverTlsAsTheNarrowAclUser() throws Exception {
    Redis inspector = RedisClients.create(vertx, target("inspector", INSPECTOR_PASSWORD), 1, 8);
    // The other test's refusals are not the mesh's.
    call(inspector, "ACL", "LOG", "RESET");
    Node node = Node.start(config(), new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN,
        "TM_KEY_SECRET", "tls-acl-key-secret-0123456789abcdef", "TM_REDIS_USER", USER,
        "TM_REDIS_PASSWORD", PASSWORD)));
    try {
      awaitReady(node);
      int answered = 0;
      // Budget: reserved, confirmed and settled; usage rolled up.
      HttpResponse<String> paid = chat(node, KEY, body("paid over tls", ""),
          "X-TierMesh-Quality", "high");
      assertEquals(200, paid.statusCode(), paid.body());
      answered++;
      assertEquals("2", paid.headers().firstValue("X-TierMesh-Tier").orElseThrow());
      double cost = Double.parseDouble(paid.headers().firstValue("X-TierMesh-Cost-USD")
          .orElseThrow());
      assertTrue(cost > 0, "charged " + cost);

      // Idempotency store: the retry is the stored answer, one backend call.
      String idem = "idem-" + UUID.randomUUID();
      long hostedBefore = hosted.log().calls();
      String once = body("exactly once over tls", "");
      assertEquals(200, chat(node, KEY, once, "Idempotency-Key", idem,
          "X-TierMesh-Quality", "high").statusCode());
      HttpResponse<String> replay = chat(node, KEY, once, "Idempotency-Key", idem,
          "X-TierMesh-Quality", "high");
      answered += 2;
      assertEquals("true", replay.headers().firstValue("X-TierMesh-Idempotent-Replay")
          .orElseThrow(), replay.body());
      assertEquals(hostedBefore + 1, hosted.log().calls(), "executed once");

      // Answer cache: the second deterministic request is a hit.
      long localBefore = local.log().calls();
      String det = body("cache me " + UUID.randomUUID(), ",\"temperature\":0");
      assertEquals("miss", chat(node, KEY, det).headers().firstValue("X-TierMesh-Cache")
          .orElseThrow());
      assertEquals("hit", chat(node, KEY, det).headers().firstValue("X-TierMesh-Cache")
          .orElseThrow());
      answered += 2;
      assertEquals(localBefore + 1, local.log().calls());

      // Key store and audit trail (admin writes), runtime budget limits, usage, the ledger
      // export, the audit read and the rules history.
      HttpResponse<String> tenant = send(node, "PUT", "/admin/tenants/tlsacl", ADMIN,
          "{\"policy\":\"local_and_hosted\"}");
      assertEquals(200, tenant.statusCode(), tenant.body());
      HttpResponse<String> created = send(node, "POST", "/admin/keys", ADMIN,
          "{\"tenant\":\"tlsacl\",\"name\":\"tls-acl\"}");
      assertEquals(201, created.statusCode(), created.body());
      String storedKey = new JsonObject(created.body()).getString("key");
      HttpResponse<String> byStored = chat(node, storedKey, body("stored key over tls", ""));
      assertEquals(200, byStored.statusCode(), byStored.body());
      HttpResponse<String> limit = send(node, "PUT", "/admin/budgets/limits", ADMIN,
          "{\"scope\":\"tenant:tlsacl\",\"window\":\"day\",\"usd\":\"50.00\"}");
      assertEquals(200, limit.statusCode(), limit.body());
      for (String path : List.of("/admin/budgets", "/admin/budgets/limits", "/admin/keys",
          "/admin/usage?group=tier", "/admin/ledger/export", "/admin/audit?key=admin",
          "/admin/rules/history")) {
        HttpResponse<String> r = send(node, "GET", path, ADMIN, null);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
      }

      // Rate limiter: the bootstrap key's daily limit holds exactly.
      int before = answered;
      int refused = 0;
      for (int i = 0; i < PER_DAY + 3; i++) {
        int status = chat(node, KEY, body("count " + i, "")).statusCode();
        if (status == 200) {
          answered++;
        } else {
          assertEquals(429, status);
          refused++;
        }
      }
      assertEquals(PER_DAY, answered, "admitted by the limit");
      assertEquals(PER_DAY + 3 - (PER_DAY - before), refused);

      // Everything above ran as the narrow user: the server refused it nothing.
      Response log = call(inspector, "ACL", "LOG");
      assertEquals(0, log.size(), "refused by the ACL rule: " + log);
      Response keys = call(inspector, "KEYS", "*");
      assertTrue(keys.size() > 0);
      for (Response k : keys) {
        String name = k.toString();
        assertTrue(name.startsWith("tm:") || name.startsWith("{tm}"), "a key outside the "
            + "rule's patterns: " + name);
      }
    } finally {
      node.stop();
      inspector.close();
    }
  }

  @Test
  void theRuleRefusesWhatTheMeshDoesNotNeed() throws Exception {
    Redis narrow = RedisClients.create(vertx, target(USER, PASSWORD), 1, 8);
    try {
      assertEquals("PONG", call(narrow, "PING").toString());
      for (String[] refused : List.<String[]>of(new String[] {"FLUSHALL"},
          new String[] {"KEYS", "*"}, new String[] {"CONFIG", "SET", "appendonly", "no"},
          new String[] {"SET", "someone-else:key", "x"}, new String[] {"SCRIPT", "FLUSH"},
          new String[] {"ACL", "LIST"})) {
        try {
          call(narrow, refused);
          throw new AssertionError("allowed: " + String.join(" ", refused));
        } catch (AssertionError e) {
          throw e;
        } catch (Throwable e) {
          // Redis's refusal (ErrorType) is a Throwable, not an Exception.
          assertTrue(String.valueOf(e.getMessage()).contains("NOPERM"),
              String.join(" ", refused) + ": " + e);
        }
      }
    } finally {
      narrow.close();
    }
  }

  @Test
  void theDocumentedRuleIsTheTestedOne() throws Exception {
    String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs",
        "redis.md"));
    String documented = RULE.replace(">" + PASSWORD, ">LONG-RANDOM-PASSWORD");
    String flat = doc.replaceAll("\\s*\\\\\\n\\s*", " ");
    assertTrue(flat.contains("ACL SETUSER tiermesh " + documented), "docs/redis.md prints "
        + "the rule this test checks: ACL SETUSER tiermesh " + documented);
  }

  private static Response call(Redis client, String[] commandAndArgs) throws Exception {
    return call(client, commandAndArgs[0], java.util.Arrays.copyOfRange(commandAndArgs, 1,
        commandAndArgs.length));
  }

  /**
   * Until the budget role has started its store (on a loaded machine a Cluster's or a TLS
   * server's first connections take seconds), paid calls fall back to tier 1; bounded.
   */
  void awaitReady(Node node) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + node.httpPort() + "/health/ready")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode();
      if (status == 200) {
        return;
      }
      assertTrue(System.currentTimeMillis() < deadline, "the node never became ready");
      Thread.sleep(200);
    }
  }
}
