package io.tiermesh.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client saw of one OpenAI-style SSE answer: its content events, whether it ended with
 * {@code [DONE]} and the error event that ended it, if any. Used to reconcile the client's view
 * with the simulator's log and the ledger.
 */
record SseView(List<String> contents, boolean done, String errorCode, int events) {

  static SseView of(String body) {
    List<String> contents = new ArrayList<>();
    boolean done = false;
    String error = null;
    int events = 0;
    for (String line : body.split("\n")) {
      if (!line.startsWith("data: ")) {
        continue;
      }
      events++;
      String data = line.substring(6).trim();
      if (data.equals("[DONE]")) {
        done = true;
        continue;
      }
      JsonObject o = new JsonObject(data);
      if (o.containsKey("error")) {
        error = o.getJsonObject("error").getString("code");
        continue;
      }
      JsonArray choices = o.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        continue;
      }
      JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
      String content = delta == null ? null : delta.getString("content");
      if (content != null && !content.isEmpty()) {
        contents.add(content);
      }
    }
    return new SseView(contents, done, error, events);
  }

  String text() {
    return String.join("", contents);
  }

  /** A whole answer: content, {@code [DONE]}, no error event. */
  boolean whole() {
    return done && errorCode == null && !contents.isEmpty();
  }

  /** A cut answer told as such: an error event last, never {@code [DONE]}. */
  boolean cutWithError() {
    return !done && errorCode != null;
  }

  /** Tokens the provider estimates for text it relayed without a usage report (4 chars each). */
  static int estimatedTokens(String text) {
    return (text.length() + 3) / 4;
  }
}
