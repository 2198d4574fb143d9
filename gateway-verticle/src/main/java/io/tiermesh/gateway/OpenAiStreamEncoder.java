package io.tiermesh.gateway;

import io.tiermesh.contracts.StreamChunk;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** OpenAI {@code chat.completion.chunk} frames ending with {@code data: [DONE]}. */
final class OpenAiStreamEncoder implements StreamEncoder {

  private final String completionId;
  private final boolean includeUsageChunk;
  private final long created = System.currentTimeMillis() / 1000;

  OpenAiStreamEncoder(String completionId, boolean includeUsageChunk) {
    this.completionId = completionId;
    this.includeUsageChunk = includeUsageChunk;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
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

  @Override
  public ErrorShape errors() {
    return ErrorShape.OPENAI;
  }
}
