package io.tiermesh.router.rules;

import static io.tiermesh.router.rules.Fixtures.facts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.RouteInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The users' example plans: task-specific models, a daily premium cap, tenant policies. */
class ExampleRulesTest {

  static final RuleEngine ENGINE = new RuleEngine(Fixtures.load("rules/examples.yaml"));

  @Test
  void codeGoesToTheCodingModelThenTheListedFallback() {
    Decision d = ENGINE.decide(facts().task("code").build(), BudgetView.UNLIMITED, 1L);
    assertEquals("code", d.reason());
    assertEquals(List.of(
        new RouteInfo(1, "ollama-gpu", "qwen2.5-coder:7b", "code"),
        new RouteInfo(2, "together", "Qwen/Qwen2.5-Coder-32B-Instruct", "fallback"),
        new RouteInfo(1, "ollama-gpu", "llama3.1:8b", "fallback"),
        new RouteInfo(1, "ollama-cpu", "llama3.2:3b", "fallback")), d.chain());
  }

  @Test
  void aRuleWithoutACapMarksNoTargetAsCounted() {
    Decision d = ENGINE.decide(facts().task("code").build(), BudgetView.UNLIMITED, 1L);
    assertEquals(null, d.maxPerDay());
    assertEquals(List.of(), d.ruleTargets());
  }

  @Test
  void docsGoToTheGeneralModel() {
    Decision d = ENGINE.decide(facts().task("docs").build(), BudgetView.UNLIMITED, 1L);
    assertEquals(new RouteInfo(1, "ollama-gpu", "llama3.1:8b", "docs"), d.chain().get(0));
  }

  @Test
  void premiumIsCappedAtTwentyADay() {
    RequestFacts f = facts().quality("critical").complexity("high").tenant("research-lab")
        .build();
    Decision under = ENGINE.decide(f, new Fixtures.Budget(Set.of(), Map.of("premium-capped", 19)),
        1L);
    assertEquals("premium-capped", under.ruleName());
    assertEquals("critical-high", under.reason());
    assertEquals(3, under.chain().get(0).tier());
    // The rule's own target (tier 3) counts against the cap when reserved; its fallback does not.
    assertEquals(20, under.maxPerDay());
    assertEquals(under.chain().stream().filter(r -> r.tier() == 3).toList(),
        under.ruleTargets());
    assertTrue(under.chain().size() > under.ruleTargets().size());

    Decision capped = ENGINE.decide(f,
        new Fixtures.Budget(Set.of(), Map.of("premium-capped", 20)), 1L);
    assertEquals("quality-high", capped.ruleName());
    assertEquals(2, capped.chain().get(0).tier());
    RuleCheck skipped = capped.checks().get(2);
    assertEquals("premium-capped", skipped.rule());
    assertTrue(skipped.why().endsWith("daily cap reached (20/20)"), skipped.why());
  }

  @Test
  void tenantPoliciesComeFromTheConfig() {
    RequestFacts premium = facts().quality("critical").complexity("high").build();
    assertEquals("tenant-policy", ENGINE.decide(premium, BudgetView.UNLIMITED, 1L).reason());
    assertEquals(2, ENGINE.decide(premium, BudgetView.UNLIMITED, 1L).chain().get(0).tier());
    Decision local = ENGINE.decide(facts().quality("critical").complexity("high")
        .tenant("acme-health").build(), BudgetView.UNLIMITED, 1L);
    assertTrue(local.localOnly());
    assertEquals(List.of(1, 1), local.chain().stream().map(RouteInfo::tier).toList());
    Decision partner = ENGINE.decide(facts().quality("high").tenant("partner").build(),
        BudgetView.UNLIMITED, 1L);
    assertEquals(List.of("together", "ollama-gpu"),
        partner.chain().stream().map(RouteInfo::providerId).toList());
  }

  @Test
  void legalIsPrivateAndForcedCloudModelsAreReroutedLocally() {
    Decision legal = ENGINE.decide(facts().classification("legal").task("code")
        .tenant("research-lab").build(), BudgetView.UNLIMITED, 1L);
    assertEquals("private-data", legal.ruleName());
    assertEquals(List.of("ollama-gpu/llama3.1:8b", "ollama-cpu/llama3.2:3b"),
        legal.chain().stream().map(r -> r.providerId() + "/" + r.model()).toList());
    Decision forced = ENGINE.decide(facts().classification("pii").model("openai/gpt-4o")
        .tenant("research-lab").build(), BudgetView.UNLIMITED, 1L);
    assertEquals("private-data", forced.reason());
    assertEquals(Decision.FORCED, forced.ruleName());
    assertEquals(List.of(1, 1), forced.chain().stream().map(RouteInfo::tier).toList());
  }
}
