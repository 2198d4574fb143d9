package io.tiermesh.router.rules;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ToolDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Derives a complexity level from the request when the caller gave no complexity hint.
 * Deterministic: the same messages and tools always give the same level, so an explain call
 * and the real routing agree.
 *
 * <p>The score is the sum of six capped parts (the same table is in {@code RULES.md}):
 * <table>
 *   <caption>Complexity score</caption>
 *   <tr><th>part</th><th>measure</th><th>points</th></tr>
 *   <tr><td>length</td><td>estimated prompt tokens (characters / 4)</td>
 *       <td>&lt; 400: 0, 400–1 499: 1, 1 500–3 999: 2, ≥ 4 000: 3</td></tr>
 *   <tr><td>turns</td><td>messages that are not {@code system}</td>
 *       <td>&lt; 8: 0, ≥ 8: 1</td></tr>
 *   <tr><td>code</td><td>fenced blocks ({@code ```} pairs, an open fence counts)</td>
 *       <td>0: 0, 1–2: 1, ≥ 3: 2</td></tr>
 *   <tr><td>tools</td><td>tool definitions sent</td><td>0: 0, 1–4: 1, ≥ 5: 2</td></tr>
 *   <tr><td>reasoning</td><td>distinct reasoning cues in user/system text (see
 *       {@link #CUES})</td><td>1 per cue, at most 3</td></tr>
 *   <tr><td>multi-hop</td><td>question marks in user/system text; chaining phrases (see
 *       {@link #HOPS})</td><td>≥ 2 questions: 1, any chaining phrase: 1 (at most 2)</td></tr>
 * </table>
 * Level: score ≤ 1 → {@code low}; 2–3 → {@code medium}; ≥ 4 → {@code high}.
 */
public final class ComplexityEstimator {

  public static final int LENGTH_1_TOKENS = 400;
  public static final int LENGTH_2_TOKENS = 1_500;
  public static final int LENGTH_3_TOKENS = 4_000;
  public static final int TURNS_FOR_POINT = 8;
  public static final int MAX_CUE_POINTS = 3;
  public static final int MEDIUM_FROM = 2;
  public static final int HIGH_FROM = 4;

  /** Words that ask the model to reason rather than recall; one point per distinct cue. */
  public static final List<Pattern> CUES = List.of(
      cue("step[- ]by[- ]step"),
      cue("prove|proof"),
      cue("analy[sz]e|analysis"),
      cue("compare|comparison|contrast"),
      cue("derive|derivation"),
      cue("trade-?offs?"),
      cue("justify"),
      cue("root cause"),
      cue("evaluate"),
      cue("explain why"));

  /** Phrases that chain one answer into the next question. */
  public static final List<Pattern> HOPS = List.of(
      cue("and then"),
      cue("based on (?:that|this|the (?:answer|result))"),
      cue("which in turn"),
      cue("use (?:that|this|the result) to"));

  /** The parts of a score, kept so an explanation can show them. */
  public record Score(int length, int turns, int code, int tools, int reasoning, int multiHop) {
    public int total() {
      return length + turns + code + tools + reasoning + multiHop;
    }

    public String level() {
      int t = total();
      return t >= HIGH_FROM ? "high" : t >= MEDIUM_FROM ? "medium" : "low";
    }
  }

  public String estimate(List<ChatMessage> messages, List<ToolDef> tools) {
    return score(messages, tools).level();
  }

  public Score score(List<ChatMessage> messages, List<ToolDef> tools) {
    List<ChatMessage> msgs = messages == null ? List.of() : messages;
    int chars = 0;
    int turns = 0;
    int fences = 0;
    // Sized up front: a long contract would otherwise be copied at every doubling.
    int askedLength = 0;
    for (ChatMessage m : msgs) {
      if (m.content() != null && ("user".equals(m.role()) || "system".equals(m.role()))) {
        askedLength += m.content().length() + 1;
      }
    }
    StringBuilder asked = new StringBuilder(askedLength);
    for (ChatMessage m : msgs) {
      chars += m.textLength();
      String content = m.content() == null ? "" : m.content();
      if (!"system".equals(m.role())) {
        turns++;
      }
      fences += count(content, "```");
      if ("user".equals(m.role()) || "system".equals(m.role())) {
        asked.append(content).append('\n');
      }
    }
    int toolCount = tools == null ? 0 : tools.size();
    for (int i = 0; i < toolCount; i++) {
      chars += schemaLength(tools.get(i));
    }
    String text = asked.toString().toLowerCase(Locale.ROOT);
    int tokens = chars / 4;
    int blocks = (fences + 1) / 2;

    int length = tokens >= LENGTH_3_TOKENS ? 3 : tokens >= LENGTH_2_TOKENS ? 2
        : tokens >= LENGTH_1_TOKENS ? 1 : 0;
    int turnPoints = turns >= TURNS_FOR_POINT ? 1 : 0;
    int code = blocks >= 3 ? 2 : blocks >= 1 ? 1 : 0;
    int toolPoints = toolCount >= 5 ? 2 : toolCount >= 1 ? 1 : 0;
    // Cues and chaining phrases in one walk of the text: it is as long as the prompt.
    int[] found = CUE_AND_HOP_SCAN.counts(text, MAX_CUE_POINTS, 1);
    int reasoning = Math.min(found[0], MAX_CUE_POINTS);
    int questions = count(text, "?");
    int hops = (questions >= 2 ? 1 : 0) + (found[1] > 0 ? 1 : 0);
    return new Score(length, turnPoints, code, toolPoints, reasoning, hops);
  }

  static int schemaLength(ToolDef t) {
    int n = 0;
    n += t.name() == null ? 0 : t.name().length();
    n += t.description() == null ? 0 : t.description().length();
    n += t.parametersJson() == null ? 0 : t.parametersJson().length();
    return n;
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }

  private static final Scan CUE_AND_HOP_SCAN = Scan.of(List.of(CUES, HOPS));

  /**
   * Finds which of a list of {@code \b(?:...)\b} patterns occur in a lower-cased text, with
   * the same answer as {@code pattern.matcher(text).find()} for each. Running each pattern over
   * the whole text tried it at every position: about 7 ns per character per pattern, 25 µs for a
   * one-line question and milliseconds for a long contract, on the router's event loop. Every
   * match starts with one of its alternatives' literal prefixes (its anchors), so the text is
   * walked once and a pattern is tried, anchored, only where one of its anchors starts.
   */
  static final class Scan {
    private final List<Pattern> patterns;
    /** For each pattern, the index of the list it came from. */
    private final int[] group;
    private final int groups;
    /** For each ASCII first character: pairs (pattern index, anchor) starting with it. */
    private final int[][] byFirst = new int[128][];
    private final String[] anchors;
    private final int[] owner;

    Scan(List<Pattern> patterns) {
      this(List.of(patterns), 0);
    }

    /** One walk for several lists of patterns, each counted on its own ({@link #counts}). */
    static Scan of(List<List<Pattern>> lists) {
      return new Scan(lists, 0);
    }

    private Scan(List<List<Pattern>> lists, int unused) {
      List<Pattern> all = new ArrayList<>();
      List<Integer> g = new ArrayList<>();
      for (int i = 0; i < lists.size(); i++) {
        all.addAll(lists.get(i));
        for (int k = 0; k < lists.get(i).size(); k++) {
          g.add(i);
        }
      }
      this.patterns = all;
      this.group = g.stream().mapToInt(Integer::intValue).toArray();
      this.groups = lists.size();
      List<String> a = new ArrayList<>();
      List<Integer> o = new ArrayList<>();
      for (int i = 0; i < patterns.size(); i++) {
        for (String anchor : anchors(patterns.get(i).pattern())) {
          a.add(anchor);
          o.add(i);
        }
      }
      anchors = a.toArray(String[]::new);
      owner = o.stream().mapToInt(Integer::intValue).toArray();
      for (char c = 0; c < 128; c++) {
        final char first = c;
        byFirst[c] = IntStream.range(0, anchors.length)
            .filter(k -> anchors[k].charAt(0) == first).toArray();
      }
    }

    /** How many distinct patterns occur in {@code text}, counting up to {@code enough}. */
    int count(String text, int enough) {
      return counts(text, enough)[0];
    }

    /**
     * For each list of patterns, how many distinct ones occur in {@code text}, counting up to
     * that list's {@code enough}; the walk stops once every list has enough.
     */
    int[] counts(String text, int... enough) {
      boolean[] seen = new boolean[patterns.size()];
      Matcher[] matchers = new Matcher[patterns.size()];
      int[] found = new int[groups];
      int satisfied = 0;
      for (int g = 0; g < groups; g++) {
        satisfied += enough[g] <= 0 ? 1 : 0;
      }
      int n = text.length();
      for (int i = 0; i < n && satisfied < groups; i++) {
        char c = text.charAt(i);
        if (c >= 128) {
          continue;
        }
        // Every pattern opens with \b and every anchor with a letter, so a match cannot start
        // right after an ASCII word character: most positions of a text (the inside of its
        // words) are passed over without trying an anchor. Non-ASCII neighbours are left to the
        // pattern, whose \b has its own rules for them.
        if (i > 0 && isAsciiWordChar(text.charAt(i - 1))) {
          continue;
        }
        for (int k : byFirst[c]) {
          int p = owner[k];
          if (seen[p] || found[group[p]] >= enough[group[p]]
              || !text.startsWith(anchors[k], i)) {
            continue;
          }
          if (matchers[p] == null) {
            // Transparent bounds: the leading \b still sees the character before i.
            matchers[p] = patterns.get(p).matcher(text).useTransparentBounds(true);
          }
          if (matchers[p].region(i, n).lookingAt()) {
            seen[p] = true;
            if (++found[group[p]] == enough[group[p]]) {
              satisfied++;
            }
          }
        }
      }
      return found;
    }

    private static boolean isAsciiWordChar(char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_';
    }

    /**
     * The literal prefix of each top-level alternative of a {@code \b(?:a|b)\b} pattern.
     *
     * @throws IllegalStateException for a pattern of another shape or an alternative that does
     *     not start with a lower-case literal: the scan would miss its matches
     */
    static List<String> anchors(String regex) {
      String head = "\\b(?:";
      String tail = ")\\b";
      if (!regex.startsWith(head) || !regex.endsWith(tail)) {
        throw new IllegalStateException("cue pattern not of the form \\b(?:...)\\b: " + regex);
      }
      String alts = regex.substring(head.length(), regex.length() - tail.length());
      List<String> out = new ArrayList<>();
      int depth = 0;
      boolean inClass = false;
      int start = 0;
      for (int i = 0; i <= alts.length(); i++) {
        char c = i < alts.length() ? alts.charAt(i) : '|';
        if (c == '\\') {
          i++;
        } else if (inClass) {
          inClass = c != ']';
        } else if (c == '[') {
          inClass = true;
        } else if (c == '(') {
          depth++;
        } else if (c == ')') {
          depth--;
        } else if (c == '|' && depth == 0) {
          out.add(literalPrefix(alts.substring(start, i), regex));
          start = i + 1;
        }
      }
      return out;
    }

    private static String literalPrefix(String alternative, String regex) {
      int end = 0;
      while (end < alternative.length() && (alternative.charAt(end) == ' '
          || (alternative.charAt(end) >= 'a' && alternative.charAt(end) <= 'z'))) {
        end++;
      }
      // A quantifier makes the letter before it optional: not part of every match.
      if (end < alternative.length() && "?*{".indexOf(alternative.charAt(end)) >= 0) {
        end--;
      }
      if (end <= 0 || alternative.charAt(0) == ' ') {
        throw new IllegalStateException("cue alternative '" + alternative + "' of " + regex
            + " does not start with a lower-case literal");
      }
      return alternative.substring(0, end);
    }
  }

  // Word boundaries keep "prove" from firing inside "improve" or "approved".
  private static Pattern cue(String alternatives) {
    return Pattern.compile("\\b(?:" + alternatives + ")\\b", Pattern.CASE_INSENSITIVE);
  }
}
