package io.tiermesh.contracts;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One part of a message's content, as both client APIs can send it (OpenAI content parts,
 * Anthropic content blocks). A message carries parts only when it has more than text; its
 * {@link ChatMessage#content()} is always the text alone, so text-only readers need no parts.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ContentPart.Text.class, name = "text"),
    @JsonSubTypes.Type(value = ContentPart.Image.class, name = "image"),
    @JsonSubTypes.Type(value = ContentPart.Thinking.class, name = "thinking")})
public sealed interface ContentPart {

  record Text(String text) implements ContentPart {}

  /**
   * A model's reasoning, as an Anthropic backend returns it and an Anthropic client replays it:
   * a {@code thinking} block (its text and the signature that lets the backend check it was not
   * altered) or a {@code redacted_thinking} block (encrypted, {@code redactedData} only). Only
   * in assistant turns; only Anthropic backends are sent it back.
   */
  record Thinking(String text, String signature, String redactedData) implements ContentPart {

    public boolean redacted() {
      return redactedData != null;
    }
  }

  /**
   * An image, inline or by address. Inline images keep their base64 text as the client sent it
   * (never decoded in the mesh); an address is only ever passed on to a backend that fetches
   * it itself, and only when the operator allowed that host.
   *
   * @param mediaType {@code image/png} etc., for inline images; null for an address
   * @param base64    the inline image's bytes in base64, or null
   * @param url       an {@code https} address, or null for an inline image
   * @param detail    OpenAI's {@code detail} hint ({@code low}, {@code high}, {@code auto}), or null
   */
  record Image(String mediaType, String base64, String url, String detail)
      implements ContentPart {

    public static Image inline(String mediaType, String base64, String detail) {
      return new Image(mediaType, base64, null, detail);
    }

    public static Image remote(String url, String detail) {
      return new Image(null, null, url, detail);
    }

    public boolean isInline() {
      return base64 != null;
    }

    /** The image as an OpenAI {@code image_url} value: a data URL when inline. */
    public String asUrl() {
      return isInline() ? "data:" + mediaType + ";base64," + base64 : url;
    }
  }
}
