package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.router.rules.RuleSetException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Loading rule text into a planner, and what the planner makes of a decision. */
class RulesLoaderTest {

  static ProviderConfig provider(String id, int tier, String model) {
    return new ProviderConfig(id, "openai", tier, "http://127.0.0.1:1", null, null,
        List.of(model), model, 1, 1, ProviderConfig.Timeouts.DEFAULT,
        ProviderConfig.BreakerConfig.DEFAULT, null, ProviderConfig.RetryConfig.DEFAULT,
        ProviderConfig.ProbeConfig.DEFAULT);
  }

  static final List<ProviderConfig> TWO_TIERS =
      List.of(provider("local", 1, "llama3.1:8b"), provider("hosted", 2, "gpt-4o-mini"));

  static RouteRequest request(String id, String model, RoutingHints hints) {
    ChatRequest chat = new ChatRequest(model, List.of(new ChatMessage("user", "hello", null,
        null, null)), null, null, null, null, null, null, null, null, false);
    return new RouteRequest(id, "default", chat, hints, null, Long.MAX_VALUE);
  }

  @Test
  void bundledDefaultsLowerATierTargetWithoutProvidersToTheNextTierDown() throws Exception {
    ActiveRules rules = RulesLoader.bundledDefault(RulesLoader.catalog(TWO_TIERS));
    EnginePlanner planner = new EnginePlanner(rules, RouterBudgetSignals.NOT_WIRED);
    RoutePlan p = planner.plan(request("r1", "auto",
        new RoutingHints(null, null, "critical", "high", null)));
    assertEquals("critical-high", p.reason());
    assertEquals("hosted", p.chain().get(0).providerId());
    assertEquals("local", p.chain().get(1).providerId());
    assertEquals(RulesLoader.BUNDLED_SOURCE, planner.rulesSource());
  }

  @Test
  void operatorFileNamingAMissingTierIsRejectedNamingRuleAndKey() {
    RuleSetException e = assertThrows(RuleSetException.class, () -> RulesLoader.parse("""
        rules:
          - name: premium
            when: {quality: critical}
            target: tier-3
          - name: rest
            when: always
            target: tier-1
        """, "rules.yaml", RulesLoader.catalog(TWO_TIERS)));
    assertTrue(e.errors().get(0).contains("rule 1 'premium'"), e.errors().toString());
    assertTrue(e.errors().get(0).contains("tier 3 has no providers"), e.errors().toString());
  }

  @Test
  void brokenYamlIsRejectedWithItsLine() {
    RuleSetException e = assertThrows(RuleSetException.class, () -> RulesLoader.parse(
        "rules:\n  - name: a\n    when: {quality: [high\n", "bad.yaml",
        RulesLoader.catalog(TWO_TIERS)));
    assertTrue(e.errors().get(0).contains("not valid YAML"), e.errors().toString());
    assertTrue(e.errors().get(0).startsWith("line "), e.errors().toString());
  }

  @Test
  void versionIsTheTextHash() throws Exception {
    String a = "rules:\n  - {name: a, when: always, target: tier-1}\n";
    ActiveRules r = RulesLoader.parse(a, "x", RulesLoader.catalog(TWO_TIERS));
    assertEquals(RulesLoader.versionOf(a), r.version());
    assertNotEquals(r.version(), RulesLoader.versionOf(a + "\n"));
  }

  @Test
  void planCarriesThePolicyVerdictAndTheExplanation() throws Exception {
    EnginePlanner planner = new EnginePlanner(
        RulesLoader.bundledDefault(RulesLoader.catalog(TWO_TIERS)),
        RouterBudgetSignals.NOT_WIRED);
    RoutePlan priv = planner.plan(request("r2", "auto",
        new RoutingHints("pii", null, "high", null, null)));
    assertTrue(priv.localOnly());
    assertEquals("private-data", priv.reason());
    assertEquals(List.of("local"), priv.chain().stream().map(c -> c.providerId()).toList());
    assertEquals("private-data", priv.rule());
    // Routing gets a bare plan; the explanation is built for explain calls only.
    assertNull(priv.explanation());
    RoutePlan explained = planner.explain(request("r2", "auto",
        new RoutingHints("pii", null, "high", null, null)), Set.of());
    assertEquals(priv.chain(), explained.chain());
    assertEquals("private-data", explained.view().rule());
    assertEquals("pii", explained.view().facts().get("classification"));
    assertTrue(explained.notes().contains(RouterBudgetSignals.NOT_WIRED_NOTE));

    RoutePlan forced = planner.plan(request("r3", "hosted/gpt-4o-mini",
        new RoutingHints("hipaa", null, null, null, null)));
    assertEquals(FailureCode.POLICY_VIOLATION, forced.refusal().code());
    assertTrue(forced.chain().isEmpty());

    RoutePlan whatIf = planner.explain(request("r4", "auto",
        new RoutingHints(null, null, "high", null, null)), Set.of(2));
    assertEquals("budget-fallback", whatIf.reason());
    assertEquals("local", whatIf.chain().get(0).providerId());
    assertEquals("quality-high", planner.plan(request("r4", "auto",
        new RoutingHints(null, null, "high", null, null))).reason(),
        "the what-if applies to that explanation only");
  }

  @Test
  void swapReplacesTheRulesForTheNextPlan() throws Exception {
    EnginePlanner planner = new EnginePlanner(
        RulesLoader.bundledDefault(RulesLoader.catalog(TWO_TIERS)),
        RouterBudgetSignals.NOT_WIRED);
    planner.swap(RulesLoader.parse("rules:\n  - {name: all-hosted, when: always, "
        + "target: tier-2}\n", "new.yaml", RulesLoader.catalog(TWO_TIERS)));
    RoutePlan p = planner.plan(request("r5", "auto", RoutingHints.NONE));
    assertEquals("all-hosted", p.reason());
    assertEquals("new.yaml", planner.rulesSource());
  }
}
