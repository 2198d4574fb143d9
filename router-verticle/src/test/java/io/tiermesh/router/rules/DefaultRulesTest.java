package io.tiermesh.router.rules;

import static io.tiermesh.router.rules.Fixtures.facts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.router.rules.Fixtures.Budget;
import io.tiermesh.router.rules.Fixtures.FactsBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every default rule (docs/reference-workload.md, rules 1–6) and every boundary between them, as
 * one table.
 */
class DefaultRulesTest {

  static final RuleSet DEFAULTS = Fixtures.load("rules/default-rules.yaml");
  static final RuleSet LEGAL_PRIVATE = variant(s -> s.put("legalIsPrivate", true));
  static final RuleSet REROUTE = variant(s -> s.put("privateForcedModel", "reroute"));
  static final RuleSet BUDGET_REJECT = variant(s -> s.put("onBudgetExhausted", "reject"));

  static final String LOCAL = "ollama-gpu,ollama-cpu";
  static final String DOWN_FROM_2 = "together," + LOCAL;
  static final String DOWN_FROM_3 = "openai," + DOWN_FROM_2;
  static final BudgetView NONE_SPENT = BudgetView.UNLIMITED;

  /**
   * @param chain expected provider ids in order, or the failure code when refused
   */
  record Row(String name, RuleSet rules, TenantPolicy tenant, FactsBuilder facts,
      BudgetView budget, String rule, String reason, String chain) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Row> table() {
    return Stream.of(
        // rule 6: otherwise tier 1
        row("plain chat -> tier 1", facts(), "default", "default", LOCAL),
        row("standard quality, high complexity -> tier 1",
            facts().complexity("high"), "default", "default", LOCAL),
        // rule 1: each private class, even when the request would otherwise go premium
        row("pii", facts().classification("pii"), "private-data", "private-data", LOCAL),
        row("hipaa", facts().classification("hipaa"), "private-data", "private-data", LOCAL),
        row("confidential", facts().classification("confidential"), "private-data",
            "private-data", LOCAL),
        row("pii, critical and high", facts().classification("pii").quality("critical")
            .complexity("high"), "private-data", "private-data", LOCAL),
        row("hipaa, batch 50", facts().classification("hipaa").batch(50), "private-data",
            "private-data", LOCAL),
        row("internal is not private", facts().classification("internal").quality("high"),
            "quality-high", "quality-high", DOWN_FROM_2),
        // legal: only when configured
        row("legal, not configured private -> rules as usual", facts().classification("legal")
            .quality("critical").complexity("high"), "critical-high", "critical-high",
            DOWN_FROM_3),
        new Row("legal, configured private -> tier 1 whatever rule matched", LEGAL_PRIVATE, null,
            facts().classification("legal").quality("critical").complexity("high"), NONE_SPENT,
            "critical-high", "private-data", LOCAL),
        new Row("legal configured private, plain chat", LEGAL_PRIVATE, null,
            facts().classification("legal"), NONE_SPENT, "default", "private-data", LOCAL),
        // rule 2
        row("embedding -> tier 1", facts().task("embedding"), "embedding", "embedding", LOCAL),
        row("embedding beats critical/high and batch", facts().task("embedding")
            .quality("critical").complexity("high").batch(100), "embedding", "embedding", LOCAL),
        // rule 4 and its neighbours
        row("critical + high -> tier 3", facts().quality("critical").complexity("high"),
            "critical-high", "critical-high", DOWN_FROM_3),
        row("critical + medium -> tier 2", facts().quality("critical").complexity("medium"),
            "quality-high", "quality-high", DOWN_FROM_2),
        row("critical + low -> tier 2", facts().quality("critical").complexity("low"),
            "quality-high", "quality-high", DOWN_FROM_2),
        row("high + high -> tier 2, not 3", facts().quality("high").complexity("high"),
            "quality-high", "quality-high", DOWN_FROM_2),
        // rule 5 and the batch boundary
        row("high quality -> tier 2", facts().quality("high"), "quality-high", "quality-high",
            DOWN_FROM_2),
        row("batch 10 -> tier 1", facts().batch(10), "default", "default", LOCAL),
        row("batch 11 -> tier 2", facts().batch(11), "quality-high", "quality-high",
            DOWN_FROM_2),
        row("low quality, batch 11 -> tier 2", facts().quality("low").batch(11), "quality-high",
            "quality-high", DOWN_FROM_2),
        row("low quality, batch 1 -> tier 1", facts().quality("low"), "default", "default",
            LOCAL),
        // rule 3: budget of the chosen tier exhausted -> next lower tier
        budget("tier 3 exhausted -> tier 2", facts().quality("critical").complexity("high"),
            Budget.exhausted(3), "critical-high", "budget-fallback", DOWN_FROM_2),
        budget("tiers 3 and 2 exhausted -> tier 1", facts().quality("critical")
            .complexity("high"), Budget.exhausted(3, 2), "critical-high", "budget-fallback",
            LOCAL),
        budget("tier 2 exhausted -> tier 1", facts().quality("high"), Budget.exhausted(2),
            "quality-high", "budget-fallback", LOCAL),
        budget("only a lower tier exhausted: primary kept, tier skipped in fallback",
            facts().quality("critical").complexity("high"), Budget.exhausted(2),
            "critical-high", "critical-high", "openai," + LOCAL),
        budget("private data with exhausted tiers stays private-data", facts()
            .classification("pii").quality("critical").complexity("high"),
            Budget.exhausted(2, 3), "private-data", "private-data", LOCAL),
        new Row("budget reject setting -> 429", BUDGET_REJECT, null,
            facts().quality("critical").complexity("high"), Budget.exhausted(3),
            "critical-high", "budget_exhausted", "BUDGET_EXHAUSTED"),
        // forced model names
        row("tier-3 forced", facts().model("tier-3"), Decision.FORCED, "forced-model",
            DOWN_FROM_3),
        row("provider/model forced", facts().model("openai/gpt-4o-mini"), Decision.FORCED,
            "forced-model", DOWN_FROM_3),
        row("bare model name forced", facts().model("gpt-4o"), Decision.FORCED, "forced-model",
            DOWN_FROM_3),
        row("provider id forced", facts().model("together"), Decision.FORCED, "forced-model",
            DOWN_FROM_2),
        row("local model forced with pii is honoured", facts().classification("pii")
            .model("ollama-gpu/qwen2.5-coder:7b"), Decision.FORCED, "forced-model", LOCAL),
        row("cloud model forced with pii -> 403", facts().classification("pii")
            .model("openai/gpt-4o"), Decision.FORCED, "policy_violation", "POLICY_VIOLATION"),
        row("tier-2 forced with hipaa -> 403", facts().classification("hipaa").model("tier-2"),
            Decision.FORCED, "policy_violation", "POLICY_VIOLATION"),
        new Row("cloud model forced with pii, reroute configured -> tier 1", REROUTE, null,
            facts().classification("pii").model("openai/gpt-4o"), NONE_SPENT, Decision.FORCED,
            "private-data", LOCAL),
        row("unknown model -> 404", facts().model("nope/xyz"), Decision.FORCED, "not_found",
            "NOT_FOUND"),
        // model aliases: the names clients send by default are routed as auto
        row("claude-* alias -> the rules, as auto", facts().model("claude-opus-5-5"), "default",
            "default", LOCAL),
        row("claude-* alias with high quality -> tier 2", facts().model("claude-sonnet-4-5")
            .quality("high"), "quality-high", "quality-high", DOWN_FROM_2),
        row("gpt-4o* alias -> the rules", facts().model("gpt-4o-2024-08-06"), "default",
            "default", LOCAL),
        row("a name the catalog serves is not aliased", facts().model("gpt-4o-mini"),
            Decision.FORCED, "forced-model", DOWN_FROM_3),
        row("alias with pii -> tier 1, private", facts().model("claude-opus-5-5")
            .classification("pii"), "private-data", "private-data", LOCAL),
        row("no alias for other names -> 404", facts().model("mistral-large"), Decision.FORCED,
            "not_found", "NOT_FOUND"),
        row("tier with no providers -> 404", facts().model("tier-7"), Decision.FORCED,
            "not_found", "NOT_FOUND"),
        row("model the provider does not serve -> 404", facts().model("openai/claude"),
            Decision.FORCED, "not_found", "NOT_FOUND"),
        budget("forced tier-3 with tier 3 exhausted -> tier 2", facts().model("tier-3"),
            Budget.exhausted(3), Decision.FORCED, "budget-fallback", DOWN_FROM_2),
        // tenant execution policies
        tenant("local_only tenant, critical/high -> tier 1", TenantPolicy.LOCAL_ONLY,
            facts().quality("critical").complexity("high"), "critical-high", "tenant-policy",
            LOCAL),
        tenant("local_and_hosted tenant, critical/high -> tier 2",
            TenantPolicy.LOCAL_AND_HOSTED, facts().quality("critical").complexity("high"),
            "critical-high", "tenant-policy", DOWN_FROM_2),
        tenant("multi_cloud tenant, critical/high -> tier 3", TenantPolicy.MULTI_CLOUD,
            facts().quality("critical").complexity("high"), "critical-high", "critical-high",
            DOWN_FROM_3),
        tenant("provider-list tenant keeps only its providers",
            TenantPolicy.onlyProviders(Set.of("together", "ollama-cpu")),
            facts().quality("critical").complexity("high"), "critical-high", "tenant-policy",
            "together,ollama-cpu"),
        tenant("local_only tenant forcing tier-2 -> 403", TenantPolicy.LOCAL_ONLY,
            facts().model("tier-2"), Decision.FORCED, "policy_violation", "POLICY_VIOLATION"),
        tenant("provider-list tenant without local, pii -> 403",
            TenantPolicy.onlyProviders(Set.of("together")), facts().classification("pii"),
            "private-data", "policy_violation", "POLICY_VIOLATION"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(Row row) {
    RuleEngine engine = new RuleEngine(row.rules());
    RequestFacts f = row.facts().build();
    Decision d = row.tenant() == null
        ? engine.decide(f, row.budget(), 42L)
        : engine.decide(f, row.tenant(), row.budget(), 42L);
    String explained = d.toPlanView().toString();
    assertEquals(row.rule(), d.ruleName(), explained);
    assertEquals(row.reason(), d.reason(), explained);
    if (row.chain().equals(row.chain().toUpperCase())) {
      assertTrue(d.refused(), explained);
      assertEquals(FailureCode.valueOf(row.chain()), d.refusal().code(), explained);
      assertTrue(d.chain().isEmpty());
      assertNull(d.shadow());
    } else {
      assertFalse(d.refused(), explained);
      assertEquals(row.chain(), ids(d.chain()), explained);
      assertEquals(d.reason(), d.chain().get(0).reason());
      d.chain().stream().skip(1).forEach(r -> assertEquals("fallback", r.reason()));
    }
    boolean priv = row.rules().policy().isPrivate(f.classification());
    assertEquals(priv || row.tenant() == TenantPolicy.LOCAL_ONLY, d.localOnly(), explained);
  }

  @Test
  void defaultTargetsUseDefaultModels() {
    Decision d = new RuleEngine(DEFAULTS).decide(facts().quality("critical").complexity("high")
        .build(), NONE_SPENT, 1L);
    assertEquals(new RouteInfo(3, "openai", "gpt-4o", "critical-high"), d.chain().get(0));
    assertEquals(new RouteInfo(1, "ollama-cpu", "llama3.2:3b", "fallback"), d.chain().get(3));
    Decision forced = new RuleEngine(DEFAULTS).decide(facts().model("openai/gpt-4o-mini")
        .build(), NONE_SPENT, 1L);
    assertEquals(new RouteInfo(3, "openai", "gpt-4o-mini", "forced-model"),
        forced.chain().get(0));
  }

  @Test
  void explainsWhyEachEarlierRuleDidNotMatch() {
    Decision d = new RuleEngine(DEFAULTS).decide(facts().quality("high").complexity("high")
        .build(), NONE_SPENT, 1L);
    assertEquals(List.of(
        new RuleCheck(1, "private-data", false,
            "classification=public not in [pii, hipaa, confidential]"),
        new RuleCheck(2, "embedding", false, "task=chat (want embedding)"),
        new RuleCheck(3, "critical-high", false, "quality=high (want critical)"),
        new RuleCheck(4, "quality-high", true, "quality=high >= high")), d.checks());
    assertTrue(d.toPlanView().notes().contains(
        "rule 3 'critical-high': no (quality=high (want critical))"), d.toPlanView().notes()
        .toString());
  }

  @Test
  void explainsTheBatchBoundary() {
    Decision d = new RuleEngine(DEFAULTS).decide(facts().batch(10).build(), NONE_SPENT, 1L);
    assertEquals("quality=standard < high and batchSize=10 < 11", d.checks().get(3).why());
    assertEquals(new RuleCheck(5, "default", true, "always"), d.checks().get(4));
  }

  @Test
  void privacyNotesNameWhatWasDropped() {
    Decision d = new RuleEngine(LEGAL_PRIVATE).decide(facts().classification("legal")
        .quality("critical").complexity("high").build(), NONE_SPENT, 1L);
    assertTrue(d.notes().contains("policy: dropped openai (tier 3): private data"), d.notes()
        .toString());
    assertTrue(d.notes().get(0).startsWith("privacy: classification 'legal' is private"));
  }

  private static String ids(List<RouteInfo> chain) {
    return chain.stream().map(RouteInfo::providerId).collect(Collectors.joining(","));
  }

  private static Row row(String name, FactsBuilder f, String rule, String reason,
      String chain) {
    return new Row(name, DEFAULTS, null, f, NONE_SPENT, rule, reason, chain);
  }

  private static Row budget(String name, FactsBuilder f, BudgetView b, String rule,
      String reason, String chain) {
    return new Row(name, DEFAULTS, null, f, b, rule, reason, chain);
  }

  private static Row tenant(String name, TenantPolicy t, FactsBuilder f, String rule,
      String reason, String chain) {
    return new Row(name, DEFAULTS, t, f, NONE_SPENT, rule, reason, chain);
  }

  @SuppressWarnings("unchecked")
  private static RuleSet variant(Consumer<Map<String, Object>> settings) {
    Map<String, Object> root = new HashMap<>(
        (Map<String, Object>) Fixtures.yamlResource("rules/default-rules.yaml"));
    Map<String, Object> s = new HashMap<>((Map<String, Object>) root.get("settings"));
    settings.accept(s);
    root.put("settings", s);
    try {
      return RuleSetParser.parse(root, Fixtures.CATALOG, "variant");
    } catch (RuleSetException e) {
      throw new AssertionError(e);
    }
  }
}
