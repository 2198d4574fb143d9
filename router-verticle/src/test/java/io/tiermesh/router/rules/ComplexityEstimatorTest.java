package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ToolDef;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ComplexityEstimatorTest {

  private final ComplexityEstimator estimator = new ComplexityEstimator();

  static Stream<Arguments> table() {
    return Stream.of(
        row("greeting", user("hi"), 0, 0, "low"),
        row("one factual question", user("What is the capital of France?"), 0, 0, "low"),
        row("one reasoning cue", user("Explain why the sky is blue"), 0, 1, "low"),
        row("cue words inside other words do not fire",
            user("Please improve my approved draft"), 0, 0, "low"),
        row("proof, step by step", user("Prove that there are infinitely many primes, step by"
            + " step."), 0, 2, "medium"),
        row("four cues are capped at three", user("Compare Postgres and MySQL. Analyze the"
            + " trade-offs and justify a choice."), 0, 3, "medium"),
        row("cues plus multi-hop questions", user("Compare Postgres and MySQL? Analyze the"
            + " trade-offs and then justify a choice. Which is cheaper?"), 0, 5, "high"),
        row("multi-hop: three questions and a chaining phrase", user("Who directed Inception?"
            + " What other films did they direct? Based on that, which won an Oscar?"), 0, 2,
            "medium"),
        row("399 tokens of text", user("x".repeat(1596)), 0, 0, "low"),
        row("400 tokens of text", user("x".repeat(1600)), 0, 1, "low"),
        row("1500 tokens of text", user("x".repeat(6000)), 0, 2, "medium"),
        row("4000 tokens and a cue", user("x".repeat(16000) + " analyze this contract"), 0, 4,
            "high"),
        row("one code block", user("fix this:\n```java\nint x = 1\n```"), 0, 1, "low"),
        row("three code blocks and a root cause", user("root cause?\n```a```\n```b```\n```c```"),
            0, 3, "medium"),
        row("seven turns and a cue", turns(7, "compare them"), 0, 1, "low"),
        row("eight turns and a cue", turns(8, "compare them"), 0, 2, "medium"),
        row("one tool", user("what's the weather"), 1, 1, "low"),
        row("five tools and a cue", user("evaluate the options"), 5, 3, "medium"),
        row("system prompt cues count, assistant text does not", List.of(
            ChatMessage.of("system", "Think step by step."), ChatMessage.of("user", "hi"),
            ChatMessage.of("assistant", "I will prove and analyze and compare")), 0, 1, "low"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void scoresTheTable(String name, List<ChatMessage> messages, int toolCount, int score,
      String level) {
    List<ToolDef> tools = IntStream.range(0, toolCount)
        .mapToObj(i -> new ToolDef("t" + i, "tool", "{}")).toList();
    ComplexityEstimator.Score s = estimator.score(messages, tools);
    assertEquals(score, s.total(), () -> "score parts " + s);
    assertEquals(level, s.level());
    assertEquals(level, estimator.estimate(messages, tools));
  }

  @Test
  void partsAreReported() {
    var s = estimator.score(user("Compare Postgres and MySQL? Analyze the trade-offs and then"
        + " justify a choice. Which is cheaper?"), List.of());
    assertEquals(new ComplexityEstimator.Score(0, 0, 0, 0, 3, 2), s);
  }

  /** The single-pass scan says exactly what running every pattern's find() would say. */
  @Test
  void scanAgreesWithFindOnEveryPattern() {
    String[] words = {"step by step", "step-by-step", "stepbystep", "prove", "proof", "improve",
        "approved", "proven", "analyze", "analyse", "analysis", "analyst", "compare",
        "comparison", "contrast", "incomparable", "derive", "derivation", "derived",
        "trade-off", "tradeoffs", "trade-offs", "trader", "justify", "justified", "root cause",
        "rootcause", "evaluate", "re-evaluate", "explain why", "explain", "why", "and then",
        "band then", "based on that", "based on the answer", "based on the results",
        "which in turn", "use that to", "use the result to", "reuse that to", "_prove",
        "prove_", "2prove", "éprove", "proveé", "ßcompare", "the", "contract", "clause", "?",
        ",", ".", "\n", "(", ")", "-", "’", "naïve", "İ", "ǅ"};
    java.util.Random random = new java.util.Random(7);
    ComplexityEstimator.Scan cues = new ComplexityEstimator.Scan(ComplexityEstimator.CUES);
    ComplexityEstimator.Scan hops = new ComplexityEstimator.Scan(ComplexityEstimator.HOPS);
    ComplexityEstimator.Scan both = ComplexityEstimator.Scan.of(
        List.of(ComplexityEstimator.CUES, ComplexityEstimator.HOPS));
    for (int t = 0; t < 3000; t++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(12);
      for (int w = 0; w < n; w++) {
        String sep = switch (random.nextInt(4)) {
          case 0 -> "";
          case 1 -> "-";
          default -> " ";
        };
        sb.append(words[random.nextInt(words.length)]).append(sep);
      }
      String text = sb.toString().toLowerCase(java.util.Locale.ROOT);
      assertEquals(found(ComplexityEstimator.CUES, text), cues.count(text, Integer.MAX_VALUE),
          () -> "cues in '" + text + "'");
      assertEquals(found(ComplexityEstimator.HOPS, text), hops.count(text, Integer.MAX_VALUE),
          () -> "hops in '" + text + "'");
      // One walk for both lists, each capped as the score caps it.
      int[] capped = both.counts(text, 3, 1);
      assertEquals(Math.min(3, found(ComplexityEstimator.CUES, text)), capped[0],
          () -> "capped cues in '" + text + "'");
      assertEquals(Math.min(1, found(ComplexityEstimator.HOPS, text)), capped[1],
          () -> "capped hops in '" + text + "'");
    }
  }

  @Test
  void anchorsAreTheLiteralPrefixesOfTheAlternatives() {
    assertEquals(List.of("step"),
        ComplexityEstimator.Scan.anchors(ComplexityEstimator.CUES.get(0).pattern()));
    assertEquals(List.of("compare", "comparison", "contrast"),
        ComplexityEstimator.Scan.anchors(ComplexityEstimator.CUES.get(3).pattern()));
    assertEquals(List.of("trade"),
        ComplexityEstimator.Scan.anchors(ComplexityEstimator.CUES.get(5).pattern()));
    assertEquals(List.of("based on "),
        ComplexityEstimator.Scan.anchors(ComplexityEstimator.HOPS.get(1).pattern()));
    assertEquals(List.of("ab"), ComplexityEstimator.Scan.anchors("\\b(?:abc?)\\b"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> ComplexityEstimator.Scan.anchors("\\b(?:[ab]c)\\b"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> ComplexityEstimator.Scan.anchors("(?:abc)"));
  }

  private static int found(List<java.util.regex.Pattern> patterns, String text) {
    return (int) patterns.stream().filter(p -> p.matcher(text).find()).count();
  }

  @Test
  void nothingIsLow() {
    assertEquals("low", estimator.estimate(null, null));
  }

  private static Arguments row(String name, List<ChatMessage> m, int tools, int score,
      String level) {
    return Arguments.of(name, m, tools, score, level);
  }

  private static List<ChatMessage> user(String text) {
    return List.of(ChatMessage.of("user", text));
  }

  /** {@code n} non-system messages, alternating, the last user message carrying {@code last}. */
  private static List<ChatMessage> turns(int n, String last) {
    List<ChatMessage> out = new ArrayList<>();
    out.add(ChatMessage.of("system", "be brief"));
    for (int i = 0; i < n - 1; i++) {
      out.add(ChatMessage.of(i % 2 == 0 ? "user" : "assistant", "ok"));
    }
    out.add(ChatMessage.of("user", last));
    return out;
  }
}
