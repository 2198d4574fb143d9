package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.buffer.Buffer;
import java.util.Map;

/**
 * Caps on what one request may ask for, checked before any work is done for it. Every refusal
 * names the limit, so a client can fix its request.
 *
 * @param maxJsonDepth    deepest nesting of objects and arrays in the body
 * @param maxMessages     most messages in one chat request
 * @param maxOutputTokens the real output limit of {@code provider/model} names; a request
 *                        naming such a model and asking for more is refused, and an alias
 *                        ({@code auto}, {@code tier-N}) may not ask for more than the largest
 *                        of them (no configured model could honour it)
 */
public record InputLimits(int maxJsonDepth, int maxMessages, Map<String, Integer> maxOutputTokens) {

  /**
   * Nesting depth of a JSON text, found by a scan that skips strings: cheap, and it runs
   * before the parser, so a hostile body never reaches recursive parsing.
   */
  public static int depth(Buffer body) {
    DepthScan scan = new DepthScan();
    if (body instanceof io.vertx.core.internal.buffer.BufferInternal internal) {
      // Netty's own loop over the bytes: Buffer.getByte checks the index and the reference
      // count on every call, which cost about 1 ms per MiB of body.
      io.netty.buffer.ByteBuf buf = internal.getByteBuf();
      buf.forEachByte(buf.readerIndex(), buf.readableBytes(), scan);
    } else {
      for (byte b : body.getBytes()) {
        scan.process(b);
      }
    }
    return scan.max;
  }

  /** The depth scan's state, fed one byte at a time. */
  private static final class DepthScan implements io.netty.util.ByteProcessor {
    private int depth;
    private int max;
    private boolean inString;
    private boolean escaped;

    @Override
    public boolean process(byte b) {
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        max = Math.max(max, ++depth);
      } else if (b == '}' || b == ']') {
        depth--;
      }
      return true;
    }
  }

  public void checkBody(Buffer body) {
    if (body != null && depth(body) > maxJsonDepth) {
      throw new MeshFailure(FailureCode.BAD_REQUEST, "the JSON body nests deeper than the limit of "
          + maxJsonDepth + " levels");
    }
  }

  public void checkChat(ChatRequest chat) {
    if (chat.messages().size() > maxMessages) {
      throw new MeshFailure(FailureCode.BAD_REQUEST, "the request has " + chat.messages().size()
          + " messages; the limit is " + maxMessages);
    }
    Integer asked = chat.maxTokens();
    if (asked == null || maxOutputTokens == null || maxOutputTokens.isEmpty()) {
      return;
    }
    Integer cap = maxOutputTokens.get(chat.model());
    if (cap == null && !chat.model().contains("/")) {
      cap = maxOutputTokens.values().stream().max(Integer::compare).orElse(null);
    }
    if (cap != null && asked > cap) {
      throw new MeshFailure(FailureCode.BAD_REQUEST, "max_tokens " + asked + " exceeds the "
          + "model's output limit of " + cap + " tokens");
    }
  }
}
