package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A warmed-up Ollama provider asks the backend to keep its model loaded, on every call. */
class OllamaKeepAliveTest {

  private static final ChatRequest HI = new ChatRequest("llama3.1:8b",
      List.of(ChatMessage.of("user", "hi")), null, null, null, null, null, null, null, null,
      false);

  @Test
  void everyCallAndTheWarmUpCarryTheConfiguredKeepAlive() {
    assertEquals("45m", new OllamaTranslator("45m").encodeChat(HI).toJsonObject()
        .getString("keep_alive"));
    JsonObject warmup = new OllamaTranslator("45m").encodeWarmup("llama3.1:8b").toJsonObject();
    assertEquals("llama3.1:8b", warmup.getString("model"));
    assertEquals("45m", warmup.getString("keep_alive"));
    assertEquals(1, warmup.getJsonObject("options").getInteger("num_predict"),
        "a one-token generation");
    assertEquals(false, warmup.getBoolean("stream"));
  }

  @Test
  void withoutAWarmUpOllamasOwnDefaultApplies() {
    assertFalse(new OllamaTranslator().encodeChat(HI).toJsonObject().containsKey("keep_alive"));
  }
}
