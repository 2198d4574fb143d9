package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The provider features through a whole node: embeddings over the mesh, an Anthropic backend
 * behind the OpenAI API, the admin providers view, and a client disconnect cancelling the
 * upstream call.
 */
class ProviderMeshTest {

  static final String KEY = "tm-provider-test-key";
  static final String ADMIN = "tm-provider-admin-key";

  static Vertx simVertx;
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  static UpstreamSimulator premium;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  static LocalRedis redis;

  @BeforeAll
  static void start() throws Exception {
    redis = TestMesh.startRedis();
    simVertx = Vertx.vertx();
    local = sim("local");
    hosted = sim("hosted");
    premium = sim("premium");
    String common = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}, "
        + "probe: {intervalMs: 300}";
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted",
                "provider:premium"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: 0, apiKeyEnv: TM_KEY, adminKeyEnv: TM_ADMIN,
                  requestTimeoutMs: 20000}
        drainMs: 2000
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llama3.1:8b"], embeddingModel: nomic-embed-text, %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], embeddingModel: text-embedding-3-small, %s}
          - {id: premium, kind: anthropic, tier: 3, baseUrl: "http://127.0.0.1:%d",
             models: [claude-sonnet-4-5], %s,
             retry: {maxRetries: 1, baseDelayMs: 50, maxDelayMs: 2000}}
        redis: {url: "%s"}
        budget:
          prices:
            hosted: {gpt-4o-mini: {input: "0.15", output: "0.60"},
                     text-embedding-3-small: {input: "0.02", output: "0"}}
            premium: {claude-sonnet-4-5: {input: "3.00", output: "15.00"}}
        """.formatted(local.port(), common, hosted.port(), common, premium.port(), common,
        redis.url()),
        "provider mesh test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY, "TM_ADMIN", ADMIN)));
  }

  static UpstreamSimulator sim(String name) throws Exception {
    return UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName(name)
        .withPort(0)).await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    node.stop();
    simVertx.close().await();
    redis.close();
  }

  @BeforeEach
  void reset() {
    for (UpstreamSimulator s : List.of(local, hosted, premium)) {
      s.faults().clear();
      s.log().clear();
    }
  }

  static HttpResponse<String> send(String method, String path, String body, String key)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A chat request written by hand, so the test decides when the client goes away. */
  static void postChat(Socket socket, String body) throws IOException {
    OutputStream out = socket.getOutputStream();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Authorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.write(bytes);
    out.flush();
  }

  static void await(BooleanSupplier condition, long timeoutMs, String what) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      // Park on a JDK timer rather than sleeping: the condition is re-checked every 10 ms.
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  @Test
  void embeddingsAreServedByTheLocalTierInOpenAiFormat() throws Exception {
    HttpResponse<String> r = send("POST", "/v1/embeddings",
        "{\"model\":\"auto\",\"input\":[\"first\",\"second\"]}", KEY);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("local", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
    JsonObject body = new JsonObject(r.body());
    assertEquals("list", body.getString("object"));
    assertEquals("nomic-embed-text", body.getString("model"));
    JsonArray data = body.getJsonArray("data");
    assertEquals(2, data.size());
    assertEquals(1, data.getJsonObject(1).getInteger("index"));
    int dims = data.getJsonObject(0).getJsonArray("embedding").size();
    assertTrue(dims > 0);
    assertTrue(body.getJsonObject("usage").getInteger("prompt_tokens") > 0);
    assertEquals(1, local.log().count(e -> "/api/embed".equals(e.path())));

    HttpResponse<String> b64 = send("POST", "/v1/embeddings",
        "{\"input\":\"first\",\"encoding_format\":\"base64\"}", KEY);
    assertEquals(200, b64.statusCode(), b64.body());
    String encoded = new JsonObject(b64.body()).getJsonArray("data").getJsonObject(0)
        .getString("embedding");
    assertEquals(dims * 4, Base64.getDecoder().decode(encoded).length, "float32 per value");
  }

  @Test
  void embeddingsOnAnOpenAiBackendAndClearFailureOnAnthropic() throws Exception {
    HttpResponse<String> r = send("POST", "/v1/embeddings",
        "{\"model\":\"tier-2\",\"input\":\"x\"}", KEY);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(1, hosted.log().count(e -> "/v1/embeddings".equals(e.path())),
        "tier 2 asked for explicitly is tried first");
    // A paid embedding is budgeted like a chat call, at the embedding model's price.
    JsonObject byModel = new JsonObject(send("GET", "/admin/usage?group=model", null, ADMIN)
        .body());
    JsonObject embedRow = byModel.getJsonArray("rows").stream().map(JsonObject.class::cast)
        .filter(row -> "hosted/text-embedding-3-small".equals(row.getString("key"))).findFirst()
        .orElseThrow(() -> new AssertionError(byModel.encode()));
    assertEquals(1, embedRow.getInteger("calls"));
    assertTrue(Double.parseDouble(embedRow.getValue("cost_usd").toString()) > 0, embedRow.encode());

    // Anthropic has no embeddings endpoint: the provider says so without a backend call, and
    // the chain moves down to a tier that has one.
    HttpResponse<String> fellBack = send("POST", "/v1/embeddings",
        "{\"model\":\"premium/claude-sonnet-4-5\",\"input\":\"x\"}", KEY);
    assertEquals(200, fellBack.statusCode(), fellBack.body());
    assertTrue(!"premium".equals(fellBack.headers().firstValue("X-TierMesh-Provider")
        .orElse("premium")), fellBack.headers().map().toString());
    assertEquals(0, premium.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).count());

    assertEquals(400, send("POST", "/v1/embeddings", "{\"input\":[1,\"x\"]}", KEY).statusCode());
    assertEquals(401, send("POST", "/v1/embeddings", "{\"input\":\"x\"}", null).statusCode());
  }

  private static JsonArray vectors(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getJsonArray("data");
  }

  @Test
  void tokenArrayInputEmbedsTheTextItStandsFor() throws Exception {
    com.knuddels.jtokkit.api.Encoding cl100k = com.knuddels.jtokkit.Encodings
        .newDefaultEncodingRegistry().getEncoding(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE);
    JsonArray first = new JsonArray();
    for (int id : cl100k.encode("The quick brown fox").toArray()) {
      first.add(id);
    }
    JsonArray second = new JsonArray();
    for (int id : cl100k.encode(" jumps over").toArray()) {
      second.add(id);
    }
    JsonArray asText = vectors(send("POST", "/v1/embeddings",
        "{\"input\":[\"The quick brown fox\",\" jumps over\"]}", KEY));
    // LangChain's default form: an array of token arrays; and one token array on its own.
    JsonArray asTokenArrays = vectors(send("POST", "/v1/embeddings",
        new JsonObject().put("input", new JsonArray().add(first).add(second)).encode(), KEY));
    JsonArray asOneTokenArray = vectors(send("POST", "/v1/embeddings",
        new JsonObject().put("input", first).encode(), KEY));
    assertEquals(asText, asTokenArrays, "the backend embedded the same texts");
    assertEquals(asText.getJsonObject(0).getJsonArray("embedding"),
        asOneTokenArray.getJsonObject(0).getJsonArray("embedding"));
    assertEquals(1, asOneTokenArray.size());
    assertEquals(3, local.log().count(e -> "/api/embed".equals(e.path())));
  }

  @Test
  void embeddingsRefuseBadMetadataAndDeepBodiesWithoutABackendCall() throws Exception {
    HttpResponse<String> metadata = send("POST", "/v1/embeddings",
        "{\"input\":\"x\",\"metadata\":\"pii\"}", KEY);
    assertEquals(400, metadata.statusCode(), metadata.body());
    assertTrue(metadata.body().contains("'metadata' must be an object"), metadata.body());
    String deep = "[".repeat(100) + "]".repeat(100);
    HttpResponse<String> nested = send("POST", "/v1/embeddings",
        "{\"input\":\"x\",\"metadata\":{\"a\":" + deep + "}}", KEY);
    assertEquals(400, nested.statusCode(), nested.body());
    assertTrue(nested.body().contains("nests deeper"), nested.body());
    HttpResponse<String> token = send("POST", "/v1/embeddings", "{\"input\":[[1],[-5]]}", KEY);
    assertEquals(400, token.statusCode(), token.body());
    assertEquals(0, local.log().calls() + hosted.log().calls() + premium.log().calls());
  }

  @Test
  void anIdempotentEmbeddingRetryIsReplayedWithoutASecondCall() throws Exception {
    String key = "embed-" + java.util.UUID.randomUUID();
    String body = "{\"input\":[\"same\",\"texts\"]}";
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/embeddings"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY).header("Idempotency-Key", key);
    HttpResponse<String> first = http.send(b.copy().POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> again = http.send(b.copy().POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, again.statusCode(), again.body());
    assertEquals(new JsonObject(first.body()), new JsonObject(again.body()));
    assertEquals("true", again.headers().firstValue("X-TierMesh-Idempotent-Replay").orElseThrow());
    assertEquals("local", again.headers().firstValue("X-TierMesh-Provider").orElseThrow());
    assertEquals(1, local.log().count(e -> "/api/embed".equals(e.path())), "embedded once");
    HttpResponse<String> other = http.send(b.copy().POST(HttpRequest.BodyPublishers
        .ofString("{\"input\":\"different\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(422, other.statusCode(), other.body());
    assertEquals(1, local.log().count(e -> "/api/embed".equals(e.path())));
  }

  @Test
  void anthropicBackendServesAnOpenAiClientStreamed() throws Exception {
    HttpResponse<String> r = send("POST", "/v1/chat/completions",
        "{\"model\":\"premium/claude-sonnet-4-5\",\"stream\":true,\"messages\":["
            + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"Hello\"}]}", KEY);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
    assertEquals(1, premium.log().count(e -> "/v1/messages".equals(e.path())
        && RequestLog.OK.equals(e.outcome())));
  }

  @Test
  void adminProvidersShowsEveryInstanceWithBreakerAndProbe() throws Exception {
    assertEquals(401, send("GET", "/admin/providers", null, null).statusCode());
    assertEquals(401, send("GET", "/admin/providers", null, KEY).statusCode(),
        "a client key is not an admin key");
    await(() -> {
      try {
        JsonArray list = new JsonObject(send("GET", "/admin/providers", null, ADMIN).body())
            .getJsonArray("providers");
        return list.size() == 3 && list.stream().map(JsonObject.class::cast)
            .allMatch(p -> "ok".equals(p.getString("probe"))
                && "CLOSED".equals(p.getString("breaker")));
      } catch (Exception e) {
        return false;
      }
    }, 5_000, "three providers with a good probe");
    JsonObject first = new JsonObject(send("GET", "/admin/providers", null, ADMIN).body())
        .getJsonArray("providers").getJsonObject(0);
    assertEquals(node.meshNode().nodeId(), first.getString("node"));
    assertEquals(0, first.getInteger("inFlight"));
  }

  @Test
  void clientDisconnectCancelsTheUpstreamWithinASecond() throws Exception {
    String body = "{\"model\":\"auto\",\"stream\":true,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"long story [sim chunk-delay=50 tokens=400]\"}]}";
    long closedAt;
    try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
      postChat(socket, body);
      InputStream in = socket.getInputStream();
      String seen = "";
      byte[] buf = new byte[4096];
      while (seen.split("data: ", -1).length < 4) {
        int n = in.read(buf);
        assertTrue(n > 0, "stream ended early: " + seen);
        seen += new String(buf, 0, n, StandardCharsets.UTF_8);
      }
      closedAt = System.currentTimeMillis();
    }
    await(() -> local.log().count(e -> RequestLog.CLIENT_CANCELLED.equals(e.outcome())) == 1,
        2_000, "the upstream request to be cancelled");
    long took = System.currentTimeMillis() - closedAt;
    System.out.printf("client disconnect: upstream cancelled %d ms later%n", took);
    assertTrue(took < 1_000, "cancelled after " + took + " ms");
    RequestLog.Entry e = local.log().entries().get(0);
    assertTrue(e.chunksSent() < 400, "generation stopped after " + e.chunksSent() + " chunks");
  }

  @Test
  void clientLeavingANonStreamedRequestCancelsTheUpstreamWithinASecond() throws Exception {
    String body = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"slow answer [sim latency=8000]\"}]}";
    long closedAt;
    try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
      postChat(socket, body);
      await(() -> local.log().calls() == 1, 5_000, "the upstream call");
      closedAt = System.currentTimeMillis();
    }
    await(() -> local.log().count(e -> RequestLog.CLIENT_CANCELLED.equals(e.outcome())) == 1,
        2_000, "the upstream request to be cancelled");
    long took = local.log().entries().get(0).finishedMillis() - closedAt;
    System.out.printf("client left a non-streamed request: upstream cancelled %d ms later%n",
        took);
    assertTrue(took < 1_000, "cancelled after " + took + " ms");
  }

  @Test
  void slowReaderHoldsTheUpstreamBackAcrossTheBus() throws Exception {
    int tokens = 100_000;
    String body = "{\"model\":\"auto\",\"stream\":true,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"firehose [sim tokens=" + tokens + "]\"}]}";
    long closedAt;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096); // a slow client with a small window
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", node.httpPort()));
      postChat(socket, body);
      int n = socket.getInputStream().read(new byte[1024]);
      assertTrue(n > 0, "the stream started");
      // Read nothing more. Without flow control the whole answer would be produced at once
      // and sit in the gateway's memory; with it the backend is paused mid-answer.
      await(() -> local.log().calls() == 1, 2_000, "the upstream call");
      long deadline = System.currentTimeMillis() + 2_000;
      while (System.currentTimeMillis() < deadline) {
        assertEquals(RequestLog.PENDING, chatCall().outcome(),
            "the backend is held back while the client reads nothing");
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      closedAt = System.currentTimeMillis();
    }
    await(() -> RequestLog.CLIENT_CANCELLED.equals(chatCall().outcome()),
        2_000, "the paused upstream call to be cancelled");
    System.out.printf("slow reader: backend paused for 2 s, cancelled %d ms after the client "
        + "left%n", System.currentTimeMillis() - closedAt);
  }

  /** The one chat call in the log; a health probe (a GET) may have been logged before it. */
  private RequestLog.Entry chatCall() {
    return local.log().entries().stream().filter(e -> "POST".equals(e.method())).findFirst()
        .orElseThrow();
  }
}
