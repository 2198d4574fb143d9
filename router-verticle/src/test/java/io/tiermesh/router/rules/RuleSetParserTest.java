package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuleSetParserTest {

  private static final String CATCH_ALL = "\n  - {name: rest, when: always, target: {tier: 1}}";

  static Stream<Arguments> rejections() {
    return Stream.of(
        bad("rollout without a split", "rules:\n  - {name: r, when: always, target: tier-1,"
            + " rollout: {target: tier-2, steps: [10]}}",
            "rule 1 'r': rollout: needs a 'split' of exactly two arms"),
        bad("rollout of no arm", "rules:\n  - {name: r, when: always, split: [{target: tier-1,"
            + " weight: 90}, {target: tier-2, weight: 10}], rollout: {target: tier-3, steps:"
            + " [10]}}", "rule 1 'r': rollout.target: 'tier-3' is not an arm of the split"),
        bad("falling steps", "rules:\n  - {name: r, when: always, split: [{target: tier-1,"
            + " weight: 90}, {target: tier-2, weight: 10}], rollout: {target: tier-2, steps:"
            + " [30, 10]}}", "rule 1 'r': rollout.steps: weights must rise"),
        bad("bad hold", "rules:\n  - {name: r, when: always, split: [{target: tier-1,"
            + " weight: 90}, {target: tier-2, weight: 10}], rollout: {target: tier-2, steps:"
            + " [10], hold: 1 hour}}", "rule 1 'r': rollout.hold: expected a duration"),
        bad("guard as a percent", "rules:\n  - {name: r, when: always, split: [{target: tier-1,"
            + " weight: 90}, {target: tier-2, weight: 10}], rollout: {target: tier-2, steps:"
            + " [10]}, guards: {maxFallbackRate: 5}}",
            "rule 1 'r': guards.maxFallbackRate: expected a share from 0 to 1"),
        bad("guards without rollout", "rules:\n  - {name: r, when: always, target: tier-1,"
            + " guards: {maxP95Ms: 5}}", "rule 1 'r': guards: only a rule with a 'rollout'"),
        bad("unknown top-level key", "rulez: []\nrules:" + CATCH_ALL,
            "rulez: unknown key 'rulez' (allowed: [version, settings, tenants, models, rules])"),
        bad("alias to an unknown tier", "models: {\"claude-*\": tier-9}\nrules:" + CATCH_ALL,
            "models.claude-*: tier 9 has no providers"),
        bad("alias of auto", "models: {auto: tier-1}\nrules:" + CATCH_ALL,
            "models.auto: an alias must be a model name other than 'auto'"),
        bad("alias to a list", "models: {gpt-4o: [1]}\nrules:" + CATCH_ALL,
            "models.gpt-4o: expected auto, tier-N, a provider id or provider/model"),
        bad("unsupported version", "version: 2\nrules:" + CATCH_ALL,
            "version: unsupported format version '2' (supported: 1)"),
        bad("no rules", "settings: {}",
            "rules: missing (at least one rule is needed; end with 'when: always')"),
        bad("rules not a list", "rules: {a: 1}", "rules: expected a non-empty list of rules"),
        bad("unknown rule key", rules("{name: a, when: always, targt: {tier: 1}}"),
            "rule 1 'a': targt: unknown key 'targt' (allowed: [name, when, target, split,"
                + " shadow, maxPerDay, reason, fallback, rollout, guards])"),
        bad("missing name", rules("{when: always, target: {tier: 1}}"),
            "rule 1: name: missing or not a non-empty string"),
        bad("missing when", rules("{name: a, target: {tier: 1}}"),
            "rule 1 'a': when: missing (use 'when: always' for a catch-all)"),
        bad("unknown fact", rules("{name: a, when: {qualty: high}, target: {tier: 2}}"),
            "rule 1 'a': when.qualty: unknown fact or operator 'qualty' (facts: [classification,"
                + " task, quality, complexity, batchSize, estimatedPromptTokens, requestedModel,"
                + " tenant, hasTools, streaming]; operators: [and, or, not, always])"),
        bad("unknown operator", rules("{name: big, when: {batchSize: {gt: 10}}, target: {tier:"
                + " 2}}"),
            "rule 1 'big': when.batchSize.gt: unknown operator 'gt' (allowed: [eq, in, lte,"
                + " gte])"),
        bad("operator without a fact", rules("{name: a, when: {in: [pii]}, target: {tier: 1}}"),
            "rule 1 'a': when.in: operator 'in' needs a fact, e.g. {quality: {in: ...}}"),
        bad("ordered operator on an unordered fact",
            rules("{name: a, when: {task: {lte: code}}, target: {tier: 1}}"),
            "rule 1 'a': when.task.lte: operator 'lte' needs an ordered fact (quality,"
                + " complexity, batchSize, estimatedPromptTokens), not 'task'"),
        bad("unknown fact value", rules("{name: a, when: {quality: hgih}, target: {tier: 2}}"),
            "rule 1 'a': when.quality: unknown quality value 'hgih' (allowed: [low, standard,"
                + " high, critical])"),
        bad("unknown value inside in", rules("{name: a, when: {classification: {in: [pii,"
                + " phi]}}, target: {tier: 1}}"),
            "rule 1 'a': when.classification.in: unknown classification value 'phi'"),
        bad("number expected", rules("{name: a, when: {batchSize: {gte: ten}}, target: {tier:"
                + " 2}}"),
            "rule 1 'a': when.batchSize.gte: batchSize needs a whole number, got 'ten'"),
        bad("bool expected", rules("{name: a, when: {hasTools: yes please}, target: {tier: 2}}"),
            "rule 1 'a': when.hasTools: hasTools needs true or false, got 'yes please'"),
        bad("empty and", rules("{name: a, when: {and: []}, target: {tier: 1}}"),
            "rule 1 'a': when.and: expected a non-empty list of conditions"),
        bad("nested error path", rules("{name: a, when: {or: [{quality: high}, {not: {tsk:"
                + " code}}]}, target: {tier: 1}}"),
            "rule 1 'a': when.or[1].not.tsk: unknown fact or operator 'tsk'"),
        bad("unknown provider", rules("{name: a, when: always, target: {provider: azure}}"),
            "rule 1 'a': target: unknown provider 'azure' (known: [ollama-gpu, ollama-cpu,"
                + " together, openai])"),
        bad("tier with no providers", rules("{name: a, when: always, target: {tier: 4}}"),
            "rule 1 'a': target: tier 4 has no providers (tiers with providers: [1, 2, 3])"),
        bad("model the provider does not serve",
            rules("{name: a, when: always, target: openai/claude-3}"),
            "rule 1 'a': target: provider 'openai' does not serve model 'claude-3' (models:"
                + " [gpt-4o, gpt-4o-mini])"),
        bad("unknown target key", rules("{name: a, when: always, target: {teir: 1}}"),
            "rule 1 'a': target.teir: unknown key 'teir' (allowed: [tier, provider, model])"),
        bad("tier and model", rules("{name: a, when: always, target: {tier: 1, model: x}}"),
            "rule 1 'a': target.model: a model needs a 'provider', not a 'tier'"),
        bad("unreachable rule", rules("{name: a, when: always, target: {tier: 1}}",
                "{name: b, when: {quality: high}, target: {tier: 2}}"),
            "rule 2 'b': when: unreachable: rule 1 'a' above matches every request"),
        bad("unreachable after an or containing always", rules("{name: a, when: {or: [{task:"
                + " code}, {always: true}]}, target: {tier: 1}}", "{name: b, when: always,"
                + " target: {tier: 2}}"),
            "rule 2 'b': when: unreachable: rule 1 'a' above matches every request"),
        bad("duplicate name", rules("{name: a, when: {task: code}, target: {tier: 1}}",
                "{name: a, when: always, target: {tier: 2}}"),
            "rule 2 'a': name: duplicate rule name (also rule 1)"),
        bad("weights not summing to 100", rules("{name: mig, when: always, split: [{target:"
                + " {tier: 1}, weight: 60}, {target: {tier: 2}, weight: 30}]}"),
            "rule 1 'mig': split: weights sum to 90, must be 100"),
        bad("negative weight", rules("{name: mig, when: always, split: [{target: {tier: 1},"
                + " weight: -10}, {target: {tier: 2}, weight: 110}]}"),
            "rule 1 'mig': split[0].weight: expected a whole number from 0 to 100, got '-10'"),
        bad("unknown split key", rules("{name: mig, when: always, split: [{target: {tier: 1},"
                + " wieght: 100}]}"),
            "rule 1 'mig': split[0].wieght: unknown key 'wieght' (allowed: [target, weight])"),
        bad("target and split", rules("{name: a, when: always, target: {tier: 1}, split:"
                + " [{target: {tier: 1}, weight: 100}]}"),
            "rule 1 'a': target/split: exactly one of 'target' or 'split' is required"),
        bad("shadow percent out of range", rules("{name: a, when: always, target: {tier: 1},"
                + " shadow: {target: {tier: 2}, percent: 0}}"),
            "rule 1 'a': shadow.percent: expected a whole number from 1 to 100, got '0'"),
        bad("shadow to an unknown provider", rules("{name: a, when: always, target: {tier: 1},"
                + " shadow: {target: {provider: azure}, percent: 5}}"),
            "rule 1 'a': shadow.target: unknown provider 'azure'"),
        bad("negative cap", rules("{name: a, when: always, target: {tier: 1}, maxPerDay: -1}"),
            "rule 1 'a': maxPerDay: expected a whole number from 0 to any, got '-1'"),
        bad("reason with capitals", rules("{name: a, when: always, target: {tier: 1}, reason:"
                + " Premium Calls}"),
            "rule 1 'a': reason: 'Premium Calls' must be lower-case letters, digits and '-'"),
        bad("name that cannot be a reason", rules("{name: Premium Calls, when: always, target:"
                + " {tier: 1}}"),
            "rule 1 'Premium Calls': reason: the name is not a valid route reason"),
        bad("bad fallback", rules("{name: a, when: always, target: {tier: 2}, fallback:"
                + " sideways}"),
            "rule 1 'a': fallback: expected 'down', 'none' or a non-empty list of targets, got"
                + " 'sideways'"),
        bad("fallback to an unknown provider", rules("{name: a, when: always, target: {tier:"
                + " 2}, fallback: [azure]}"),
            "rule 1 'a': fallback[0]: unknown provider 'azure'"),
        bad("unknown settings key", "settings: {legalPrivate: true}\nrules:" + CATCH_ALL,
            "settings.legalPrivate: unknown key 'legalPrivate' (allowed: [legalIsPrivate,"
                + " privateForcedModel, onBudgetExhausted])"),
        bad("bad settings value", "settings: {privateForcedModel: allow}\nrules:" + CATCH_ALL,
            "settings.privateForcedModel: unknown value 'allow' (allowed: [reject, reroute])"),
        bad("non-boolean legal setting", "settings: {legalIsPrivate: maybe}\nrules:" + CATCH_ALL,
            "settings.legalIsPrivate: expected true or false, got 'maybe'"),
        bad("unknown tenant policy", "tenants: {acme: cloud_only}\nrules:" + CATCH_ALL,
            "tenants.acme: unknown execution policy 'cloud_only' (allowed: local_only,"
                + " local_and_hosted, multi_cloud, or a list of provider ids)"),
        bad("tenant list naming an unknown provider", "tenants: {beta: [ollama-gpu, azure]}\n"
                + "rules:" + CATCH_ALL,
            "tenants.beta: unknown provider 'azure' (known: [ollama-gpu, ollama-cpu, together,"
                + " openai])"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejections")
  void rejects(String name, String yaml, String expected) {
    RuleSetException e = assertThrows(RuleSetException.class,
        () -> RuleSetParser.parse(Fixtures.yaml(yaml), Fixtures.CATALOG, "test.yaml"));
    assertTrue(e.errors().stream().anyMatch(m -> m.startsWith(expected)),
        () -> "expected an error starting with\n  " + expected + "\ngot\n  " + e.errors());
    assertTrue(e.getMessage().startsWith("test.yaml: "), e.getMessage());
  }

  @Test
  void readsARolloutWithItsGuards() throws RuleSetException {
    RuleSet rs = RuleSetParser.parse(Fixtures.yaml("""
        rules:
          - name: support
            when: always
            split: [{target: tier-1, weight: 70}, {target: tier-2, weight: 30}]
            rollout: {target: tier-2, steps: [10, 30, 50, 75, 100], minSamples: 200, hold: 2h}
            guards: {maxQualityDrop: 0.05, maxP95Ms: 1000, maxFallbackRate: 0.05,
                     maxCostUsdPerMonth: 400}
        """), Fixtures.CATALOG, "rollout.yaml");
    Rule r = rs.rules().get(0);
    Rollout ro = r.rollout();
    assertEquals(new Target.Tier(2), ro.candidate());
    assertEquals(java.util.List.of(10, 30, 50, 75, 100), ro.steps());
    assertEquals(200, ro.minSamples());
    assertEquals(7_200_000L, ro.holdMs());
    assertEquals(new Rollout.Guards(0.05, 1_000L, 0.05, 400.0), ro.guards());
    assertEquals(30, r.candidateArm().weight());
    assertEquals(50, ro.nextStep(30));
    assertEquals(10, ro.lastGood(30));
    assertEquals(null, ro.halted());
  }

  @Test
  void reportsEveryErrorAtOnce() {
    RuleSetException e = assertThrows(RuleSetException.class, () -> RuleSetParser.parse(
        Fixtures.yaml(rules("{name: a, when: {quality: hgih}, target: {tier: 2}}",
            "{name: b, when: always, target: {provider: azure}}")),
        Fixtures.CATALOG, "two.yaml"));
    assertEquals(2, e.errors().size(), e.errors().toString());
    assertTrue(e.getMessage().contains("rule 1 'a'") && e.getMessage().contains("rule 2 'b'"));
  }

  @Test
  void aCappedCatchAllLeavesLaterRulesReachable() throws RuleSetException {
    RuleSet rs = RuleSetParser.parse(Fixtures.yaml(rules(
        "{name: premium, when: always, target: {tier: 3}, maxPerDay: 20}",
        "{name: rest, when: always, target: {tier: 1}}")), Fixtures.CATALOG, "capped.yaml");
    assertEquals(2, rs.rules().size());
  }

  @Test
  void parsesTheDefaultRulesIntoATree() {
    RuleSet rs = Fixtures.load("rules/default-rules.yaml");
    assertEquals(List.of("private-data", "embedding", "critical-high", "quality-high",
        "default"), rs.rules().stream().map(Rule::name).toList());
    assertEquals(new Condition.In(Fact.CLASSIFICATION, List.of("pii", "hipaa", "confidential")),
        rs.rules().get(0).when());
    assertEquals(new Condition.Or(List.of(new Condition.Gte(Fact.QUALITY, "high"),
        new Condition.Gte(Fact.BATCH_SIZE, 11L))), rs.rules().get(3).when());
    assertEquals(new Target.Tier(3), rs.rules().get(2).target());
    assertInstanceOf(Condition.Always.class, rs.rules().get(4).when());
    assertEquals(RoutingPolicy.BudgetAction.FALLBACK, rs.policy().onBudgetExhausted());
    assertEquals(TenantPolicy.MULTI_CLOUD, rs.policy().defaultTenant());
  }

  @Test
  void parsesTheExamples() {
    RuleSet rs = Fixtures.load("rules/examples.yaml");
    Rule code = rs.rules().stream().filter(r -> r.name().equals("code")).findFirst()
        .orElseThrow();
    assertEquals(new Target.Provider("ollama-gpu", "qwen2.5-coder:7b"), code.target());
    assertEquals(new Shadow(new Target.Provider("together", "Qwen/Qwen2.5-Coder-32B-Instruct"),
        5), code.shadow());
    assertEquals(Fallback.Mode.LIST, code.fallback().mode());
    Rule premium = rs.rules().get(2);
    assertEquals(20, premium.maxPerDay());
    assertEquals("critical-high", premium.reason());
    assertEquals(new Condition.And(List.of(new Condition.Eq(Fact.QUALITY, "critical"),
        new Condition.Eq(Fact.COMPLEXITY, "high"))), premium.when());
    assertEquals(TenantPolicy.LOCAL_AND_HOSTED, rs.policy().defaultTenant());
    assertEquals(Map.of("research-lab", TenantPolicy.MULTI_CLOUD,
        "acme-health", TenantPolicy.LOCAL_ONLY,
        "partner", TenantPolicy.onlyProviders(Set.of("ollama-gpu", "together"))),
        rs.policy().tenants());
    assertTrue(rs.policy().legalIsPrivate());
  }

  @Test
  void readsShortTargetSpellings() {
    assertEquals(new Target.Tier(2), RuleSetParser.targetName("tier-2"));
    assertEquals(new Target.Provider("together", null), RuleSetParser.targetName("together"));
    assertEquals(new Target.Provider("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        RuleSetParser.targetName("together/meta-llama/Llama-3.3-70B-Instruct-Turbo"));
  }

  private static Arguments bad(String name, String yaml, String expected) {
    return Arguments.of(name, yaml, expected);
  }

  private static String rules(String... flowRules) {
    StringBuilder sb = new StringBuilder("rules:");
    for (String r : flowRules) {
      sb.append("\n  - ").append(r);
    }
    return sb.toString();
  }
}
