package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the README promises a newcomer: {@code tiermesh up} with no configuration serves the
 * documented curl from the demo local tier, streamed and not, and stops cleanly on SIGTERM.
 */
class UpCommandTest {

  @Test
  void upServesTheReadmeCurlAndStopsOnSigterm() throws Exception {
    int http = NodeProcess.freePort();
    int cluster = NodeProcess.freePort();
    String key = "tm-up-test-key";
    try (NodeProcess up = NodeProcess.startCommand("up", Map.of("TIERMESH_API_KEY", key),
        "up", "--http-port", String.valueOf(http), "--cluster-port", String.valueOf(cluster))) {
      up.awaitReady(90).awaitOutput("Ctrl-C stops", 10);
      HttpClient client = HttpClient.newHttpClient();
      String body = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
      HttpResponse<String> r = client.send(request(http, key, body),
          LeakScan.bodies());
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("1", r.headers().firstValue("X-TierMesh-Tier").orElseThrow());
      assertEquals("demo-local", r.headers().firstValue("X-TierMesh-Provider").orElseThrow());
      assertTrue(r.body().contains("\"chat.completion\""), r.body());

      HttpResponse<String> s = client.send(request(http, key,
          body.replace("{\"model\"", "{\"stream\":true,\"model\"")),
          LeakScan.bodies());
      assertEquals(200, s.statusCode());
      assertTrue(s.body().startsWith("data: {"), s.body());
      assertTrue(s.body().endsWith("data: [DONE]\n\n"), s.body());
      assertTrue(up.output().contains("client API key: " + key), up.output());

      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("redis: +redis://127.0.0.1:(\\d+) \\(started for this run\\)")
          .matcher(up.output());
      assertTrue(m.find(), up.output());
      int redisPort = Integer.parseInt(m.group(1));

      up.terminate();
      int exit = up.awaitExit(60);
      // 143 is the JVM's exit status after SIGTERM once its shutdown hook finished.
      assertTrue(exit == 0 || exit == 143, "exit " + exit + "\n" + up.output());
      assertTrue(up.output().contains("stopping"), up.output());
      try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", redisPort)) {
        throw new AssertionError("the Redis that up started still runs on " + redisPort);
      } catch (java.net.ConnectException expected) {
        // stopped with the mesh
      }
    }
  }

  private static HttpRequest request(int port, String key, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }
}
