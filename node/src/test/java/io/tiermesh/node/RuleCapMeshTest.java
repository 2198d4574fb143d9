package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule's {@code maxPerDay} and rule 3 ({@code onBudgetExhausted}) through a real mesh: the cap
 * is counted by the budget role's atomic reservation in a real redis-server, so it holds with
 * two routers as with one; the routers' cached budget signals make decisions and explanations
 * say {@code budget-fallback}, and say when they are not enforced.
 */
class RuleCapMeshTest {

  static final String KEY = "tm-cap-key-0123456789";
  static final String ADMIN = "tm-cap-admin-0123456789";

  static final String RULES = """
      version: 1
      rules:
        - name: premium-capped
          when: {task: code}
          target: {tier: 3}
          maxPerDay: 3
        - name: local-capped
          when: {task: docs}
          target: {provider: local}
          maxPerDay: 2
          fallback: [{tier: 2}]
        - name: docs-overflow
          when: {task: docs}
          target: {tier: 2}
        - name: critical-high
          when: {quality: critical}
          target: {tier: 3}
        - name: quality-high
          when: {quality: high}
          target: {tier: 2}
        - name: default
          when: always
          target: {tier: 1}
      """;

  @TempDir
  Path dir;
  final Vertx simVertx = Vertx.vertx();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<Node> nodes = new ArrayList<>();
  UpstreamSimulator local;
  UpstreamSimulator hosted;
  UpstreamSimulator premium;
  LocalRedis redis;

  @BeforeEach
  void backends() throws Exception {
    local = sim("local", 1);
    hosted = sim("hosted", 2);
    premium = sim("premium", 3);
    redis = TestMesh.startRedis();
    Files.writeString(dir.resolve("rules.yaml"), RULES);
  }

  @AfterEach
  void stop() throws Exception {
    for (Node n : nodes) {
      n.stop();
    }
    simVertx.close().await(10, TimeUnit.SECONDS);
    redis.close();
  }

  private UpstreamSimulator sim(String name, long seed) throws Exception {
    return UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName(name)
        .withPort(0).withSeed(seed)).await(10, TimeUnit.SECONDS);
  }

  /** @param cluster null for a standalone node, else its cluster section */
  private Node startNode(String roles, String cluster, String limits) throws Exception {
    String timeouts = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}";
    MeshConfig config = ConfigLoader.parse("""
        roles: [%s]
        %s
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN,
                  requestTimeoutMs: 20000}
        router: {rulesFile: "%s"}
        redis: {url: "%s"}
        drainMs: 1000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o-mini], %s}
          - {id: premium, kind: openai, tier: 3, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o], %s}
        budget:
          limits:
        %s
          prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00", maxOutputTokens: 500}}
            premium: {gpt-4o: {input: "15.00", output: "15.00", maxOutputTokens: 500}}
        """.formatted(roles, cluster == null ? "cluster: {enabled: false}" : cluster,
        // port 0 means the default (8080) to the config loader: take a free one instead
        io.tiermesh.testsupport.FreePorts.next(),
        dir.resolve("rules.yaml").toString().replace("\\", "/"), redis.url(), local.port(),
        timeouts, hosted.port(), timeouts, premium.port(), timeouts,
        limits.indent(4).stripTrailing()), "rule cap test");
    Node n = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN)));
    nodes.add(n);
    return n;
  }

  private static final String ALL_ROLES =
      "gateway, router, budget, \"provider:local\", \"provider:hosted\", \"provider:premium\"";
  private static final String PLENTY = "- {scope: global, window: month, usd: \"200.00\"}";

  private HttpResponse<String> chat(Node n, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(url(n, "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"Write the function please\"}]}"));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject explain(Node n, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(url(n, "/admin/route/explain"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"Write the function please\"}]}"));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** Explains until {@code done} holds (the signals refresh every second) or 10 s passed. */
  private JsonObject explainUntil(Node n, Predicate<JsonObject> done, String... headers)
      throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    JsonObject x = explain(n, headers);
    while (!done.test(x) && System.currentTimeMillis() < deadline) {
      simVertx.timer(100).await(5, TimeUnit.SECONDS);
      x = explain(n, headers);
    }
    return x;
  }

  private JsonObject budgets(Node n) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(n, "/admin/budgets"))
        .header("Authorization", "Bearer " + ADMIN).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static URI url(Node n, String path) {
    return URI.create("http://127.0.0.1:" + n.httpPort() + path);
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  private static boolean notesContain(JsonObject x, String part) {
    JsonArray notes = x.getJsonArray("notes");
    for (int i = 0; i < notes.size(); i++) {
      if (notes.getString(i).contains(part)) {
        return true;
      }
    }
    return false;
  }

  private static JsonObject line(JsonObject budgets, String scope) {
    JsonArray lines = budgets.getJsonArray("budgets");
    for (int i = 0; i < lines.size(); i++) {
      if (scope.equals(lines.getJsonObject(i).getString("scope"))) {
        return lines.getJsonObject(i);
      }
    }
    throw new AssertionError("no " + scope + " in " + budgets.encodePrettily());
  }

  @Test
  void aCapOfThreeServesThreeOnItsTargetAndTheFourthFallsBackFreeTargetsIncluded()
      throws Exception {
    Node n = startNode(ALL_ROLES, null, PLENTY);
    for (int i = 1; i <= 4; i++) {
      HttpResponse<String> r = chat(n, "X-TierMesh-Task", "code");
      assertEquals(200, r.statusCode(), r.body());
      if (i <= 3) {
        assertEquals("3", header(r, "X-TierMesh-Tier"), "call " + i);
        assertEquals("premium-capped", header(r, "X-TierMesh-Route-Reason"));
      } else {
        assertNotEquals("3", header(r, "X-TierMesh-Tier"), "the fourth call is over the cap");
      }
    }
    assertEquals(3, premium.log().calls(), "the paid simulator saw exactly 3 calls");
    local.log().clear();

    // A free target counts too: its reservation holds nothing but one count.
    for (int i = 1; i <= 3; i++) {
      HttpResponse<String> r = chat(n, "X-TierMesh-Task", "docs");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(i <= 2 ? "1" : "2", header(r, "X-TierMesh-Tier"), "docs call " + i);
    }
    assertEquals(2, local.log().calls(),
        "the local target served exactly its cap of 2 docs calls");

    JsonObject b = budgets(n);
    JsonObject premiumCap = line(b, "rule:premium-capped");
    assertEquals("day", premiumCap.getString("window"));
    assertEquals(3, premiumCap.getLong("requests"));
    assertEquals(3, premiumCap.getLong("max_requests"));
    assertEquals(2, line(b, "rule:local-capped").getLong("requests"));
    assertEquals(0, b.getLong("open_reservations"));

    // Once the signals have the count, the rule is skipped up front and explain says why.
    JsonObject x = explainUntil(n, e -> !"premium-capped".equals(e.getString("rule")),
        "X-TierMesh-Task", "code");
    assertEquals("default", x.getString("rule"), x.encodePrettily());
    assertTrue(x.encode().contains("daily cap reached (3/3)"), x.encodePrettily());
  }

  @Test
  void twoClusteredRoutersHoldOneCapInTotal() throws Exception {
    int portA = io.tiermesh.testsupport.FreePorts.next();
    int portB = io.tiermesh.testsupport.FreePorts.next();
    String members = "members: [\"127.0.0.1:" + portA + "\", \"127.0.0.1:" + portB + "\"]";
    String name = "it-cap-" + portA;
    Node a = startNode(ALL_ROLES, "cluster: {name: " + name + ", host: 127.0.0.1, port: "
        + portA + ", " + members + "}", PLENTY);
    Node b = startNode("gateway, router", "cluster: {name: " + name + ", host: 127.0.0.1,"
        + " port: " + portB + ", " + members + "}", PLENTY);
    // Each gateway explains with its own node's router: two routers with two caches.
    String routerA = explain(a).getString("routerNode");
    String routerB = explain(b).getString("routerNode");
    assertNotEquals(routerA, routerB);

    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Node via = i % 2 == 0 ? a : b;
      calls.add(CompletableFuture.supplyAsync(() -> {
        try {
          return chat(via, "X-TierMesh-Task", "code");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    int onPremium = 0;
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      HttpResponse<String> r = c.get(60, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      onPremium += "3".equals(header(r, "X-TierMesh-Tier")) ? 1 : 0;
    }
    assertEquals(3, onPremium);
    assertEquals(3, premium.log().calls(), "the paid simulator saw exactly 3 calls");
    assertEquals(3, line(budgets(b), "rule:premium-capped").getLong("requests"));
    // Router B's cache holds the count that both routers made.
    JsonObject x = explainUntil(b, e -> !"premium-capped".equals(e.getString("rule")),
        "X-TierMesh-Task", "code");
    assertEquals(routerB, x.getString("routerNode"));
    assertTrue(x.encode().contains("daily cap reached (3/3)"), x.encodePrettily());
  }

  @Test
  void anExhaustedTierGivesBudgetFallbackAndAnOutageIsSaidWhileReservesFailClosed()
      throws Exception {
    Node n = startNode(ALL_ROLES, null, PLENTY + "\n- {scope: \"tier:2\", window: day,"
        + " usd: \"0\"}");
    JsonObject x = explainUntil(n, e -> "budget-fallback".equals(e.getString("reason")),
        "X-TierMesh-Quality", "high");
    assertEquals("budget-fallback", x.getString("reason"), x.encodePrettily());
    assertTrue(notesContain(x, "tier 2 exhausted"), x.encodePrettily());
    assertTrue(!notesContain(x, "not enforced"), x.encodePrettily());
    HttpResponse<String> r = chat(n, "X-TierMesh-Quality", "high");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("budget-fallback", header(r, "X-TierMesh-Route-Reason"));
    assertEquals("1", header(r, "X-TierMesh-Tier"));
    assertEquals(0, hosted.log().calls());

    // Redis goes away: the budget role cannot answer snapshots, the router says so ...
    redis.close();
    JsonObject down = explainUntil(n, e -> notesContain(e, "signals not enforced"),
        "X-TierMesh-Quality", "critical");
    assertTrue(notesContain(down, "signals not enforced"), down.encodePrettily());
    // ... and the paid tiers still fail closed: tier 3 is skipped, tier 1 serves.
    HttpResponse<String> critical = chat(n, "X-TierMesh-Quality", "critical");
    assertEquals(200, critical.statusCode(), critical.body());
    assertEquals("1", header(critical, "X-TierMesh-Tier"));
    assertEquals(0, premium.log().calls(), "no unreserved paid call");
    assertEquals(0, hosted.log().calls());
  }
}
