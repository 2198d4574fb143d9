package io.tiermesh.router;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.vertx.core.json.Json;
import java.text.Normalizer;
import java.util.List;

/**
 * An upper bound on the prompt tokens any backend can bill for a request, computed without
 * knowing the backend's tokenizer. The budget reserves this figure, so it must never be below
 * what a backend reports: a low estimate lets concurrent requests near a cap spend past it.
 *
 * <p>Why bytes bound tokens: byte-level BPE (GPT-2, cl100k, o200k, Llama 3, Qwen) turns text into
 * a sequence of tokens whose bytes concatenate back to the text, so each token covers at least
 * one byte. SentencePiece (Llama 2, Mistral, Gemma) emits per piece at least one character, or
 * with byte fallback exactly one token per byte of an unknown character, plus at most one
 * dummy-prefix marker per text segment. Either way a text costs at most one token per UTF-8
 * byte (+1). Tokenizers that normalize first (NFC for Qwen, NFKC for some SentencePiece models)
 * tokenize the normalized text, which can be longer than the original ("ﷺ" is 3 bytes and 33
 * after NFKC), so a text counts with the longest of its raw, NFC and NFKC forms. Backends that
 * decompose (NFD/NFKD) before tokenizing are not covered; no chat tokenizer in use does.
 *
 * <p>What the text does not show, the chat template adds. The constants are generous ceilings
 * over the formats in use, not averages:
 * <ul>
 *   <li>{@link #REQUEST_OVERHEAD}: begin-of-text and the assistant-turn priming (OpenAI
 *       documents 3 tokens, Llama 3 uses 5) plus the default system text some templates insert
 *       when the request has none (Qwen 2.5's "You are Qwen…" and Llama 3.1's knowledge-date
 *       header, each about 20 tokens);
 *   <li>{@link #MESSAGE_OVERHEAD}: per message the turn's special tokens and separators
 *       (ChatML 4, Llama 3 5, Gemma 4) plus a SentencePiece dummy prefix; the role, name and
 *       tool-call id are counted by their bytes on top;
 *   <li>{@link #TOOLS_PREAMBLE}: the instructions a backend injects once when tools are offered.
 *       The largest documented one is Anthropic's tool-use system prompt, 530 tokens; this is
 *       about twice that;
 *   <li>{@link #TOOL_OVERHEAD}: per tool definition or tool call the wrapper a template renders
 *       around name and arguments ({@code {"type":"function","function":{…}}}, call tags).
 *       Tool schemas are counted as if pretty-printed with a four-space indent, because several
 *       templates render them that way ({@code json.dumps(…, indent=4)}).
 * </ul>
 *
 * <p>The same bound covers structured output and tool-choice settings (their JSON text may be
 * rendered into the prompt). Content parts other than text (images) must add the provider's
 * documented worst case per part when the request model carries them.
 */
public final class PromptTokenBound {

  public static final int REQUEST_OVERHEAD = 128;
  public static final int MESSAGE_OVERHEAD = 16;
  public static final int TOOLS_PREAMBLE = 1_024;
  public static final int TOOL_OVERHEAD = 128;
  /**
   * Per image part: a ceiling over the documented worst cases of the vision backends in use
   * (OpenAI gpt-4o high detail 1,445 tokens, patch-based models about 2,500; Anthropic about
   * 1,600 for the largest image it accepts unscaled).
   */
  public static final int IMAGE_PART = 4_096;
  /**
   * The depth at which templates nest a tool's schema or a call's arguments when they
   * pretty-print them ({@code {"function": {"parameters": …}}}): each line gets that much more
   * indent.
   */
  static final int JSON_NESTING = 2;
  /** Per embedding input: begin/end-of-text, a separator and a dummy prefix. */
  public static final int EMBED_INPUT_OVERHEAD = 8;

  private PromptTokenBound() {}

  /** The bound for a chat request: never below the prompt tokens a backend bills. */
  public static long of(ChatRequest chat) {
    long tokens = REQUEST_OVERHEAD;
    if (chat.messages() != null) {
      for (ChatMessage m : chat.messages()) {
        tokens += message(m);
      }
    }
    List<ToolDef> tools = chat.tools();
    if (tools != null && !tools.isEmpty()) {
      tokens += TOOLS_PREAMBLE;
      for (ToolDef t : tools) {
        tokens += TOOL_OVERHEAD + jsonStringBytes(t.name()) + jsonStringBytes(t.description())
            + jsonBytes(t.parametersJson());
      }
    }
    tokens += jsonBytes(toolChoiceJson(chat.toolChoice()))
        + jsonBytes(responseFormatJson(chat.responseFormat()));
    return tokens;
  }

  /** The tool choice as the OpenAI JSON text a template may render, or null. */
  static String toolChoiceJson(ToolChoice c) {
    if (c == null) {
      return null;
    }
    if (c instanceof ToolChoice.Function f) {
      return "{\"type\":\"function\",\"function\":{\"name\":" + Json.encode(f.name()) + "}}";
    }
    return c instanceof ToolChoice.None ? "\"none\""
        : c instanceof ToolChoice.Required ? "\"required\"" : "\"auto\"";
  }

  /** The response format as the OpenAI JSON text a template may render, or null. */
  static String responseFormatJson(ResponseFormat f) {
    if (f == null) {
      return null;
    }
    if (f instanceof ResponseFormat.JsonSchema js) {
      return "{\"type\":\"json_schema\",\"json_schema\":{\"name\":" + Json.encode(js.name())
          + (js.description() == null ? "" : ",\"description\":" + Json.encode(js.description()))
          + (js.schemaJson() == null ? "" : ",\"schema\":" + js.schemaJson())
          + (js.strict() == null ? "" : ",\"strict\":" + js.strict()) + "}}";
    }
    return f instanceof ResponseFormat.JsonMode ? "{\"type\":\"json_object\"}"
        : "{\"type\":\"text\"}";
  }

  /** {@link #of(ChatRequest)} as the int the reservation carries, saturated. */
  public static int ofSaturated(ChatRequest chat) {
    return (int) Math.min(Integer.MAX_VALUE, of(chat));
  }

  /** The bound for embedding inputs, each embedded on its own. */
  public static int ofEmbedding(List<String> inputs) {
    long tokens = 0;
    for (String in : inputs) {
      tokens += EMBED_INPUT_OVERHEAD + textBytes(in);
    }
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  static long message(ChatMessage m) {
    long tokens = MESSAGE_OVERHEAD + textBytes(m.role()) + textBytes(m.content())
        + textBytes(m.name()) + textBytes(m.toolCallId());
    if (m.toolCalls() != null) {
      for (ToolCall c : m.toolCalls()) {
        tokens += TOOL_OVERHEAD + jsonStringBytes(c.id()) + jsonStringBytes(c.name())
            + jsonBytes(c.argumentsJson());
      }
    }
    if (m.parts() != null) {
      for (ContentPart p : m.parts()) {
        if (p instanceof ContentPart.Image) {
          tokens += IMAGE_PART; // the text parts are the content, counted above
        } else if (p instanceof ContentPart.Thinking t) {
          // A replayed thinking block an Anthropic backend may count as input; its signature
          // and redacted data are opaque bytes.
          tokens += textBytes(t.text()) + textBytes(t.signature()) + textBytes(t.redactedData());
        }
      }
    }
    return tokens;
  }

  /**
   * Tokens a text can cost at most: the UTF-8 bytes of its longest form among raw, NFC and
   * NFKC, plus one for a SentencePiece dummy prefix. The normalizations run only for text that
   * is not already normalized (a quick check that passes at once for ASCII and most scripts).
   */
  static long textBytes(String s) {
    return longestForm(s, false);
  }

  /**
   * A string that templates write inside JSON (a tool's name and description, a call's name
   * and id): as {@link #textBytes}, with non-ASCII and {@code < > &} at their escaped width.
   */
  static long jsonStringBytes(String s) {
    return longestForm(s, true);
  }

  private static long longestForm(String s, boolean json) {
    if (s == null || s.isEmpty()) {
      return 0;
    }
    long bytes = width(s, json);
    if (belowNbsp(s)) {
      return bytes + 1; // ASCII and C1 controls are the same in every normalization form
    }
    if (!Normalizer.isNormalized(s, Normalizer.Form.NFC)) {
      bytes = Math.max(bytes, width(Normalizer.normalize(s, Normalizer.Form.NFC), json));
    }
    if (!Normalizer.isNormalized(s, Normalizer.Form.NFKC)) {
      bytes = Math.max(bytes, width(Normalizer.normalize(s, Normalizer.Form.NFKC), json));
    }
    return bytes + 1;
  }

  private static boolean belowNbsp(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0xA0) {
        return false;
      }
    }
    return true;
  }

  private static long width(String s, boolean json) {
    return json ? escapedJsonLength(s) : utf8Length(s);
  }

  /**
   * Tokens a JSON text can cost at most as a template may re-serialize it: pretty-printed with
   * a four-space indent (each <code>{ [ } ] ,</code> followed by a newline and the indent of
   * its depth, nested {@link #JSON_NESTING} levels deep; each {@code :} followed by a space), with every non-ASCII character written as a
   * six-byte backslash-u escape (Python's default {@code ensure_ascii}) and {@code < > &} too
   * (Go's HTML-safe encoder). One pass, no parsing.
   */
  static long jsonBytes(String json) {
    if (json == null || json.isEmpty()) {
      return 0;
    }
    long extra = 0;
    int depth = JSON_NESTING;
    boolean inString = false;
    boolean escaped = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      switch (c) {
        case '"' -> inString = true;
        case '{', '[' -> {
          depth++;
          extra += 1 + 4L * depth;
        }
        case '}', ']' -> {
          depth = Math.max(JSON_NESTING, depth - 1);
          extra += 1 + 4L * depth;
        }
        case ',' -> extra += 1 + 4L * depth;
        case ':' -> extra += 1;
        default -> { }
      }
    }
    return longestForm(json, true) + extra;
  }

  /** The length with every non-ASCII UTF-16 unit and {@code < > &} written as a 6-byte escape. */
  static long escapedJsonLength(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n += c >= 0x80 || c == '<' || c == '>' || c == '&' ? 6 : 1;
    }
    return n;
  }

  /** UTF-8 length without encoding: 1–3 bytes per char, 4 per surrogate pair. */
  static long utf8Length(CharSequence s) {
    long n = 0;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        // includes lone surrogates, which an encoder replaces with a 3-byte U+FFFD
        n += 3;
      }
    }
    return n;
  }
}
