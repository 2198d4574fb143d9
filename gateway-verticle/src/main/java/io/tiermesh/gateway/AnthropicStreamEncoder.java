package io.tiermesh.gateway;

import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ThinkingDelta;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Anthropic's streaming events from the mesh's chunks: {@code message_start}, then for each
 * content block {@code content_block_start}, its deltas ({@code text_delta}, {@code
 * input_json_delta}, {@code thinking_delta} / {@code signature_delta}) and {@code
 * content_block_stop}, then {@code message_delta} with the stop
 * reason and usage, and {@code message_stop}.
 *
 * <p>The mesh streams tool calls OpenAI-style (fragments addressed by a tool index, text and
 * tools possibly interleaved); Anthropic's blocks are strictly sequential, so a change of
 * kind or of tool index closes the open block and opens the next one.
 */
final class AnthropicStreamEncoder implements StreamEncoder {

  private final String messageId;
  /** The gateway's count of the prompt, for {@code message_start}. */
  private final int inputTokens;

  /** The open block's Anthropic index, or -1 when none is open. */
  private int openBlock = -1;
  private boolean refused;
  private int nextBlock;
  /**
   * The mesh tool index of the open tool_use block, -1 for a text block,
   * {@link #THINKING_BLOCK} or {@link #REDACTED_BLOCK}.
   */
  private int openToolIndex = -1;
  private static final int THINKING_BLOCK = -2;
  private static final int REDACTED_BLOCK = -3;

  AnthropicStreamEncoder(String messageId) {
    this(messageId, 0);
  }

  /**
   * @param inputTokens the prompt's size as the gateway counts it: clients size their context
   *                    window from {@code message_start}, before the backend has reported
   */
  AnthropicStreamEncoder(String messageId, int inputTokens) {
    this.messageId = messageId;
    this.inputTokens = inputTokens;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
    Buffer out = Buffer.buffer();
    if (first) {
      out.appendBuffer(AnthropicMessagesApi.event("message_start", new JsonObject()
          .put("type", "message_start")
          .put("message", new JsonObject().put("id", messageId).put("type", "message")
              .put("role", "assistant").put("model", model).put("content", new JsonArray())
              .putNull("stop_reason").putNull("stop_sequence")
              .put("usage", new JsonObject().put("input_tokens", inputTokens)
                  .put("output_tokens", 0)))));
    }
    if (c.thinking() != null) {
      ThinkingDelta t = c.thinking();
      if (t.redactedData() != null) {
        open(out, new JsonObject().put("type", "redacted_thinking")
            .put("data", t.redactedData()), REDACTED_BLOCK);
      } else {
        if (t.start() || openBlock < 0 || openToolIndex != THINKING_BLOCK) {
          open(out, new JsonObject().put("type", "thinking").put("thinking", ""),
              THINKING_BLOCK);
        }
        if (t.text() != null && !t.text().isEmpty()) {
          out.appendBuffer(delta(new JsonObject().put("type", "thinking_delta")
              .put("thinking", t.text())));
        }
        if (t.signature() != null) {
          out.appendBuffer(delta(new JsonObject().put("type", "signature_delta")
              .put("signature", t.signature())));
        }
      }
    }
    // A backend's refusal is text to an Anthropic client (its own refusals are text too).
    String text = c.refusal() == null ? c.text()
        : c.text() == null ? c.refusal() : c.text() + c.refusal();
    if (c.refusal() != null) {
      refused = true;
    }
    if (text != null && !text.isEmpty()) {
      if (openBlock < 0 || openToolIndex != -1) {
        open(out, new JsonObject().put("type", "text").put("text", ""), -1);
      }
      out.appendBuffer(delta(new JsonObject().put("type", "text_delta").put("text", text)));
    }
    if (c.toolCalls() != null) {
      for (ToolCallDelta t : c.toolCalls()) {
        if (openBlock < 0 || openToolIndex != t.index()) {
          open(out, new JsonObject().put("type", "tool_use")
              .put("id", t.id() == null ? messageId + "_tool_" + t.index() : t.id())
              .put("name", t.name() == null ? "" : t.name())
              .put("input", new JsonObject()), t.index());
        }
        if (t.argumentsFragment() != null && !t.argumentsFragment().isEmpty()) {
          out.appendBuffer(delta(new JsonObject().put("type", "input_json_delta")
              .put("partial_json", t.argumentsFragment())));
        }
      }
    }
    if (c.end()) {
      close(out);
      Usage u = c.usage() == null ? Usage.ZERO : c.usage();
      out.appendBuffer(AnthropicMessagesApi.event("message_delta", new JsonObject()
          .put("type", "message_delta")
          .put("delta", new JsonObject()
              .put("stop_reason", refused ? "refusal"
                  : AnthropicMessagesApi.stopReason(c.finishReason()))
              .putNull("stop_sequence"))
          // Input tokens are only known at the end of a mesh stream, so they ride here too;
          // Anthropic's SDKs take input_tokens from message_delta when present.
          .put("usage", new JsonObject().put("input_tokens", u.promptTokens())
              .put("output_tokens", u.completionTokens()))));
      out.appendBuffer(AnthropicMessagesApi.event("message_stop",
          new JsonObject().put("type", "message_stop")));
    }
    return out;
  }

  private void open(Buffer out, JsonObject block, int toolIndex) {
    close(out);
    openBlock = nextBlock++;
    openToolIndex = toolIndex;
    out.appendBuffer(AnthropicMessagesApi.event("content_block_start", new JsonObject()
        .put("type", "content_block_start").put("index", openBlock).put("content_block", block)));
  }

  private void close(Buffer out) {
    if (openBlock >= 0) {
      out.appendBuffer(AnthropicMessagesApi.event("content_block_stop", new JsonObject()
          .put("type", "content_block_stop").put("index", openBlock)));
      openBlock = -1;
      openToolIndex = -1;
    }
  }

  private Buffer delta(JsonObject delta) {
    return AnthropicMessagesApi.event("content_block_delta", new JsonObject()
        .put("type", "content_block_delta").put("index", openBlock).put("delta", delta));
  }

  @Override
  public ErrorShape errors() {
    return ErrorShape.ANTHROPIC;
  }
}
