package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolDef;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * For generated chats — random Unicode, CJK (common and rare), emoji sequences, combining-mark
 * stacks, compatibility characters, base64, hex, code and mixtures, with tools and tool calls —
 * the bound is at least what three tokenizers count for the prompt a backend renders: o200k
 * and cl100k (real BPE vocabularies) and a SentencePiece-like byte-fallback tokenizer (each
 * character of a small vocabulary one token, any other character one token per UTF-8 byte),
 * with and without NFKC normalization.
 *
 * <p>The oracle renders the chat the way templates do (ChatML turns, a default system text,
 * tool definitions pretty-printed with an ASCII-only JSON encoder inside a tools preamble, tool
 * calls as JSON), so the bound's template constants are checked too, not only its text counts.
 * Seeds are fixed: a failure names the seed that reproduces it.
 */
class PromptTokenBoundPropertyTest {

  private static final int CHATS = 500;
  private static final Encoding O200K =
      Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
  private static final Encoding CL100K =
      Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

  private static final String DEFAULT_SYSTEM =
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  private static final String TOOLS_PREAMBLE = "# Tools\n\nYou may call one or more functions"
      + " to assist with the user query.\n\nYou are provided with function signatures within"
      + " <tools></tools> XML tags:\n<tools>\n";
  private static final String TOOLS_POSTAMBLE = "\n</tools>\n\nFor each function call, return"
      + " a json object with function name and arguments within <tool_call></tool_call> XML"
      + " tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
      + "</tool_call>";

  /** A rendered prompt: ordinary text segments plus special tokens (one token each). */
  record Rendered(List<String> texts, int specials) {}

  @Test
  void theBoundIsAtLeastEveryTokenizersCount() {
    List<String> failures = new ArrayList<>();
    long worstPercent = 0;
    for (int seed = 1; seed <= CHATS; seed++) {
      Random rnd = new Random(seed);
      Chat chat = chat(rnd);
      long bound = PromptTokenBound.of(chat.request());
      Rendered r = render(chat);
      long[] counts = {
          count(r, O200K::countTokensOrdinary),
          count(r, CL100K::countTokensOrdinary),
          count(r, t -> byteFallback(t, false)),
          count(r, t -> byteFallback(t, true)),
      };
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] > bound) {
          failures.add("seed " + seed + ": " + new String[] {"o200k", "cl100k",
              "byte-fallback", "byte-fallback+NFKC"}[i] + " counts " + counts[i]
              + " > bound " + bound);
        }
        worstPercent = Math.max(worstPercent, 100 * counts[i] / Math.max(1, bound));
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " chats above the bound: "
        + failures.subList(0, Math.min(10, failures.size())));
    // The generator must produce prompts that come close to the bound, or the test proves little.
    assertTrue(worstPercent >= 50, "closest tokenizer count only " + worstPercent + "% of bound");
  }

  @Test
  void textsAloneNeverCountAboveTheirBytesBound() {
    // The core claim without any template: one text, every tokenizer, ≤ textBytes.
    for (int seed = 1; seed <= 2_000; seed++) {
      Random rnd = new Random(seed * 7919L);
      String text = text(rnd, 1 + rnd.nextInt(300));
      long bound = PromptTokenBound.textBytes(text);
      long[] counts = {O200K.countTokensOrdinary(text), CL100K.countTokensOrdinary(text),
          byteFallback(text, false), byteFallback(text, true)};
      for (long c : counts) {
        assertTrue(c <= bound, "seed " + seed + ": " + c + " tokens > " + bound + " for "
            + escape(text));
      }
    }
  }

  private static long count(Rendered r, ToLongFunction<String> tokenizer) {
    long n = r.specials();
    for (String t : r.texts()) {
      n += tokenizer.applyAsLong(t);
    }
    return n;
  }

  /**
   * A SentencePiece-like worst case: optional NFKC, a dummy prefix, spaces and the printable
   * ASCII vocabulary one token per character, everything else byte fallback.
   */
  static long byteFallback(String text, boolean nfkc) {
    if (text.isEmpty()) {
      return 0;
    }
    String t = nfkc ? Normalizer.normalize(text, Normalizer.Form.NFKC) : text;
    long n = 1;
    for (int i = 0; i < t.length(); ) {
      int cp = t.codePointAt(i);
      i += Character.charCount(cp);
      if (cp >= 0x20 && cp < 0x7f || cp == '\n') {
        n++;
      } else {
        n += new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return n;
  }

  // ---- rendering, as chat templates do -------------------------------------------------------

  private static Rendered render(Chat chat) {
    List<String> texts = new ArrayList<>();
    int specials = 0;
    StringBuilder system = new StringBuilder(DEFAULT_SYSTEM);
    if (!chat.tools().isEmpty()) {
      system.append("\n\n").append(TOOLS_PREAMBLE);
      for (Map<String, Object> tool : chat.tools()) {
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", tool.get("name"));
        fn.put("description", tool.get("description"));
        fn.put("parameters", tool.get("parameters"));
        Map<String, Object> wrapper = new LinkedHashMap<>();
        wrapper.put("type", "function");
        wrapper.put("function", fn);
        system.append(Json.pretty(wrapper)).append('\n');
      }
      system.append(TOOLS_POSTAMBLE);
    }
    texts.add("system\n" + system);
    specials += 2;
    texts.add("\n");
    for (GenMessage m : chat.messages()) {
      StringBuilder turn = new StringBuilder(m.role());
      if (m.name() != null) {
        turn.append(" name=").append(m.name());
      }
      if (m.toolCallId() != null) {
        turn.append(" id=").append(m.toolCallId());
      }
      turn.append('\n');
      if (m.content() != null) {
        turn.append(m.content());
      }
      for (GenCall c : m.calls()) {
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("name", c.name());
        call.put("arguments", c.arguments());
        call.put("id", c.id());
        turn.append("\n<tool_call>\n").append(Json.pretty(call)).append("\n</tool_call>");
      }
      texts.add(turn.toString());
      specials += 2;
      texts.add("\n");
    }
    texts.add("assistant\n");
    specials += 1;
    return new Rendered(texts, specials);
  }

  // ---- generation ----------------------------------------------------------------------------

  record GenCall(String id, String name, Map<String, Object> arguments) {}

  record GenMessage(String role, String content, String name, String toolCallId,
      List<GenCall> calls) {}

  record Chat(List<GenMessage> messages, List<Map<String, Object>> tools) {
    ChatRequest request() {
      List<ChatMessage> ms = new ArrayList<>();
      for (GenMessage m : messages) {
        List<ToolCall> calls = m.calls().isEmpty() ? null : m.calls().stream()
            .map(c -> new ToolCall(c.id(), c.name(), Json.compact(c.arguments()))).toList();
        ms.add(new ChatMessage(m.role(), m.content(), m.name(), m.toolCallId(), calls));
      }
      List<ToolDef> defs = tools.isEmpty() ? null : tools.stream()
          .map(t -> new ToolDef((String) t.get("name"), (String) t.get("description"),
              Json.compact(t.get("parameters")))).toList();
      return new ChatRequest("auto", ms, null, null, null, null, defs, null, null, null, false);
    }
  }

  private static Chat chat(Random rnd) {
    List<GenMessage> ms = new ArrayList<>();
    int n = 1 + rnd.nextInt(5);
    for (int i = 0; i < n; i++) {
      String role = new String[] {"system", "user", "assistant", "tool", "user"}[rnd.nextInt(5)];
      String name = rnd.nextInt(6) == 0 ? text(rnd, 1 + rnd.nextInt(8)) : null;
      List<GenCall> calls = new ArrayList<>();
      if (role.equals("assistant") && rnd.nextBoolean()) {
        for (int c = rnd.nextInt(3); c >= 0; c--) {
          calls.add(new GenCall("call_" + rnd.nextInt(1_000_000), text(rnd, 1 + rnd.nextInt(10)),
              object(rnd, 0)));
        }
      }
      String toolCallId = role.equals("tool") ? "call_" + rnd.nextInt(1_000_000) : null;
      String content = calls.isEmpty() || rnd.nextBoolean() ? text(rnd, rnd.nextInt(400)) : null;
      ms.add(new GenMessage(role, content, name, toolCallId, calls));
    }
    List<Map<String, Object>> tools = new ArrayList<>();
    if (rnd.nextInt(3) == 0) {
      for (int t = rnd.nextInt(3); t >= 0; t--) {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", text(rnd, 1 + rnd.nextInt(12)));
        tool.put("description", text(rnd, rnd.nextInt(120)));
        tool.put("parameters", schema(rnd, 0));
        tools.add(tool);
      }
    }
    return new Chat(ms, tools);
  }

  private static Map<String, Object> schema(Random rnd, int depth) {
    Map<String, Object> props = new LinkedHashMap<>();
    for (int i = rnd.nextInt(4); i >= 0; i--) {
      Map<String, Object> p = depth < 2 && rnd.nextInt(4) == 0 ? schema(rnd, depth + 1)
          : new LinkedHashMap<>(Map.of("type", "string"));
      p.put("description", text(rnd, rnd.nextInt(40)));
      if (rnd.nextInt(5) == 0) {
        p.put("enum", List.of(text(rnd, 3), text(rnd, 5)));
      }
      props.put(text(rnd, 1 + rnd.nextInt(8)), p);
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "object");
    s.put("properties", props);
    s.put("required", new ArrayList<>(props.keySet()));
    return s;
  }

  private static Map<String, Object> object(Random rnd, int depth) {
    Map<String, Object> o = new LinkedHashMap<>();
    for (int i = rnd.nextInt(4); i >= 0; i--) {
      Object v = switch (rnd.nextInt(depth < 2 ? 5 : 3)) {
        case 0 -> rnd.nextInt(100_000);
        case 1 -> rnd.nextBoolean();
        case 2 -> text(rnd, rnd.nextInt(60));
        case 3 -> List.of(text(rnd, 4), rnd.nextInt(10), object(rnd, depth + 1));
        default -> object(rnd, depth + 1);
      };
      o.put(text(rnd, 1 + rnd.nextInt(6)), v);
    }
    return o;
  }

  /** About {@code len} code points drawn from one corpus, or a mixture of several. */
  static String text(Random rnd, int len) {
    int corpus = rnd.nextInt(13);
    if (corpus == 12) {
      StringBuilder mixed = new StringBuilder();
      while (mixed.length() < len) {
        mixed.append(piece(rnd, rnd.nextInt(12), 1 + rnd.nextInt(12)));
      }
      return mixed.toString();
    }
    return piece(rnd, corpus, len);
  }

  private static final String[] WORDS = {"the", "budget", "reservation", "token", "of", "and",
      "request", "cannot", "be", "overspent", "gateway", "tier", "provider", "price", "a"};
  private static final String CODE = "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n"
      + "def f(x):\n    return {'k': [x, x ** 2]}\n  if err != nil { return nil, err }\n";
  private static final String B64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  private static final int[][] EMOJI_RANGES = {{0x1F300, 0x1F5FF}, {0x1F600, 0x1F64F},
      {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x2600, 0x26FF}};

  private static String piece(Random rnd, int corpus, int len) {
    StringBuilder b = new StringBuilder();
    while (b.codePointCount(0, b.length()) < len) {
      switch (corpus) {
        case 0 -> b.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(8) == 0 ? ". " : " ");
        case 1 -> b.appendCodePoint(0x4E00 + rnd.nextInt(0x9FFF - 0x4E00)); // common CJK
        case 2 -> b.appendCodePoint(0x20000 + rnd.nextInt(0xA6DF)); // rare CJK, extension B
        case 3 -> { // emoji, with skin tones, ZWJ sequences and variation selectors
          int[] r = EMOJI_RANGES[rnd.nextInt(EMOJI_RANGES.length)];
          b.appendCodePoint(r[0] + rnd.nextInt(r[1] - r[0]));
          switch (rnd.nextInt(4)) {
            case 0 -> b.appendCodePoint(0x1F3FB + rnd.nextInt(5));
            case 1 -> b.append('\u200D').appendCodePoint(0x1F466 + rnd.nextInt(4));
            case 2 -> b.append('\uFE0F');
            default -> { }
          }
        }
        case 4 -> { // combining-mark stacks
          b.append((char) ('a' + rnd.nextInt(26)));
          for (int k = rnd.nextInt(6); k >= 0; k--) {
            b.append((char) (0x0300 + rnd.nextInt(0x70)));
          }
        }
        case 5 -> b.append(B64.charAt(rnd.nextInt(64)));
        case 6 -> b.append("0123456789abcdef".charAt(rnd.nextInt(16)));
        case 7 -> {
          int at = rnd.nextInt(CODE.length());
          b.append(CODE, at, Math.min(CODE.length(), at + 1 + rnd.nextInt(20)));
        }
        case 8 -> { // scripts: Arabic, Devanagari, Hangul, Thai, Cyrillic
          int[] starts = {0x0620, 0x0905, 0xAC00, 0x0E01, 0x0410};
          int[] spans = {0x2A, 0x34, 0x2BA4, 0x2E, 0x40};
          int s = rnd.nextInt(starts.length);
          b.appendCodePoint(starts[s] + rnd.nextInt(spans[s]));
        }
        case 9 -> { // characters that NFC or NFKC lengthen
          int[] grow = {0xFDFA, 0xFDFB, 0x0958, 0x0F73, 0x3300, 0x3326, 0x33FF, 0x2474, 0xFB2C,
              0x1D15E, 0x2163, 0xFB01, 0x00BD, 0x2155, 0x3250};
          b.appendCodePoint(grow[rnd.nextInt(grow.length)]);
        }
        case 10 -> { // any assigned, non-surrogate code point
          int cp;
          do {
            cp = rnd.nextInt(0x110000);
          } while (!Character.isDefined(cp) || Character.getType(cp) == Character.SURROGATE
              || Character.getType(cp) == Character.PRIVATE_USE);
          b.appendCodePoint(cp);
        }
        default -> b.append((char) (0x21 + rnd.nextInt(0x5E))); // printable ASCII, no space
      }
    }
    return b.toString();
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(cp -> b.append(cp < 0x80 ? String.valueOf((char) cp)
        : String.format("\\u{%X}", cp)));
    return b.toString();
  }

  /** The two serializations a chat travels in: compact UTF-8, and a template's pretty ASCII. */
  static final class Json {
    static String compact(Object v) {
      StringBuilder b = new StringBuilder();
      write(b, v, -1, 0, false);
      return b.toString();
    }

    /** {@code json.dumps(v, indent=4)} with Python's default ASCII escaping and Go's HTML. */
    static String pretty(Object v) {
      StringBuilder b = new StringBuilder();
      write(b, v, 4, 0, true);
      return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent, int depth, boolean ascii) {
      if (v instanceof Map<?, ?> m) {
        b.append('{');
        int i = 0;
        for (var e : m.entrySet()) {
          b.append(i++ == 0 ? "" : ",");
          newline(b, indent, depth + 1);
          string(b, (String) e.getKey(), ascii);
          b.append(indent >= 0 ? ": " : ":");
          write(b, e.getValue(), indent, depth + 1, ascii);
        }
        if (!m.isEmpty()) {
          newline(b, indent, depth);
        }
        b.append('}');
      } else if (v instanceof List<?> l) {
        b.append('[');
        for (int i = 0; i < l.size(); i++) {
          b.append(i == 0 ? "" : ",");
          newline(b, indent, depth + 1);
          write(b, l.get(i), indent, depth + 1, ascii);
        }
        if (!l.isEmpty()) {
          newline(b, indent, depth);
        }
        b.append(']');
      } else if (v instanceof String s) {
        string(b, s, ascii);
      } else {
        b.append(v);
      }
    }

    private static void newline(StringBuilder b, int indent, int depth) {
      if (indent >= 0) {
        b.append('\n').append(" ".repeat(indent * depth));
      }
    }

    private static void string(StringBuilder b, String s, boolean ascii) {
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
          b.append('\\').append(c);
        } else if (c == '\n') {
          b.append("\\n");
        } else if (c < 0x20 || ascii && (c >= 0x80 || c == '<' || c == '>' || c == '&')) {
          b.append(String.format("\\u%04x", (int) c));
        } else {
          b.append(c);
        }
      }
      b.append('"');
    }
  }
}
