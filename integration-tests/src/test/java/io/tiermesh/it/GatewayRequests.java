package io.tiermesh.it;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

/** Requests to a gateway node's OpenAI API, as the scenarios' clients send them. */
final class GatewayRequests {

  private GatewayRequests() {}

  /** A chat completion with {@code key}; {@code headers} are extra name/value pairs. */
  static HttpRequest chat(int httpPort, String key, String body, Duration timeout,
      String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions"))
        .timeout(timeout)
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }
}
