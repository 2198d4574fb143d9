package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One backend wire format. Translators are pure: no I/O, no Vert.x context, so they are
 * table-tested on recorded bodies. Every OpenAI-compatible backend shares one translator.
 */
public interface WireTranslator {

  String chatPath();

  /** Health probe path answering 200 when the backend is up (a cheap listing call). */
  String probePath();

  Buffer encodeChat(ChatRequest request);

  ChatResponse decodeChat(Buffer body);

  StreamDecoder streamDecoder();

  /** Adds the credentials in the header this backend expects. */
  void authorize(MultiMap headers, String apiKey);

  /** The human message inside an error body, or null if the body is not this format's error. */
  String errorMessage(Buffer body);

  static WireTranslator forKind(String kind) {
    return switch (kind) {
      case "openai" -> new OpenAiTranslator();
      case "ollama" -> new OllamaTranslator();
      default -> throw new IllegalArgumentException("no translator for provider kind " + kind);
    };
  }
}
