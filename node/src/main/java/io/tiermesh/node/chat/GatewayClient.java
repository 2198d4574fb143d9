package io.tiermesh.node.chat;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The gateway's OpenAI API as the chat command uses it: chat completions (streamed or whole),
 * the model list and the own-request explain. Blocking calls on the caller's thread: this is a
 * terminal program, not a verticle.
 */
final class GatewayClient {

  /** How long to wait for an answer to start; a stream may then run as long as it runs. */
  static final Duration HEAD_TIMEOUT = Duration.ofSeconds(120);

  private final URI base;
  private final String key;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  GatewayClient(URI base, String key) {
    this.base = base;
    this.key = key;
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(HEAD_TIMEOUT)
        .header("Authorization", "Bearer " + key);
  }

  /**
   * Sends {@code body} to {@code /v1/chat/completions}; {@code onText} gets the answer's text as
   * it arrives (once, whole, when not streamed).
   */
  Answer chat(String body, boolean stream, Map<String, String> headers, Consumer<String> onText)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = request("/v1/chat/completions")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    long started = System.nanoTime();
    HttpResponse<Stream<String>> r = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
    HttpHeaders h = r.headers();
    StringBuilder text = new StringBuilder();
    Long firstToken = null;
    String errorCode = null;
    String errorMessage = null;
    try (Stream<String> lines = r.body()) {
      String contentType = h.firstValue("Content-Type").orElse("");
      if (r.statusCode() == 200 && contentType.startsWith("text/event-stream")) {
        SseReader sse = new SseReader();
        boolean done = false;
        for (Iterator<String> it = lines.iterator(); it.hasNext() && !done; ) {
          String data = sse.line(it.next());
          if (data == null) {
            continue;
          }
          if (data.equals("[DONE]")) {
            done = true;
            continue;
          }
          JsonObject event = new JsonObject(data);
          JsonObject error = event.getJsonObject("error");
          if (error != null) {
            errorCode = error.getString("code", "stream_error");
            errorMessage = error.getString("message");
            break;
          }
          String piece = delta(event);
          if (piece != null && !piece.isEmpty()) {
            if (firstToken == null) {
              firstToken = millisSince(started);
            }
            text.append(piece);
            onText.accept(piece);
          }
        }
        if (!done && errorCode == null) {
          errorCode = "stream_interrupted";
          errorMessage = "the stream ended before the answer was complete";
        }
      } else {
        String whole = String.join("\n", lines.toList());
        JsonObject json = parse(whole);
        if (r.statusCode() == 200 && json != null) {
          firstToken = millisSince(started);
          String content = message(json);
          text.append(content);
          onText.accept(content);
        } else {
          JsonObject error = json == null ? null : json.getJsonObject("error");
          errorCode = error == null ? "http_" + r.statusCode() : error.getString("code");
          errorMessage = error == null ? "HTTP " + r.statusCode() : error.getString("message");
        }
      }
    }
    return new Answer(r.statusCode(), h.firstValue("X-Request-Id").orElse(null),
        text.toString(), errorCode, errorMessage,
        h.firstValue("X-TierMesh-Tier").orElse(null),
        h.firstValue("X-TierMesh-Provider").orElse(null),
        h.firstValue("X-TierMesh-Model").orElse(null),
        h.firstValue("X-TierMesh-Route-Reason").orElse(null),
        h.firstValue("X-TierMesh-Attempts").orElse(null),
        h.firstValue("X-TierMesh-Cost-USD").orElse(null),
        h.firstValue("X-TierMesh-Budget-Remaining").orElse(null),
        millisSince(started), firstToken);
  }

  /** {@code POST /v1/route/explain} for the caller's own request. */
  JsonObject explain(String requestId, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request("/v1/route/explain")
        .header("Content-Type", "application/json").header("X-Request-Id", requestId)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonObject json = parse(r.body());
    if (r.statusCode() != 200 || json == null) {
      throw new IOException(apiMessage(r.statusCode(), json));
    }
    return json;
  }

  /** The ids {@code /v1/models} lists. */
  List<String> models() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request("/v1/models").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    JsonObject json = parse(r.body());
    if (r.statusCode() != 200 || json == null) {
      throw new IOException(apiMessage(r.statusCode(), json));
    }
    List<String> ids = new ArrayList<>();
    JsonArray data = json.getJsonArray("data", new JsonArray());
    for (int i = 0; i < data.size(); i++) {
      ids.add(data.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  static String apiMessage(int status, JsonObject json) {
    JsonObject error = json == null ? null : json.getJsonObject("error");
    return error == null ? "HTTP " + status
        : error.getString("message") + " (" + error.getString("code") + ")";
  }

  private static String delta(JsonObject event) {
    JsonArray choices = event.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      return null;
    }
    JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
    return delta == null ? null : delta.getString("content");
  }

  private static String message(JsonObject completion) {
    JsonArray choices = completion.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      return "";
    }
    JsonObject m = choices.getJsonObject(0).getJsonObject("message", new JsonObject());
    String content = m.getString("content");
    return content != null ? content : m.getString("refusal", "");
  }

  private static JsonObject parse(String text) {
    try {
      return text == null || text.isBlank() ? null : new JsonObject(text);
    } catch (DecodeException notJson) {
      return null;
    }
  }

  private static long millisSince(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }
}
