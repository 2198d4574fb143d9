package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.config.CapabilityOverrides;
import io.tiermesh.contracts.config.ProviderConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What translators read from a provider's capabilities: output limits and optional fields. */
class CapabilityTranslationTest {

  static ProviderConfig provider(String kind, CapabilityOverrides caps) {
    return new ProviderConfig("p", kind, 2, "http://127.0.0.1:1", null, null,
        List.of("big", "small"), "big", 1, 1, ProviderConfig.Timeouts.DEFAULT,
        ProviderConfig.BreakerConfig.DEFAULT, null, ProviderConfig.RetryConfig.DEFAULT,
        ProviderConfig.ProbeConfig.DEFAULT, caps);
  }

  static CapabilityOverrides maxOutput(Integer n) {
    return new CapabilityOverrides(null, null, null, null, null, null, null, null, null, n,
        null);
  }

  static ChatRequest ask(String model, Integer maxTokens, ChatOptions options) {
    return new ChatRequest(model, List.of(ChatMessage.of("user", "hi")), maxTokens, null, null,
        null, List.of(new ToolDef("t", null, "{\"type\":\"object\"}")), null, null, null, false,
        options);
  }

  static JsonObject encode(ProviderConfig p, ChatRequest r) {
    return WireTranslator.forProvider(p).encodeChat(r).toJsonObject();
  }

  @Test
  void anthropicWithoutAClientLimitGetsTheModelsRealOutputLimit() {
    ProviderConfig p = provider("anthropic", new CapabilityOverrides(null, null, null, null,
        null, null, null, null, null, 64_000, Map.of("small", maxOutput(4_096))));
    assertEquals(64_000, encode(p, ask("big", null, null)).getInteger("max_tokens"));
    assertEquals(4_096, encode(p, ask("small", null, null)).getInteger("max_tokens"));
    // the kind's default when nothing is configured
    assertEquals(8_192, encode(provider("anthropic", null), ask("big", null, null))
        .getInteger("max_tokens"));
    // Claude Code's 128000 is lowered to what the model can produce, a smaller wish kept
    assertEquals(64_000, encode(p, ask("big", 128_000, null)).getInteger("max_tokens"));
    assertEquals(300, encode(p, ask("big", 300, null)).getInteger("max_tokens"));
  }

  @Test
  void openAiGetsNoLimitItDidNotAskForAndALargerOneIsLowered() {
    ProviderConfig p = provider("openai", null);
    assertFalse(encode(p, ask("big", null, null)).containsKey("max_tokens"));
    assertEquals(16_384, encode(p, ask("big", 128_000, null)).getInteger("max_tokens"));
  }

  @Test
  void maxCompletionTokensKeepsItsNameUnlessTheModelIsConfiguredWithoutIt() {
    ChatOptions named = ChatOptions.ofNullable(true, null, null, null, null, null, null, null,
        null, null);
    JsonObject plain = encode(provider("openai", null), ask("big", 500, named));
    assertEquals(500, plain.getInteger("max_completion_tokens"));
    assertFalse(plain.containsKey("max_tokens"));
    ProviderConfig old = provider("openai", new CapabilityOverrides(null, null, null, null, null,
        null, null, false, null, null, null));
    JsonObject legacy = encode(old, ask("big", 500, named));
    assertEquals(500, legacy.getInteger("max_tokens"));
    assertFalse(legacy.containsKey("max_completion_tokens"));
  }

  @Test
  void parallelToolCallsIsLeftOutForAModelWithoutIt() {
    ChatOptions parallel = ChatOptions.ofNullable(false, null, null, null, null, null, false,
        null, null, null);
    assertEquals(false, encode(provider("openai", null), ask("big", null, parallel))
        .getBoolean("parallel_tool_calls"));
    ProviderConfig without = provider("openai", new CapabilityOverrides(null, null, false, null,
        null, null, null, null, null, null, null));
    assertTrue(!encode(without, ask("big", null, parallel)).containsKey("parallel_tool_calls"));
  }
}
