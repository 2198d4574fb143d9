package io.tiermesh.provider.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reads the common OpenAI stream chunk — text in {@code choices[0].delta.content}, perhaps a
 * finish reason, no usage, tools, refusal, log probabilities or error — with a streaming
 * parser, without the JSON tree the decoder builds for every other chunk (a tree per chunk was
 * a sixth of a streamed answer's CPU). Anything else it does not decide: it reports
 * {@code false} before touching the sink, and the tree path reads the chunk as it always did,
 * errors included.
 */
final class TextChunk {

  private static final JsonFactory FACTORY = new JsonFactory();

  private TextChunk() {}

  /** @return whether the chunk was read and given to the sink */
  static boolean read(String payload, OpenAiTranslator.SseDecoder decoder, StreamSink sink) {
    String text = null;
    String finishReason = null;
    boolean sawChoices = false;
    try (JsonParser p = FACTORY.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "error", "usage" -> {
            if (value != JsonToken.VALUE_NULL || name.equals("error")) {
              return false;
            }
          }
          case "choices" -> {
            if (sawChoices || value != JsonToken.START_ARRAY) {
              return false;
            }
            sawChoices = true;
            if (p.nextToken() != JsonToken.START_OBJECT) {
              return false; // no choice (the tree path returns), or not an object
            }
            Choice c = choice(p);
            if (c == null) {
              return false;
            }
            text = c.text;
            finishReason = c.finishReason;
            // Only the first choice is read.
            for (JsonToken more = p.nextToken(); more != JsonToken.END_ARRAY;
                more = p.nextToken()) {
              p.skipChildren();
            }
          }
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null || !sawChoices) {
        return false;
      }
    } catch (IOException | RuntimeException unusual) {
      return false;
    }
    if (finishReason != null) {
      decoder.finishReason(finishReason);
    }
    if (text != null && !text.isEmpty()) {
      sink.delta(text, null);
    }
    return true;
  }

  private record Choice(String text, String finishReason) {}

  /** The first choice, the parser on its START_OBJECT; null if it is not a plain text one. */
  private static Choice choice(JsonParser p) throws IOException {
    String text = null;
    String finishReason = null;
    boolean sawDelta = false;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      switch (name) {
        case "finish_reason" -> {
          if (value == JsonToken.VALUE_STRING) {
            finishReason = p.getText();
          } else if (value == JsonToken.VALUE_NULL) {
            finishReason = null;
          } else {
            return null;
          }
        }
        case "logprobs" -> {
          if (value != JsonToken.VALUE_NULL) {
            return null;
          }
        }
        case "delta" -> {
          if (sawDelta || value != JsonToken.START_OBJECT) {
            return null;
          }
          sawDelta = true;
          for (JsonToken d = p.nextToken(); d == JsonToken.FIELD_NAME; d = p.nextToken()) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
              case "content" -> {
                if (v == JsonToken.VALUE_STRING) {
                  text = p.getText();
                } else if (v == JsonToken.VALUE_NULL) {
                  text = null;
                } else {
                  return null;
                }
              }
              case "tool_calls", "refusal" -> {
                if (v != JsonToken.VALUE_NULL) {
                  return null;
                }
              }
              default -> p.skipChildren();
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    // A choice without a delta returns early in the tree path; leave it to that path.
    return sawDelta ? new Choice(text, finishReason) : null;
  }
}
