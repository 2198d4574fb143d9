package io.tiermesh.router.rules;

import static io.tiermesh.router.rules.Fixtures.facts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Traffic split and shadow sampling: deterministic per request, shares close to the config. */
class SplitAndShadowTest {

  static final int REQUESTS = 10_000;
  static final double TOLERANCE = 0.02;

  @Test
  void threeWaySplitMatchesWeights() throws RuleSetException {
    RuleSet rs = RuleSetParser.parse(Fixtures.yaml("""
        rules:
          - name: migration
            when: always
            split:
              - {target: {tier: 1}, weight: 10}
              - {target: {tier: 2}, weight: 30}
              - {target: openai/gpt-4o-mini, weight: 60}
        """), Fixtures.CATALOG, "split.yaml");
    Map<String, Integer> seen = countFirst(new RuleEngine(rs), facts().build());
    assertShare(seen, "ollama-gpu", 0.10);
    assertShare(seen, "together", 0.30);
    assertShare(seen, "openai", 0.60);
  }

  @Test
  void examplesMigrationSplitMatchesWeights() {
    RuleEngine engine = new RuleEngine(Fixtures.load("rules/examples.yaml"));
    Map<String, Integer> seen = countFirst(engine, facts().task("extraction").build());
    assertShare(seen, "ollama-gpu", 0.70);
    assertShare(seen, "together", 0.30);
  }

  @Test
  void splitIsDeterministicPerRequest() {
    RuleEngine engine = new RuleEngine(Fixtures.load("rules/examples.yaml"));
    RequestFacts f = facts().task("extraction").build();
    for (int i = 0; i < 1_000; i++) {
      long h = RuleEngine.hashOf("req-" + i);
      assertEquals(engine.decide(f, BudgetView.UNLIMITED, h),
          engine.decide(f, BudgetView.UNLIMITED, h));
    }
    assertEquals(RuleEngine.hashOf("req-1"), RuleEngine.hashOf("req-1"));
  }

  @Test
  void shadowSamplesItsPercentAndNeverChangesTheAnswer() {
    RuleEngine engine = new RuleEngine(Fixtures.load("rules/examples.yaml"));
    RequestFacts f = facts().task("code").build();
    int mirrored = 0;
    for (int i = 0; i < REQUESTS; i++) {
      Decision d = engine.decide(f, BudgetView.UNLIMITED, RuleEngine.hashOf("req-" + i));
      assertEquals("ollama-gpu", d.chain().get(0).providerId());
      assertEquals("qwen2.5-coder:7b", d.chain().get(0).model());
      if (d.shadow() != null) {
        mirrored++;
        assertEquals("together", d.shadow().providerId());
        assertEquals("Qwen/Qwen2.5-Coder-32B-Instruct", d.shadow().model());
        assertEquals("shadow", d.shadow().reason());
      }
    }
    double share = mirrored / (double) REQUESTS;
    assertTrue(Math.abs(share - 0.05) <= TOLERANCE, "shadow share " + share);
  }

  @Test
  void shadowIsSkippedWhenItsTierBudgetIsExhausted() {
    RuleEngine engine = new RuleEngine(Fixtures.load("rules/examples.yaml"));
    RequestFacts f = facts().task("code").build();
    for (int i = 0; i < 2_000; i++) {
      Decision d = engine.decide(f, Fixtures.Budget.exhausted(2), RuleEngine.hashOf("r" + i));
      assertEquals(null, d.shadow());
    }
  }

  private static Map<String, Integer> countFirst(RuleEngine engine, RequestFacts f) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      Decision d = engine.decide(f, BudgetView.UNLIMITED, RuleEngine.hashOf("req-" + i));
      seen.merge(d.chain().get(0).providerId(), 1, Integer::sum);
    }
    return seen;
  }

  private static void assertShare(Map<String, Integer> seen, String provider, double weight) {
    double share = seen.getOrDefault(provider, 0) / (double) REQUESTS;
    assertTrue(Math.abs(share - weight) <= TOLERANCE,
        provider + " share " + share + " vs weight " + weight + " in " + seen);
  }
}
