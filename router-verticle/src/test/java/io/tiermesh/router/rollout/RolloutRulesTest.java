package io.tiermesh.router.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.router.ActiveRules;
import io.tiermesh.router.RulesLoader;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.ProviderEntry;
import io.tiermesh.router.rules.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutRulesTest {

  static final Catalog CATALOG = new Catalog(List.of(
      new ProviderEntry("local", 1, List.of("llama3.1:8b"), "llama3.1:8b"),
      new ProviderEntry("hosted", 2, List.of("gpt-4o-mini"), "gpt-4o-mini")));

  static final String TEXT = """
      # the operator's comment
      rules:
        - name: private-data
          when: {classification: [pii]}
          target: tier-1
        - name: support
          when: always
          split:
            - {target: tier-1, weight: 90}
            - {target: tier-2, weight: 10}
          shadow: {target: tier-2, percent: 100}
          rollout: {target: tier-2, steps: [10, 30, 100], minSamples: 20, hold: 30s}
          guards: {maxP95Ms: 1000}
      """;

  @Test
  void movesTheCandidatesWeightAndKeepsEverythingElse() throws Exception {
    String next = RolloutRules.withWeight(TEXT, "support", 1, 30, null, "step to 30");
    assertTrue(next.startsWith("# step to 30\n"), next);
    ActiveRules parsed = RulesLoader.parse(next, "x", CATALOG);
    Rule r = parsed.engine().ruleSet().rules().get(1);
    assertEquals(70, r.split().get(0).weight());
    assertEquals(30, r.candidateArm().weight());
    assertEquals(List.of(10, 30, 100), r.rollout().steps());
    assertEquals(30_000, r.rollout().holdMs());
    assertEquals(null, r.rollout().halted());
    assertEquals(1000L, r.rollout().guards().maxP95Ms());
    assertEquals(100, r.shadow().percent());
    assertEquals("private-data", parsed.engine().ruleSet().rules().get(0).name());
  }

  @Test
  void aRevertHaltsTheRollout() throws Exception {
    String next = RolloutRules.withWeight(TEXT, "support", 1, 0, "maxP95Ms violated: p95 1600"
        + "-1800 ms", "revert");
    Rule r = RulesLoader.parse(next, "x", CATALOG).engine().ruleSet().rules().get(1);
    assertEquals(100, r.split().get(0).weight());
    assertEquals(0, r.candidateArm().weight());
    assertEquals("maxP95Ms violated: p95 1600-1800 ms", r.rollout().halted());
  }

  @Test
  void aRuleWithoutSuchASplitIsAnError() {
    assertThrows(IllegalArgumentException.class,
        () -> RolloutRules.withWeight(TEXT, "private-data", 1, 30, null, "x"));
  }
}
