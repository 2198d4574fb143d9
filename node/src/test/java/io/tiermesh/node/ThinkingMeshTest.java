package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An Anthropic-format backend's thinking blocks through a whole mesh, streamed and not: an
 * Anthropic client gets them back as {@code thinking} blocks with their signature (streamed as
 * {@code thinking_delta} and {@code signature_delta}) and can replay them in its next turn; an
 * OpenAI chat client asking with {@code reasoning_effort} gets the reasoning as
 * {@code reasoning_content}.
 */
class ThinkingMeshTest {

  static final String KEY = "tm-thinking-test-key";

  static Vertx simVertx;
  static UpstreamSimulator claude;
  static Node node;
  static final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    simVertx = Vertx.vertx();
    claude = UpstreamSimulator.start(simVertx, SimulatorOptions.defaults().withName("claude")
        .withPort(0)).await(10, TimeUnit.SECONDS);
    // A single tier: no paid tier, so no budget role (and no Redis) is needed.
    MeshConfig config = ConfigLoader.parse("""
        roles: [gateway, router, "provider:claude"]
        cluster: {enabled: false}
        gateway: {host: 127.0.0.1, port: %d, apiKeyEnv: TM_KEY}
        drainMs: 1000
        providers:
          - {id: claude, kind: anthropic, tier: 1, baseUrl: "http://127.0.0.1:%d",
             models: [claude-sonnet-4-5],
             timeouts: {connectMs: 1000, firstTokenMs: 5000, totalMs: 10000}}
        """.formatted(FreePorts.next(), claude.port()), "thinking test");
    node = Node.start(config, new Secrets(Map.of("TM_KEY", KEY)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
    if (simVertx != null) {
      simVertx.close().await();
    }
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY).header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : sse.split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        out.add(new JsonObject(line.substring(6)));
      }
    }
    return out;
  }

  static String anthropicAsk(boolean stream) {
    return """
        {"model":"auto","max_tokens":8000,"stream":%s,
         "thinking":{"type":"enabled","budget_tokens":2000},
         "messages":[{"role":"user","content":"Why is the sky blue?"}]}""".formatted(stream);
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void anAnthropicClientGetsTheThinkingBlockWithItsSignature(boolean stream) throws Exception {
    HttpResponse<String> r = post("/v1/messages", anthropicAsk(stream));
    assertEquals(200, r.statusCode(), r.body());
    JsonObject thinking;
    String text;
    if (!stream) {
      JsonArray content = new JsonObject(r.body()).getJsonArray("content");
      thinking = content.getJsonObject(0);
      assertEquals("text", content.getJsonObject(1).getString("type"), r.body());
      text = content.getJsonObject(1).getString("text");
    } else {
      StringBuilder thought = new StringBuilder();
      StringBuilder signature = new StringBuilder();
      StringBuilder said = new StringBuilder();
      List<String> starts = new ArrayList<>();
      for (JsonObject e : events(r.body())) {
        if ("content_block_start".equals(e.getString("type"))) {
          starts.add(e.getInteger("index") + ":"
              + e.getJsonObject("content_block").getString("type"));
        } else if ("content_block_delta".equals(e.getString("type"))) {
          JsonObject d = e.getJsonObject("delta");
          switch (d.getString("type")) {
            case "thinking_delta" -> thought.append(d.getString("thinking"));
            case "signature_delta" -> signature.append(d.getString("signature"));
            case "text_delta" -> said.append(d.getString("text"));
            default -> { }
          }
        }
      }
      assertEquals(List.of("0:thinking", "1:text"), starts, r.body());
      thinking = new JsonObject().put("type", "thinking").put("thinking", thought.toString())
          .put("signature", signature.toString());
      text = said.toString();
    }
    assertEquals("thinking", thinking.getString("type"));
    assertEquals("Considering: Why is the sky blue?", thinking.getString("thinking"));
    assertTrue(thinking.getString("signature").startsWith("sim-signature-"), thinking.encode());
    assertFalse(text.isEmpty());

    // The next turn sends the block back, as Claude Code does in a tool loop.
    HttpResponse<String> next = post("/v1/messages", """
        {"model":"auto","max_tokens":8000,"thinking":{"type":"enabled","budget_tokens":2000},
         "messages":[{"role":"user","content":"Why is the sky blue?"},
          {"role":"assistant","content":[%s,{"type":"text","text":"%s"}]},
          {"role":"user","content":"And at sunset?"}]}""".formatted(thinking.encode(),
        text.replace("\"", "")));
    assertEquals(200, next.statusCode(), next.body());
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void anOpenAiClientGetsTheReasoningAsReasoningContent(boolean stream) throws Exception {
    HttpResponse<String> r = post("/v1/chat/completions", """
        {"model":"auto","stream":%s,"reasoning_effort":"low",
         "messages":[{"role":"user","content":"Why is the sky blue?"}]}""".formatted(stream));
    assertEquals(200, r.statusCode(), r.body());
    String reasoning;
    if (!stream) {
      JsonObject message = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0)
          .getJsonObject("message");
      reasoning = message.getString("reasoning_content");
      assertFalse(message.getString("content").contains("Considering"), message.encode());
    } else {
      StringBuilder sb = new StringBuilder();
      for (JsonObject chunk : events(r.body())) {
        JsonArray choices = chunk.getJsonArray("choices");
        if (choices != null && !choices.isEmpty()) {
          JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
          if (delta != null && delta.getString("reasoning_content") != null) {
            sb.append(delta.getString("reasoning_content"));
          }
        }
      }
      reasoning = sb.toString();
    }
    assertEquals("Considering: Why is the sky blue?", reasoning);
  }
}
