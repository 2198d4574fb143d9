package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PhraseScannerTest {

  private static final PhraseScanner CUES = new PhraseScanner(ComplexityEstimator.CUES);
  private static final PhraseScanner HOPS = new PhraseScanner(ComplexityEstimator.HOPS);

  /** The regexes the scanner replaced: the oracle it must agree with. */
  private static final List<Pattern> CUE_REGEXES = List.of(
      cue("step[- ]by[- ]step"), cue("prove|proof"), cue("analy[sz]e|analysis"),
      cue("compare|comparison|contrast"), cue("derive|derivation"), cue("trade-?offs?"),
      cue("justify"), cue("root cause"), cue("evaluate"), cue("explain why"));
  private static final List<Pattern> HOP_REGEXES = List.of(
      cue("and then"), cue("based on (?:that|this|the (?:answer|result))"),
      cue("which in turn"), cue("use (?:that|this|the result) to"));

  private static Pattern cue(String alternatives) {
    return Pattern.compile("\\b(?:" + alternatives + ")\\b", Pattern.CASE_INSENSITIVE);
  }

  private static int regexCount(List<Pattern> patterns, String text) {
    return (int) patterns.stream().filter(p -> p.matcher(text).find()).count();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "please prove it | 1",
      "we improve and approved it | 0",
      "step-by-step, then step by step | 1",
      "step_by_step | 0",
      "analyse; analyze: analysis! | 1",
      "compare the proof and evaluate | 3",
      "tradeoffs and trade-off | 1",
      "trade--off | 0",
      "root causes | 0",
      "root cause. | 1",
      "explain why2 | 0",
      "prove | 1",
      "disprove proofs | 0"})
  void wholeWordsOnly(String text, int expected) {
    assertEquals(expected, CUES.distinct(text, 99));
    assertEquals(regexCount(CUE_REGEXES, text), CUES.distinct(text, 99));
  }

  @Test
  void agreesWithTheRegexesOnRandomText() {
    String[] vocab = {"prove", "proof", "improve", "approved", "proofs", "step", "by", "-",
        " ", "  ", "_", "step-by-step", "analyse", "analyzed", "analysis", "compare",
        "comparison", "contrast", "derive", "derivation", "trade", "off", "offs", "tradeoff",
        "justify", "root", "cause", "evaluate", "explain", "why", "and", "then", "based", "on",
        "that", "this", "the", "answer", "result", "which", "in", "turn", "use", "to", ".",
        ",", "?", "\n", "x", "9", "é", "ß"};
    Random r = new Random(20261122);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int words = r.nextInt(12);
      for (int w = 0; w < words; w++) {
        sb.append(vocab[r.nextInt(vocab.length)]);
        if (r.nextInt(3) > 0) {
          sb.append(' ');
        }
      }
      String text = sb.toString();
      assertEquals(regexCount(CUE_REGEXES, text), CUES.distinct(text, 99), text);
      assertEquals(regexCount(HOP_REGEXES, text), HOPS.distinct(text, 99), text);
    }
  }

  @Test
  void stopsCountingAtEnough() {
    assertEquals(2, CUES.distinct("prove compare evaluate justify", 2));
  }

  @Test
  void aPhraseMustStartAndEndWithAWordCharacter() {
    assertThrows(IllegalArgumentException.class,
        () -> new PhraseScanner(List.of(List.of("-x"))));
  }
}
