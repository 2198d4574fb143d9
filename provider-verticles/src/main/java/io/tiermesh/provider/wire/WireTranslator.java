package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.config.ProviderConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * One backend wire format. Translators are pure: no I/O, no Vert.x context, so they are
 * table-tested on recorded bodies. Every OpenAI-compatible backend shares one translator.
 */
public interface WireTranslator {

  String chatPath();

  /** Health probe path answering 200 when the backend is up (a cheap listing call). */
  String probePath();

  /**
   * The request in this wire format. The gateway has validated it, so this cannot fail on a
   * client's mistake; should it throw anyway, the call is refused as the client's (400) before
   * it reaches the backend or its circuit breaker.
   */
  Buffer encodeChat(ChatRequest request);

  ChatResponse decodeChat(Buffer body);

  StreamDecoder streamDecoder();

  /** The answer to {@code request}: formats that emulate a feature read it back here. */
  default ChatResponse decodeChat(ChatRequest request, Buffer body) {
    return decodeChat(body);
  }

  default StreamDecoder streamDecoder(ChatRequest request) {
    return streamDecoder();
  }

  /** Adds the credentials in the header this backend expects. */
  void authorize(MultiMap headers, String apiKey);

  /** The human message inside an error body, or null if the body is not this format's error. */
  String errorMessage(Buffer body);

  /** Headers every request of this format carries (protocol versions), credentials apart. */
  default void prepare(MultiMap headers) {}

  /** Headers one chat call adds to {@link #prepare}'s: what this request asks for. */
  default void chatHeaders(MultiMap headers, ChatRequest request) {}

  /** The embeddings path, or null when the format has no embeddings endpoint. */
  default String embedPath() {
    return null;
  }

  default Buffer encodeEmbed(String model, List<String> input, Integer dimensions) {
    throw new UnsupportedOperationException("no embeddings in this wire format");
  }

  default Embeddings decodeEmbed(Buffer body) {
    throw new UnsupportedOperationException("no embeddings in this wire format");
  }

  /** The translator of a configured provider, reading its models' capabilities. */
  static WireTranslator forProvider(ProviderConfig provider) {
    return switch (provider.kind()) {
      case "anthropic" -> new AnthropicTranslator(provider::capabilitiesOf);
      case "openai" -> new OpenAiTranslator(provider::capabilitiesOf);
      case "ollama" -> new OllamaTranslator(provider.warmup() == null ? null
          : provider.warmup().keepAlive());
      default -> forKind(provider.kind());
    };
  }

  static WireTranslator forKind(String kind) {
    return switch (kind) {
      case "anthropic" -> new AnthropicTranslator();
      case "openai" -> new OpenAiTranslator();
      case "ollama" -> new OllamaTranslator();
      default -> throw new IllegalArgumentException("no translator for provider kind " + kind);
    };
  }
}
