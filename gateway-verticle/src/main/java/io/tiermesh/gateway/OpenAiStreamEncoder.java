package io.tiermesh.gateway;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.tiermesh.contracts.StreamChunk;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/** OpenAI {@code chat.completion.chunk} frames ending with {@code data: [DONE]}. */
final class OpenAiStreamEncoder implements StreamEncoder {

  private final String completionId;
  private final boolean includeUsageChunk;
  private final long created = System.currentTimeMillis() / 1000;
  /** The frame's bytes before the delta's fields, for {@link #prefixModel}. */
  private byte[] prefix;
  private String prefixModel;

  OpenAiStreamEncoder(String completionId, boolean includeUsageChunk) {
    this.completionId = completionId;
    this.includeUsageChunk = includeUsageChunk;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
    if (!c.end() && c.text() != null && c.toolCalls() == null && c.refusal() == null
        && c.thinking() == null && c.logprobs() == null && !hasSurrogate(c.text())
        && (model == null || !hasSurrogate(model)) && !hasSurrogate(completionId)) {
      return textFrame(c.text(), model, first);
    }
    if (!c.end()) {
      String reasoning = c.thinking() == null ? null : c.thinking().text();
      if (c.thinking() != null && reasoning == null && c.text() == null
          && c.toolCalls() == null && c.refusal() == null && !first) {
        // A thinking block's signature or a redacted block: nothing an OpenAI client reads.
        return Buffer.buffer();
      }
      JsonObject delta = OpenAiChatApi.delta(c.text(), c.toolCalls(), first);
      if (c.refusal() != null) {
        delta.put("refusal", c.refusal());
      }
      if (reasoning != null) {
        // The field DeepSeek, vLLM and LiteLLM use for a model's reasoning.
        delta.put("reasoning_content", reasoning);
      }
      return OpenAiChatApi.chunk(completionId, created, model, delta, c.logprobs(), null, null);
    }
    Buffer out = Buffer.buffer();
    if (first) {
      out.appendBuffer(OpenAiChatApi.chunk(completionId, created, model,
          OpenAiChatApi.delta("", null, true), null, null));
    }
    // Usage rides on the finishing chunk unless the client asked for OpenAI's separate
    // usage chunk, whose empty choices array trips clients that did not ask for it.
    out.appendBuffer(OpenAiChatApi.chunk(completionId, created, model,
        OpenAiChatApi.delta(null, null, false), c.finishReason(),
        includeUsageChunk ? null : c.usage()));
    if (includeUsageChunk) {
      out.appendBuffer(OpenAiChatApi.usageChunk(completionId, created, model, c.usage()));
    }
    return out.appendBuffer(OpenAiChatApi.DONE);
  }

  /**
   * A frame that carries only text, spelled directly: the same bytes as building the chunk's
   * JSON tree and encoding it (OpenAiStreamEncoderTest holds the two side by side), without the
   * tree, which was the largest part of the gateway's CPU per streamed chunk. Everything but
   * the text is the same for every frame of the stream and is kept.
   */
  private Buffer textFrame(String text, String model, boolean first) {
    if (prefix == null || !java.util.Objects.equals(model, prefixModel)) {
      prefixModel = model;
      prefix = ("data: {\"id\":" + quoted(completionId)
          + ",\"object\":\"chat.completion.chunk\",\"created\":" + created
          + ",\"model\":" + quoted(model) + ",\"choices\":[{\"index\":0,\"delta\":{")
          .getBytes(StandardCharsets.UTF_8);
    }
    byte[] content = JsonStringEncoder.getInstance().quoteAsUTF8(text);
    Buffer out = Buffer.buffer(prefix.length + content.length + 96).appendBytes(prefix);
    if (first) {
      out.appendBytes(ROLE);
    }
    return out.appendBytes(CONTENT).appendBytes(content).appendBytes(TEXT_FRAME_END);
  }

  /**
   * Jackson's generator writes a character outside the Basic Multilingual Plane (an emoji) as
   * two {@code \\u} escapes where its string encoder writes UTF-8: such text takes the tree path.
   */
  private static boolean hasSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isSurrogate(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static String quoted(String s) {
    return s == null ? "null"
        : "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }

  private static final byte[] ROLE = "\"role\":\"assistant\",".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CONTENT = "\"content\":\"".getBytes(StandardCharsets.UTF_8);
  private static final byte[] TEXT_FRAME_END =
      "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n".getBytes(StandardCharsets.UTF_8);

  @Override
  public ErrorShape errors() {
    return ErrorShape.OPENAI;
  }
}
