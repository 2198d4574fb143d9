package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.FreePorts;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Remote image addresses through a whole mesh: {@code images.remoteAllow} lists 127.0.0.1,
 * where a small image server runs; {@code localhost} is the same machine but not listed. An
 * allowed image reaches the Ollama-format backend inline (the provider fetched it) and the
 * OpenAI-format backend as its address; a host not listed is the client's 400 naming the
 * field, and nothing fetches it.
 */
class RemoteImagesMeshTest {

  static final String KEY = "tm-remote-images-test-key";

  static Vertx vertx;
  static UpstreamSimulator local;
  static UpstreamSimulator hosted;
  static HttpServer images;
  static final ConcurrentLinkedQueue<String> served = new ConcurrentLinkedQueue<>();
  static LocalRedis redis;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    RequiredTool.require("redis-server");
    redis = LocalRedis.start();
    vertx = Vertx.vertx();
    local = CapabilitiesMeshTest.sim(vertx, "local");
    hosted = CapabilitiesMeshTest.sim(vertx, "hosted");
    byte[] png = Base64.getDecoder().decode(CapabilitiesMeshTest.PNG);
    images = vertx.createHttpServer().requestHandler(req -> {
      served.add(req.path());
      req.response().putHeader("Content-Type", "image/png").end(Buffer.buffer(png));
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String common = "timeouts: {connectMs: 1000, firstTokenMs: 3000, totalMs: 10000}";
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, budget, "provider:local", "provider:hosted"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY}
        drainMs: 1000
        images:
          remoteAllow: [127.0.0.1]
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: ["llava:13b"], %s}
          - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%d/v1",
             models: [gpt-4o-mini], %s}
        redis: {url: "%s"}
        budget:
          prices:
            hosted: {gpt-4o-mini: {input: "0.15", output: "0.60"}}
        """.formatted(FreePorts.next(), local.port(), common, hosted.port(), common,
        redis.url()), "remote images test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void clearLogs() {
    local.log().clear();
    hosted.log().clear();
    served.clear();
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY).header("x-api-key", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String openAi(String model, String url) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
  }

  static String anthropic(String url) {
    return "{\"model\":\"local/llava:13b\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"" + url
        + "\"}},{\"type\":\"text\",\"text\":\"What is it?\"}]}]}";
  }

  String url(String host) {
    return "http://" + host + ":" + images.actualPort() + "/cat.png";
  }

  static List<Integer> chatImages(UpstreamSimulator sim) {
    return sim.log().entries().stream().filter(e -> e.path().contains("chat"))
        .map(e -> e.images()).toList();
  }

  @Test
  void anAllowedImageIsFetchedForTheOllamaBackendAndSentInline() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions",
        openAi("local/llava:13b", url("127.0.0.1")));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(List.of("/cat.png"), List.copyOf(served));
    assertEquals(List.of(1), chatImages(local));

    served.clear();
    local.log().clear();
    r = post("/v1/messages", anthropic(url("127.0.0.1")));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(List.of("/cat.png"), List.copyOf(served));
    assertEquals(List.of(1), chatImages(local));
  }

  @Test
  void anAllowedImageReachesAnOpenAiBackendAsItsAddress() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions",
        openAi("hosted/gpt-4o-mini", url("127.0.0.1")));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(List.of(1), chatImages(hosted));
    assertEquals(List.of(), List.copyOf(served), "the backend fetches it, not the mesh");
  }

  @Test
  void aHostNotListedIsRefusedNamingTheFieldAndNeverFetched() throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions",
        openAi("local/llava:13b", url("localhost")));
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("messages[0].content[1].image_url.url",
        new JsonObject(r.body()).getJsonObject("error").getString("param"));

    r = post("/v1/messages", anthropic(url("localhost")));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("messages[0].content[0].source.url"), r.body());

    assertEquals(List.of(), List.copyOf(served));
    assertEquals(List.of(), chatImages(local));
    assertEquals(List.of(), chatImages(hosted));
  }
}
