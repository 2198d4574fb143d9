package io.tiermesh.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;

/**
 * The one place where a client's request body becomes JSON. Vert.x's own decoder accepts
 * comments and lets the last of two equal keys win, so
 * {@code {"classification":"pii","classification":"public"}} would route as public. This one
 * refuses both, with the key and its location named, in a single pass: Jackson's duplicate
 * detection runs while the tokens are read, and the tokens are turned into the same
 * {@link JsonObject} Vert.x builds ({@link JacksonCodec#fromParser}), so every reader of the
 * body sees the types it always saw.
 */
public final class StrictJson {

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .disable(JsonReadFeature.ALLOW_YAML_COMMENTS)
      .disable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
      .disable(JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
      .disable(JsonReadFeature.ALLOW_TRAILING_COMMA)
      .build();

  private StrictJson() {}

  /**
   * @return the body as an object
   * @throws MeshFailure a 400 naming a duplicate key, a comment or the syntax error
   */
  public static JsonObject object(Buffer body) {
    if (body == null || body.length() == 0) {
      throw RequestRejected.bad("body must be a JSON object");
    }
    Object value;
    try {
      // Read straight from the request's buffer: a copy of the bytes would be one more copy
      // of a body of up to 32 MiB next to the one the request holds.
      JsonParser parser = body instanceof io.vertx.core.internal.buffer.BufferInternal internal
          ? FACTORY.createParser((java.io.InputStream) new io.netty.buffer.ByteBufInputStream(
              internal.getByteBuf()))
          : FACTORY.createParser(body.getBytes());
      value = JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException e) {
      throw RequestRejected.bad(describe(e.getCause()));
    } catch (IOException e) {
      throw RequestRejected.bad("body is not valid JSON");
    }
    if (value instanceof java.util.Map<?, ?> || value instanceof JsonObject) {
      return value instanceof JsonObject o ? o : jsonObject(value);
    }
    throw RequestRejected.bad("body must be a JSON object");
  }

  @SuppressWarnings("unchecked")
  private static JsonObject jsonObject(Object map) {
    return new JsonObject((java.util.Map<String, Object>) map);
  }

  /** What was wrong, without quoting the body beyond a (truncated) key name. */
  static String describe(Throwable cause) {
    if (cause instanceof JsonProcessingException jpe) {
      String original = jpe.getOriginalMessage() == null ? "" : jpe.getOriginalMessage();
      String where = location(jpe);
      if (original.startsWith("Duplicate field '")) {
        String key = original.substring("Duplicate field '".length(),
            Math.max("Duplicate field '".length(), original.lastIndexOf('\'')));
        return "duplicate key '" + ClientText.quote(key) + "' in the JSON body" + where
            + ": each key may appear once per object";
      }
      if (original.contains("comment")) {
        return "comments are not allowed in the JSON body" + where;
      }
    }
    return "body is not valid JSON";
  }

  private static String location(JsonProcessingException e) {
    if (e.getProcessor() instanceof JsonParser p && p.getParsingContext() != null) {
      // During duplicate detection the context already holds the repeated name, so this is
      // the JSON pointer of the second occurrence, e.g. /metadata/classification.
      String pointer = p.getParsingContext().pathAsPointer().toString();
      return pointer.isEmpty() ? "" : " (at " + ClientText.quote(pointer) + ")";
    }
    return "";
  }
}
