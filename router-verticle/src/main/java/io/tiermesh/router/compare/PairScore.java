package io.tiermesh.router.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCall;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * How far a shadow's answer agrees with the answer the client got. Pure and linear in the
 * answers' length (texts are cut to {@link #MAX_CHARS}); still, parsing JSON and counting
 * tokens of long answers is work the event loop should not do, so the router runs it on a
 * worker thread.
 *
 * @param exact        the two texts are equal once normalised (case, spacing, punctuation)
 * @param similarity   token F1 of the normalised texts, 0..1 (1 when both are empty)
 * @param json         null when the client's answer is not JSON; else whether the shadow's is
 *                     valid JSON too
 * @param schema       null when either answer is not JSON; else whether both have the same
 *                     shape (keys and value types, recursively)
 * @param tools        null when neither answer calls a tool; else whether both call the same
 *                     tools, in order, with equal arguments
 * @param lengthRatio  shadow length over the client's answer's length (characters); null when
 *                     the client's answer is empty
 * @param agreement    0..1, the mean of what applies: similarity, the JSON check (valid and
 *                     same shape), the tool check; the score a quality guard reads
 */
public record PairScore(boolean exact, double similarity, Boolean json, Boolean schema,
    Boolean tools, Double lengthRatio, double agreement) {

  /** Longer answers are compared on their first this many characters. */
  public static final int MAX_CHARS = 32_768;

  private static final ObjectMapper JSON = new ObjectMapper();

  public static PairScore of(ChatResponse primary, ChatResponse shadow) {
    String a = text(primary);
    String b = text(shadow);
    String na = normalise(a);
    String nb = normalise(b);
    double similarity = tokenF1(na, nb);
    JsonNode ja = parse(a);
    JsonNode jb = parse(b);
    Boolean json = ja == null ? null : jb != null;
    Boolean schema = ja == null || jb == null ? null : shape(ja).equals(shape(jb));
    List<ToolCall> ta = tools(primary);
    List<ToolCall> tb = tools(shadow);
    Boolean tools = ta.isEmpty() && tb.isEmpty() ? null : sameTools(ta, tb);
    Double lengthRatio = a.isEmpty() ? null : (double) b.length() / a.length();
    double sum = similarity;
    int parts = 1;
    if (json != null) {
      sum += Boolean.TRUE.equals(schema) ? 1 : 0;
      parts++;
    }
    if (tools != null) {
      sum += tools ? 1 : 0;
      parts++;
    }
    return new PairScore(na.equals(nb), similarity, json, schema, tools, lengthRatio,
        sum / parts);
  }

  static String text(ChatResponse r) {
    if (r == null || r.message() == null || r.message().content() == null) {
      return "";
    }
    String t = r.message().content();
    return t.length() > MAX_CHARS ? t.substring(0, MAX_CHARS) : t;
  }

  private static List<ToolCall> tools(ChatResponse r) {
    return r == null || r.message() == null || r.message().toolCalls() == null ? List.of()
        : r.message().toolCalls();
  }

  /** Lower case, accents and punctuation removed, runs of spaces made one. One pass. */
  static String normalise(String s) {
    boolean ascii = true;
    for (int i = 0; i < s.length() && ascii; i++) {
      ascii = s.charAt(i) < 128;
    }
    // Decomposed, an accented letter is its base letter and a mark, and the mark is dropped.
    String t = ascii ? s : Normalizer.normalize(s, Normalizer.Form.NFKD);
    StringBuilder out = new StringBuilder(t.length());
    boolean space = true;
    for (int i = 0; i < t.length(); ) {
      int c = t.codePointAt(i);
      i += Character.charCount(c);
      int type = Character.getType(c);
      if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
          || type == Character.ENCLOSING_MARK) {
        continue;
      }
      if (Character.isLetterOrDigit(c)) {
        out.appendCodePoint(Character.toLowerCase(c));
        space = false;
      } else if (!space) {
        out.append(' ');
        space = true;
      }
    }
    int end = out.length();
    return space && end > 0 ? out.substring(0, end - 1) : out.toString();
  }

  /** Harmonic mean of token precision and recall, counting repeated tokens. */
  static double tokenF1(String a, String b) {
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    if (a.isEmpty() || b.isEmpty()) {
      return 0;
    }
    String[] ta = a.split(" ");
    String[] tb = b.split(" ");
    Map<String, Integer> counts = new HashMap<>();
    for (String t : ta) {
      counts.merge(t, 1, Integer::sum);
    }
    int common = 0;
    for (String t : tb) {
      Integer c = counts.get(t);
      if (c != null && c > 0) {
        common++;
        counts.put(t, c - 1);
      }
    }
    if (common == 0) {
      return 0;
    }
    double precision = (double) common / tb.length;
    double recall = (double) common / ta.length;
    return 2 * precision * recall / (precision + recall);
  }

  /** A JSON object or array (a bare number or string is text), or null. */
  static JsonNode parse(String s) {
    String t = s.strip();
    // Models often fence JSON in Markdown; the content is what a client parses.
    if (t.startsWith("```")) {
      int start = t.indexOf('\n');
      int end = t.lastIndexOf("```");
      t = start >= 0 && end > start ? t.substring(start + 1, end).strip() : t;
    }
    if (!(t.startsWith("{") || t.startsWith("["))) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(t);
      return n != null && n.isContainerNode() ? n : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** Keys and value types, recursively; an array's shape is the set of its items' shapes. */
  static String shape(JsonNode n) {
    if (n.isObject()) {
      StringBuilder sb = new StringBuilder("{");
      TreeSet<String> keys = new TreeSet<>();
      n.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        sb.append(k).append(':').append(shape(n.get(k))).append(',');
      }
      return sb.append('}').toString();
    }
    if (n.isArray()) {
      TreeSet<String> items = new TreeSet<>();
      for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
        items.add(shape(it.next()));
      }
      return "[" + String.join("|", items) + "]";
    }
    if (n.isNumber()) {
      return "number";
    }
    return n.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  private static boolean sameTools(List<ToolCall> a, List<ToolCall> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).name().equals(b.get(i).name())
          || !sameArguments(a.get(i).argumentsJson(), b.get(i).argumentsJson())) {
        return false;
      }
    }
    return true;
  }

  /** Equal as JSON values (key order and spacing do not matter), else as text. */
  private static boolean sameArguments(String a, String b) {
    if (a == null || b == null) {
      return a == b;
    }
    try {
      return JSON.readTree(a).equals(JSON.readTree(b));
    } catch (JsonProcessingException e) {
      return a.equals(b);
    }
  }
}
