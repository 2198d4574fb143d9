package io.tiermesh.node;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A whole single-node mesh for component tests: three simulators (one per tier), a real
 * redis-server, and a standalone node with every role.
 */
final class TestMesh implements AutoCloseable {

  static final String KEY = "tm-test-key-0123456789";
  static final String ADMIN_KEY = "tm-test-admin-9876543210";
  static final String KEY_SECRET = "test-key-secret-0123456789abcdef";

  final Vertx simVertx = Vertx.vertx();
  final UpstreamSimulator local;
  final UpstreamSimulator hosted;
  final UpstreamSimulator premium;
  final LocalRedis redis;
  final Node node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A fresh redis-server; fails under CI (skips, loudly, elsewhere) when it is not installed. */
  static LocalRedis startRedis() throws Exception {
    RequiredTool.require("redis-server");
    return LocalRedis.start();
  }

  TestMesh() throws Exception {
    this("");
  }

  /** @param extraYaml more top-level config sections, e.g. an {@code access:} block */
  TestMesh(String extraYaml) throws Exception {
    this("", extraYaml);
  }

  /**
   * @param routerYaml extra keys of the {@code router} section, e.g. {@code rulesFile: x}
   * @param extraYaml  more top-level config sections
   */
  TestMesh(String routerYaml, String extraYaml) throws Exception {
    this(routerYaml, extraYaml, "");
  }

  /** @param gatewayYaml extra keys of the {@code gateway} section, e.g. {@code metrics: …} */
  TestMesh(String routerYaml, String extraYaml, String gatewayYaml) throws Exception {
    this(routerYaml, extraYaml, gatewayYaml, 10_000);
  }

  /** @param totalMs each backend call's whole time limit, a stream included */
  TestMesh(String routerYaml, String extraYaml, String gatewayYaml, long totalMs)
      throws Exception {
    this(routerYaml, extraYaml, gatewayYaml, "", "openai", totalMs);
  }

  /**
   * @param budgetLimits more entries of {@code budget.limits}, one per line, each indented by
   *                     four spaces: {@code "    - {scope: \"tier:2\", window: day, usd: …}\n"}
   */
  TestMesh(String routerYaml, String extraYaml, String gatewayYaml, String budgetLimits)
      throws Exception {
    this(routerYaml, extraYaml, gatewayYaml, budgetLimits, "openai");
  }

  /**
   * @param premiumKind the wire format of tier 3's backend ({@code openai} or {@code
   *                    anthropic}); the simulator answers every format
   */
  TestMesh(String routerYaml, String extraYaml, String gatewayYaml, String budgetLimits,
      String premiumKind) throws Exception {
    this(routerYaml, extraYaml, gatewayYaml, budgetLimits, premiumKind, 10_000);
  }

  TestMesh(String routerYaml, String extraYaml, String gatewayYaml, String budgetLimits,
      String premiumKind, long totalMs) throws Exception {
    // Before anything starts: a missing redis-server must not leave simulators running.
    RequiredTool.require("redis-server");
    local = sim("local", 1);
    hosted = sim("hosted", 2);
    premium = sim("premium", 3);
    redis = startRedis();
    String timeouts = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: " + totalMs
        + "}, breaker: {maxFailures: 50, resetMs: 1000}";
    // The config loader reads port 0 as "the default" (8080): take a free port instead.
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted", "provider:premium"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN,
                  %srequestTimeoutMs: 20000%s}
        router: {%s}
        redis: {url: "%s"}
        drainMs: 2000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o-mini], %s}
          - {id: premium, kind: %s, tier: 3, baseUrl: "http://127.0.0.1:%d",
             models: [gpt-4o], %s}
        budget:
          limits:
            - {scope: global, window: month, usd: "200.00"}
        %s  prices:
            hosted: {gpt-4o-mini: {input: "1.00", output: "1.00", maxOutputTokens: 1000}}
            premium: {gpt-4o: {input: "15.00", output: "15.00", maxOutputTokens: 1000}}
        """.formatted(io.tiermesh.testsupport.FreePorts.next(),
        // A small body limit by default, so tests reach it cheaply; a test may set its own.
        gatewayYaml.contains("maxBodyBytes") ? "" : "maxBodyBytes: 65536, ",
        gatewayYaml.isEmpty() ? "" : ", " + gatewayYaml, routerYaml, redis.url(), local.port(), timeouts,
        hosted.port(), timeouts, premiumKind, premium.port(), timeouts, budgetLimits) + extraYaml,
        "test mesh");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN_KEY,
        "TIERMESH_ADMIN_KEY", ADMIN_KEY, "TIERMESH_KEY_SECRET", KEY_SECRET)));
  }

  private UpstreamSimulator sim(String name, long seed) throws Exception {
    return UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName(name)
        .withPort(0).withSeed(seed)).await(10, TimeUnit.SECONDS);
  }

  String url(String path) {
    return "http://127.0.0.1:" + node.httpPort() + path;
  }

  HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    boolean auth = true;
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i].equals("Authorization")) {
        auth = false;
      }
      b.header(headers[i], headers[i + 1]);
    }
    if (auth) {
      b.header("Authorization", "Bearer " + KEY);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An admin POST: the admin key unless the headers bring their own Authorization. */
  HttpResponse<String> adminPost(String path, String body, String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + ADMIN_KEY;
    System.arraycopy(headers, 0, all, 2, headers.length);
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i].equals("Authorization")) {
        all = headers;
      }
    }
    return post(path, body, all);
  }

  /** Any method, with exactly the given headers (no key is added). */
  HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> admin(String method, String path, String body) throws Exception {
    return send(method, path, body, "Authorization", "Bearer " + ADMIN_KEY,
        "Content-Type", "application/json");
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(path)))
        .header("Authorization", "Bearer " + KEY).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String chat(String content, boolean stream) {
    return "{\"model\":\"auto\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + content + "\"}]}";
  }

  void resetSimulators() {
    for (UpstreamSimulator s : List.of(local, hosted, premium)) {
      s.faults().clear();
      s.log().clear();
    }
  }

  @Override
  public void close() {
    node.stop();
    simVertx.close().await();
    redis.close();
  }
}
