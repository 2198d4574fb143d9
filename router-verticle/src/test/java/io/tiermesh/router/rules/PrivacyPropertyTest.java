package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tiermesh.contracts.RouteInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded property test: over many random combinations of classification, hints, model names,
 * tenant policies, rule sets (including rules written to leak), budget exhaustion, daily caps
 * and provider outages, private data never gets a target outside tier 1 — not first, not in
 * the fallback chain, not as shadow — and no target ever breaks the tenant policy.
 */
class PrivacyPropertyTest {

  static final long SEED = 0x7137_3e5bL;
  static final int CASES = 20_000;

  static final List<RuleSet> RULE_SETS = List.of(
      DefaultRulesTest.DEFAULTS, DefaultRulesTest.LEGAL_PRIVATE, DefaultRulesTest.REROUTE,
      DefaultRulesTest.BUDGET_REJECT, Fixtures.load("rules/examples.yaml"),
      Fixtures.load("rules/adversarial.yaml"));

  static final List<String> MODELS = List.of("auto", "auto", "auto", "", "tier-1", "tier-2",
      "tier-3", "openai/gpt-4o", "openai/gpt-4o-mini", "gpt-4o", "together",
      "together/Qwen/Qwen2.5-Coder-32B-Instruct", "Qwen/Qwen2.5-Coder-32B-Instruct",
      "ollama-gpu/qwen2.5-coder:7b", "nomic-embed-text", "llama3.2:3b", "nope/x", "tier-9");

  @Test
  void privateDataNeverLeavesTierOne() {
    Random rnd = new Random(SEED);
    Map<String, Integer> outcomes = new HashMap<>();
    int privateServed = 0;
    for (int i = 0; i < CASES; i++) {
      RuleSet rules = pick(rnd, RULE_SETS);
      RequestFacts facts = new RequestFacts(
          pick(rnd, Fact.CLASSIFICATION.allowedValues()),
          pick(rnd, Fact.TASK.allowedValues()),
          pick(rnd, Fact.QUALITY.allowedValues()),
          pick(rnd, Fact.COMPLEXITY.allowedValues()),
          1 + rnd.nextInt(30), rnd.nextInt(20_000), rnd.nextBoolean() ? "auto" : pick(rnd, MODELS),
          pick(rnd, List.of("default", "research-lab", "acme-health", "partner", "other")),
          rnd.nextBoolean(), rnd.nextBoolean());
      TenantPolicy tenant = randomTenant(rnd);
      BudgetView budget = randomBudget(rnd);
      long hash = rnd.nextLong();

      RuleEngine engine = new RuleEngine(rules);
      Decision d = tenant == null ? engine.decide(facts, budget, hash)
          : engine.decide(facts, tenant, budget, hash);
      TenantPolicy effective = tenant == null ? rules.policy().tenantPolicy(facts.tenant())
          : tenant;
      boolean priv = rules.policy().isPrivate(facts.classification());
      String context = "case " + i + ": " + facts + " tenant=" + effective.describe() + " -> "
          + d.toPlanView();

      List<RouteInfo> all = new ArrayList<>(d.chain());
      d.shadowTarget().ifPresent(all::add);
      for (RouteInfo r : all) {
        ProviderEntry p = Fixtures.CATALOG.provider(r.providerId()).orElseThrow();
        assertEquals(p.tier(), r.tier(), context);
        assertTrue(effective.allows(p), () -> "tenant policy broken: " + context);
        if (priv) {
          assertEquals(1, r.tier(), () -> "PRIVATE DATA LEFT TIER 1: " + context);
          assertTrue(p.local(), context);
        }
      }
      if (priv) {
        assertTrue(d.localOnly(), context);
      }
      assertEquals(d.refused(), d.chain().isEmpty(), context);
      if (d.refused()) {
        assertEquals(null, d.shadow(), context);
      }

      // Outages: whichever providers are down, the one that serves comes from the chain.
      Set<String> down = new HashSet<>();
      for (ProviderEntry p : Fixtures.CATALOG.providers()) {
        if (rnd.nextInt(3) == 0) {
          down.add(p.id());
        }
      }
      RouteInfo served = d.chain().stream().filter(r -> !down.contains(r.providerId()))
          .findFirst().orElse(null);
      if (priv && served != null) {
        assertEquals(1, served.tier(), context);
        privateServed++;
      }
      outcomes.merge(d.refused() ? d.refusal().code().code() : d.reason(), 1, Integer::sum);
    }
    // The generator must actually reach the interesting paths, or the property proves little.
    assertTrue(privateServed > 2_000, "private requests served: " + privateServed);
    for (String reason : List.of("private-data", "forced-model", "budget-fallback",
        "tenant-policy", "policy_violation", "critical-high", "default")) {
      assertTrue(outcomes.getOrDefault(reason, 0) > 50, reason + " too rare: " + outcomes);
    }
  }

  @Test
  void adversarialRulesStillRoutePrivateDataLocally() {
    RuleEngine engine = new RuleEngine(Fixtures.load("rules/adversarial.yaml"));
    for (String c : List.of("pii", "hipaa", "confidential", "legal")) {
      Decision d = engine.decide(Fixtures.facts().classification(c).build(),
          BudgetView.UNLIMITED, 7L);
      assertFalse(d.refused(), d.toString());
      assertEquals("private-data", d.reason());
      assertEquals(List.of(1, 1), d.chain().stream().map(RouteInfo::tier).toList());
      assertEquals(null, d.shadow(), "a cloud shadow must be dropped for " + c);
      assertTrue(d.notes().stream().anyMatch(n -> n.startsWith("policy: dropped shadow openai")),
          d.notes().toString());
    }
    // The same rules do mirror public traffic to the cloud: the drop above is the policy's.
    Decision pub = engine.decide(Fixtures.facts().quality("low").build(), BudgetView.UNLIMITED,
        7L);
    assertEquals("together", pub.chain().get(0).providerId());
    assertEquals(new RouteInfo(3, "openai", "gpt-4o", "shadow"), pub.shadow());
  }

  private static TenantPolicy randomTenant(Random rnd) {
    switch (rnd.nextInt(6)) {
      case 0: return TenantPolicy.LOCAL_ONLY;
      case 1: return TenantPolicy.LOCAL_AND_HOSTED;
      case 2: return TenantPolicy.MULTI_CLOUD;
      case 3: {
        Set<String> ids = new HashSet<>();
        for (String id : Fixtures.CATALOG.ids()) {
          if (rnd.nextBoolean()) {
            ids.add(id);
          }
        }
        if (ids.isEmpty()) {
          ids.add("openai");
        }
        return TenantPolicy.onlyProviders(ids);
      }
      default: return null;
    }
  }

  private static BudgetView randomBudget(Random rnd) {
    Set<Integer> exhausted = new HashSet<>();
    for (int tier : List.of(1, 2, 3)) {
      if (rnd.nextInt(4) == 0) {
        exhausted.add(tier);
      }
    }
    int used = rnd.nextInt(30);
    return new BudgetView() {
      @Override
      public boolean tierExhausted(int tier) {
        if (tier == 1) {
          fail("tier 1 is free and must never be asked about");
        }
        return exhausted.contains(tier);
      }

      @Override
      public int usedToday(String ruleName) {
        return used;
      }
    };
  }

  private static <T> T pick(Random rnd, List<T> from) {
    return from.get(rnd.nextInt(from.size()));
  }
}
