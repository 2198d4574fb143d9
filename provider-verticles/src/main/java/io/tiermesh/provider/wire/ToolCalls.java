package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ToolCall;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;

/** What the translators share about tool calls: fresh ids, and arguments as objects. */
final class ToolCalls {

  private ToolCalls() {}

  /**
   * An id for a tool call of a backend that assigns none (Ollama). A client answers a call by
   * its id and keeps the whole conversation, so ids must differ across turns, not only within
   * one.
   */
  static String newId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "call_" + Long.toHexString(r.nextLong() | Long.MIN_VALUE)
        + Integer.toHexString(r.nextInt() | Integer.MIN_VALUE);
  }

  /**
   * A replayed call's arguments as the object Ollama and Anthropic carry. The gateway refuses
   * anything else, so a failure here is a client's request that slipped past it.
   */
  static JsonObject arguments(ToolCall c) {
    if (c.argumentsJson() == null || c.argumentsJson().isBlank()) {
      throw new IllegalArgumentException("tool call " + c.id() + " has no arguments");
    }
    if (Json.decodeValue(c.argumentsJson()) instanceof JsonObject o) {
      return o;
    }
    throw new IllegalArgumentException("tool call arguments are not a JSON object");
  }
}
