package io.tiermesh.provider.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ThinkingDelta;
import io.tiermesh.contracts.ThinkingSetting;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.config.Capabilities;
import io.tiermesh.contracts.config.CapabilityOverrides;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's thinking blocks, both ways: the {@code thinking} setting and replayed blocks
 * reach a backend whose model takes them (and only it), and a backend's thinking and
 * redacted_thinking blocks come back as the mesh's thinking parts, streamed and not.
 */
class ThinkingTranslationTest {

  static final ChatOptions THINKING = ChatOptions.ofNullable(false, null, null, null, null,
      null, null, null, null, null, new ThinkingSetting("enabled", 4_000));

  static ChatRequest ask(Integer maxTokens, ChatOptions options, ChatMessage... history) {
    List<ChatMessage> messages = new ArrayList<>(List.of(history));
    messages.add(ChatMessage.of("user", "Why?"));
    return new ChatRequest("claude", messages, maxTokens, null, null, null, null, null, null,
        null, false, options);
  }

  static JsonObject anthropic(boolean thinkingCapable, ChatRequest r) {
    Capabilities caps = Capabilities.ANTHROPIC.with(new CapabilityOverrides(null, null, null,
        null, null, null, thinkingCapable, null, null, null, null));
    return new AnthropicTranslator(m -> caps).encodeChat(r).toJsonObject();
  }

  static final ChatMessage ASSISTANT_WITH_THINKING = new ChatMessage("assistant", null, null,
      null, List.of(new ToolCall("toolu_1", "ls", "{}")), List.of(
          new ContentPart.Thinking("I should list the files", "sig-1", null),
          new ContentPart.Thinking(null, null, "ENCRYPTED")));

  @Test
  void theSettingReachesAThinkingModelAndNoOther() {
    JsonObject on = anthropic(true, ask(8_000, THINKING));
    assertEquals(new JsonObject().put("type", "enabled").put("budget_tokens", 4_000),
        on.getJsonObject("thinking"));
    assertFalse(anthropic(false, ask(8_000, THINKING)).containsKey("thinking"));
    ChatOptions adaptive = ChatOptions.ofNullable(false, null, null, null, null, null, null,
        null, null, null, new ThinkingSetting("adaptive", null));
    assertEquals(new JsonObject().put("type", "adaptive"),
        anthropic(true, ask(8_000, adaptive)).getJsonObject("thinking"));
  }

  @Test
  void anOpenAiClientsReasoningEffortAsksAThinkingModelForABudget() {
    ChatOptions medium = ChatOptions.ofNullable(false, null, null, null, null, "medium", null,
        null, null, null);
    assertEquals(new JsonObject().put("type", "enabled").put("budget_tokens", 4_096),
        anthropic(true, ask(8_000, medium)).getJsonObject("thinking"));
    assertFalse(anthropic(false, ask(8_000, medium)).containsKey("thinking"));
    ChatOptions minimal = ChatOptions.ofNullable(false, null, null, null, null, "minimal", null,
        null, null, null);
    assertFalse(anthropic(true, ask(8_000, minimal)).containsKey("thinking"));
    // beside a temperature Anthropic would refuse thinking: the request is sent as before
    ChatRequest warm = new ChatRequest("claude", List.of(ChatMessage.of("user", "Why?")), 8_000,
        0.7, null, null, null, null, null, null, false, medium);
    assertFalse(anthropic(true, warm).containsKey("thinking"));
  }

  @Test
  void aBudgetIsKeptBelowMaxTokensAndLeftOutBelowAnthropicsMinimum() {
    assertEquals(2_999, anthropic(true, ask(3_000, THINKING)).getJsonObject("thinking")
        .getInteger("budget_tokens"));
    assertFalse(anthropic(true, ask(1_000, THINKING)).containsKey("thinking"));
  }

  @Test
  void replayedBlocksGoBackFirstWithTheirSignatureOnlyToAThinkingModel() {
    JsonArray blocks = anthropic(true, ask(8_000, THINKING, ChatMessage.of("user", "Files?"),
        ASSISTANT_WITH_THINKING)).getJsonArray("messages").getJsonObject(1)
        .getJsonArray("content");
    assertEquals(new JsonObject().put("type", "thinking").put("thinking",
        "I should list the files").put("signature", "sig-1"), blocks.getJsonObject(0));
    assertEquals(new JsonObject().put("type", "redacted_thinking").put("data", "ENCRYPTED"),
        blocks.getJsonObject(1));
    assertEquals("tool_use", blocks.getJsonObject(2).getString("type"));

    JsonArray plain = anthropic(false, ask(8_000, null, ChatMessage.of("user", "Files?"),
        ASSISTANT_WITH_THINKING)).getJsonArray("messages").getJsonObject(1)
        .getJsonArray("content");
    assertEquals(1, plain.size());
    assertEquals("tool_use", plain.getJsonObject(0).getString("type"));
  }

  @Test
  void otherFormatsNeverSeeReplayedThinking() {
    ChatRequest r = ask(null, null, ChatMessage.of("user", "Files?"),
        new ChatMessage("assistant", "Here.", null, null, null,
            List.of(new ContentPart.Thinking("secret plan", "sig", null),
                new ContentPart.Text("Here."))));
    JsonObject openAi = new OpenAiTranslator().encodeChat(r).toJsonObject();
    assertEquals("Here.", openAi.getJsonArray("messages").getJsonObject(1).getString("content"));
    assertFalse(openAi.encode().contains("secret plan"));
    assertFalse(new OllamaTranslator().encodeChat(r).toString().contains("secret plan"));
  }

  @Test
  void aWholeAnswersThinkingBlocksBecomeThinkingParts() {
    ChatResponse r = new AnthropicTranslator().decodeChat(Buffer.buffer("""
        {"id":"msg_1","type":"message","role":"assistant","model":"claude",
         "content":[{"type":"thinking","thinking":"Let me see","signature":"sig-9"},
                    {"type":"redacted_thinking","data":"XYZ"},
                    {"type":"text","text":"Because."}],
         "stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":7}}"""));
    assertEquals("Because.", r.message().content());
    assertEquals(List.of(new ContentPart.Thinking("Let me see", "sig-9", null),
        new ContentPart.Thinking(null, null, "XYZ"), new ContentPart.Text("Because.")),
        r.message().parts());
    ChatResponse plain = new AnthropicTranslator().decodeChat(Buffer.buffer("""
        {"id":"msg_2","type":"message","role":"assistant","model":"claude",
         "content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn",
         "usage":{"input_tokens":5,"output_tokens":1}}"""));
    assertNull(plain.message().parts(), "an answer without reasoning stays a plain message");
  }

  @Test
  void aStreamsThinkingDeltasAndSignatureArriveInOrder() {
    String transcript = """
        event: message_start
        data: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":5}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" see"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-9"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"XYZ"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Because."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}

        event: message_stop
        data: {"type":"message_stop"}

        """;
    List<String> seen = new ArrayList<>();
    StreamSink sink = new StreamSink() {
      @Override
      public void delta(String text, List<ToolCallDelta> toolCalls) {
        seen.add("text:" + text);
      }

      @Override
      public void thinking(ThinkingDelta piece) {
        seen.add("thinking:" + piece);
      }

      @Override
      public void end(String finishReason, Usage usage) {
        seen.add("end:" + finishReason);
      }

      @Override
      public void error(String message) {
        seen.add("error:" + message);
      }
    };
    StreamDecoder d = new AnthropicTranslator().streamDecoder();
    Buffer all = Buffer.buffer(transcript);
    for (int i = 0; i < all.length(); i += 7) {
      d.feed(all.getBuffer(i, Math.min(all.length(), i + 7)), sink);
    }
    assertTrue(d.complete());
    assertEquals(List.of(
        "thinking:" + new ThinkingDelta(true, null, null, null),
        "thinking:" + new ThinkingDelta(false, "Let me", null, null),
        "thinking:" + new ThinkingDelta(false, " see", null, null),
        "thinking:" + new ThinkingDelta(false, null, "sig-9", null),
        "thinking:" + new ThinkingDelta(true, null, null, "XYZ"),
        "text:Because.",
        "end:stop"), seen);
  }
}
