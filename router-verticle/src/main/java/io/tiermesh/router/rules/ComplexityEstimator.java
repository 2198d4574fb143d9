package io.tiermesh.router.rules;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ToolDef;
import java.util.List;
import java.util.Locale;

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

  /**
   * Words that ask the model to reason rather than recall; one point per distinct cue. Each cue
   * is its spellings, matched as whole words ({@code step by step}, {@code step-by-step}, …).
   */
  public static final List<List<String>> CUES = List.of(
      List.of("step by step", "step-by-step", "step-by step", "step by-step"),
      List.of("prove", "proof"),
      List.of("analyze", "analyse", "analysis"),
      List.of("compare", "comparison", "contrast"),
      List.of("derive", "derivation"),
      List.of("trade-off", "trade-offs", "tradeoff", "tradeoffs"),
      List.of("justify"),
      List.of("root cause"),
      List.of("evaluate"),
      List.of("explain why"));

  /** Phrases that chain one answer into the next question. */
  public static final List<List<String>> HOPS = List.of(
      List.of("and then"),
      List.of("based on that", "based on this", "based on the answer", "based on the result"),
      List.of("which in turn"),
      List.of("use that to", "use this to", "use the result to"));

  private static final PhraseScanner CUE_SCANNER = new PhraseScanner(CUES);
  private static final PhraseScanner HOP_SCANNER = new PhraseScanner(HOPS);

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
    StringBuilder asked = new StringBuilder();
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
    int reasoning = Math.min(CUE_SCANNER.distinct(text, MAX_CUE_POINTS), MAX_CUE_POINTS);
    int questions = count(text, "?");
    int hops = (questions >= 2 ? 1 : 0) + (HOP_SCANNER.distinct(text, 1) > 0 ? 1 : 0);
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
}
