package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Request caps through a real gateway: depth, message count, max_tokens, slow bodies. */
class InputLimitsEndToEndTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh("""
        access:
          bodyTimeoutMs: 700
          maxJsonDepth: 8
          maxMessages: 5
          maxOutputTokens: {"hosted/gpt-4o-mini": 100, "premium/gpt-4o": 500}
        """);
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static void assertRefused(HttpResponse<String> r, int status, String mentions) {
    assertEquals(status, r.statusCode(), r.body());
    String message = new JsonObject(r.body()).getJsonObject("error").getString("message");
    assertTrue(message.contains(mentions), message);
  }

  @Test
  void deeplyNestedJsonIsRefusedNamingTheLimit() throws Exception {
    String deep = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        + "\"metadata\":" + "{\"a\":".repeat(20) + "1" + "}".repeat(20) + "}";
    assertRefused(mesh.post("/v1/chat/completions", deep), 400, "limit of 8 levels");
    assertEquals(0, mesh.local.log().calls());
  }

  @Test
  void tooManyMessagesAreRefused() throws Exception {
    StringBuilder msgs = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      msgs.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"m").append(i)
          .append("\"}");
    }
    assertRefused(mesh.post("/v1/chat/completions", "{\"model\":\"auto\",\"messages\":["
        + msgs + "]}"), 400, "the limit is 5");
  }

  @Test
  void maxTokensAboveTheModelsRealLimitIsRefused() throws Exception {
    assertRefused(mesh.post("/v1/chat/completions", "{\"model\":\"hosted/gpt-4o-mini\","
        + "\"max_tokens\":101,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400,
        "output limit of 100");
    assertRefused(mesh.post("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":100000,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "output limit of 500");
    assertEquals(200, mesh.post("/v1/chat/completions", "{\"model\":\"hosted/gpt-4o-mini\","
        + "\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
        .statusCode());
  }

  @Test
  void aTrickledBodyIsCutWith408() throws Exception {
    try (Socket s = new Socket("127.0.0.1", mesh.node.httpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + TestMesh.KEY + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
          + "{\"model\":").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      long ms = (System.nanoTime() - started) / 1_000_000;
      assertTrue(response.startsWith("HTTP/1.1 408"), response);
      assertTrue(response.contains("request_timeout"), response);
      assertTrue(ms >= 500 && ms < 5_000, "cut after " + ms + " ms");
    }
  }
}
