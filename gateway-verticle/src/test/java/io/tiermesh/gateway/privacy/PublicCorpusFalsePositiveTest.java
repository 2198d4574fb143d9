package io.tiermesh.gateway.privacy;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.gateway.privacy.ContentDetectors.Kind;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The detectors over text that holds nothing private (public-domain prose and ordinary
 * prompts dense with numbers, dates, versions, hashes and code): how many prompts would be
 * upgraded or refused for nothing. The rate is printed for the docs and bounded here.
 */
class PublicCorpusFalsePositiveTest {

  static List<String> corpus() throws Exception {
    try (InputStream in = PublicCorpusFalsePositiveTest.class
        .getResourceAsStream("/privacy/public-corpus.txt")) {
      assertNotNull(in);
      List<String> lines = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line);
        }
      }
      return lines;
    }
  }

  @Test
  void falsePositiveRateOnPublicText() throws Exception {
    List<String> prompts = corpus();
    List<String> flagged = new ArrayList<>();
    for (String p : prompts) {
      Set<Kind> found = ContentDetectors.scan(p, EnumSet.allOf(Kind.class));
      if (!found.isEmpty()) {
        flagged.add(found + " " + p);
      }
    }
    double rate = 100.0 * flagged.size() / prompts.size();
    System.out.printf("content detectors: %d of %d public prompts flagged (%.1f %%)%n",
        flagged.size(), prompts.size(), rate);
    flagged.forEach(f -> System.out.println("  flagged: " + f));
    assertTrue(prompts.size() >= 100, "corpus too small: " + prompts.size());
    assertTrue(rate <= 2.0, "false positives: " + flagged);
  }
}
