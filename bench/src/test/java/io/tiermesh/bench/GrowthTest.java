package io.tiermesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class GrowthTest {

  @Test
  void aPromptStepSendsAPromptOfTheAskedSize() {
    JsonObject b = new JsonObject(Growth.body(16 * 1024, "", false));
    String content = b.getJsonArray("messages").getJsonObject(0).getString("content");
    assertEquals(16 * 1024, content.length());
    assertEquals(16, b.getInteger("max_tokens"));
  }

  /** The simulator stops at max_tokens, so a long stream must also raise the limit. */
  @Test
  void aStreamStepLetsTheAnswerRunToItsLength() {
    JsonObject b = new JsonObject(Growth.body(64, "tokens=10000", true, 10_016));
    assertTrue(b.getBoolean("stream"));
    assertEquals(10_016, b.getInteger("max_tokens"));
    assertTrue(b.getJsonArray("messages").getJsonObject(0).getString("content")
        .endsWith(" [sim tokens=10000]"));
  }
}
